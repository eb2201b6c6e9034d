"""Export the local-structure network for Rust (docs/LOCAL.md): float32 weights as safetensors
with the config and the label definitions in the metadata (src/local/mod.rs checks them), and
the parity fixture (tokens and PyTorch's probabilities) for tests/local_parity.rs.

    python -m webfold_train.local.export --ckpt runs/local/checkpoint.pt \
        --weights weights/local.safetensors --fixtures tests/fixtures/local_parity.safetensors
"""
import argparse
import json

import torch

from ..export import _save
from .data import tokenize
from .model import ANGLE_BINS, BURIAL_EDGES, SS3, SS8, LocalConfig, LocalNet

# Fixture sequences: lengths 1 (every tap of every convolution falls into the padding), 7
# (shorter than the receptive field), a designed helical bundle, a natural beta-rich
# domain and one with an X; only their determinism matters.
PARITY_SEQUENCES = [
    "M",
    "GSXKVEA",
    "SPEELKKLLEEAIKLAKEGNPELAKKLLELAKKLLEEG",
    "GSHMKVTVKFNGQEYTVEVPADATVGDLKKAIEEKTGLPAHRQRLVYAGKELEDGRTLSDYNIQKESTLHLVLRLRGG",
]


def load(ckpt_path):
    ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    cfg = LocalConfig.from_json(ck["config"])
    model = LocalNet(cfg)
    model.load_state_dict(ck["model"])
    return model.eval(), cfg, ck


def metadata(cfg, step=0):
    return {"local_config": cfg.to_json(), "ss3_order": SS3, "ss8_order": SS8,
            "angle_bins": str(ANGLE_BINS), "burial_edges": json.dumps(BURIAL_EDGES, separators=(",", ":")),
            "train_step": str(step)}


def export_weights(model, cfg, path, step=0):
    tensors = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    _save(tensors, path, metadata=metadata(cfg, step))
    return sum(v.numel() for v in tensors.values())


@torch.no_grad()
def export_fixtures(model, path, sequences=PARITY_SEQUENCES):
    out = {}
    for i, seq in enumerate(sequences):
        tokens = torch.from_numpy(tokenize(seq))[None]
        for k, lg in model(tokens).items():
            out[f"{i}.{k}"] = lg[0].softmax(-1).float().contiguous()
        out[f"{i}.tokens"] = tokens[0].to(torch.int32)
    _save(out, path, metadata={"sequences": ",".join(sequences)})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--fixtures", required=True)
    args = p.parse_args(argv)
    model, cfg, ck = load(args.ckpt)
    n = export_weights(model, cfg, args.weights, ck.get("step", 0))
    export_fixtures(model, args.fixtures)
    print(f"exported {n} parameters (step {ck.get('step', 0)}) to {args.weights}; fixtures to {args.fixtures}")


if __name__ == "__main__":
    main()
