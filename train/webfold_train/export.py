"""Export a checkpoint for the Rust side (docs/DESIGN.md D9): weights as safetensors with the
config in the metadata, and parity fixtures (inputs and PyTorch outputs) for the cargo test.

    python -m webfold_train.export --ckpt runs/cpu/checkpoint.pt --weights weights/webfold.safetensors \
        --fixtures tests/fixtures/parity.safetensors
"""
import argparse
import json
import struct

import numpy as np
import torch

try:
    from safetensors.torch import save_file
except ImportError:  # e.g. a GPU machine with torch only: write the same format ourselves
    save_file = None

from .config import Config
from .lean_checkpoint import model_state
from .model import WebFold
from .train import tokenize

# Two fixed sequences of different lengths for the parity test (a helix-rich and a beta-rich
# natural-looking sequence; their content only has to be deterministic).
PARITY_SEQUENCES = [
    "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ",
    "GSHMKVTVKFNGQEYTVEVPADATVGDLKKAIEEKTGLPAHRQRLVYAGKELEDGRTLSDYNIQKESTLHLVLRLRGG",
]


_DTYPES = {torch.float32: "F32", torch.int32: "I32", torch.int64: "I64", torch.float16: "F16"}


def write_safetensors(tensors, path, metadata=None):
    """Minimal safetensors writer (8-byte little-endian header length, JSON header padded to 8
    bytes, raw little-endian data), used when the safetensors package is missing. Tensors are
    laid out as safetensors orders them (wider dtype first, then by name): the same bytes."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    rank = {"F16": 0, "I32": 1, "F32": 2, "I64": 3}  # safetensors' Dtype order for these
    for k in sorted(tensors, key=lambda k: (-rank[_DTYPES[tensors[k].dtype]], k)):
        t = tensors[k].detach().cpu().contiguous()
        b = t.numpy().tobytes()
        header[k] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for b in blobs:
            f.write(b)


def _save(tensors, path, metadata=None):
    (save_file or write_safetensors)(tensors, path, metadata=metadata)


def load_model(ckpt_path):
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    cfg = Config.from_json(ckpt["config"])
    model = WebFold(cfg)
    model.load_state_dict(model_state(ckpt))
    return model.eval(), cfg, ckpt.get("step", 0)


def export_weights(model, cfg, path, step=0):
    tensors = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    _save(tensors, path, metadata={"webfold_config": cfg.to_json(), "train_step": str(step)})
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
    _save(out, path, metadata={"sequences": ",".join(sequences)})


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
