"""One time-limited GPU session as one command (scripts/gpu_train.sh OUT runs this).

1. Resume the committed checkpoint (train/checkpoints/, or --from DIR) in OUT; OUT's own
   checkpoint if it already has one; or a new run with --config NAME (e.g. the opt-in `gpu`
   preset, config.py).
2. On CUDA, unless --batch is given: time forward + backward on synthetic full-length crops for a
   few batch sizes (no weight changes) and take the smallest batch within 10% of the best
   residues/s whose peak memory stays under --mem-frac of the GPU. The measurement is in the log.
3. Train (train.py: bf16 autocast, fused attention) in a new warm-up + cosine segment sized to
   the steps that fit the time budget, stopping at the deadline; the loss curve is appended.
4. Export OUT/webfold.safetensors and OUT/parity.safetensors (export.py), and, when the
   validation file is there, score a fixed sample of validation crops before and after.
5. If a prebuilt `webfold` with --features wgpu is given ($WEBFOLD_BIN: a binary or a
   binpack.py pack; default runs/gpu-bin/webfold.wfbin) and time is left: run
   `webfold bench --backends wgpu --lengths 100,300,1000 --repeats 3 --templates off --weights
   OUT/webfold.safetensors` (the model just trained) with the Vulkan loader from
   $VULKAN_LIB_DIR (default runs/gpu-bin) -> OUT/bench.md. Absent or failing: said in the log,
   never an error.
6. OUT/gpu_train.json: steps/s, residues/s, peak GPU memory, device, steps, losses, timings
   (rewritten after every stage, so a killed run still leaves one).

OUT ends with at most 8 files (the device tool brings back 8 of at most 16 MiB each):
checkpoint.pt (model, step, sampler; 7.1 MB for --config gpu), optimizer.pt (AdamW state, 14 MB),
loss.tsv, webfold.safetensors, parity.safetensors, gpu_train.json, bench.md and train.log
(written by gpu_train.sh).
"""
import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import tempfile
import time

import numpy as np
import torch

from . import binpack, dataset, export, train
from .config import Config
from .losses import total_loss
from .model import WebFold

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BENCH_ARGS = ["bench", "--backends", "wgpu", "--lengths", "100,300,1000", "--repeats", "3", "--templates", "off"]
EXPORT_RESERVE_S = 30.0   # checkpoint save + export + validation after training (GPU machine)
GIB = 2 ** 30


def synthetic_batch(batch, length, device):
    """Full-length crops of an ideal helix with random tokens (shapes only matter)."""
    i = torch.arange(length, dtype=torch.float32)
    ang = math.radians(100.0) * i
    ca = torch.stack([2.3 * torch.cos(ang), 2.3 * torch.sin(ang), 1.5 * i - 0.75 * length], -1)
    xyz = torch.stack([ca + torch.tensor([-0.5, 1.0, -0.8]), ca, ca + torch.tensor([1.2, 0.3, 0.7])], 1)
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 20, (batch, length), generator=g)
    return (tokens.to(device), xyz.expand(batch, length, 3, 3).contiguous().to(device),
            torch.ones(batch, length, device=device))


