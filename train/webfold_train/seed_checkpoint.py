"""Make a resumable training checkpoint from exported weights, so training continues from them.

The committed checkpoint train/checkpoints/ was made from the committed weights with

    cd train && python3 -m webfold_train.seed_checkpoint --weights ../weights/webfold.safetensors \\
        --loss ../docs/training/cpu1_loss.tsv --out checkpoints

model state = the safetensors tensors (exactly); optimiser = a fresh AdamW state (the CPU run's
Adam moments were not kept); step = the export's `train_step` metadata (484); sampler = a fresh
PCG64 stream (seed 0, jumped once, so it does not replay the CPU run's crops); hyperparameters =
those of the CPU run (train.py --batch 4 --crop 80 --lr 1e-3 --warmup 100 --total-steps 1500);
loss.tsv = the rows of the run's curve up to that step (the curve file continues to step 1500,
a continuation that was not kept). train.py and gpu_run.py resume it like any checkpoint.
"""
import argparse
import os

import numpy as np
import torch
from safetensors import safe_open

from .config import Config
from .model import WebFold
from .checkpoint_files import save_atomic

CPU1_HPARAMS = {"lr": 1e-3, "warmup": 100, "total_steps": 1500, "batch": 4, "crop": 80, "seed": 0}
HEADER = "step\tseconds\tloss\tfape\tfape_aux\tdist\tplddt\tlr\n"


def seed_checkpoint(weights, out_dir, loss_tsv=None, hparams=None, step=None):
    """Write out_dir/checkpoint.pt (and out_dir/loss.tsv: the curve's rows up to `step`).
    Returns the step."""
    with safe_open(weights, "pt") as f:
        meta = f.metadata() or {}
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    cfg = Config.from_json(meta["webfold_config"])
    step = int(meta.get("train_step", 0)) if step is None else int(step)
    hp = dict(hparams or CPU1_HPARAMS)
    model = WebFold(cfg)
    model.load_state_dict(tensors, strict=True)
    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=0.0)
    sampler = np.random.PCG64(hp["seed"]).jumped()
    os.makedirs(out_dir, exist_ok=True)
    save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                 "sampler_state": sampler.state, "config": cfg.to_json(), "hparams": hp,
                 "origin": f"seeded from {os.path.basename(weights)} (train_step {step}); fresh AdamW state"},
                os.path.join(out_dir, "checkpoint.pt"))
    if loss_tsv is not None:
        lines = open(loss_tsv).read().splitlines(keepends=True)
        if not lines or not lines[0].startswith("step\t"):
            raise ValueError(f"{loss_tsv}: not a loss.tsv (header missing)")
        rows = [r for r in lines[1:] if r.strip() and int(r.split("\t", 1)[0]) <= step]
        got = [int(r.split("\t", 1)[0]) for r in rows]
        if got != list(range(1, step + 1)):
            raise ValueError(f"{loss_tsv}: rows up to step {step} are not exactly steps 1..{step}")
        with open(os.path.join(out_dir, "loss.tsv"), "w") as f:
            f.write(HEADER)
            f.writelines(r if r.endswith("\n") else r + "\n" for r in rows)
    return step


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--weights", required=True, help="exported safetensors (export.py)")
    p.add_argument("--out", required=True, help="directory for checkpoint.pt and loss.tsv")
    p.add_argument("--loss", default=None, help="the run's loss.tsv (rows after the step are dropped)")
    p.add_argument("--step", type=int, default=None, help="step counter (default: the export's train_step)")
    args = p.parse_args(argv)
    step = seed_checkpoint(args.weights, args.out, args.loss, step=args.step)
    print(f"wrote {os.path.join(args.out, 'checkpoint.pt')} at step {step}")


if __name__ == "__main__":
    main()
