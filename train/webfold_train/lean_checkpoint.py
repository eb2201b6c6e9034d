"""The committed checkpoint without a second copy of the weights (train/checkpoints/README.md).

Everything a GPU session needs travels to the device machine within 64 MiB: the tracked tree,
data/train.wfd and data/val.wfd (39 MB) and, when benchmarked, a packed wgpu binary. A full
checkpoint repeats the exported weights (7.1 MB for the `gpu` model) and its AdamW moments
twice that, which do not fit beside them. So train/checkpoints/checkpoint.pt keeps the step,
the sampler state, the hyperparameters and the config, and names the exported weights it goes
with (`model_from`, a path in the repository, and their SHA-256); its AdamW state is left out,
and the next session starts a fresh one with its new learning-rate segment. Resuming reads the
model back from those weights, exactly (they are the state dict in float32).

    cd train && python3 -m webfold_train.lean_checkpoint --ckpt OUT/checkpoint.pt \\
        --weights ../weights/webfold.safetensors --loss OUT/loss.tsv --out checkpoints
"""
import argparse
import hashlib
import json
import os
import shutil
import struct

import numpy as np
import torch

from .checkpoint_files import OPTIMIZER_FILE, save_atomic

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_safetensors(path):
    """name -> tensor, with the safetensors package where installed, else by reading the format
    (8-byte header length, JSON header, raw little-endian data): the GPU machine may lack it."""
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if info["dtype"] not in _DTYPES:
            raise ValueError(f"{path}: tensor {name} has dtype {info['dtype']}, not one this reader knows")
        a, b = info["data_offsets"]
        arr = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=_DTYPES[info["dtype"]]).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def model_state(ckpt, root=ROOT):
    """The model's state dict of a full checkpoint, or of a lean one from the weights it names
    (checked against their SHA-256, so a lean checkpoint never resumes on other weights)."""
    if "model" in ckpt:
        return ckpt["model"]
    if "model_from" not in ckpt:
        raise ValueError("checkpoint has neither 'model' nor 'model_from'")
    path = os.path.join(root, ckpt["model_from"])
    if not os.path.exists(path):
        raise FileNotFoundError(f"the checkpoint's weights {ckpt['model_from']} are missing")
    if sha256(path) != ckpt["model_sha256"]:
        raise ValueError(f"{ckpt['model_from']} is not the file this checkpoint was made with (SHA-256 differs): "
                         "re-export the checkpoint's weights or make it again")
    return read_safetensors(path)


def make_lean(ckpt_path, weights, out_dir, loss_tsv=None, root=ROOT):
    """Write out_dir/checkpoint.pt naming `weights` (which must hold exactly ckpt's model), and
    copy the loss curve. Returns the step."""
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    w = read_safetensors(weights)
    state = ckpt["model"]
    if set(w) != set(state) or not all(torch.equal(w[k], state[k].float()) for k in w):
        raise ValueError(f"{weights} does not hold exactly the model of {ckpt_path}: export it first")
    lean = {k: v for k, v in ckpt.items() if k not in ("model", "optimizer")}
    lean.update(model_from=os.path.relpath(os.path.abspath(weights), root), model_sha256=sha256(weights))
    os.makedirs(out_dir, exist_ok=True)
    save_atomic(lean, os.path.join(out_dir, "checkpoint.pt"))
    stale = os.path.join(out_dir, OPTIMIZER_FILE)
    if os.path.exists(stale):
        os.remove(stale)
    if loss_tsv is not None and os.path.abspath(loss_tsv) != os.path.abspath(os.path.join(out_dir, "loss.tsv")):
        shutil.copyfile(loss_tsv, os.path.join(out_dir, "loss.tsv"))
    return ckpt["step"]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt", required=True, help="a full checkpoint.pt (e.g. a GPU session's OUT)")
    p.add_argument("--weights", required=True, help="its export, inside the repository (weights/webfold.safetensors)")
    p.add_argument("--loss", default=None, help="the run's loss.tsv, copied beside it")
    p.add_argument("--out", required=True, help="directory (train/checkpoints)")
    args = p.parse_args(argv)
    step = make_lean(args.ckpt, args.weights, args.out, args.loss)
    print(f"wrote {os.path.join(args.out, 'checkpoint.pt')} at step {step}, model from {args.weights}")


if __name__ == "__main__":
    main()
