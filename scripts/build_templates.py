#!/usr/bin/python3
"""Build webfold's template library templates/library.wftl from Debian's promod3 StructureDB
(docs/TEMPLATES.md).

Run with Debian's interpreter (promod3 is only importable there), from the repository root:

    /usr/bin/python3 scripts/build_templates.py [--out templates/library.wftl]
                                                [--limit N] [--fixture PATH]

Needs: python3-promod3 (promod3-data's StructureDB) and numpy.

Steps
1. Read every StructureDB entry (short ones too): name = PDB id + chain name (a repeated name
   gets `_2`, `_3`, ...), sequence (anything outside the 20 standard letters -> 'X'), backbone
   N, CA, C.
2. Encode the CA trace of each chain as error-compensated internal coordinates (d, theta, tau;
   one byte each) in a canonical frame: the true trace is moved so that CA_0 is at the origin,
   CA_1 on +x and CA_2 in the xy-plane (y > 0); then residue k is quantised relative to the
   already reconstructed residues k-1, k-2, k-3 and placed from the quantised values, so the
   error does not accumulate. All chains are encoded together, one residue index at a time.
3. Fit the backbone table: the mean N and C positions in a local frame built from CA_{i-1},
   CA_i, CA_{i+1}, binned by the two CA dihedrals around residue i (24 x 24 bins plus
   marginals). It goes into the JSON metadata.
4. Quantise each residue's sequence profile (the StructureDB's HHblits column frequencies):
   for every amino acid, 16 profile classes by k-means (seeded) on the columns of residues of
   that amino acid, in Hellinger space (square roots of the frequencies); each residue stores
   its class (one byte), the class frequencies go into the metadata. Used to align the query
   to the template's profile (docs/TEMPLATES.md, Alignment).
5. Write the file (b"WFTL", u32 version, one zlib level-9 stream), read it back with an
   independent decoder, and measure the CA reconstruction error (Kabsch superposition onto the
   true CA) and the N/C error of the table. Write the stats sidecar (library.json) and the test
   fixture (true N, CA, C of 5 chains in the original PDB frame).
"""

import argparse
import datetime
import json
import lzma
import os
import struct
import subprocess
import sys
import time
import zlib

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STANDARD = set("ARNDCQEGHILKMFPSTWYV")

MAGIC = b"WFTL"
VERSION = 2
D_MIN = 2.40
D_STEP = 0.02
D_MAX = D_MIN + 255 * D_STEP
THETA_STEP = 180.0 / 255.0  # degrees per code
TAU_STEP = 360.0 / 256.0  # degrees per code; angle = code * TAU_STEP - 180
BB_BINS = 24
BB_BIN_DEG = 360.0 / BB_BINS
BB_MIN_COUNT = 20
FIXTURE_INDICES = (0, 1000, 5000, 10000, 21000)
AA_ORDER = "ACDEFGHIKLMNPQRSTVWY"  # order of the profile frequencies in the file
PROFILE_CLASSES = 16  # per amino acid
PROFILE_SAMPLE = 100_000  # columns per amino acid the classes are fitted on
PROFILE_ITERATIONS = 30
PROFILE_SEED = 0


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


# ---------------------------------------------------------------- geometry (vectorised, float64)

def unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def angle_deg(a, b, c):
    """Angle a-b-c in degrees."""
    u = unit(a - b)
    w = unit(c - b)
    return np.degrees(np.arccos(np.clip(np.sum(u * w, axis=-1), -1.0, 1.0)))


def dihedral_deg(p0, p1, p2, p3):
    """IUPAC dihedral p0-p1-p2-p3 in degrees, in [-180, 180] (clockwise positive looking down
    p1->p2; a right-handed alpha helix has CA dihedrals near +50). Note the order in m1:
    unit(b2) x n1. With n1 x unit(b2) the sign flips (m1.n2 = -|b2| b1.n2)."""
    b1 = p1 - p0
    b2 = p2 - p1
    b3 = p3 - p2
    n1 = np.cross(b1, b2)
    n2 = np.cross(b2, b3)
    m1 = np.cross(unit(b2), n1)
    return np.degrees(np.arctan2(np.sum(m1 * n2, axis=-1), np.sum(n1 * n2, axis=-1)))


