"""Round-trip tests of the .wfd format (train/webfold_train/dataset.py). numpy + stdlib only:
run with `python -m pytest train/tests` or directly with `python train/tests/test_dataset.py`."""

import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from webfold_train.dataset import (  # noqa: E402
    CA_MAX_ERR, OFF_MAX_ERR, Chain, decode_wfd, encode_chain, encode_wfd, read_wfd, write_wfd)

# Ideal local frame (docs/DESIGN.md D5).
_N_LOCAL = np.array([-0.525, 1.363, 0.0])
_C_LOCAL = np.array([1.526, 0.0, 0.0])


def _random_backbone(rng, L, start=(0.0, 0.0, 0.0), breaks=()):
    """A random-walk CA trace with 3.8 A steps and N/C at ideal offsets in random frames.
    `breaks`: residue indices where the chain jumps by 15-40 A instead."""
    ca = np.zeros((L, 3))
    ca[0] = start
    for i in range(1, L):
        v = rng.normal(size=3)
        v /= np.linalg.norm(v)
        ca[i] = ca[i - 1] + v * (rng.uniform(15, 40) if i in breaks else 3.8)
    xyz = np.zeros((L, 3, 3))
    for i in range(L):
        q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
        xyz[i, 0] = ca[i] + q @ _N_LOCAL
        xyz[i, 1] = ca[i]
        xyz[i, 2] = ca[i] + q @ _C_LOCAL
    return xyz


def _chains():
    rng = np.random.default_rng(0)
    letters = "ARNDCQEGHILKMFPSTWYVX"
    out = []
    specs = [("1ABCA", 1, (5.0, -3.0, 2.0), ()),
             ("1ABCB", 2, (0.0, 0.0, 0.0), ()),
             ("2XYZA", 300, (80.0, -120.0, 35.5), ()),
             ("3BRKC", 250, (-20.0, 10.0, 0.0), (1, 100, 101, 249)),  # breaks incl. at both ends
             ("4LNGA", 3000, (0.0, 0.0, 0.0), ())]  # long: no drift allowed
    for name, L, start, breaks in specs:
        seq = "".join(rng.choice(list(letters), size=L))
        out.append(Chain(name, seq, _random_backbone(rng, L, start, breaks).astype(np.float32)))
    return out


def _check_close(a, b):
    assert a.name == b.name and a.seq == b.seq
    assert b.xyz.dtype == np.float32 and b.xyz.shape == a.xyz.shape == (len(a.seq), 3, 3)
    err = np.abs(b.xyz.astype(np.float64) - a.xyz.astype(np.float64))
    tol = 1e-4  # float32 rounding of the stored anchors and decoded coordinates
    assert err[:, 1].max() <= CA_MAX_ERR + tol, err[:, 1].max()
    # N/C are offsets from the reconstructed CA: their error is the offset rounding only.
    assert err[:, [0, 2]].max() <= OFF_MAX_ERR + tol, err[:, [0, 2]].max()
    return err


def test_round_trip():
    chains = _chains()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.wfd")
        n_bytes = write_wfd(path, chains)
        assert n_bytes == os.path.getsize(path)
        back = read_wfd(path)
    assert len(back) == len(chains)
    for a, b in zip(chains, back):
        _check_close(a, b)


def test_chain_break_uses_escape():
    chain = _chains()[3]
    esc = encode_chain(chain)[3]
    # The first residue and every 15-40 A jump (a component > 8.6 A) are escapes; 3.8 A steps
    # never are.
    assert esc.shape == (5, 3), esc.shape
    _check_close(chain, decode_wfd(encode_wfd([chain]))[0])


def test_empty_file():
    assert decode_wfd(encode_wfd([])) == []


def test_no_drift_on_long_chain():
    chain = _chains()[4]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "t.wfd")
        write_wfd(path, [chain])
        back = read_wfd(path)[0]
    err = _check_close(chain, back)
    # Error at the end of a 3000-residue chain is no larger than at the start.
    assert err[-100:, 1].max() <= CA_MAX_ERR + 1e-4


def test_bad_offset_raises():
    chain = _chains()[2]
    xyz = chain.xyz.copy()
    xyz[17, 0] = xyz[17, 1] + np.array([4.0, 0.0, 0.0])  # N 4 A from CA: does not fit int8
    try:
        encode_chain(Chain(chain.name, chain.seq, xyz))
    except ValueError as e:
        assert "residue 17" in str(e) and "N-CA" in str(e), e
    else:
        raise AssertionError("out-of-range N offset was accepted")


def test_bad_inputs_raise():
    chain = _chains()[1]
    bad = [Chain(chain.name, chain.seq + "A", chain.xyz),  # length mismatch
           Chain(chain.name, "a" * len(chain.seq), chain.xyz),  # lower case
           Chain("", chain.seq, chain.xyz),  # empty name
           Chain(chain.name, chain.seq, np.full_like(chain.xyz, np.nan))]
    for c in bad:
        try:
            encode_chain(c)
        except ValueError:
            pass
        else:
            raise AssertionError(f"accepted bad chain {c!r}")
    try:
        decode_wfd(b"NOPE")
    except ValueError:
        pass
    else:
        raise AssertionError("accepted bad magic")


if __name__ == "__main__":
    for k, f in list(globals().items()):
        if k.startswith("test_") and callable(f):
            f()
            print("ok", k)


def test_thin_data_keeps_every_cluster_and_at_most_n_of_each():
    from webfold_train import thin_data
    xyz = np.zeros((3, 3, 3), dtype=np.float32)
    chains = [Chain(f"C{i}", "AAA", xyz) for i in range(10)]
    reps = {f"C{i}": ("C0" if i < 6 else "C6" if i < 9 else "C9") for i in range(10)}
    kept = thin_data.thin(chains, reps, 2, seed=1)
    names = [c.name for c in kept]
    assert names == sorted(names, key=lambda n: int(n[1:]))  # original order
    by = {}
    for n in names:
        by.setdefault(reps[n], []).append(n)
    assert sorted(by) == ["C0", "C6", "C9"] and [len(by[r]) for r in ("C0", "C6", "C9")] == [2, 2, 1]
    assert thin_data.thin(chains, reps, 2, seed=1) == kept  # seeded
    assert len(thin_data.thin(chains, {}, 1)) == 10  # a chain outside the clusters is its own
