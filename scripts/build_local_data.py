#!/usr/bin/python3
"""Build the local-structure training set (docs/LOCAL.md) from Debian's promod3-data StructureDB.

Run with Debian's interpreter (promod3 is only importable there), from the repository root:

    /usr/bin/python3 scripts/build_local_data.py [--out data] [--seed 0]

The chains, the CASP13 leakage filter, the 30% clusters and the train/val split are those of
scripts/build_data.py: its functions are imported and called with its defaults, so the two
training sets hold the same chains and the local model's validation chains are the trunk's.
Per chain it writes the sequence, the StructureDB's DSSP 8-state string, phi and psi computed
from the backbone N/CA/C, and burial: the number of other residues of the chain whose virtual
CB lies within 10 A of this residue's virtual CB.

Outputs: data/local_train.npz, data/local_val.npz (webfold_train.local.data.read_local),
data/local_stats.json.
"""

import argparse
import collections
import json
import os
import shutil
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import build_data as bd  # noqa: E402  (the trunk's data pipeline: dump, leakage filter, split)

BURIAL_RADIUS = 10.0  # A, between virtual CBs
DSSP_CODES = set("HGIEBTSC")


def dihedral(p0, p1, p2, p3):
    """Signed dihedral angle in degrees for arrays of points [n, 3] (IUPAC sign convention)."""
    b0, b1, b2 = p0 - p1, p2 - p1, p3 - p2
    b1n = b1 / np.linalg.norm(b1, axis=1, keepdims=True)
    v = b0 - (b0 * b1n).sum(1, keepdims=True) * b1n
    w = b2 - (b2 * b1n).sum(1, keepdims=True) * b1n
    x = (v * w).sum(1)
    y = (np.cross(b1n, v) * w).sum(1)
    return np.degrees(np.arctan2(y, x))


def phi_psi(xyz):
    """xyz [L, 3 (N, CA, C), 3] -> phi, psi [L] in degrees; NaN where undefined (the first
    residue's phi, the last residue's psi)."""
    n, ca, c = (xyz[:, j].astype(np.float64) for j in range(3))
    L = len(xyz)
    phi = np.full(L, np.nan)
    psi = np.full(L, np.nan)
    if L > 1:
        phi[1:] = dihedral(c[:-1], n[1:], ca[1:], c[1:])
        psi[:-1] = dihedral(n[:-1], ca[:-1], c[:-1], n[1:])
    return phi, psi


def virtual_cb(xyz):
    """Ideal CB from N, CA, C (the usual tetrahedral construction; glycine gets one too, so the
    count measures the backbone's surroundings the same way for every residue)."""
    n, ca, c = (xyz[:, j].astype(np.float64) for j in range(3))
    b, cc = ca - n, c - ca
    a = np.cross(b, cc)
    return -0.58273431 * a + 0.56802827 * b - 0.54067466 * cc + ca


def burial(xyz, radius=BURIAL_RADIUS):
    """Number of other residues of the same chain whose virtual CB is within `radius` of this
    residue's virtual CB. Chains only: the StructureDB has no partner chains."""
    cb = virtual_cb(xyz)
    out = np.zeros(len(cb), dtype=np.int64)
    # in blocks, so that a 1000-residue chain needs a few MB, not L^2 doubles at once
    for s in range(0, len(cb), 256):
        d2 = ((cb[s:s + 256, None, :] - cb[None, :, :]) ** 2).sum(-1)
        out[s:s + 256] = (d2 < radius * radius).sum(1) - 1  # minus itself
    return out