def nerf(a, b, c, d, theta_deg, tau_deg):
    """Place D so that |D - c| = d, angle(b, c, D) = theta, dihedral(a, b, c, D) = tau."""
    th = np.radians(theta_deg)[..., None]
    tu = np.radians(tau_deg)[..., None]
    bc = unit(c - b)
    n = unit(np.cross(b - a, bc))
    m = np.cross(n, bc)
    return c + d[..., None] * (-np.cos(th) * bc + np.sin(th) * np.cos(tu) * m
                               + np.sin(th) * np.sin(tu) * n)


def place2(r1, d, theta_deg):
    """Residue 2 in the canonical frame: in the xy-plane, y > 0, angle theta at r1."""
    th = np.radians(theta_deg)
    return r1 + d[:, None] * np.stack([-np.cos(th), np.sin(th), np.zeros_like(th)], axis=1)


def d_of(code):
    return D_MIN + code.astype(np.float64) * D_STEP


def theta_of(code):
    return code.astype(np.float64) * THETA_STEP


def tau_of(code):
    return code.astype(np.float64) * TAU_STEP - 180.0


def self_check():
    """NeRF must invert the distance/angle/dihedral functions (sign convention included)."""
    rng = np.random.default_rng(0)
    a, b, c = rng.normal(size=(3, 1000, 3)) * 3
    d = rng.uniform(2.5, 7.0, 1000)
    th = rng.uniform(20, 170, 1000)
    tu = rng.uniform(-180, 180, 1000)
    p = nerf(a, b, c, d, th, tu)
    assert np.allclose(np.linalg.norm(p - c, axis=1), d, atol=1e-9)
    assert np.allclose(angle_deg(b, c, p), th, atol=1e-7)
    dt = (dihedral_deg(a, b, c, p) - tu + 180.0) % 360.0 - 180.0
    assert np.abs(dt).max() < 1e-7, "NeRF and dihedral disagree"
    # a right-handed alpha helix has CA dihedrals near +50 degrees
    t = np.radians(100.0 * np.arange(4))
    helix = np.stack([2.3 * np.cos(t), 2.3 * np.sin(t), 1.5 * np.arange(4)], axis=1)
    assert 40 < dihedral_deg(*helix[:, None, :])[0] < 60
    # canonical residue 2
    r1 = np.array([[3.8, 0.0, 0.0]])
    r2 = place2(r1, np.array([3.8]), np.array([100.0]))
    assert r2[0, 1] > 0 and abs(angle_deg(np.zeros((1, 3)), r1, r2)[0] - 100.0) < 1e-9


# ---------------------------------------------------------------- reading the StructureDB

def read_db(limit=0):
    from promod3 import loop
    db = loop.LoadStructureDB()
    n_entries = db.GetNumCoords()
    if limit:
        n_entries = min(limit, n_entries)
    names, seqs, lengths, coords, profiles = [], [], [], [], []
    seen = {}
    nonstd = {}
    for i in range(n_entries):
        ci = db.GetCoordInfo(i)
        name = f"{ci.id}{ci.chain_name}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name = f"{name}_{seen[name]}"
        seq = db.GetSequence(i)
        bb = db.GetBackboneList(i)
        L = len(bb)
        if L != len(seq):
            raise ValueError(f"{name}: sequence length {len(seq)} != backbone length {L}")
        if L == 0:
            raise ValueError(f"{name}: empty chain")
        a = np.empty((L, 3, 3))
        for k in range(L):
            n, ca, c = bb.GetN(k), bb.GetCA(k), bb.GetC(k)
            a[k, 0] = (n[0], n[1], n[2])
            a[k, 1] = (ca[0], ca[1], ca[2])
            a[k, 2] = (c[0], c[1], c[2])
        prof = db.GetSequenceProfile(i)
        if len(prof) != L:
            raise ValueError(f"{name}: profile length {len(prof)} != backbone length {L}")
        profiles.append(np.array([[c.GetFreq(x) for x in AA_ORDER] for c in prof.columns], np.float32))
        for ch in seq:
            if ch not in STANDARD:
                nonstd[ch] = nonstd.get(ch, 0) + 1
        names.append(name)
        seqs.append("".join(ch if ch in STANDARD else "X" for ch in seq))
        lengths.append(L)
        coords.append(a)
        if (i + 1) % 5000 == 0:
            log(f"  read {i + 1}/{n_entries}")
    xyz = np.concatenate(coords)  # (R, 3 atoms N/CA/C, 3)
    n_repeated = sum(v - 1 for v in seen.values())
    return names, seqs, np.array(lengths, np.int64), xyz, np.concatenate(profiles), nonstd, n_repeated


