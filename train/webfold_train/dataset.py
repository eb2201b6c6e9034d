"""Compact training-set format `.wfd` (webfold data): reader and writer.

numpy + stdlib only (runs under any Python >= 3.8 with numpy, no installs). See docs/DATA.md.

A `.wfd` file is the 4-byte magic ``b"WFD1"`` followed by one zlib stream (level 9) holding the
payload. The payload is planar over the whole file (all sequences, then all x steps, ...), which
compresses ~8% better than chain-by-chain records. All integers are little-endian. With
N = number of chains, R = total residues, E = number of CA escapes (>= N)::

    uint32   N, R, E, name_bytes
    name_bytes   chain names, ASCII, joined by '\n' (e.g. "12ASA" = PDB id + chain)
    uint32   lengths[N]          residues per chain (>= 1, sum = R)
    R bytes      sequences, concatenated, ASCII upper case ('X' = unknown)
    int8     dca[3][R]           CA steps in 0.05 A units, planar (all x, all y, all z)
    float32  esc[E][3]           absolute CA of every escaped residue, in order
    int8     dn[3][R]            N - reconstructed CA, 0.025 A units, planar
    int8     dc[3][R]            C - reconstructed CA, 0.025 A units, planar

CA coding (error-compensated, no drift): a row (-128, -128, -128) in `dca` is an escape: that
residue's CA is the next entry of `esc` (float32) and becomes the anchor. The first residue of
every chain is an escape. Any other residue is reconstructed as ``anchor + 0.05 * S_i`` where
``S_i`` is the integer sum of the steps since the anchor, so the encoder picks
``step_i = round((CA_i - anchor) / 0.05) - S_{i-1}``: the error of every CA is the rounding of
that one quantity, at most 0.025 A per component (0.0433 A in norm), whatever the chain length.
A step with a component outside [-127, 127] (a jump of more than ~6.3 A along one axis, i.e. a
chain break) is escaped instead.

N and C are stored relative to the *reconstructed* CA of their residue, so their error is only
the offset rounding: at most 0.0125 A per component (0.0217 A in norm). An offset outside
[-128, 127] (a component > ~3.2 A, impossible for a real N-CA or CA-C bond) raises ValueError
in the writer. Carbonyl O is not stored: it is rebuilt from N/CA/C (docs/DESIGN.md D5).

Bytes per residue before compression: 1 (sequence) + 3 (CA) + 3 (N) + 3 (C) = 10, plus 12 per
escape and a few per chain.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Iterable, List

import numpy as np

MAGIC = b"WFD1"
CA_UNIT = 0.05  # Angstrom per CA step unit
OFF_UNIT = 0.025  # Angstrom per N/C offset unit
ESCAPE = -128
# Worst-case reconstruction error per coordinate component (rounding only; float32 storage of the
# decoded coordinates adds < 1e-5 A for |x| < 1000 A).
CA_MAX_ERR = CA_UNIT / 2
OFF_MAX_ERR = OFF_UNIT / 2


@dataclass
class Chain:
    """One protein chain: `xyz[i]` holds residue i's N, CA, C (float32, Angstrom)."""

    name: str
    seq: str
    xyz: np.ndarray  # float32 [L, 3, 3], atoms ordered N, CA, C

    def __len__(self) -> int:
        return len(self.seq)


def _encode_ca(ca: np.ndarray):
    """float64 [L, 3] -> (steps int8 [L, 3] with row 0 an escape, escapes float32 [E, 3],
    reconstructed CA float64 [L, 3])."""
    L = ca.shape[0]
    steps = np.empty((L, 3), dtype=np.int8)
    rec = np.empty((L, 3), dtype=np.float64)
    escapes = []
    a = 0  # index of the current anchor
    while True:
        anchor = ca[a].astype(np.float32).astype(np.float64)
        steps[a] = ESCAPE
        rec[a] = anchor
        escapes.append(anchor)
        if a == L - 1:
            break
        # Quantised positions relative to the anchor for every later residue; steps are their
        # differences. Accept everything up to the first step that overflows int8.
        q = np.rint((ca[a:] - anchor) / CA_UNIT).astype(np.int64)
        q[0] = 0
        d = np.diff(q, axis=0)
        bad = np.nonzero(np.any(np.abs(d) > 127, axis=1))[0]
        n_ok = int(bad[0]) if bad.size else d.shape[0]
        steps[a + 1:a + 1 + n_ok] = d[:n_ok]
        rec[a + 1:a + 1 + n_ok] = anchor + CA_UNIT * q[1:n_ok + 1]
        a += n_ok + 1
        if a >= L:
            break
    return steps, np.array(escapes, dtype=np.float32).reshape(-1, 3), rec


def _decode_ca(steps: np.ndarray, esc: np.ndarray) -> np.ndarray:
    """Inverse of `_encode_ca` over any number of concatenated chains: float64 [R, 3]."""
    R = steps.shape[0]
    is_esc = steps[:, 0] == ESCAPE
    if R and not is_esc[0]:
        raise ValueError("corrupt .wfd: first residue is not an escape")
    seg = np.cumsum(is_esc) - 1  # which anchor each residue uses
    d = steps.astype(np.int64)
    d[is_esc] = 0
    s = np.cumsum(d, axis=0)
    anchor_row = np.nonzero(is_esc)[0]
    s -= s[anchor_row[seg]]  # integer sums since the anchor: exact
    return esc.astype(np.float64)[seg] + CA_UNIT * s


