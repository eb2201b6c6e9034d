"""Training loop with exact resume (docs/DESIGN.md D7).

One run continues across several invocations: every invocation loads `OUT/checkpoint.pt` if
present (model, optimiser, step, and the sampler's random state), trains until --steps or
--minutes runs out, and saves again. Losses are appended to `OUT/loss.tsv`.

    python -m webfold_train.train --data data/train.wfd --out runs/cpu --minutes 30
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch

from . import dataset
from .config import Config, TINY
from .losses import total_loss
from .model import WebFold

ALPHABET = "ARNDCQEGHILKMFPSTWYV"
_INDEX = {a: i for i, a in enumerate(ALPHABET)}


def tokenize(seq: str) -> list:
    """D1: one-letter codes -> 0..19, anything else -> 20 (X)."""
    return [_INDEX.get(a, 20) for a in seq]


def make_batch(chains, rng, batch, crop):
    """Random contiguous crops (at most `crop` residues), padded with a mask."""
    picks = rng.integers(0, len(chains), size=batch)
    crops = []
    for i in picks:
        ch = chains[int(i)]
        L = len(ch.seq)
        start = int(rng.integers(0, L - crop + 1)) if L > crop else 0
        crops.append((ch.seq[start:start + crop], ch.xyz[start:start + crop]))
    Lmax = max(len(s) for s, _ in crops)
    tokens = np.full((batch, Lmax), 20, dtype=np.int64)
    xyz = np.zeros((batch, Lmax, 3, 3), dtype=np.float32)
    mask = np.zeros((batch, Lmax), dtype=np.float32)
    for b, (s, x) in enumerate(crops):
        tokens[b, :len(s)] = tokenize(s)
        # centre each crop: FAPE is invariant, but it keeps numbers small
        xyz[b, :len(s)] = x - x[:, 1].mean(0)
        mask[b, :len(s)] = 1.0
    return torch.from_numpy(tokens), torch.from_numpy(xyz), torch.from_numpy(mask)


def lr_at(step, base, warmup, total):
    if step < warmup:
        return base * (step + 1) / warmup
    frac = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def train(args):
    os.makedirs(args.out, exist_ok=True)
    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    ckpt_path = os.path.join(args.out, "checkpoint.pt")
    chains = [c for c in dataset.read_wfd(args.data) if len(c.seq) >= args.min_len]

    if os.path.exists(ckpt_path):
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        cfg = Config.from_json(ckpt["config"])
        hp = ckpt["hparams"]
        print(f"resuming {ckpt_path} at step {ckpt['step']}")
    else:
        ckpt = None
        cfg = TINY if args.config == "tiny" else (Config.from_json(open(args.config).read()) if args.config.endswith(".json") else Config())
        hp = {"lr": args.lr, "warmup": args.warmup, "total_steps": args.total_steps, "batch": args.batch,
              "crop": args.crop, "seed": args.seed}
    torch.manual_seed(hp["seed"])
    model = WebFold(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=0.0)
    rng = np.random.Generator(np.random.PCG64(hp["seed"]))
    step = 0
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        rng.bit_generator.state = ckpt["sampler_state"]
        step = ckpt["step"]

    def checkpoint():
        save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
                     "sampler_state": rng.bit_generator.state, "config": cfg.to_json(), "hparams": hp},
                    ckpt_path)

    log = open(os.path.join(args.out, "loss.tsv"), "a")
    if log.tell() == 0:
        log.write("step\tseconds\tloss\tfape\tfape_aux\tdist\tplddt\tlr\n")
    t0 = time.time()
    last_ckpt = t0
    model.train()
    end_step = step + args.steps if args.steps else hp["total_steps"]
    while step < min(end_step, hp["total_steps"]):
        if args.minutes and time.time() - t0 > args.minutes * 60:
            break
        tokens, xyz, mask = make_batch(chains, rng, hp["batch"], hp["crop"])
        tokens, xyz, mask = tokens.to(device), xyz.to(device), mask.to(device)
        lr = lr_at(step, hp["lr"], hp["warmup"], hp["total_steps"])
        for g in opt.param_groups:
            g["lr"] = lr
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda"):
            out = model(tokens, mask)
        loss, parts = total_loss(out, xyz, mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        log.write(f"{step}\t{time.time() - t0:.1f}\t{loss.item():.5f}\t{parts['fape']:.5f}\t"
                  f"{parts['fape_aux']:.5f}\t{parts['dist']:.5f}\t{parts['plddt']:.5f}\t{lr:.2e}\n")
        if step % args.print_every == 0:
            log.flush()
            print(f"step {step} loss {loss.item():.4f} " + json.dumps({k: round(v, 4) for k, v in parts.items()}), flush=True)
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            checkpoint()
            last_ckpt = time.time()
    checkpoint()
    log.close()
    return model, step


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="training set (.wfd, from scripts/build_data.py)")
    p.add_argument("--out", required=True, help="run directory: checkpoint.pt, loss.tsv")
    p.add_argument("--config", default="default", help="'default', 'tiny' or a JSON file (new runs only)")
    p.add_argument("--steps", type=int, default=0, help="stop after this many more steps (0: no limit)")
    p.add_argument("--minutes", type=float, default=0, help="stop after this much wall time (0: no limit)")
    p.add_argument("--total-steps", type=int, default=20000, help="schedule length (new runs only)")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=128)
    p.add_argument("--min-len", type=int, default=20)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--print-every", type=int, default=20)
    args = p.parse_args(argv)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    _, step = train(args)
    print(f"stopped at step {step}")


if __name__ == "__main__":
    main()