# ---------------------------------------------------------------- encoding

class Layout:
    """Flat residue indexing: chains concatenated; iterate residue index k over all chains at
    once, with the chains sorted by decreasing length so the active ones form a prefix."""

    def __init__(self, lengths):
        self.lengths = lengths
        self.starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        self.order = np.argsort(-lengths, kind="stable")
        self.sorted_starts = self.starts[self.order]
        self.sorted_lengths = lengths[self.order]
        self.max_len = int(lengths.max())
        # number of chains with L > k, for every k
        self.active = np.searchsorted(-self.sorted_lengths, -np.arange(self.max_len), side="left")
        self.n_res = int(lengths.sum())
        self.chain_of = np.repeat(np.arange(len(lengths)), lengths)
        self.pos = np.arange(self.n_res) - self.starts[self.chain_of]

    def at(self, k):
        """Flat indices of residue k of every chain longer than k, and those chains' ids."""
        m = self.active[k]
        return self.sorted_starts[:m] + k, self.order[:m]


def canonical_frame(ca, lay):
    """Move each chain's true CA so CA_0 = 0, CA_1 on +x, CA_2 in the xy-plane with y > 0."""
    n_ch = len(lay.lengths)
    s = lay.starts
    origin = ca[s]
    e1 = np.tile([1.0, 0.0, 0.0], (n_ch, 1))
    e2 = np.tile([0.0, 1.0, 0.0], (n_ch, 1))
    has1 = lay.lengths >= 2
    e1[has1] = unit(ca[s[has1] + 1] - origin[has1])
    # a perpendicular for chains of length 2 (any one will do)
    alt = np.where(np.abs(e1[:, :1]) < 0.9, [[1.0, 0.0, 0.0]], [[0.0, 1.0, 0.0]])
    v = alt.copy()
    has2 = lay.lengths >= 3
    v[has2] = ca[s[has2] + 2] - origin[has2]
    e2 = v - np.sum(v * e1, axis=1, keepdims=True) * e1
    bad = np.linalg.norm(e2, axis=1) < 1e-6
    if bad.any():  # CA_0, CA_1, CA_2 collinear: fall back to any perpendicular
        v2 = alt[bad] - np.sum(alt[bad] * e1[bad], axis=1, keepdims=True) * e1[bad]
        e2[bad] = v2
    e2 = unit(e2)
    e3 = np.cross(e1, e2)
    rot = np.stack([e1, e2, e3], axis=1)  # rows: new axes
    rel = ca - origin[lay.chain_of]
    rc = rot[lay.chain_of]
    return np.einsum("rij,rj->ri", rc, rel)


def _range_error(names, lay, flat_idx, d, what):
    j = int(np.argmax(what))
    g = int(flat_idx[j])
    ch = int(lay.chain_of[g])
    raise ValueError(f"chain {names[ch]} residue {int(lay.pos[g])}: CA-CA distance {d[j]:.3f} A "
                     f"outside [{D_MIN}, {D_MAX:.2f}]")


def encode(ca_true, lay, names):
    """Error-compensated quantisation. Returns (d, theta, tau codes as uint8[R]; reconstructed
    CA in the canonical frame, float64[R, 3])."""
    p = canonical_frame(ca_true, lay)
    R = lay.n_res
    r = np.zeros((R, 3))
    dc = np.zeros(R, np.uint8)
    thc = np.zeros(R, np.uint8)
    tac = np.zeros(R, np.uint8)
    for k in range(1, lay.max_len):
        g, _ = lay.at(k)
        if g.size == 0:
            break
        d = np.linalg.norm(p[g] - r[g - 1], axis=1)
        out = ~((d >= D_MIN) & (d <= D_MAX))
        if out.any():
            _range_error(names, lay, g, d, out)
        dq = np.round((d - D_MIN) / D_STEP).astype(np.int64)
        dc[g] = dq
        if k == 1:
            r[g] = np.stack([d_of(dq), np.zeros(g.size), np.zeros(g.size)], axis=1)
            continue
        th = angle_deg(r[g - 2], r[g - 1], p[g])
        thq = np.round(th / THETA_STEP).astype(np.int64)
        thc[g] = thq
        if k == 2:
            r[g] = place2(r[g - 1], d_of(dq), theta_of(thq))
            continue
        tu = dihedral_deg(r[g - 3], r[g - 2], r[g - 1], p[g])
        tuq = np.round((tu + 180.0) / TAU_STEP).astype(np.int64) % 256
        tac[g] = tuq
        r[g] = nerf(r[g - 3], r[g - 2], r[g - 1], d_of(dq), theta_of(thq), tau_of(tuq))
        if not np.isfinite(r[g]).all():
            bad = ~np.isfinite(r[g]).all(axis=1)
            gi = int(g[np.argmax(bad)])
            raise ValueError(f"chain {names[lay.chain_of[gi]]} residue {int(lay.pos[gi])}: "
                             "degenerate geometry (collinear CAs)")
    return dc, thc, tac, r


