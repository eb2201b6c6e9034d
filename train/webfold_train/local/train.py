"""Train the local-structure network on CPU (docs/LOCAL.md).

    python -m webfold_train.local.train --train data/local_train.npz --val data/local_val.npz \
        --out runs/local --minutes 15

Writes OUT/checkpoint.pt (model, config, step), OUT/log.tsv (step, seconds, loss, lr) and
OUT/val.json (the held-out accuracies of webfold_train.local.train.evaluate).
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .data import IGNORE, collate, random_batch, read_local
from .model import HEADS, SS8_TO_SS3, LocalConfig, LocalNet, n_params


def loss_fn(logits, labels):
    """Sum over heads of the mean cross-entropy over labelled residues; also returns each term."""
    terms = {}
    for k, lg in logits.items():
        terms[k] = F.cross_entropy(lg.reshape(-1, lg.shape[-1]), labels[k].reshape(-1),
                                   ignore_index=IGNORE)
    return sum(terms.values()), {k: float(v.detach()) for k, v in terms.items()}


@torch.no_grad()
def evaluate(model, chains, batch=16):
    """Per-head accuracy of the arg-max over every labelled residue of `chains` (whole chains, no
    cropping). Also: Q3 from the SS8 head (its probabilities summed into H/E/C), and phi/psi
    within one bin (10 degrees either side, circular)."""
    model.eval()
    order = sorted(range(len(chains)), key=lambda i: len(chains[i].tokens))
    right = {k: 0 for k in HEADS}
    total = {k: 0 for k in HEADS}
    extra = {"q3_from_ss8": 0, "phi_within_1_bin": 0, "psi_within_1_bin": 0}
    reduce = torch.zeros(8, 3)
    reduce[torch.arange(8), torch.tensor(SS8_TO_SS3)] = 1
    for s in range(0, len(order), batch):
        items = [(chains[i].tokens, chains[i].labels) for i in order[s:s + batch]]
        tokens, mask, labels = collate(items)
        out = model(tokens, mask)
        for k, lg in out.items():
            ok = labels[k] != IGNORE
            pred = lg.argmax(-1)
            right[k] += int(((pred == labels[k]) & ok).sum())
            total[k] += int(ok.sum())
            if k in ("phi", "psi"):
                d = (pred - labels[k]).abs()
                d = torch.minimum(d, lg.shape[-1] - d)
                extra[f"{k}_within_1_bin"] += int(((d <= 1) & ok).sum())
        ok = labels["ss3"] != IGNORE
        p3 = out["ss8"].softmax(-1) @ reduce
        extra["q3_from_ss8"] += int(((p3.argmax(-1) == labels["ss3"]) & ok).sum())
    res = {f"acc_{k}": right[k] / max(1, total[k]) for k in HEADS}
    res["q3_from_ss8"] = extra["q3_from_ss8"] / max(1, total["ss3"])
    for k in ("phi", "psi"):
        res[f"{k}_within_1_bin"] = extra[f"{k}_within_1_bin"] / max(1, total[k])
    res["residues"] = total["ss3"]
    res["chains"] = len(chains)
    model.train()
    return res


def lr_at(step, base, warmup, frac):
    """Linear warm-up over `warmup` steps, then cosine from `base` to 0.05 `base` as `frac`
    (the part of the run done, 0..1) goes to 1."""
    if step < warmup:
        return base * (step + 1) / warmup
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, frac))))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--train", default="data/local_train.npz")
    p.add_argument("--val", default="data/local_val.npz")
    p.add_argument("--out", default="runs/local")
    p.add_argument("--steps", type=int, default=0, help="train this many steps (the schedule follows steps)")
    p.add_argument("--minutes", type=float, default=15.0,
                   help="without --steps: train for this long; the schedule follows the clock, so "
                        "the step count depends on the machine's load (it is recorded)")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--crop", type=int, default=256)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--channels", type=int, default=LocalConfig().channels)
    p.add_argument("--dilations", default=",".join(map(str, LocalConfig().dilations)))
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=0, help="also evaluate every N steps (0: only at the end)")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    train = read_local(args.train)
    val = read_local(args.val)
    print(f"read {len(train)} train / {len(val)} val chains in {time.time() - t0:.1f} s", flush=True)
    cfg = LocalConfig(channels=args.channels, dilations=[int(d) for d in args.dilations.split(",")])
    model = LocalNet(cfg)
    print(f"{n_params(model)} parameters, config {cfg.to_json()}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    log = open(os.path.join(args.out, "log.tsv"), "w")
    log.write("step\tseconds\tloss\tlr\t" + "\t".join(HEADS) + "\n")
    t_train = time.time()
    run = 0.0
    step = 0
    while True:
        el = time.time() - t_train
        frac = step / args.steps if args.steps else el / (60 * args.minutes)
        if frac >= 1:
            break
        lr = lr_at(step, args.lr, args.warmup, frac)
        for g in opt.param_groups:
            g["lr"] = lr
        tokens, mask, labels = random_batch(train, rng, args.batch, args.crop)
        loss, terms = loss_fn(model(tokens, mask), labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        run = 0.98 * run + 0.02 * float(loss) if step else float(loss)
        el = time.time() - t_train
        log.write(f"{step}\t{el:.1f}\t{float(loss):.4f}\t{lr:.2e}\t" +
                  "\t".join(f"{terms[k]:.4f}" for k in HEADS) + "\n")
        if step % 50 == 0:
            log.flush()
            print(f"step {step} {el:.0f} s loss {run:.3f} lr {lr:.1e} " +
                  " ".join(f"{k} {v:.3f}" for k, v in terms.items()), flush=True)
        if args.eval_every and step and step % args.eval_every == 0:
            print("val", json.dumps({k: round(v, 4) for k, v in evaluate(model, val).items()}), flush=True)
        step += 1
    train_s = time.time() - t_train
    torch.save({"model": model.state_dict(), "config": cfg.to_json(), "step": step,
                "args": vars(args), "train_seconds": train_s}, os.path.join(args.out, "checkpoint.pt"))
    res = evaluate(model, val)
    res["train_seconds"] = round(train_s, 1)
    res["steps"] = step
    res["residues_seen"] = step * args.batch * args.crop  # at most: chains shorter than the crop give fewer
    with open(os.path.join(args.out, "val.json"), "w") as f:
        json.dump(res, f, indent=1)
    print("val", json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in res.items()}), flush=True)


if __name__ == "__main__":
    main()
