#!/usr/bin/env python3
"""Side-chain accuracy of models against native structures: chi angles and clashes.

    python3 scripts/side_chain_accuracy.py --pred DIR --native DIR --ids FILE [--ids FILE ...]

Residue i of DIR/<id>.pdb is compared with the i-th residue (with CA) of the native's first
chain, as webfold numbers its models (the sequences must agree). A chi angle is right when it
is within 40 degrees of the native's (chi2 of ASP, PHE, TYR and chi3 of GLU are taken modulo
180 degrees: their two terminal atoms are equivalent). chi1 counts residues whose chi1 is right;
chi1+2 those whose chi1 and chi2 are both right (residues with at least two chi angles).
Clashes: pairs of heavy atoms of different residues closer than 2.5 A, per 1000 atoms (last column:
only the model's residues with pLDDT at least --confident, default 70); backbone
pairs of consecutive residues (the peptide bond and the 1-3 pairs across it), proline CD with
the previous C and cysteine SG-SG (disulfides) do not count. --backbone-only keeps N, CA, C, O
and CB alone in both structures (the clashes the backbone leaves; no chi angles then). Prints a
markdown table per id list. Needs gemmi.
"""
import argparse
import math
import os
import sys

import gemmi

sys.path.insert(0, os.path.dirname(__file__))
from build_sidechain_geometry import CHIS, THREE  # noqa: E402

LETTER = {v: k for k, v in THREE.items()}
BACKBONE = {"N", "CA", "C", "O"}
SYMMETRIC = {("D", 2), ("F", 2), ("Y", 2), ("E", 3)}


KEEP = []  # the structures the residues belong to (gemmi residues do not keep them alive)


def first_chain(path, backbone_only=False):
    st = gemmi.read_structure(path)
    st.remove_hydrogens()
    KEEP.append(st)
    chain = st[0][0]
    if backbone_only:
        for r in chain:
            for i in reversed(range(len(r))):
                if r[i].name not in BACKBONE | {"CB"}:
                    del r[i]
    return [r for r in chain if r.find_atom("CA", "*")]


def chis(res, letter):
    out = []
    for names in CHIS.get(letter, []):
        atoms = [res.find_atom(n, "*") for n in names]
        if any(a is None for a in atoms):
            out.append(None)
        else:
            out.append(math.degrees(gemmi.calculate_dihedral(*(a.pos for a in atoms))))
    return out


def close(a, b, period):
    d = abs((a - b + period / 2) % period - period / 2)
    return d <= 40.0


def chis_right(model_residue, native_residue, letter):
    """(whether each chi angle of the model's residue is within 40 degrees of the native's,
    symmetric ends modulo 180, a chi either lacks counting as wrong; the native's chi angles),
    or None when either lacks chi1."""
    a, b = chis(model_residue, letter), chis(native_residue, letter)
    if not a or a[0] is None or b[0] is None:
        return None
    return [x is not None and y is not None and close(x, y, 180.0 if (letter, k + 1) in SYMMETRIC else 360.0) for k, (x, y) in enumerate(zip(a, b))], b


