"""Export a checkpoint for the Rust side (docs/DESIGN.md D9): weights as safetensors with the
config in the metadata, and parity fixtures (inputs and PyTorch outputs) for the cargo test.

    python -m webfold_train.export --ckpt runs/cpu/checkpoint.pt --weights weights/webfold.safetensors \
        --fixtures tests/fixtures/parity.safetensors
"""
import argparse

import numpy as np
import torch
from safetensors.torch import save_file

from .config import Config
from .model import WebFold
from .train import tokenize

# Two fixed sequences of different lengths for the parity test (a helix-rich and a beta-rich
# natural-looking sequence; their content only has to be deterministic).
PARITY_SEQUENCES = [
    "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ",
    "GSHMKVTVKFNGQEYTVEVPADATVGDLKKAIEEKTGLPAHRQRLVYAGKELEDGRTLSDYNIQKESTLHLVLRLRGG",
]


def load_model(ckpt_path):
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    cfg = Config.from_json(ckpt["config"])
    model = WebFold(cfg)
    model.load_state_dict(ckpt["model"])
    return model.eval(), cfg, ckpt.get("step", 0)


def export_weights(model, cfg, path, step=0):
    tensors = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    save_file(tensors, path, metadata={"webfold_config": cfg.to_json(), "train_step": str(step)})
    return sum(v.numel() for v in tensors.values())


@torch.no_grad()
def export_fixtures(model, path, sequences=PARITY_SEQUENCES):
    out = {}
    for i, seq in enumerate(sequences):
        tokens = torch.tensor([tokenize(seq)], dtype=torch.int64)
        o = model.float()(tokens)
        out[f"{i}.tokens"] = tokens[0].to(torch.int32)
        out[f"{i}.rotations"] = o["rotations"][-1, 0].contiguous()
        out[f"{i}.translations"] = o["translations"][-1, 0].contiguous()
        out[f"{i}.atoms"] = o["atoms"][0].contiguous()
        out[f"{i}.plddt"] = o["plddt"][0].contiguous()
        out[f"{i}.distogram"] = o["distogram"][0].contiguous()
    save_file(out, path, metadata={"sequences": ",".join(sequences)})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True)
    p.add_argument("--weights", required=True)
    p.add_argument("--fixtures", required=True)
    args = p.parse_args(argv)
    model, cfg, step = load_model(args.ckpt)
    n = export_weights(model, cfg, args.weights, step)
    export_fixtures(model, args.fixtures)
    print(f"exported {n} parameters (step {step}) to {args.weights}; fixtures to {args.fixtures}")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