# ---------------------------------------------------------------- backbone table

def local_frames(ca, idx):
    """x, y, z axes at residues idx (internal) from CA_{i-1}, CA_i, CA_{i+1}."""
    a, b, c = ca[idx - 1], ca[idx], ca[idx + 1]
    x = unit(c - a)
    v = (a - b) + (c - b)
    y = unit(v - np.sum(v * x, axis=1, keepdims=True) * x)
    z = np.cross(x, y)
    return x, y, z


def bb_cells(ca, lay, idx):
    """Table row p, column q (24 = missing) for internal residues idx."""
    pos = lay.pos[idx]
    L = lay.lengths[lay.chain_of[idx]]
    p = np.full(idx.size, BB_BINS, np.int64)
    q = np.full(idx.size, BB_BINS, np.int64)
    hp = pos >= 2
    i = idx[hp]
    tp = dihedral_deg(ca[i - 2], ca[i - 1], ca[i], ca[i + 1])
    p[hp] = np.clip(np.floor((tp + 180.0) / BB_BIN_DEG), 0, BB_BINS - 1).astype(np.int64)
    hn = pos <= L - 3
    i = idx[hn]
    tn = dihedral_deg(ca[i - 1], ca[i], ca[i + 1], ca[i + 2])
    q[hn] = np.clip(np.floor((tn + 180.0) / BB_BIN_DEG), 0, BB_BINS - 1).astype(np.int64)
    return p, q


def internal_residues(lay):
    L = lay.lengths[lay.chain_of]
    return np.nonzero((lay.pos >= 1) & (lay.pos <= L - 2))[0]


def fit_backbone_table(xyz, lay):
    ca = xyz[:, 1]
    idx = internal_residues(lay)
    x, y, z = local_frames(ca, idx)
    samples = np.empty((idx.size, 6))
    for j, atom in ((0, 0), (3, 2)):
        rel = xyz[idx, atom] - ca[idx]
        samples[:, j] = np.sum(rel * x, axis=1)
        samples[:, j + 1] = np.sum(rel * y, axis=1)
        samples[:, j + 2] = np.sum(rel * z, axis=1)
    p, q = bb_cells(ca, lay, idx)
    M = BB_BINS + 1
    cells = [p * M + q,
             (BB_BINS * M + q)[p != BB_BINS],
             (p * M + BB_BINS)[q != BB_BINS],
             np.full(int(np.sum((p != BB_BINS) & (q != BB_BINS))), BB_BINS * M + BB_BINS)]
    sel = [np.ones(idx.size, bool), p != BB_BINS, q != BB_BINS, (p != BB_BINS) & (q != BB_BINS)]
    counts = np.zeros(M * M, np.int64)
    sums = np.zeros((M * M, 6))
    for cell, s in zip(cells, sel):
        counts += np.bincount(cell, minlength=M * M)
        for j in range(6):
            sums[:, j] += np.bincount(cell, weights=samples[s, j], minlength=M * M)
    means = sums / np.maximum(counts, 1)[:, None]
    table = means.copy()
    glob = BB_BINS * M + BB_BINS
    assert counts[glob] >= BB_MIN_COUNT
    for pp in range(M):
        for qq in range(M):
            cidx = pp * M + qq
            if counts[cidx] >= BB_MIN_COUNT:
                continue
            for alt in (BB_BINS * M + qq, pp * M + BB_BINS, glob):
                if counts[alt] >= BB_MIN_COUNT:
                    table[cidx] = means[alt]
                    break
    table = np.round(table, 4)
    return table, counts