def probe_batches(cfg, crop, device, candidates, mem_frac):
    """Forward + backward (bf16 autocast on CUDA) at each batch size on full `crop`-length crops:
    seconds per step (the faster of 2 timed steps after a warm-up), residues/s and, on CUDA, peak
    memory; stops at the first batch over mem_frac of the GPU or out of memory. Returns the
    smallest batch within 10% of the best residues/s, and the table."""
    cuda = device.type == "cuda"
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        total = torch.cuda.get_device_properties(device).total_memory
    sync = (lambda: torch.cuda.synchronize(device)) if cuda else (lambda: None)  # noqa: E731
    model = WebFold(cfg).to(device).train()
    rows = []
    for b in candidates:
        if cuda:
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats(device)
        times, oom = [], False
        try:
            tokens, xyz, mask = synthetic_batch(b, crop, device)
            for _ in range(3):
                sync()
                t = time.time()
                with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=train.use_bf16(device)):
                    out = model(tokens, mask)
                loss, _ = total_loss(out, xyz, mask)
                loss.backward()
                model.zero_grad(set_to_none=True)
                sync()
                times.append(time.time() - t)
                out = loss = None
        except torch.cuda.OutOfMemoryError:
            oom = True
        tokens = xyz = mask = out = loss = None
        model.zero_grad(set_to_none=True)
        if oom:
            rows.append({"batch": b, "oom": True})
            print(f"probe batch {b} crop {crop}: out of memory", flush=True)
            break
        spp = min(times[1:])
        peak = torch.cuda.max_memory_allocated(device) if cuda else 0
        fits = not cuda or peak <= mem_frac * total
        rows.append({"batch": b, "seconds_per_step": round(spp, 4), "residues_per_s": round(b * crop / spp),
                     "peak_gib": round(peak / GIB, 2), "fits": fits})
        print(f"probe batch {b} crop {crop}: {spp * 1e3:.0f} ms/step, {b * crop / spp:,.0f} residues/s, "
              f"peak {peak / GIB:.1f} GiB", flush=True)
        if not fits:
            break
    del model
    if cuda:
        torch.cuda.empty_cache()
    ok = [r for r in rows if not r.get("oom") and r["fits"]]
    if not ok:
        return max(1, candidates[0] // 2), rows
    best = max(r["residues_per_s"] for r in ok)
    chosen = min(r["batch"] for r in ok if r["residues_per_s"] >= 0.9 * best)
    return chosen, rows


@torch.no_grad()
def val_loss(ckpt_path, chains, n, crop, device, batch=16):
    """Mean loss parts over a fixed sample of n validation crops (seed 12345), eval mode."""
    model, _, _ = export.load_model(ckpt_path)
    model = model.to(device)
    rng = np.random.Generator(np.random.PCG64(12345))
    sums, count = {}, 0
    while count < n:
        b = min(batch, n - count)
        tokens, xyz, mask = (t.to(device) for t in train.make_batch(chains, rng, b, crop))
        with torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=train.use_bf16(device)):
            out = model(tokens, mask)
        loss, parts = total_loss(out, xyz, mask)
        for k, v in dict(parts, loss=loss.item()).items():
            sums[k] = sums.get(k, 0.0) + v * b
        count += b
    return {k: round(v / count, 5) for k, v in sums.items()}


def curve_summary(loss_tsv, first_step, last_n=50):
    """Means of this invocation's first and last `last_n` rows, and the steady step rate (rows
    after the first 5, from the seconds column)."""
    rows = [r.split("\t") for r in open(loss_tsv).read().splitlines()[1:]]
    rows = [r for r in rows if int(r[0]) > first_step]
    if not rows:
        return {}
    cols = {"loss": 2, "fape": 3, "dist": 5, "plddt": 6}
    mean = lambda rs, c: round(sum(float(r[c]) for r in rs) / len(rs), 5)  # noqa: E731
    out = {f"first{min(last_n, len(rows))}": {k: mean(rows[:last_n], c) for k, c in cols.items()},
           f"last{min(last_n, len(rows))}": {k: mean(rows[-last_n:], c) for k, c in cols.items()}}
    if len(rows) > 10:
        a, b = rows[5], rows[-1]
        dt = float(b[1]) - float(a[1])
        if dt > 0:
            out["steady_steps_per_s"] = round((int(b[0]) - int(a[0])) / dt, 3)
    return out


def vulkan_env(lib_dir, scratch):
    """Environment for the bench: the loader from lib_dir, and NVIDIA's ICD when the driver's
    Vulkan library is present but no ICD manifest is installed (common in containers)."""
    env = dict(os.environ)
    notes = {}
    if lib_dir and os.path.isdir(lib_dir):
        env["LD_LIBRARY_PATH"] = lib_dir + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        notes["vulkan_lib_dir"] = lib_dir
        notes["loader_present"] = os.path.exists(os.path.join(lib_dir, "libvulkan.so.1"))
    manifests = []
    for d in ("/usr/share/vulkan/icd.d", "/etc/vulkan/icd.d", "/usr/local/share/vulkan/icd.d"):
        if os.path.isdir(d):
            manifests += [os.path.join(d, f) for f in sorted(os.listdir(d))]
    notes["icd_manifests"] = manifests
    if "VK_ICD_FILENAMES" not in env and not any("nvidia" in m for m in manifests):
        lib = None
        for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/nvidia/lib64"):
            if os.path.exists(os.path.join(d, "libGLX_nvidia.so.0")):
                lib = os.path.join(d, "libGLX_nvidia.so.0")
                break
        if lib:
            icd = os.path.join(scratch, "nvidia_icd.json")
            with open(icd, "w") as f:
                json.dump({"file_format_version": "1.0.0", "ICD": {"library_path": lib, "api_version": "1.3.0"}}, f)
            env["VK_ICD_FILENAMES"] = icd
            notes["icd_written"] = icd
        else:
            notes["nvidia_vulkan_driver"] = "libGLX_nvidia.so.0 not found"
    return env, notes


