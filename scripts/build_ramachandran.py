#!/usr/bin/python3
"""Count the phi/psi of every residue in Debian's promod3 StructureDB into webfold's
Ramachandran table, src/geometry/ramachandran.json (docs/TEMPLATES.md, Peptide planes).

Run with Debian's /usr/bin/python3 (python3-promod3 and promod3-data installed), from the
repository root:

    /usr/bin/python3 scripts/build_ramachandran.py [--out src/geometry/ramachandran.json] [--step 10]

Residues are counted in four classes, as Ramachandran statistics usually are: glycine, proline,
the residue before a proline (pre-proline), and every other residue (general). A residue counts
only where its N-CA, CA-C and both peptide bonds around it are within 0.1 A of ideal (chain
breaks and the DB's few odd residues left out). For each class the table holds, per cell of
`step` degrees (phi major, psi minor, from -180), the energy -ln(p / p_uniform) of the cell's
probability with one pseudo-count per cell, in hundredths, and the same for phi and psi alone
(for the chain's first and last residues, which have only one of the two). The N-CA-C angle's
mean and standard deviation over all counted residues are stored too.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

IDEAL = {"n_ca": 1.458, "ca_c": 1.525, "c_n": 1.329}
CLASSES = ["general", "glycine", "proline", "pre_proline"]


def dihedral(p0, p1, p2, p3):
    """Dihedral angles (degrees) of row-wise point arrays."""
    b0, b1, b2 = p0 - p1, p2 - p1, p3 - p2
    b1n = b1 / np.linalg.norm(b1, axis=1, keepdims=True)
    v = b0 - np.sum(b0 * b1n, axis=1, keepdims=True) * b1n
    w = b2 - np.sum(b2 * b1n, axis=1, keepdims=True) * b1n
    x = np.sum(v * w, axis=1)
    y = np.sum(np.cross(b1n, v) * w, axis=1)
    return np.degrees(np.arctan2(y, x))


def chain_angles(seq, bb):
    """(class index, phi, psi, tau) of the internal residues of one chain that pass the bond
    filter; bb is (L, 3, 3) N/CA/C."""
    n, ca, c = bb[:, 0], bb[:, 1], bb[:, 2]
    L = len(seq)
    if L < 3:
        return None
    d = lambda a, b: np.linalg.norm(a - b, axis=1)
    ok_res = (np.abs(d(n, ca) - IDEAL["n_ca"]) < 0.1) & (np.abs(d(ca, c) - IDEAL["ca_c"]) < 0.1)
    ok_pep = np.abs(d(c[:-1], n[1:]) - IDEAL["c_n"]) < 0.1  # peptide i -> i+1
    i = np.arange(1, L - 1)
    ok = ok_res[i] & ok_res[i - 1] & ok_res[i + 1] & ok_pep[i - 1] & ok_pep[i]
    i = i[ok]
    if len(i) == 0:
        return None
    phi = dihedral(c[i - 1], n[i], ca[i], c[i])
    psi = dihedral(n[i], ca[i], c[i], n[i + 1])
    u, v = n[i] - ca[i], c[i] - ca[i]
    tau = np.degrees(np.arccos(np.clip(np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1)), -1, 1)))
    s = np.frombuffer(seq.encode(), dtype=np.uint8)
    cls = np.zeros(len(i), np.int64)
    nxt = s[i + 1]
    cls[nxt == ord("P")] = 3
    cls[s[i] == ord("P")] = 2
    cls[s[i] == ord("G")] = 1
    return cls, phi, psi, tau


def energies(counts):
    """-ln(p / uniform) in hundredths, one pseudo-count per cell."""
    p = (counts + 1.0) / (counts.sum() + counts.size)
    return [int(round(100 * -math.log(x * counts.size))) for x in p.ravel()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "src", "geometry", "ramachandran.json"))
    ap.add_argument("--step", type=int, default=10, help="cell size in degrees (divides 360)")
    ap.add_argument("--limit", type=int, default=0, help="read only this many DB entries (testing)")
    args = ap.parse_args()
    if 360 % args.step:
        sys.exit(f"--step {args.step} does not divide 360")
    from promod3 import loop
    db = loop.LoadStructureDB()
    n_entries = db.GetNumCoords() if not args.limit else min(args.limit, db.GetNumCoords())
    nb = 360 // args.step
    counts = np.zeros((4, nb, nb))
    taus = []
    skipped = 0
    for e in range(n_entries):
        seq = db.GetSequence(e)
        bbl = db.GetBackboneList(e)
        bb = np.array([[tuple(bbl.GetN(k)), tuple(bbl.GetCA(k)), tuple(bbl.GetC(k))] for k in range(len(bbl))], float)
        r = chain_angles(seq, bb)
        if r is None:
            continue
        cls, phi, psi, tau = r
        skipped += (len(seq) - 2) - len(cls)
        a = np.floor((phi + 180.0) / args.step).astype(int) % nb
        b = np.floor((psi + 180.0) / args.step).astype(int) % nb
        np.add.at(counts, (cls, a, b), 1)
        taus.append(tau)
        if (e + 1) % 5000 == 0:
            print(f"  read {e + 1}/{n_entries}", file=sys.stderr)
    tau = np.concatenate(taus)
    out = {
        "format": "webfold ramachandran", "version": 1,
        "source": "promod3-data 3.2.1+ds-6 StructureDB (ProMod3 loop.LoadStructureDB), all chains",
        "step_deg": args.step,
        "cells": "phi bin (-180 + step * i ..) major, psi bin minor; -ln(p / uniform) x 100, one pseudo-count per cell",
        "tau_mean_deg": round(float(tau.mean()), 2), "tau_sd_deg": round(float(tau.std()), 2),
        "residues_counted": int(counts.sum()), "residues_left_out": int(skipped),
        "classes": {},
    }
    for k, name in enumerate(CLASSES):
        c = counts[k]
        out["classes"][name] = {"count": int(c.sum()), "phi_psi": energies(c), "phi": energies(c.sum(axis=1)), "psi": energies(c.sum(axis=0))}
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out}: {int(counts.sum())} residues ({skipped} left out), tau {tau.mean():.2f} +- {tau.std():.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