def _quantise_offsets(atom: np.ndarray, rec_ca: np.ndarray, name: str, what: str) -> np.ndarray:
    q = np.rint((atom - rec_ca) / OFF_UNIT)
    bad = np.nonzero(np.any((q < -128) | (q > 127), axis=1))[0]
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"chain {name!r}: {what}-CA offset of residue {i} is "
            f"{np.linalg.norm(atom[i] - rec_ca[i]):.2f} A ({(atom[i] - rec_ca[i]).round(3).tolist()}); "
            f"only components within +-{128 * OFF_UNIT:.2f} A fit ({bad.size} residue(s) out of range)")
    return q.astype(np.int8)


def encode_chain(chain: Chain):
    """Validate and quantise one chain: (name bytes, seq bytes, steps int8 [L, 3],
    escapes float32 [E, 3], dn int8 [L, 3], dc int8 [L, 3]). Raises ValueError on bad input."""
    name = chain.name.encode("ascii")
    if not 1 <= len(name) <= 255 or b"\n" in name:
        raise ValueError(f"chain name {chain.name!r}: must be 1..255 ASCII bytes, no newline")
    xyz = np.asarray(chain.xyz, dtype=np.float64)
    L = len(chain.seq)
    if L < 1:
        raise ValueError(f"chain {chain.name!r}: empty")
    if xyz.shape != (L, 3, 3):
        raise ValueError(f"chain {chain.name!r}: xyz shape {xyz.shape}, expected ({L}, 3, 3)")
    if not np.all(np.isfinite(xyz)):
        raise ValueError(f"chain {chain.name!r}: non-finite coordinates")
    seq = chain.seq.encode("ascii")
    if not all(65 <= b <= 90 for b in seq):
        raise ValueError(f"chain {chain.name!r}: sequence must be upper-case A-Z")
    steps, esc, rec = _encode_ca(xyz[:, 1])
    dn = _quantise_offsets(xyz[:, 0], rec, chain.name, "N")
    dc = _quantise_offsets(xyz[:, 2], rec, chain.name, "C")
    return name, seq, steps, esc, dn, dc


def encode_wfd(chains: Iterable[Chain]) -> bytes:
    """The bytes of a `.wfd` file holding `chains`."""
    enc = [encode_chain(c) for c in chains]
    names = b"\n".join(e[0] for e in enc)
    lengths = np.array([len(e[1]) for e in enc], dtype="<u4")
    R = int(lengths.sum())
    empty8 = np.zeros((0, 3), np.int8)
    steps = np.concatenate([e[2] for e in enc] or [empty8])
    esc = np.concatenate([e[3] for e in enc] or [np.zeros((0, 3), np.float32)])
    dn = np.concatenate([e[4] for e in enc] or [empty8])
    dc = np.concatenate([e[5] for e in enc] or [empty8])
    payload = b"".join([
        struct.pack("<IIII", len(enc), R, esc.shape[0], len(names)), names,
        lengths.tobytes(),
        b"".join(e[1] for e in enc),
        np.ascontiguousarray(steps.T).tobytes(),
        esc.astype("<f4").tobytes(),
        np.ascontiguousarray(dn.T).tobytes(),
        np.ascontiguousarray(dc.T).tobytes(),
    ])
    return MAGIC + zlib.compress(payload, 9)


def write_wfd(path, chains: Iterable[Chain]) -> int:
    """Write chains to `path`; returns the number of bytes written."""
    data = encode_wfd(chains)
    with open(path, "wb") as f:
        f.write(data)
    return len(data)


def decode_wfd(data: bytes) -> List[Chain]:
    """Parse the bytes of a `.wfd` file."""
    if data[:4] != MAGIC:
        raise ValueError(f"not a .wfd file (magic {data[:4]!r})")
    buf = zlib.decompress(data[4:])
    n, R, E, name_bytes = struct.unpack_from("<IIII", buf, 0)
    pos = 16
    names = buf[pos:pos + name_bytes].decode("ascii").split("\n") if n else []
    pos += name_bytes
    lengths = np.frombuffer(buf, "<u4", n, pos).astype(np.int64)
    pos += 4 * n
    seq = buf[pos:pos + R].decode("ascii")
    pos += R
    steps = np.frombuffer(buf, np.int8, 3 * R, pos).reshape(3, R).T
    pos += 3 * R
    esc = np.frombuffer(buf, "<f4", 3 * E, pos).reshape(E, 3)
    pos += 12 * E
    dn = np.frombuffer(buf, np.int8, 3 * R, pos).reshape(3, R).T
    pos += 3 * R
    dc = np.frombuffer(buf, np.int8, 3 * R, pos).reshape(3, R).T
    pos += 3 * R
    if pos != len(buf) or len(names) != n or int(lengths.sum()) != R:
        raise ValueError("corrupt .wfd: sizes do not add up")
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    is_esc = steps[:, 0] == ESCAPE
    if int(is_esc.sum()) != E or (n and not is_esc[starts].all()):
        raise ValueError("corrupt .wfd: escape rows do not match")
    ca = _decode_ca(steps, esc)
    xyz = np.empty((R, 3, 3), dtype=np.float32)
    xyz[:, 0] = ca + OFF_UNIT * dn
    xyz[:, 1] = ca
    xyz[:, 2] = ca + OFF_UNIT * dc
    return [Chain(names[k], seq[b:b + L], xyz[b:b + L])
            for k, (b, L) in enumerate(zip(starts.tolist(), lengths.tolist()))]


def read_wfd(path) -> List[Chain]:
    """Read all chains of a `.wfd` file."""
    with open(path, "rb") as f:
        return decode_wfd(f.read())