def run_bench(args, out_dir, deadline, log):
    """Never raises: records what happened in log['bench']."""
    info = log.setdefault("bench", {})
    bin_path = args.bench_bin
    if not bin_path or not os.path.exists(bin_path):
        info.update(status="skipped", reason=f"no prebuilt webfold (WEBFOLD_BIN={os.environ.get('WEBFOLD_BIN', '')!r}, "
                    f"default {show(default_bench_bin())} absent)")
        print("bench: skipped, no prebuilt webfold binary", flush=True)
        return
    left = deadline - time.time()
    if left < args.bench_min_seconds:
        info.update(status="skipped", reason=f"only {left:.0f} s left before the deadline")
        print(f"bench: skipped, only {left:.0f} s left", flush=True)
        return
    scratch = tempfile.mkdtemp(prefix="webfold-bench-")
    try:
        exe = bin_path
        if binpack.is_pack(bin_path):
            exe = binpack.unpack(bin_path, os.path.join(scratch, "webfold"))
            info["unpacked_from"] = bin_path
        env, notes = vulkan_env(args.vulkan_lib_dir, scratch)
        info.update(notes)
        args_ = list(BENCH_ARGS)
        fresh = os.path.join(out_dir, "webfold.safetensors")
        if os.path.exists(fresh):  # the model just trained, not the one built into the binary
            args_ += ["--weights", fresh]
        cmd = [exe] + args_
        info["command"] = "webfold " + " ".join(args_).replace(out_dir, "OUT")
        left = deadline - time.time()
        print(f"bench: {info['command']} (at most {left:.0f} s)", flush=True)
        t = time.time()
        try:
            p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=left)
            rc, so, se, status = p.returncode, p.stdout, p.stderr, ("ok" if p.returncode == 0 else "failed")
        except subprocess.TimeoutExpired as e:
            rc, so, se, status = None, e.stdout or b"", e.stderr or b"", "timed out (partial)"
        info.update(status=status, rc=rc, seconds=round(time.time() - t, 1))
        so, se = so.decode(errors="replace"), se.decode(errors="replace")
        with open(os.path.join(out_dir, "bench.md"), "w") as f:
            f.write(f"# webfold bench on {log.get('device_name', '?')}\n\n`{info['command']}`: {status}"
                    f", rc {rc}, {info['seconds']} s\n\n{so.strip() or '(no table printed)'}\n\n"
                    f"## stderr (progress)\n\n```\n{se.strip()[-8000:]}\n```\n")
        info["stderr_tail"] = se.strip()[-600:]
        print(f"bench: {status} in {info['seconds']} s -> bench.md", flush=True)
    except Exception as e:  # the bench must never fail the run
        info.update(status="failed", reason=f"{type(e).__name__}: {e}")
        print(f"bench: failed ({info['reason']})", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def show(path):
    """A path relative to the repository when inside it, else absolute."""
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return os.path.abspath(path) if rel.startswith("..") else rel


def default_bench_bin():
    d = os.path.join(ROOT, "runs", "gpu-bin")
    for name in ("webfold.wfbin", "webfold"):
        if os.path.exists(os.path.join(d, name)):
            return os.path.join(d, name)
    return os.path.join(d, "webfold.wfbin")


def parser():
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="output folder ($OUT on the device machine)")
    p.add_argument("--data", default=env("WEBFOLD_DATA") or os.path.join(ROOT, "data", "train.wfd"),
                   help="training set (default $WEBFOLD_DATA, else data/train.wfd: carry it)")
    p.add_argument("--val", default=env("WEBFOLD_VAL"),
                   help="validation set scored before/after (default val.wfd beside --data; 'none': skip)")
    p.add_argument("--from", dest="from_dir", default=os.path.join(ROOT, "train", "checkpoints"),
                   help="checkpoint folder to continue (checkpoint.pt + loss.tsv; default train/checkpoints)")
    p.add_argument("--config", default=None, help="start a NEW run with this preset (default/gpu/tiny/JSON)")
    p.add_argument("--minutes", type=float, default=7.25, help="training time budget")
    p.add_argument("--deadline-minutes", type=float, default=8.75,
                   help="everything (start-up, training, export, bench) ends within this, from gpu_train.sh's start")
    p.add_argument("--bench-seconds", type=float, default=60.0, help="time kept for the bench when a binary is given")
    p.add_argument("--bench-min-seconds", type=float, default=20.0, help="skip the bench with less time left")
    p.add_argument("--bench-bin", default=env("WEBFOLD_BIN") or default_bench_bin())
    p.add_argument("--vulkan-lib-dir", default=env("VULKAN_LIB_DIR") or os.path.join(ROOT, "runs", "gpu-bin"))
    p.add_argument("--batch", type=int, default=None, help="crops per step (CUDA default: measured, see 2.)")
    p.add_argument("--crop", type=int, default=None, help="residues per crop (CUDA default 256; CPU: the checkpoint's)")
    p.add_argument("--lr", type=float, default=None, help="peak learning rate (default: the checkpoint's, 1e-3)")
    p.add_argument("--schedule-steps", type=int, default=0, help="length of the new LR segment (default: what fits)")
    p.add_argument("--keep-schedule", action="store_true", help="continue the checkpoint's LR schedule instead")
    p.add_argument("--steps", type=int, default=0, help="stop after this many steps (CI smoke runs)")
    p.add_argument("--probe-batches", default="8,16,32,64,128")
    p.add_argument("--mem-frac", type=float, default=0.6, help="peak-memory limit of the batch probe")
    p.add_argument("--val-crops", type=int, default=128)
    p.add_argument("--device", default="auto")
    p.add_argument("--compile", action="store_true",
                   help="torch.compile (off: unmeasured here; compile time comes out of the budget)")
    return p