def apply_backbone_table(ca, lay, table):
    """N and C of internal residues from a CA trace. Returns (idx, N, C)."""
    idx = internal_residues(lay)
    x, y, z = local_frames(ca, idx)
    p, q = bb_cells(ca, lay, idx)
    t = table[p * (BB_BINS + 1) + q]
    b = ca[idx]
    n = b + t[:, 0:1] * x + t[:, 1:2] * y + t[:, 2:3] * z
    c = b + t[:, 3:4] * x + t[:, 4:5] * y + t[:, 5:6] * z
    return idx, n, c


# ---------------------------------------------------------------- file I/O

def profile_frequencies(raw, seqs):
    """Per-residue frequencies (rows sum to 1). A column without counts (no aligned sequence)
    becomes the residue's own letter. Returns (frequencies, amino-acid index per residue or -1,
    number of empty columns)."""
    seq = "".join(seqs)
    aa = np.array([AA_ORDER.find(c) for c in seq], np.int64)
    total = raw.sum(1, keepdims=True)
    own = np.zeros_like(raw)
    own[aa >= 0, aa[aa >= 0]] = 1.0
    empty = total[:, 0] < 0.5
    freq = np.where(empty[:, None], own, raw / np.maximum(total, 1e-6))
    return freq.astype(np.float32), aa, int(empty.sum())


def nearest(x, centres):
    """Index of the nearest centre (squared Euclidean) for every row of x, in chunks."""
    cn = (centres * centres).sum(1)
    out = np.empty(len(x), np.int64)
    for i in range(0, len(x), 200_000):
        out[i:i + 200_000] = (cn[None, :] - 2.0 * x[i:i + 200_000] @ centres.T).argmin(1)
    return out


def quantise_profiles(freq, aa):
    """Profile classes per amino acid: k-means (Lloyd, seeded) on the square roots of the
    frequencies of that amino acid's residues. Returns (class per residue uint8, class
    frequencies float[20, K, 20], mean L1 error of the reconstruction). Residues outside the 20
    letters get class 0 (the reader scores them by BLOSUM62 alone)."""
    rng = np.random.default_rng(PROFILE_SEED)
    x = np.sqrt(freq)
    codes = np.zeros(len(freq), np.uint8)
    book = np.zeros((20, PROFILE_CLASSES, 20), np.float64)
    for a in range(20):
        rows = np.where(aa == a)[0]
        fit = x[rng.choice(rows, min(PROFILE_SAMPLE, len(rows)), replace=False)]
        centres = fit[rng.choice(len(fit), PROFILE_CLASSES, replace=len(fit) < PROFILE_CLASSES)].copy()
        for _ in range(PROFILE_ITERATIONS):
            label = nearest(fit, centres)
            for k in range(PROFILE_CLASSES):
                members = fit[label == k]
                # an empty class restarts at a random column
                centres[k] = members.mean(0) if len(members) else fit[rng.integers(len(fit))]
        codes[rows] = nearest(x[rows], centres)
        sq = centres.astype(np.float64) ** 2
        book[a] = sq / sq.sum(1, keepdims=True)
    std = aa >= 0
    recon = book[aa[std], codes[std]]
    return codes, book, float(np.abs(recon - freq[std]).sum(1).mean())


def build_payload(meta, names, seqs, lengths, dc, thc, tac, pc):
    if lengths.max() > 65535:
        j = int(np.argmax(lengths))
        raise ValueError(f"chain {names[j]} has {lengths[j]} residues (> 65535)")
    for nm in names:
        if "\n" in nm or not nm.isascii():
            raise ValueError(f"bad chain name {nm!r}")
    meta_b = json.dumps(meta, separators=(",", ":")).encode("utf-8")
    names_b = "\n".join(names).encode("ascii")
    seq_b = "".join(seqs).encode("ascii")
    R = int(lengths.sum())
    assert len(seq_b) == R == dc.size == thc.size == tac.size == pc.size
    return b"".join([
        struct.pack("<4I", len(names), R, len(names_b), len(meta_b)),
        meta_b, names_b,
        lengths.astype("<u2").tobytes(),
        seq_b, dc.tobytes(), thc.tobytes(), tac.tobytes(), pc.tobytes(),
    ])


