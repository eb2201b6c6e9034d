"""Held-out accuracy of exported local weights (docs/LOCAL.md): reads the safetensors file
that Rust ships, not the checkpoint, so the documented numbers are those of the committed file.

    python -m webfold_train.local.evaluate --weights weights/local.safetensors --val data/local_val.npz
"""
import argparse
import json
import time

import torch
from safetensors import safe_open

from .data import read_local
from .model import LocalConfig, LocalNet
from .train import evaluate


def load_exported(path):
    with safe_open(path, "pt") as f:
        cfg = LocalConfig.from_json(f.metadata()["local_config"])
        state = {k: f.get_tensor(k) for k in f.keys()}
    model = LocalNet(cfg)
    model.load_state_dict(state)
    return model.eval(), cfg


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", default="weights/local.safetensors")
    p.add_argument("--val", default="data/local_val.npz")
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    model, _ = load_exported(args.weights)
    t = time.time()
    res = evaluate(model, read_local(args.val))
    res["seconds"] = round(time.time() - t, 1)
    print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in res.items()}, indent=1))


if __name__ == "__main__":
    main()