def encode(chains, dssp):
    """Concatenate per-chain records into flat arrays (one .npz; lengths give the offsets)."""
    names = np.array([c.name for c in chains])
    lengths = np.array([len(c.seq) for c in chains], dtype=np.int32)
    seq = np.frombuffer("".join(c.seq for c in chains).encode("ascii"), dtype=np.uint8)
    ss = np.frombuffer("".join(dssp[c.name] for c in chains).encode("ascii"), dtype=np.uint8)
    phis, psis, bur = [], [], []
    for c in chains:
        phi, psi = phi_psi(c.xyz)
        phis.append(phi)
        psis.append(psi)
        bur.append(burial(c.xyz))
    # angles in tenths of a degree (int16; -32768 = undefined): bins are 10 degrees wide
    def q(a):
        a = np.concatenate(a)
        out = np.full(a.shape, -32768, dtype=np.int16)
        ok = np.isfinite(a)
        out[ok] = np.clip(np.round(a[ok] * 10), -1800, 1800).astype(np.int16)
        return out
    b = np.concatenate(bur)
    assert b.max() < 256
    return dict(names=names, lengths=lengths, seq=seq, dssp=ss, phi10=q(phis), psi10=q(psis),
                burial=b.astype(np.uint8))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(bd.REPO, "data"))
    ap.add_argument("--casp13", default=os.path.join(bd.REPO, "..", "shared", "eval", "casp13", "casp13.fasta"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="debug: only the first N DB entries")
    args = ap.parse_args()
    # build_data.py's defaults: the same chains, leakage filter, clusters and split as the trunk
    min_len, evalue, sens, min_seq_id, cov, val_frac, val_max = 20, 1e-3, 7.5, 0.3, 0.8, 0.05, 1000
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "tmp_build_local")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    bd.log("dumping the promod3 StructureDB (build_data.dump_db)")
    chains, dump_info = bd.dump_db(min_len, args.limit)
    by_name = {c.name: c for c in chains}
    from promod3 import loop
    db = loop.LoadStructureDB()
    dssp, phi_db = {}, []
    odd_codes = collections.Counter()
    for i in range(db.GetNumCoords() if not args.limit else min(args.limit, db.GetNumCoords())):
        ci = db.GetCoordInfo(i)
        name = f"{ci.id}{ci.chain_name}"
        if name not in by_name:
            continue  # dropped by dump_db (length, format)
        assert name not in dssp, f"{name} twice in the DB (dump_db would have renamed it)"
        s = db.GetDSSPStates(i)
        assert len(s) == len(by_name[name].seq) and db.GetSequence(i) == by_name[name].seq, name
        odd_codes.update(ch for ch in s if ch not in DSSP_CODES)
        dssp[name] = "".join(ch if ch in DSSP_CODES else "C" for ch in s)
        if len(phi_db) < 200:  # cross-check our dihedrals against the DB's own
            phi_db.append((name, np.degrees([a[0] for a in db.GetDihedralAngles(i)]),
                           np.degrees([a[1] for a in db.GetDihedralAngles(i)])))
    assert set(dssp) == set(by_name), "chains without DSSP"
    diffs = []
    for name, phi_d, psi_d in phi_db:
        phi, psi = phi_psi(by_name[name].xyz)
        for a, b in ((phi[1:], phi_d[1:]), (psi[:-1], psi_d[:-1])):
            diffs.append(np.abs((a - b + 180) % 360 - 180))
    diffs = np.concatenate(diffs)

    bd.log("CASP13 leakage search (build_data.casp13_filter)")
    hits, _rows, targets = bd.casp13_filter(chains, args.casp13, work, args.threads, evalue, sens)
    kept = [c for c in chains if c.name not in hits]
    bd.log(f"removed {len(hits)} chains similar to CASP13 targets")
    bd.log("clustering (build_data.cluster) and split (build_data.split)")
    members, _tsv = bd.cluster(kept, work, args.threads, min_seq_id, cov)
    assert {m for ms in members.values() for m in ms} == {c.name for c in kept}
    val_reps = bd.split(members, args.seed, val_frac, val_max)
    val_names = {m for r in val_reps for m in members[r]}
    train = [c for c in kept if c.name not in val_names]
    val = [c for c in kept if c.name in val_names]

    bd.log("computing phi/psi and burial, writing")
    stats = {"command": " ".join([sys.executable] + sys.argv), "seed": args.seed,
             "casp13_removed": sorted(hits), "casp13_targets": targets,
             "dssp_codes_mapped_to_C": dict(odd_codes),
             "phi_psi_vs_db_dihedrals_deg": {"residues": int(diffs.size),
                                             "max": round(float(diffs.max()), 3),
                                             "mean": round(float(diffs.mean()), 4)},
             "burial": f"virtual-CB neighbours within {BURIAL_RADIUS} A, same chain"}
    for split_name, cs in (("train", train), ("val", val)):
        arrays = encode(cs, dssp)
        path = os.path.join(args.out, f"local_{split_name}.npz")
        np.savez_compressed(path, **arrays)
        b = arrays["burial"]
        stats[split_name] = {
            "chains": len(cs), "residues": int(arrays["lengths"].sum()),
            "bytes": os.path.getsize(path),
            "dssp_counts": dict(collections.Counter(arrays["dssp"].tobytes().decode())),
            "burial_percentiles_10_25_50_75_90": [int(np.percentile(b, p)) for p in (10, 25, 50, 75, 90)],
            "clusters": len({r for r in members if (r in val_reps) == (split_name == "val")}),
        }
    stats["seconds"] = round(time.time() - t0, 1)
    with open(os.path.join(args.out, "local_stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
    shutil.rmtree(work)
    bd.log(f"done in {stats['seconds']} s: train {stats['train']['chains']} chains / "
           f"{stats['train']['residues']} residues, val {stats['val']['chains']} chains / "
           f"{stats['val']['residues']} residues")


if __name__ == "__main__":
    main()