def clashes(residues, min_b=None):
    """Clashes and atoms, all of them or (min_b) those of residues whose CA B-factor (a model's
    pLDDT) is at least min_b, each clash counting half for each of its two residues."""
    atoms = [(i, a) for i, r in enumerate(residues) for a in r]
    per_residue = [0] * len(residues)
    grid = {}
    for k, (i, a) in enumerate(atoms):
        key = tuple(int(math.floor(c / 2.5)) for c in (a.pos.x, a.pos.y, a.pos.z))
        grid.setdefault(key, []).append(k)
    for k, (i, a) in enumerate(atoms):
        key = tuple(int(math.floor(c / 2.5)) for c in (a.pos.x, a.pos.y, a.pos.z))
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for dz in (-1, 0, 1):
                    for m in grid.get((key[0] + dx, key[1] + dy, key[2] + dz), []):
                        if m <= k:
                            continue
                        j, b = atoms[m]
                        if i == j or a.pos.dist(b.pos) >= 2.5:
                            continue
                        if abs(i - j) == 1 and a.name in BACKBONE and b.name in BACKBONE:
                            continue  # the peptide bond and the 1-3 pairs across it
                        if abs(i - j) == 1 and {a.name, b.name} == {"CD", "C"}:
                            continue  # proline's CD is bonded to its N, 1-3 to the previous C
                        if a.name == "SG" and b.name == "SG":
                            continue
                        per_residue[i] += 1
                        per_residue[j] += 1
    keep = [min_b is None or r.find_atom("CA", "*").b_iso >= min_b for r in residues]
    return sum(c for c, k in zip(per_residue, keep) if k) / 2, sum(len(r) for r, k in zip(residues, keep) if k)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pred", required=True)
    ap.add_argument("--native", required=True)
    ap.add_argument("--ids", action="append", required=True)
    ap.add_argument("--confident", type=float, default=70.0, help="pLDDT of the model's confident residues (last column)")
    ap.add_argument("--backbone-only", action="store_true", help="N, CA, C, O and CB alone (side chains removed from both)")
    args = ap.parse_args()
    for ids_file in args.ids:
        ids = [l.split()[0] for l in open(ids_file) if l.strip()]
        print(f"\n{os.path.basename(ids_file)}\n")
        print(f"| target | residues | chi1 | chi1+2 | clashes / 1000 atoms (model) | (native) | (model, residues with pLDDT >= {args.confident:g}) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        tot = [0, 0, 0, 0]
        clash_tot = [0, 0, 0, 0, 0, 0]
        for t in ids:
            pred, nat = (first_chain(os.path.join(d, t + ".pdb"), args.backbone_only) for d in (args.pred, args.native))
            if len(pred) != len(nat):
                sys.exit(f"{t}: {len(pred)} model residues against {len(nat)} native ones")
            c1 = n1 = c12 = n12 = 0
            for p, q in zip(pred, nat):
                letter = LETTER.get(q.name)
                if letter is None or LETTER.get(p.name) != letter:
                    if letter is not None and p.name != q.name:
                        sys.exit(f"{t}: residue {q.seqid} is {q.name} in the native, {p.name} in the model")
                    continue
                right = chis_right(p, q, letter)
                if right is None:
                    continue
                ok, b = right
                n1 += 1
                c1 += ok[0]
                if len(ok) >= 2 and b[1] is not None:
                    n12 += 1
                    c12 += ok[0] and ok[1]
            cm, am = clashes(pred)
            cn, an = clashes(nat)
            cc, ac = clashes(pred, args.confident)
            tot = [tot[0] + c1, tot[1] + n1, tot[2] + c12, tot[3] + n12]
            clash_tot = [clash_tot[0] + cm, clash_tot[1] + am, clash_tot[2] + cn, clash_tot[3] + an, clash_tot[4] + cc, clash_tot[5] + ac]
            print(f"| {t} | {n1} | {100 * c1 / max(n1, 1):.1f}% | {100 * c12 / max(n12, 1):.1f}% | {1000 * cm / max(am, 1):.2f} "
                  f"| {1000 * cn / max(an, 1):.2f} | {1000 * cc / max(ac, 1):.2f} ({ac} atoms) |")
        print(f"| all | {tot[1]} | {100 * tot[0] / max(tot[1], 1):.1f}% | {100 * tot[2] / max(tot[3], 1):.1f}% "
              f"| {1000 * clash_tot[0] / max(clash_tot[1], 1):.2f} | {1000 * clash_tot[2] / max(clash_tot[3], 1):.2f} "
              f"| {1000 * clash_tot[4] / max(clash_tot[5], 1):.2f} ({clash_tot[5]} atoms) |")


if __name__ == "__main__":
    main()