def main(argv=None):
    args = parser().parse_args(argv)
    t_start = float(os.environ.get("WEBFOLD_GPU_T0") or time.time())
    deadline = t_start + args.deadline_minutes * 60
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    log_path = os.path.join(out, "gpu_train.json")
    log = {"started": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t_start)) + " UTC",
           "python": platform.python_version(), "torch": torch.__version__, "host": platform.node()}

    def save_log():
        log["wall_seconds"] = round(time.time() - t_start, 1)
        with open(log_path + ".tmp", "w") as f:
            json.dump(log, f, indent=1)
        os.replace(log_path + ".tmp", log_path)

    device = torch.device(args.device if args.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu"))
    log["device"] = device.type
    log["device_name"] = torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or "cpu")
    if device.type == "cuda":
        log["gpu_memory_gib"] = round(torch.cuda.get_device_properties(device).total_memory / GIB, 1)
        log["cuda"] = torch.version.cuda
    if not os.path.exists(args.data):
        log["error"] = (f"training data {args.data} not found: build it with `webfold data` and pass "
                        "data/train.wfd in the device tool's carry list (it is git-ignored)")
        save_log()
        raise SystemExit(log["error"])
    log["data"] = show(args.data)

    # 1. where the run comes from
    ckpt_path = os.path.join(out, "checkpoint.pt")
    if os.path.exists(ckpt_path):
        log["resumed_from"] = show(out) + " (OUT already had a checkpoint)"
    elif args.config:
        log["resumed_from"] = f"new run, --config {args.config}"
    else:
        src = os.path.join(args.from_dir, "checkpoint.pt")
        if not os.path.exists(src):
            log["error"] = f"no checkpoint in {args.from_dir} (use --config NAME for a new run)"
            save_log()
            raise SystemExit(log["error"])
        shutil.copyfile(src, ckpt_path)
        if os.path.exists(os.path.join(args.from_dir, train.OPTIMIZER_FILE)):
            shutil.copyfile(os.path.join(args.from_dir, train.OPTIMIZER_FILE), os.path.join(out, train.OPTIMIZER_FILE))
        if os.path.exists(os.path.join(args.from_dir, "loss.tsv")):
            shutil.copyfile(os.path.join(args.from_dir, "loss.tsv"), os.path.join(out, "loss.tsv"))
        log["resumed_from"] = show(args.from_dir)
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        cfg, hp0, step0 = Config.from_json(ck["config"]), ck["hparams"], ck["step"]
        del ck
    else:
        cfg, hp0, step0 = train.config_named(args.config), dict(train.DEFAULTS, seed=0), 0
    log["config"] = json.loads(cfg.to_json())
    log["parameters"] = sum(p.numel() for p in WebFold(cfg).parameters())
    log["start_step"] = step0
    crop = args.crop or (256 if device.type == "cuda" else hp0["crop"])

    # 2. batch: given, measured (CUDA) or the checkpoint's
    batch, est_spp = args.batch, None
    if batch is None and device.type == "cuda":
        t = time.time()
        batch, rows = probe_batches(cfg, crop, device, [int(x) for x in args.probe_batches.split(",")], args.mem_frac)
        log["probe"] = {"rows": rows, "seconds": round(time.time() - t, 1), "chosen_batch": batch}
        est_spp = next((r["seconds_per_step"] for r in rows if r.get("batch") == batch and "seconds_per_step" in r), None)
    batch = batch or hp0["batch"]
    log.update(batch=batch, crop=crop)
    save_log()

    # 3. train
    have_bench = bool(args.bench_bin) and os.path.exists(args.bench_bin)
    train_end = min(time.time() + args.minutes * 60,
                    deadline - EXPORT_RESERVE_S - (args.bench_seconds if have_bench else 0.0))
    budget = max(0.0, train_end - time.time())
    sched = args.schedule_steps or args.steps
    if not sched and est_spp:
        sched = max(10, int(budget / (est_spp * 1.1)))   # ~10% for the optimiser, batching, logging
    if not sched:
        sched = 1000
    targs = ["--data", args.data, "--out", out, "--device", device.type, "--batch", str(batch), "--crop", str(crop),
             "--deadline", repr(train_end), "--print-every", "50", "--ckpt-minutes", "2.5"]
    if args.steps:
        targs += ["--steps", str(args.steps)]
    if not args.keep_schedule:
        targs += ["--new-schedule", str(sched)]
    if args.lr is not None:
        targs += ["--lr", str(args.lr)]
    if args.config and not os.path.exists(ckpt_path):
        targs += ["--config", args.config]
    if args.compile:
        targs += ["--compile"]
    log["train_budget_s"] = round(budget, 1)
    log["train_command"] = "python -m webfold_train.train " + " ".join(targs)

    val_path = args.val or os.path.join(os.path.dirname(os.path.abspath(args.data)), "val.wfd")
    val_chains = None
    if val_path != "none" and os.path.exists(val_path) and args.val_crops > 0:
        val_chains = [c for c in dataset.read_wfd(val_path) if len(c.seq) >= 20]
        if os.path.exists(ckpt_path):
            t = time.time()
            log["val_before"] = val_loss(ckpt_path, val_chains, args.val_crops, crop, device)
            log["val_seconds"] = round(time.time() - t, 1)
    elif val_path != "none":
        log["val"] = f"{show(val_path)} not found (carry data/val.wfd to score before/after)"
    save_log()

    stats = {}
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    train.train(train.parser().parse_args(targs), stats)
    steps, secs = stats["steps"], max(stats["seconds"], 1e-9)
    log.update(end_step=stats["end_step"], steps=steps, train_seconds=round(secs, 1),
               steps_per_s=round(steps / secs, 3), residues_per_s=round(stats["residues"] / secs),
               padded_residues_per_s=round(stats["padded_residues"] / secs),
               batch_halvings=stats["batch_halvings"], skipped_nonfinite=stats["skipped_nonfinite"],
               hparams=stats["hparams"])
    if device.type == "cuda":
        log["peak_gpu_memory_gib"] = round(torch.cuda.max_memory_allocated(device) / GIB, 2)
    log["curve"] = curve_summary(os.path.join(out, "loss.tsv"), stats["start_step"])
    save_log()
    print(f"trained steps {stats['start_step']}..{stats['end_step']} in {secs:.0f} s: {steps / secs:.2f} steps/s, "
          f"{stats['residues'] / secs:,.0f} residues/s", flush=True)

    # 4. export and validation (the checkpoint is saved: a failure here is logged, not fatal)
    try:
        model, ecfg, estep = export.load_model(ckpt_path)
        export.export_weights(model, ecfg, os.path.join(out, "webfold.safetensors"), estep)
        export.export_fixtures(model, os.path.join(out, "parity.safetensors"))
        log["exported"] = ["webfold.safetensors", "parity.safetensors"]
        if export.save_file is None:
            log["exported_with"] = "export.write_safetensors (safetensors package missing)"
    except Exception as e:
        log["export_error"] = f"{type(e).__name__}: {e} (export OUT/checkpoint.pt later with webfold_train.export)"
        print(f"export failed: {log['export_error']}", flush=True)
    if val_chains is not None:
        try:
            log["val_after"] = val_loss(ckpt_path, val_chains, args.val_crops, crop, device)
        except Exception as e:
            log["val_error"] = f"{type(e).__name__}: {e}"
    save_log()

    # 5. bench (optional, never fatal)
    run_bench(args, out, deadline, log)
    log["files"] = sorted(os.listdir(out))
    save_log()
    print(f"done in {time.time() - t_start:.0f} s; log {log_path}", flush=True)


if __name__ == "__main__":
    main()
