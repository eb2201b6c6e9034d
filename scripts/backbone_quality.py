#!/usr/bin/env python3
"""Ramachandran quality of models (and natives): favoured, allowed and outlier residues.

    python3 scripts/backbone_quality.py --pred DIR --ids FILE [--ids FILE ...] [--native DIR]

The reference is MolProbity's (Lovell et al. 2003, Proteins 50:437, the Top500 set of
high-resolution structures, residues with B < 30), as the PyPI package `pyrama` ships it: four
distributions (general, glycine, proline, pre-proline) on 2-degree cells. A residue is favoured
in a cell of value >= 0.02, allowed down to 0.0005 (general) or 0.002 (the other three), an
outlier below, as MolProbity's contours are drawn. webfold's own Ramachandran table
(src/geometry/ramachandran.json, counted over the StructureDB) plays no part, so the check is
independent of what the model building optimises. Install the data with
`python3 -m pip install --no-deps pyrama` (only its data files are read; nothing is imported).

Residue i of DIR/<id>.pdb: the first chain; a residue needs N, CA, C and both neighbours with
consecutive numbers. Columns: residues, favoured, allowed, outliers; the same over the model's
residues with pLDDT (B-factor) at least --confident (default 70); with --native, the native's
favoured and outliers. Prints a markdown table per id list; with --bins, also the models'
residues by pLDDT bin (10 wide). Needs gemmi.
"""
import argparse
import importlib.util
import math
import os
import sys

import gemmi

FILES = {"general": "pref_general.data", "glycine": "pref_glycine.data", "proline": "pref_proline.data", "pre_proline": "pref_preproline.data"}
ALLOWED = {"general": 0.0005, "glycine": 0.002, "proline": 0.002, "pre_proline": 0.002}
FAVOURED = 0.02


def load_reference():
    spec = importlib.util.find_spec("pyrama")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("backbone_quality.py: MolProbity's Ramachandran data not found; install it with: python3 -m pip install --no-deps pyrama")
    data = os.path.join(list(spec.submodule_search_locations)[0], "data")
    ref = {}
    for cls, name in FILES.items():
        grid = [[0.0] * 180 for _ in range(180)]
        with open(os.path.join(data, name)) as f:
            for line in f:
                if line.startswith("#") or not line.strip():
                    continue
                phi, psi, value = map(float, line.split())
                grid[int((phi + 180) // 2) % 180][int((psi + 180) // 2) % 180] = value
        ref[cls] = grid
    return ref


def classify(path, ref):
    """(class of the residue's quality: favoured / allowed / outlier, pLDDT) per residue."""
    st = gemmi.read_structure(path)
    residues = list(st[0][0])
    out = []
    for i in range(1, len(residues) - 1):
        a, b, c = residues[i - 1], residues[i], residues[i + 1]
        if b.seqid.num - a.seqid.num != 1 or c.seqid.num - b.seqid.num != 1:
            continue
        try:
            phi = math.degrees(gemmi.calculate_dihedral(a["C"][0].pos, b["N"][0].pos, b["CA"][0].pos, b["C"][0].pos))
            psi = math.degrees(gemmi.calculate_dihedral(b["N"][0].pos, b["CA"][0].pos, b["C"][0].pos, c["N"][0].pos))
        except (IndexError, RuntimeError):
            continue
        cls = "glycine" if b.name == "GLY" else "proline" if b.name == "PRO" else "pre_proline" if c.name == "PRO" else "general"
        value = ref[cls][int((phi + 180) // 2) % 180][int((psi + 180) // 2) % 180]
        quality = "favoured" if value >= FAVOURED else "allowed" if value >= ALLOWED[cls] else "outlier"
        out.append((quality, b["CA"][0].b_iso))
    return out


def percent(rows, quality):
    return f"{100 * sum(q == quality for q, _ in rows) / len(rows):.1f}%" if rows else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pred", required=True)
    ap.add_argument("--ids", action="append", required=True)
    ap.add_argument("--native")
    ap.add_argument("--confident", type=float, default=70.0)
    ap.add_argument("--bins", action="store_true", help="also favoured and outliers per pLDDT bin")
    args = ap.parse_args()
    ref = load_reference()
    for ids_file in args.ids:
        ids = [line.split()[0] for line in open(ids_file) if line.strip()]
        print(f"\n{os.path.basename(ids_file)}\n")
        head = f"| target | residues | favoured | allowed | outliers | residues with pLDDT >= {args.confident:g} | favoured | outliers |"
        rule = "|---|---:|---:|---:|---:|---:|---:|---:|"
        if args.native:
            head += " native favoured | native outliers |"
            rule += "---:|---:|"
        print(head)
        print(rule)
        all_rows, all_native = [], []
        for t in ids + ["all"]:
            if t == "all":
                rows, native = all_rows, all_native
            else:
                rows = classify(os.path.join(args.pred, f"{t}.pdb"), ref)
                native = classify(os.path.join(args.native, f"{t}.pdb"), ref) if args.native else []
                all_rows += rows
                all_native += native
            confident = [r for r in rows if r[1] >= args.confident]
            line = (f"| {t} | {len(rows)} | {percent(rows, 'favoured')} | {percent(rows, 'allowed')} | {percent(rows, 'outlier')} "
                    f"| {len(confident)} | {percent(confident, 'favoured')} | {percent(confident, 'outlier')} |")
            if args.native:
                line += f" {percent(native, 'favoured')} | {percent(native, 'outlier')} |"
            print(line)
        if args.bins:
            print("\n| pLDDT bin | residues | favoured | outliers |\n|---|---:|---:|---:|")
            for lo in range(0, 100, 10):
                rows = [r for r in all_rows if lo <= r[1] < lo + 10 or (lo == 90 and r[1] == 100)]
                if rows:
                    print(f"| {lo}-{lo + 10} | {len(rows)} | {percent(rows, 'favoured')} | {percent(rows, 'outlier')} |")


if __name__ == "__main__":
    main()
