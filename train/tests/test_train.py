"""The training loop: exact resume across invocations, a loss curve on disk, and an export that
the Rust side loads (tests/parity.rs checks the committed export; this checks a fresh one)."""
import math
import os

import numpy as np
import torch
from safetensors import safe_open

from webfold_train import dataset, export, train

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "fixtures", "mini.wfd")


def make_data(path):
    """Real chains when the committed fixture is present; synthetic helices otherwise."""
    if os.path.exists(FIXTURE):
        return FIXTURE
    rng = np.random.default_rng(0)
    chains = []
    for k in range(6):
        L = 40 + 5 * k
        i = np.arange(L)
        ang = np.radians(100.0) * i
        ca = np.stack([2.3 * np.cos(ang), 2.3 * np.sin(ang), 1.5 * i], -1)
        xyz = np.stack([ca + [-0.5, 1.0, -0.8], ca, ca + [1.2, 0.3, 0.7]], 1).astype(np.float32)
        seq = "".join(rng.choice(list(train.ALPHABET), L))
        chains.append(dataset.Chain(f"h{k}", seq, xyz))
    dataset.write_wfd(path, chains)
    return path


def run(data, out, steps):
    train.main(["--data", data, "--out", out, "--config", "tiny", "--steps", str(steps), "--batch", "2",
                "--crop", "24", "--total-steps", "100", "--warmup", "2", "--seed", "3", "--print-every", "1000"])


def test_resume_is_exact_and_curve_is_written(tmp_path):
    data = make_data(str(tmp_path / "d.wfd"))
    run(data, str(tmp_path / "a"), 4)
    run(data, str(tmp_path / "b"), 2)
    run(data, str(tmp_path / "b"), 2)
    a = torch.load(tmp_path / "a" / "checkpoint.pt", weights_only=False)
    b = torch.load(tmp_path / "b" / "checkpoint.pt", weights_only=False)
    assert a["step"] == b["step"] == 4
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    rows = open(tmp_path / "b" / "loss.tsv").read().strip().splitlines()
    assert rows[0].startswith("step\t") and len(rows) == 5
    assert all(math.isfinite(float(r.split("\t")[2])) for r in rows[1:])


def test_export_writes_config_and_fixtures(tmp_path):
    data = make_data(str(tmp_path / "d.wfd"))
    run(data, str(tmp_path / "r"), 1)
    model, cfg, step = export.load_model(str(tmp_path / "r" / "checkpoint.pt"))
    w, f = tmp_path / "w.safetensors", tmp_path / "f.safetensors"
    n = export.export_weights(model, cfg, str(w), step)
    export.export_fixtures(model, str(f))
    with safe_open(str(w), "pt") as st:
        assert st.metadata()["webfold_config"] == cfg.to_json()
        assert sum(st.get_tensor(k).numel() for k in st.keys()) == n
    with safe_open(str(f), "pt") as st:
        L = len(export.PARITY_SEQUENCES[1])
        assert st.get_tensor("1.distogram").shape == (L, L, 64)
        assert st.get_tensor("0.atoms").shape == (len(export.PARITY_SEQUENCES[0]), 3, 3)


def test_bf16_training_path_keeps_the_structure_module_in_float32(tmp_path, monkeypatch):
    """The GPU's mixed-precision path, run on the CPU (WEBFOLD_BF16=1): the trunk computes in bf16,
    the structure module in float32 (IPA's squared distances and the frames cannot survive bf16),
    and a few training steps give finite losses that the loop writes."""
    from webfold_train.config import TINY
    from webfold_train.model import WebFold

    monkeypatch.setenv("WEBFOLD_BF16", "1")
    torch.manual_seed(0)
    model = WebFold(TINY)
    tokens = torch.randint(0, 20, (2, 30))
    seen = {}
    model.trunk[0].tri_out.out.register_forward_hook(lambda m, i, o: seen.update(trunk=o.dtype))
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=train.use_bf16(torch.device("cpu"))):
        out = model(tokens, torch.ones(2, 30))
    assert seen["trunk"] == torch.bfloat16
    assert out["rotations"].dtype == out["translations"].dtype == out["atoms"].dtype == torch.float32
    R = out["rotations"][-1]
    eye = torch.eye(3).expand_as(R)
    assert torch.allclose(R @ R.transpose(-1, -2), eye, atol=1e-5)

    data = make_data(str(tmp_path / "d.wfd"))
    run(data, str(tmp_path / "r"), 3)
    rows = open(tmp_path / "r" / "loss.tsv").read().strip().splitlines()[1:]
    assert len(rows) == 3 and all(math.isfinite(float(x)) for r in rows for x in r.split("\t")[2:7])


def test_a_non_finite_batch_is_skipped_not_learned(tmp_path, monkeypatch):
    """An overflow in one batch leaves the weights alone: the step is skipped and counted, the
    run goes on, and the curve has only finite rows."""
    real, calls = train.total_loss, []

    def flaky(out, xyz, mask):
        loss, parts = real(out, xyz, mask)
        calls.append(1)
        return (loss * float("nan"), parts) if len(calls) == 2 else (loss, parts)

    monkeypatch.setattr(train, "total_loss", flaky)
    data = make_data(str(tmp_path / "d.wfd"))
    stats = {}
    args = train.parser().parse_args(["--data", data, "--out", str(tmp_path / "r"), "--config", "tiny", "--steps", "3",
                                      "--batch", "2", "--crop", "24", "--seed", "3", "--print-every", "1000"])
    model, step = train.train(args, stats)
    assert step == 3 and stats["skipped_nonfinite"] == 1 and len(calls) == 4
    assert all(torch.isfinite(p).all() for p in model.parameters())
    rows = open(tmp_path / "r" / "loss.tsv").read().strip().splitlines()[1:]
    assert len(rows) == 3 and all(math.isfinite(float(r.split("\t")[2])) for r in rows)
