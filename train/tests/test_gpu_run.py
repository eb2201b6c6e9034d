"""scripts/gpu_train.sh (webfold_train.gpu_run) on the CPU with the tiny configuration: every output
file is written, the checkpoint resumes across invocations (the loss curve grows), and the
committed checkpoint train/checkpoints/ is the committed weights' model."""
import json
import os
import struct
import subprocess
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from webfold_train import binpack, export, gpu_run, seed_checkpoint, train
from webfold_train.config import GPU, TINY
from webfold_train.model import WebFold

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "scripts", "gpu_train.sh")
MINI = os.path.join(ROOT, "tests", "fixtures", "mini.wfd")
OUT_FILES = {"checkpoint.pt", "optimizer.pt", "loss.tsv", "webfold.safetensors", "parity.safetensors", "gpu_train.json",
             "train.log", "bench.md"}


def steps_in(loss_tsv):
    return [int(r.split("\t")[0]) for r in open(loss_tsv).read().splitlines()[1:]]


def tiny_start(tmp_path, step=5):
    """A tiny model exported at `step` with a `step`-row curve, seeded like train/checkpoints/."""
    torch.manual_seed(0)
    w = str(tmp_path / "tiny.safetensors")
    export.export_weights(WebFold(TINY), TINY, w, step)
    curve = tmp_path / "curve.tsv"
    curve.write_text(seed_checkpoint.HEADER + "".join(f"{s}\t{s}.0\t3.0\t1.0\t1.0\t5.0\t3.9\t1.00e-03\n"
                                                       for s in range(1, step + 3)))  # rows past `step` dropped
    hp = {"lr": 1e-3, "warmup": 2, "total_steps": 100, "batch": 2, "crop": 24, "seed": 3}
    seed_checkpoint.seed_checkpoint(w, str(tmp_path / "from"), str(curve), hparams=hp)
    return str(tmp_path / "from")


