#!/usr/bin/python3
"""Export ProMod3's backbone-dependent rotamer library into webfold's compact table.

Run with Debian's /usr/bin/python3 (python3-promod3 and promod3-data installed):

    /usr/bin/python3 scripts/build_rotamers.py [--out src/sidechains/rotamers.json] [--step 20]

For each amino acid with side-chain torsions (all but GLY and ALA; PRO as trans proline, CYS as
free cysteine, HIS as ProMod3's HIS), the library is queried (with its bilinear interpolation)
at the centre of every phi/psi cell of `step` degrees; the cell keeps its most probable
rotamers until their probabilities sum to at least --mass (or --max-rotamers are kept), as
(probability in 1/1000, chi1..chiN in whole degrees). docs/SIDECHAINS.md describes the file.
"""
import argparse
import json
import math
import os
import sys

from promod3 import sidechain as sc

# webfold's residue letter -> (ProMod3 rotamer id, number of chi angles)
RESIDUES = {
    "R": ("ARG", 4), "N": ("ASN", 2), "D": ("ASP", 2), "C": ("CYH", 1), "Q": ("GLN", 3),
    "E": ("GLU", 3), "H": ("HIS", 2), "I": ("ILE", 2), "L": ("LEU", 2), "K": ("LYS", 4),
    "M": ("MET", 3), "F": ("PHE", 2), "P": ("TPR", 1), "S": ("SER", 1), "T": ("THR", 1),
    "W": ("TRP", 2), "Y": ("TYR", 2), "V": ("VAL", 1),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "src", "sidechains", "rotamers.json"))
    ap.add_argument("--step", type=int, default=20, help="phi/psi cell size in degrees (divides 360)")
    ap.add_argument("--mass", type=float, default=0.995, help="probability mass kept per cell")
    ap.add_argument("--max-rotamers", type=int, default=30)
    args = ap.parse_args()
    if 360 % args.step:
        sys.exit(f"--step {args.step} does not divide 360")
    lib = sc.LoadBBDepLib()
    lib.SetInterpolate(True)
    n = 360 // args.step
    out = {"format": "webfold rotamers", "version": 1,
           "source": "promod3-data 3.2.1+ds-6, sidechain_data/bb_dep_lib.dat (ProMod3 LoadBBDepLib)",
           "step_deg": args.step, "mass": args.mass, "max_rotamers": args.max_rotamers,
           "cells": "phi bin (-180 + step * i .. ) major, psi bin minor; a cell's rotamers: [p_per_mille, chi1, .., chiN] most probable first",
           "residues": {}}
    kept = 0
    for letter, (name, n_chi) in RESIDUES.items():
        rid = getattr(sc.RotamerID, name)
        cells = []
        for i in range(n):
            phi = math.radians(-180 + args.step * (i + 0.5))
            for j in range(n):
                psi = math.radians(-180 + args.step * (j + 0.5))
                entries = sorted(lib.QueryLib(rid, phi, psi), key=lambda e: -e.probability)
                total = sum(e.probability for e in entries)
                cell, mass = [], 0.0
                for e in entries[: args.max_rotamers]:
                    chis = [e.chi1, e.chi2, e.chi3, e.chi4][:n_chi]
                    if any(math.isnan(c) for c in chis):
                        sys.exit(f"{name}: rotamer without chi{len(chis)} at phi {phi:.2f} psi {psi:.2f}")
                    cell.append([round(1000 * e.probability / total)] + [round(math.degrees(c)) for c in chis])
                    mass += e.probability / total
                    if mass >= args.mass:
                        break
                kept += len(cell)
                cells.append(cell)
        out["residues"][letter] = {"name": name, "chis": n_chi, "cells": cells}
    with open(args.out, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    print(f"{args.out}: {kept} rotamers in {len(RESIDUES)} x {n * n} cells, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
