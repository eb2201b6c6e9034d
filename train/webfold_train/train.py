"""Training loop with exact resume (docs/DESIGN.md D7).

One run continues across several invocations: every invocation loads `OUT/checkpoint.pt` if
present (model, step, and the sampler's random state; the AdamW state from `OUT/optimizer.pt`
beside it), trains until --steps or --minutes runs out, and saves both again. Losses are
appended to `OUT/loss.tsv`.

On resume the run's hyperparameters come from the checkpoint; --batch, --crop, --lr, --warmup and
--total-steps given explicitly replace them from this step on (recorded in the checkpoint), and
--new-schedule N starts a new warm-up + cosine segment of N steps at the current step (used by
webfold_train.gpu_run for each time-limited GPU session). A resume that changes nothing is
bit-identical to an uninterrupted run (tests/test_train.py).

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
from .checkpoint_files import OPTIMIZER_FILE, save_atomic
from .config import Config, PRESETS
from .lean_checkpoint import model_state
from .losses import total_loss
from .model import WebFold

ALPHABET = "ARNDCQEGHILKMFPSTWYV"
_INDEX = {a: i for i, a in enumerate(ALPHABET)}


def tokenize(seq: str) -> list:
    """D1: one-letter codes -> 0..19, anything else -> 20 (X)."""
    return [_INDEX.get(a, 20) for a in seq]


def make_batch(chains, rng, batch, crop, pad_to=None):
    """Random contiguous crops (at most `crop` residues), padded with a mask (to the longest crop,
    or to `pad_to` residues: fixed shapes for torch.compile)."""
    picks = rng.integers(0, len(chains), size=batch)
    crops = []
    for i in picks:
        ch = chains[int(i)]
        L = len(ch.seq)
        start = int(rng.integers(0, L - crop + 1)) if L > crop else 0
        crops.append((ch.seq[start:start + crop], ch.xyz[start:start + crop]))
    Lmax = max(max(len(s) for s, _ in crops), pad_to or 0)
    tokens = np.full((batch, Lmax), 20, dtype=np.int64)
    xyz = np.zeros((batch, Lmax, 3, 3), dtype=np.float32)
    mask = np.zeros((batch, Lmax), dtype=np.float32)
    for b, (s, x) in enumerate(crops):
        tokens[b, :len(s)] = tokenize(s)
        # centre each crop: FAPE is invariant, but it keeps numbers small
        xyz[b, :len(s)] = x - x[:, 1].mean(0)
        mask[b, :len(s)] = 1.0
    return torch.from_numpy(tokens), torch.from_numpy(xyz), torch.from_numpy(mask)


def lr_at(step, base, warmup, total, start=0):
    """Linear warm-up, then cosine from `base` to 0.1 `base` at step `total`; a schedule segment
    that begins at step `start` (0 for a run's first segment)."""
    step, total = step - start, total - start
    if step < warmup:
        return base * (step + 1) / warmup
    frac = min(1.0, (step - warmup) / max(1, total - warmup))
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def use_bf16(device) -> bool:
    """bf16 autocast: on CUDA; on the CPU only with WEBFOLD_BF16=1, which lets the CPU tests
    (tests/test_train.py) run the GPU's mixed-precision path before a GPU is ever lent."""
    return device.type == "cuda" or os.environ.get("WEBFOLD_BF16") == "1"


def load_optimizer_state(ckpt, opt_path):
    """The AdamW state that belongs to `ckpt`: inside it (checkpoints written before the split),
    else `opt_path` when it was saved at the same step; None (a fresh AdamW state, said in the
    log) when there is none or it is from another step."""
    if "optimizer" in ckpt:
        return ckpt["optimizer"]
    if os.path.exists(opt_path):
        o = torch.load(opt_path, map_location="cpu", weights_only=False)
        if o.get("step") == ckpt["step"]:
            return o["optimizer"]
        print(f"{opt_path} is from step {o.get('step')}, the checkpoint from step {ckpt['step']}: fresh AdamW state")
        return None
    print(f"no {os.path.basename(opt_path)} beside the checkpoint: fresh AdamW state")
    return None


DEFAULTS = {"lr": 1e-3, "warmup": 200, "total_steps": 20000, "batch": 8, "crop": 128}


def train(args, stats=None):
    """Train in `args.out` (see main). `stats`, if a dict, receives this invocation's counters:
    start/end step, steps, seconds in the loop, real and padded residues, batch halvings."""
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
        cfg = config_named(args.config)
        hp = {k: (getattr(args, k) if getattr(args, k, None) is not None else v) for k, v in DEFAULTS.items()}
        hp["seed"] = args.seed
    if ckpt is not None:  # explicit flags replace the checkpoint's hyperparameters from here on
        hp = dict(hp)
        for k in DEFAULTS:
            if getattr(args, k, None) is not None and getattr(args, k) != hp.get(k):
                print(f"{k}: {hp.get(k)} -> {getattr(args, k)} from step {ckpt['step']}")
                hp[k] = getattr(args, k)
    torch.manual_seed(hp["seed"])
    model = WebFold(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=0.0)
    rng = np.random.Generator(np.random.PCG64(hp["seed"]))
    step = 0
    if ckpt is not None:
        model.load_state_dict(model_state(ckpt))
        opt_state = load_optimizer_state(ckpt, os.path.join(args.out, OPTIMIZER_FILE))
        if opt_state is not None:
            opt.load_state_dict(opt_state)
        rng.bit_generator.state = ckpt["sampler_state"]
        step = ckpt["step"]
    if getattr(args, "new_schedule", 0):
        hp.update(schedule_start=step, total_steps=step + args.new_schedule)
        if getattr(args, "warmup", None) is None:
            hp["warmup"] = max(1, min(hp["warmup"], args.new_schedule // 10))
        print(f"new schedule: steps {step}..{hp['total_steps']}, warm-up {hp['warmup']}, lr {hp['lr']:g}")
    fwd = torch.compile(model) if getattr(args, "compile", False) else model
    pad_to = hp["crop"] if getattr(args, "compile", False) else None
    deadline = getattr(args, "deadline", None)
    if stats is None:
        stats = {}
    stats.update(start_step=step, steps=0, seconds=0.0, residues=0, padded_residues=0, batch_halvings=0,
                 skipped_nonfinite=0)

    def checkpoint():
        # The AdamW moments (twice the model's bytes) go to their own file, written first: each
        # file stays under the device tool's 16 MiB per file, and a checkpoint may travel without
        # them (train/checkpoints/README.md).
        save_atomic({"optimizer": opt.state_dict(), "step": step}, os.path.join(args.out, OPTIMIZER_FILE))
        save_atomic({"model": model.state_dict(), "step": step, "sampler_state": rng.bit_generator.state,
                     "config": cfg.to_json(), "hparams": hp}, ckpt_path)

    log = open(os.path.join(args.out, "loss.tsv"), "a")
    if log.tell() == 0:
        log.write("step\tseconds\tloss\tfape\tfape_aux\tdist\tplddt\tlr\n")
    t0 = time.time()
    last_ckpt = t0
    model.train()
    end_step = step + args.steps if args.steps else hp["total_steps"]
    step_seconds = 0.0
    while step < min(end_step, hp["total_steps"]):
        if args.minutes and time.time() - t0 > args.minutes * 60:
            break
        if deadline and time.time() + step_seconds > deadline:  # the next step would end too late
            break
        t_step = time.time()
        tokens, xyz, mask = make_batch(chains, rng, hp["batch"], hp["crop"], pad_to)
        lr = lr_at(step, hp["lr"], hp["warmup"], hp["total_steps"], hp.get("schedule_start", 0))
        for g in opt.param_groups:
            g["lr"] = lr
        n_real = int(mask.sum())
        tokens, xyz, mask = tokens.to(device), xyz.to(device), mask.to(device)
        oom = False
        try:
            with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=use_bf16(device)):
                out = fwd(tokens, mask)
            loss, parts = total_loss(out, xyz, mask)
            opt.zero_grad(set_to_none=True)
            loss.backward()
        except torch.cuda.OutOfMemoryError:
            oom = True
        if oom:
            # Insurance for time-limited GPU runs: halve the batch (recorded) instead of dying.
            out = loss = None
            opt.zero_grad(set_to_none=True)
            torch.cuda.empty_cache()
            if hp["batch"] == 1:
                raise
            hp = dict(hp, batch=hp["batch"] // 2)
            stats["batch_halvings"] += 1
            print(f"out of GPU memory at step {step}: batch -> {hp['batch']}", flush=True)
            continue
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        if not torch.isfinite(grad_norm):
            # One bad batch (an overflow) must not poison a time-limited run's weights: skip it,
            # count it, and stop only if it keeps happening.
            opt.zero_grad(set_to_none=True)
            stats["skipped_nonfinite"] += 1
            print(f"non-finite loss or gradient at step {step}: batch skipped", flush=True)
            if stats["skipped_nonfinite"] > 20:
                raise RuntimeError("more than 20 batches with a non-finite loss or gradient")
            continue
        opt.step()
        step += 1
        step_seconds = time.time() - t_step
        stats["steps"] += 1
        stats["residues"] += n_real
        stats["padded_residues"] += mask.numel()
        log.write(f"{step}\t{time.time() - t0:.1f}\t{loss.item():.5f}\t{parts['fape']:.5f}\t"
                  f"{parts['fape_aux']:.5f}\t{parts['dist']:.5f}\t{parts['plddt']:.5f}\t{lr:.2e}\n")
        if step % args.print_every == 0:
            log.flush()
            print(f"step {step} loss {loss.item():.4f} " + json.dumps({k: round(v, 4) for k, v in parts.items()}), flush=True)
        if time.time() - last_ckpt > args.ckpt_minutes * 60:
            checkpoint()
            last_ckpt = time.time()
    stats.update(end_step=step, seconds=time.time() - t0, hparams=dict(hp))
    checkpoint()
    log.close()
    return model, step


def config_named(name):
    """'default', 'tiny', 'gpu' (config.PRESETS) or a JSON file."""
    if name.endswith(".json"):
        return Config.from_json(open(name).read())
    if name not in PRESETS:
        raise SystemExit(f"--config: '{name}' is not one of {', '.join(PRESETS)} or a .json file")
    return PRESETS[name]


def parser():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="training set (.wfd, from scripts/build_data.py)")
    p.add_argument("--out", required=True, help="run directory: checkpoint.pt, loss.tsv")
    p.add_argument("--config", default="default", help="'default', 'tiny', 'gpu' or a JSON file (new runs only)")
    p.add_argument("--steps", type=int, default=0, help="stop after this many more steps (0: no limit)")
    p.add_argument("--minutes", type=float, default=0, help="stop after this much wall time (0: no limit)")
    p.add_argument("--deadline", type=float, default=None, help=argparse.SUPPRESS)  # absolute time.time()
    p.add_argument("--total-steps", type=int, default=None, help="step at which the schedule ends (new run: 20000)")
    p.add_argument("--new-schedule", type=int, default=0, metavar="N",
                   help="start a new warm-up + cosine segment of N steps at the current step")
    p.add_argument("--batch", type=int, default=None, help="crops per step (new run: 8)")
    p.add_argument("--crop", type=int, default=None, help="residues per crop (new run: 128)")
    p.add_argument("--min-len", type=int, default=20)
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (new run: 1e-3)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up steps (new run: 200)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto")
    p.add_argument("--ckpt-minutes", type=float, default=5.0)
    p.add_argument("--print-every", type=int, default=20)
    p.add_argument("--compile", action="store_true", help="torch.compile the model (crops padded to --crop)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    _, step = train(args)
    print(f"stopped at step {step}")


if __name__ == "__main__":
    main()