def read_wftl(path):
    """Independent reader: returns meta, names, sequences, lengths, CA (canonical frame),
    profile classes."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:4] != MAGIC:
        raise ValueError("not a WFTL file")
    (version,) = struct.unpack_from("<I", raw, 4)
    if version != VERSION:
        raise ValueError(f"unsupported WFTL version {version}")
    pl = zlib.decompress(raw[8:])
    n_ch, R, nb, mb = struct.unpack_from("<4I", pl, 0)
    o = 16
    meta = json.loads(pl[o:o + mb].decode("utf-8"))
    o += mb
    names = pl[o:o + nb].decode("ascii").split("\n") if n_ch else []
    o += nb
    lengths = np.frombuffer(pl, "<u2", n_ch, o).astype(np.int64)
    o += 2 * n_ch
    seq = pl[o:o + R].decode("ascii")
    o += R
    planes = [np.frombuffer(pl, np.uint8, R, o + j * R) for j in range(4)]
    o += 4 * R
    if o != len(pl) or len(names) != n_ch or lengths.sum() != R:
        raise ValueError("WFTL payload size mismatch")
    dcode, thcode, tacode, pcode = planes
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    seqs = [seq[s:s + n] for s, n in zip(starts, lengths)]
    # decode residue index k of all chains at once
    order = np.argsort(-lengths, kind="stable")
    ss = starts[order]
    sl = lengths[order]
    r = np.zeros((R, 3))
    for k in range(1, int(lengths.max())):
        m = int(np.sum(sl > k))
        g = ss[:m] + k
        d = d_of(dcode[g])
        if k == 1:
            r[g, 0] = d
        elif k == 2:
            r[g] = place2(r[g - 1], d, theta_of(thcode[g]))
        else:
            r[g] = nerf(r[g - 3], r[g - 2], r[g - 1], d, theta_of(thcode[g]), tau_of(tacode[g]))
    return meta, names, seqs, lengths, r, pcode


# ---------------------------------------------------------------- evaluation

def kabsch_fit(mob, ref, lay):
    """Superpose each chain of mob onto ref (optimal rotation + translation). Returns the moved
    mob coordinates and the per-chain (rotation, mob centroid, ref centroid)."""
    s = lay.starts
    L = lay.lengths.astype(np.float64)[:, None]
    cm = np.add.reduceat(mob, s, axis=0) / L
    cr = np.add.reduceat(ref, s, axis=0) / L
    X = mob - cm[lay.chain_of]
    Y = ref - cr[lay.chain_of]
    H = np.empty((len(s), 3, 3))
    for i in range(3):
        for j in range(3):
            H[:, i, j] = np.add.reduceat(X[:, i] * Y[:, j], s)
    U, _, Vt = np.linalg.svd(H)
    sign = np.sign(np.linalg.det(np.einsum("nji,nkj->nik", Vt, U)))
    sign[sign == 0] = 1.0
    D = np.zeros((len(s), 3, 3))
    D[:, 0, 0] = 1.0
    D[:, 1, 1] = 1.0
    D[:, 2, 2] = sign
    rot = np.einsum("nji,njk,nlk->nil", Vt, D, U)  # V D U^T
    return transform(mob, rot, cm, cr, lay.chain_of), (rot, cm, cr)


def transform(x, rot, cm, cr, chain_of):
    out = np.empty_like(x)
    xc = x - cm[chain_of]
    for i in range(3):
        out[:, i] = (rot[chain_of, i, 0] * xc[:, 0] + rot[chain_of, i, 1] * xc[:, 1]
                     + rot[chain_of, i, 2] * xc[:, 2])
    return out + cr[chain_of]


def err_stats(a, b):
    e = np.linalg.norm(a - b, axis=1)
    return {"rms": float(np.sqrt(np.mean(e ** 2))), "max": float(e.max()) if e.size else 0.0,
            "p99": float(np.percentile(e, 99)) if e.size else 0.0}


# ---------------------------------------------------------------- main

def package_version():
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", "promod3-data"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(REPO, "templates", "library.wftl"))
    ap.add_argument("--limit", type=int, default=0, help="first N DB entries only (debugging)")
    ap.add_argument("--fixture", default=os.path.join(REPO, "tests", "fixtures",
                                                      "templates_sample.json"))
    args = ap.parse_args()

    t_start = time.time()
    self_check()
    version = package_version()
    log(f"promod3-data {version}; reading the StructureDB")
    names, seqs, lengths, xyz, raw_profiles, nonstd, n_repeated = read_db(args.limit)
    t_read = time.time() - t_start
    lay = Layout(lengths)
    log(f"read {len(names)} chains, {lay.n_res} residues in {t_read:.0f} s; "
        f"lengths {lengths.min()}..{lengths.max()}; non-standard letters {nonstd or 'none'}")

    t0 = time.time()
    ca = xyz[:, 1]
    dc, thc, tac, r_enc = encode(ca, lay, names)
    dd = np.linalg.norm(np.diff(ca, axis=0), axis=1)[lay.pos[1:] >= 1]
    log(f"encoded in {time.time() - t0:.0f} s; true CA-CA {dd.min():.3f}..{dd.max():.3f} A; "
        f"d codes {dc[lay.pos >= 1].min()}..{dc[lay.pos >= 1].max()}")

    t0 = time.time()
    table, counts = fit_backbone_table(xyz, lay)
    log(f"backbone table fitted in {time.time() - t0:.0f} s; "
        f"{int(np.sum(counts < BB_MIN_COUNT))} of {counts.size} cells under {BB_MIN_COUNT} samples")

    t0 = time.time()
    freq, aa, empty_columns = profile_frequencies(raw_profiles, seqs)
    pc, book, profile_l1 = quantise_profiles(freq, aa)
    log(f"profiles quantised in {time.time() - t0:.0f} s: {PROFILE_CLASSES} classes per amino acid, "
        f"mean L1 error {profile_l1:.3f}; {empty_columns} columns without counts")

    meta = {
        "format": "WFTL",
        "version": VERSION,
        "source": f"promod3-data {version} StructureDB",
        "built": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "d_min": D_MIN,
        "d_step": D_STEP,
        "theta_step_deg": THETA_STEP,
        "tau_step_deg": TAU_STEP,
        "n_chains": len(names),
        "n_residues": lay.n_res,
        "bb_bins": BB_BINS,
        "backbone_table": [float(v) for v in table.reshape(-1)],
        "bb_counts": [int(v) for v in counts],
        "profile_order": AA_ORDER,
        "profile_classes": PROFILE_CLASSES,
        "profile_frequencies": [round(float(v), 5) for v in book.reshape(-1)],
    }
    payload = build_payload(meta, names, seqs, lengths, dc, thc, tac, pc)
    t0 = time.time()
    blob = MAGIC + struct.pack("<I", VERSION) + zlib.compress(payload, 9)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(blob)
    log(f"wrote {args.out}: {len(blob)} bytes ({len(blob) / lay.n_res:.3f} bytes/residue; "
        f"payload {len(payload)} bytes) in {time.time() - t0:.0f} s")
    t_build = time.time() - t_start

    # ---- read back and measure
    t0 = time.time()
    meta2, names2, seqs2, lengths2, r_dec, pc2 = read_wftl(args.out)
    t_decode = time.time() - t0
    assert meta2 == json.loads(json.dumps(meta)), "metadata differs after reading back"
    assert names2 == names and seqs2 == seqs and np.array_equal(lengths2, lengths)
    assert np.array_equal(pc2, pc) and int(pc2.max()) < PROFILE_CLASSES
    enc_vs_dec = float(np.abs(r_dec - r_enc).max())
    log(f"decoded in {t_decode:.1f} s; |decoded - encoder's reconstruction| max {enc_vs_dec:.2e} A")
    fit, (rot, cm, cr) = kabsch_fit(r_dec, ca, lay)
    ca_err = err_stats(fit, ca)
    worst = int(lay.chain_of[np.argmax(np.linalg.norm(fit - ca, axis=1))])
    log(f"CA reconstruction after superposition: RMS {ca_err['rms']:.4f} A, "
        f"99th pct {ca_err['p99']:.4f} A, max {ca_err['max']:.4f} A (in {names[worst]})")

    table2 = np.array(meta2["backbone_table"]).reshape(-1, 6)
    idx, n_t, c_t = apply_backbone_table(ca, lay, table2)
    nc_true = {"N": err_stats(n_t, xyz[idx, 0]), "C": err_stats(c_t, xyz[idx, 2])}
    idx, n_d, c_d = apply_backbone_table(r_dec, lay, table2)
    n_d = transform(n_d, rot, cm, cr, lay.chain_of[idx])
    c_d = transform(c_d, rot, cm, cr, lay.chain_of[idx])
    nc_dec = {"N": err_stats(n_d, xyz[idx, 0]), "C": err_stats(c_d, xyz[idx, 2])}
    for what, s in (("true CA", nc_true), ("decoded CA", nc_dec)):
        log(f"N/C from the table on {what} ({idx.size} internal residues): "
            f"N RMS {s['N']['rms']:.4f} (max {s['N']['max']:.3f}), "
            f"C RMS {s['C']['rms']:.4f} (max {s['C']['max']:.3f}) A")

    t0 = time.time()
    xz = lzma.compress(payload, format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME)
    log(f"for comparison: xz -9e of the same payload {len(xz)} bytes "
        f"({len(xz) / lay.n_res:.3f} bytes/residue) in {time.time() - t0:.0f} s")

    # ---- fixture: true N, CA, C in the original PDB frame
    fixture = []
    for j in FIXTURE_INDICES:
        if j >= len(names):
            continue
        s, L = int(lay.starts[j]), int(lengths[j])
        a = np.round(xyz[s:s + L], 3)
        fixture.append({"name": names[j], "index": j, "sequence": seqs[j],
                        "ca": a[:, 1].tolist(), "n": a[:, 0].tolist(), "c": a[:, 2].tolist()})
    os.makedirs(os.path.dirname(os.path.abspath(args.fixture)), exist_ok=True)
    with open(args.fixture, "w") as f:
        f.write("[\n" + ",\n".join(json.dumps(c, separators=(",", ":")) for c in fixture) + "\n]\n")
    log(f"wrote {args.fixture}: {[c['name'] for c in fixture]}")

    hist = np.bincount(np.minimum(lengths, 2000) // 100)
    stats = {
        "command": " ".join(["/usr/bin/python3"] + sys.argv),
        "source": meta["source"],
        "promod3_data_version": version,
        "built": meta["built"],
        "file": os.path.relpath(os.path.abspath(args.out), REPO),
        "bytes": len(blob),
        "payload_bytes": len(payload),
        "bytes_per_residue": round(len(blob) / lay.n_res, 4),
        "xz_9e_bytes_for_comparison": len(xz),
        "n_chains": len(names),
        "n_residues": lay.n_res,
        "chain_length": {"min": int(lengths.min()), "max": int(lengths.max()),
                         "median": float(np.median(lengths)),
                         "under_20": int(np.sum(lengths < 20)),
                         "under_3": int(np.sum(lengths < 3))},
        "repeated_names": n_repeated,
        "profiles": {"classes_per_amino_acid": PROFILE_CLASSES, "mean_l1_error": round(profile_l1, 4),
                     "columns_without_counts": empty_columns,
                     "class_plane_zlib9_bytes": len(zlib.compress(pc.tobytes(), 9))},
        "non_standard_letters": nonstd,
        "true_ca_ca_A": {"min": round(float(dd.min()), 4), "max": round(float(dd.max()), 4)},
        "ca_reconstruction_A": {k: round(v, 5) for k, v in ca_err.items()},
        "decoder_vs_encoder_max_A": enc_vs_dec,
        "backbone_table": {
            "internal_residues": int(idx.size),
            "cells_under_min_count": int(np.sum(counts < BB_MIN_COUNT)),
            "min_count": BB_MIN_COUNT,
            "from_true_ca_A": {a: {k: round(v, 4) for k, v in s.items()} for a, s in nc_true.items()},
            "from_decoded_ca_A": {a: {k: round(v, 4) for k, v in s.items()} for a, s in nc_dec.items()},
        },
        "seconds": {"read_db": round(t_read, 1), "build_total": round(t_build, 1),
                    "decode": round(t_decode, 1), "all": round(time.time() - t_start, 1)},
        "length_histogram_per_100": [int(v) for v in hist],
    }
    side = os.path.splitext(args.out)[0] + ".json"
    with open(side, "w") as f:
        json.dump(stats, f, indent=1)
        f.write("\n")
    log(f"wrote {side}; total {time.time() - t_start:.0f} s")
    if len(blob) > 16_000_000:
        log(f"WARNING: {args.out} is over the 16 MB budget")


if __name__ == "__main__":
    main()