def test_gpu_script_on_cpu_writes_everything_and_resumes(tmp_path):
    start = tiny_start(tmp_path)
    assert steps_in(os.path.join(start, "loss.tsv")) == [1, 2, 3, 4, 5]
    fake = tmp_path / "webfold"  # stands in for a prebuilt wgpu webfold: prints a table
    fake.write_text("#!/bin/sh\necho '| backend | L | median ms |'\necho \"args: $*\" >&2\n")
    fake.chmod(0o755)
    env = dict(os.environ, WEBFOLD_DATA=MINI, WEBFOLD_BIN=str(fake), PYTHON=sys.executable)
    env.pop("WEBFOLD_GPU_T0", None)
    out1 = tmp_path / "out1"
    p = subprocess.run([SCRIPT, str(out1), "--from", start, "--device", "cpu", "--steps", "2",
                        "--val", MINI, "--val-crops", "2"], env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert set(os.listdir(out1)) == OUT_FILES
    log = json.load(open(out1 / "gpu_train.json"))
    assert (log["device"], log["start_step"], log["end_step"], log["steps"]) == ("cpu", 5, 7, 2)
    assert log["steps_per_s"] > 0 and log["residues_per_s"] > 0 and log["parameters"] > 0
    assert set(log["val_before"]) == set(log["val_after"]) >= {"loss", "fape", "dist"}
    assert log["bench"]["status"] == "ok" and "| backend |" in (out1 / "bench.md").read_text()
    assert "--backends wgpu --lengths 100,300,1000 --repeats 3 --templates off --weights OUT/webfold.safetensors" in (
        out1 / "bench.md").read_text()
    assert "trained steps 5..7" in (out1 / "train.log").read_text()
    with safe_open(str(out1 / "webfold.safetensors"), "pt") as st:
        assert st.metadata()["train_step"] == "7" and json.loads(st.metadata()["webfold_config"])["c_s"] == TINY.c_s
    with safe_open(str(out1 / "parity.safetensors"), "pt") as st:
        assert "1.distogram" in st.keys()
    assert steps_in(out1 / "loss.tsv") == list(range(1, 8))

    # The next session continues from the first one's checkpoint (here in-process, no binary).
    out2 = tmp_path / "out2"
    gpu_run.main(["--out", str(out2), "--from", str(out1), "--data", MINI, "--device", "cpu", "--steps", "2",
                  "--val", "none", "--bench-bin", ""])
    log2 = json.load(open(out2 / "gpu_train.json"))
    assert (log2["start_step"], log2["end_step"]) == (7, 9)
    assert log2["bench"]["status"] == "skipped"
    assert steps_in(out2 / "loss.tsv") == list(range(1, 10))
    assert torch.load(out2 / "checkpoint.pt", weights_only=False)["step"] == 9
    assert "bench.md" not in os.listdir(out2)


def test_missing_data_is_a_clear_error(tmp_path):
    try:
        gpu_run.main(["--out", str(tmp_path / "o"), "--data", str(tmp_path / "none.wfd"), "--device", "cpu"])
    except SystemExit as e:
        assert "carry" in str(e)
    else:
        raise AssertionError("expected SystemExit")
    assert "carry" in json.load(open(tmp_path / "o" / "gpu_train.json"))["error"]


def test_committed_checkpoint_is_the_committed_weights():
    """train/checkpoints/ is lean (lean_checkpoint.py): it names weights/webfold.safetensors and
    their SHA-256, so it resumes on exactly the shipped model, and its curve has every step."""
    from webfold_train import lean_checkpoint
    ck = torch.load(os.path.join(ROOT, "train", "checkpoints", "checkpoint.pt"), map_location="cpu", weights_only=False)
    with safe_open(os.path.join(ROOT, "weights", "webfold.safetensors"), "pt") as st:
        meta = st.metadata()
    assert ck["config"] == meta["webfold_config"]
    assert ck["step"] == int(meta["train_step"])
    assert ck["model_from"] == "weights/webfold.safetensors" and "model" not in ck
    state = lean_checkpoint.model_state(ck)  # checks the SHA-256
    w = load_file(os.path.join(ROOT, "weights", "webfold.safetensors"))
    assert set(w) == set(state) and all(torch.equal(w[k], state[k]) for k in w)
    assert steps_in(os.path.join(ROOT, "train", "checkpoints", "loss.tsv")) == list(range(1, ck["step"] + 1))
    size = sum(os.path.getsize(os.path.join(ROOT, "train", "checkpoints", f))
               for f in os.listdir(os.path.join(ROOT, "train", "checkpoints")))
    assert size < 20e6


def test_gpu_preset_checkpoint_fits_the_carry_budget():
    n = sum(p.numel() for p in WebFold(GPU).parameters())
    assert n * 4 < 7.5e6  # fp32 weights; the committed checkpoint leaves out the AdamW state (config.GPU)
    assert train.config_named("gpu") == GPU


def test_binary_pack_round_trip(tmp_path):
    """A fake 'binary' embedding the template library and the weights packs small and unpacks exactly."""
    lib = open(os.path.join(ROOT, "templates", "library.wftl"), "rb").read()
    w = open(os.path.join(ROOT, "weights", "webfold.safetensors"), "rb").read()
    blob = b"\x7fELF" + os.urandom(1000) + w + os.urandom(333) + lib + b"tail"
    (tmp_path / "bin").write_bytes(blob)
    h = binpack.pack(str(tmp_path / "bin"), str(tmp_path / "p.wfbin"))
    assert [s["path"] for s in h["splices"]] == ["weights/webfold.safetensors", "templates/library.wftl"]
    assert os.path.getsize(tmp_path / "p.wfbin") < 3000
    binpack.unpack(str(tmp_path / "p.wfbin"), str(tmp_path / "again"))
    assert (tmp_path / "again").read_bytes() == blob and os.access(tmp_path / "again", os.X_OK)


def test_batch_probe_runs_and_leaves_the_model_alone():
    """The CUDA batch probe's logic on the CPU (no memory limit there): it times each batch size
    on synthetic full-length crops and picks one of them."""
    chosen, rows = gpu_run.probe_batches(TINY, 16, torch.device("cpu"), [1, 2], 0.6)
    assert [r["batch"] for r in rows] == [1, 2] and chosen in (1, 2)
    assert all(r["seconds_per_step"] > 0 and r["residues_per_s"] > 0 and r["fits"] for r in rows)


def test_fallback_safetensors_writer_matches_the_package(tmp_path):
    """export.write_safetensors (used where the safetensors package is missing, e.g. the GPU
    machine) writes what safetensors writes for the weights and the parity fixtures: the same
    header (the package orders metadata keys at random) and the same data bytes."""
    w = load_file(os.path.join(ROOT, "weights", "webfold.safetensors"))
    fx = load_file(os.path.join(ROOT, "tests", "fixtures", "parity.safetensors"))
    for name, tensors in (("w", w), ("f", fx)):
        meta = {"webfold_config": TINY.to_json(), "train_step": "3"}
        save_file(tensors, str(tmp_path / f"{name}1"), metadata=meta)
        export.write_safetensors(tensors, str(tmp_path / f"{name}2"), metadata=meta)
        a, b = (tmp_path / f"{name}1").read_bytes(), (tmp_path / f"{name}2").read_bytes()
        n = struct.unpack("<Q", a[:8])[0]
        assert a[:8] == b[:8] and json.loads(a[8:8 + n]) == json.loads(b[8:8 + n]) and a[8 + n:] == b[8 + n:]


def test_lean_checkpoint_resumes_from_the_weights_it_names(tmp_path, monkeypatch):
    """train/checkpoints/ holds no second copy of the weights: a lean checkpoint names them (with
    their SHA-256), resumes on exactly that model with a fresh AdamW state, and refuses other weights."""
    from webfold_train import lean_checkpoint
    full = tmp_path / "full"
    train.main(["--data", MINI, "--out", str(full), "--config", "tiny", "--steps", "2", "--batch", "2",
                "--crop", "24", "--seed", "3", "--print-every", "1000"])
    model, cfg, step = export.load_model(str(full / "checkpoint.pt"))
    w = tmp_path / "w.safetensors"
    export.export_weights(model, cfg, str(w), step)
    lean_dir = tmp_path / "lean"
    assert lean_checkpoint.make_lean(str(full / "checkpoint.pt"), str(w), str(lean_dir), str(full / "loss.tsv")) == 2
    ck = torch.load(lean_dir / "checkpoint.pt", weights_only=False)
    assert "model" not in ck and "optimizer" not in ck and os.path.getsize(lean_dir / "checkpoint.pt") < 20000
    again, _, _ = export.load_model(str(lean_dir / "checkpoint.pt"))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    # the reader used where the safetensors package is missing gives the same tensors
    monkeypatch.setitem(sys.modules, "safetensors.torch", None)
    plain = lean_checkpoint.read_safetensors(str(w))
    assert set(plain) == set(model.state_dict()) and all(torch.equal(plain[k], v) for k, v in model.state_dict().items())
    monkeypatch.undo()

    out = tmp_path / "out"
    gpu_run.main(["--out", str(out), "--from", str(lean_dir), "--data", MINI, "--device", "cpu", "--steps", "1",
                  "--val", "none", "--bench-bin", ""])
    assert json.load(open(out / "gpu_train.json"))["end_step"] == 3
    assert steps_in(out / "loss.tsv") == [1, 2, 3]
    assert "model" in torch.load(out / "checkpoint.pt", weights_only=False)  # a session writes a full one

    w.write_bytes(w.read_bytes()[:-4] + b"\0\0\0\0")
    try:
        export.load_model(str(lean_dir / "checkpoint.pt"))
    except ValueError as e:
        assert "SHA-256" in str(e)
    else:
        raise AssertionError("expected a SHA-256 mismatch")
