#!/usr/bin/env python3
"""Score two sets of models of the same targets side by side (e.g. webfold's and ProMod3's).

    python3 scripts/compare_models.py --a DIR --b DIR --native DIR --ids FILE [--ids FILE ...]
        [--a-name webfold] [--b-name ProMod3]

Residue n of a model is position n of the target's sequence (webfold numbers every residue;
scripts/promod3_models.py numbers ProMod3's models that way), matched with the n-th residue (with
CA) of the native's first chain. A model may leave residues out (ProMod3 does not model what the
alignment leaves at the termini). Per target and for all targets:

- whole target: TM-score and GDT-TS (the `TMscore` program, Debian `tm-align`, normalised by the
  native's length) and CA-lDDT (15 A inclusion radius, thresholds 0.5/1/2/4 A, over the
  native's ordered residue pairs; a pair with a residue the model lacks counts as not kept),
  and the share of residues modelled;
- shared residues (those both models contain): TM-score normalised by their number, CA-lDDT
  over the native's pairs among them, MolProbity Ramachandran favoured and outliers
  (scripts/backbone_quality.py), heavy-atom clashes per 1000 atoms and chi1 right within 40
  degrees (scripts/side_chain_accuracy.py's rules), all computed on the models cut to those
  residues, so missing termini favour neither.

Needs gemmi, and for the Ramachandran columns MolProbity's data (`pip install --no-deps pyrama`).
"""
import argparse
import math
import os
import re
import subprocess
import sys
import tempfile

import gemmi

sys.path.insert(0, os.path.dirname(__file__))
from backbone_quality import classify, load_reference  # noqa: E402
from side_chain_accuracy import LETTER, chis_right, clashes  # noqa: E402


def residues_by_number(path):
    """{position (1-based): residue} of the first chain (residues with CA), and the structure."""
    st = gemmi.read_structure(path)
    st.remove_hydrogens()
    st.setup_entities()
    chain = st[0][0]
    return {r.seqid.num: r for r in chain if r.find_atom("CA", "*")}, st


def native_by_index(path):
    st = gemmi.read_structure(path)
    st.remove_hydrogens()
    residues = [r for r in st[0][0] if r.find_atom("CA", "*")]
    return {i + 1: r for i, r in enumerate(residues)}, st


def ca(r):
    p = r.find_atom("CA", "*").pos
    return (p.x, p.y, p.z)


def write_ca(path, residues, numbers):
    with open(path, "w") as f:
        for k, n in enumerate(numbers):
            x, y, z = ca(residues[n])
            f.write(f"ATOM  {k + 1:5d}  CA  {residues[n].name:>3} A{n:4d}    {x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00           C\n")
        f.write("END\n")


def tmscore(model, native, model_numbers, native_numbers, tmp):
    """(TM-score normalised by len(native_numbers), GDT-TS 0-100) by residue number."""
    a, b = os.path.join(tmp, "m.pdb"), os.path.join(tmp, "n.pdb")
    write_ca(a, model, model_numbers)
    write_ca(b, native, native_numbers)
    out = subprocess.run(["TMscore", a, b], capture_output=True, text=True, check=True).stdout
    tm = re.search(r"TM-score\s*=\s*([\d.]+)", out)
    gdt = re.search(r"GDT-TS-score\s*=\s*([\d.]+)", out)
    if not tm or not gdt:
        sys.exit(f"TMscore printed no score:\n{out}")
    return float(tm.group(1)), 100 * float(gdt.group(1))


def lddt(model, native, numbers):
    """CA-lDDT (0-100) over the native's pairs among `numbers`; pairs with a residue the model
    lacks count as not kept."""
    kept = total = 0.0
    xs = {n: ca(native[n]) for n in numbers}
    ms = {n: ca(model[n]) for n in numbers if n in model}
    for i in numbers:
        for j in numbers:
            if i == j:
                continue
            d = math.dist(xs[i], xs[j])
            if d >= 15.0:
                continue
            total += 4
            if i in ms and j in ms:
                e = abs(math.dist(ms[i], ms[j]) - d)
                kept += sum(e < t for t in (0.5, 1.0, 2.0, 4.0))
    return 100 * kept / total if total else 0.0


def cut(st, numbers, path):
    """Write the structure's first chain cut to the residues numbered `numbers`, renumbered."""
    out = gemmi.Structure()
    model = gemmi.Model("1")
    chain = gemmi.Chain("A")
    for r in st[0][0]:
        if r.seqid.num in numbers:
            chain.add_residue(r)
    model.add_chain(chain)
    out.add_model(model)
    out.setup_entities()
    out.write_pdb(path)


def chi1(model, native, numbers):
    right = total = 0
    for n in numbers:
        p, q = model[n], native[n]
        letter = LETTER.get(q.name)
        if letter is None or LETTER.get(p.name) != letter:
            continue
        ok = chis_right(p, q, letter)
        if ok is None:
            continue
        total += 1
        right += ok[0][0]
    return right, total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--native", required=True)
    ap.add_argument("--ids", action="append", required=True)
    ap.add_argument("--a-name", default="webfold")
    ap.add_argument("--b-name", default="ProMod3")
    args = ap.parse_args()
    ref = load_reference()
    names = (args.a_name, args.b_name)
    with tempfile.TemporaryDirectory() as tmp:
        for ids_file in args.ids:
            ids = [l.split()[0] for l in open(ids_file) if l.strip()]
            ids = [t for t in ids if all(os.path.exists(os.path.join(d, f"{t}.pdb")) for d in (args.a, args.b))]
            if not ids:
                continue
            print(f"\n{os.path.basename(ids_file)}\n")
            print("Whole target (TM-score / GDT-TS / CA-lDDT / residues modelled):\n")
            print(f"| target | length | {names[0]} TM | {names[1]} TM | {names[0]} GDT-TS | {names[1]} GDT-TS "
                  f"| {names[0]} CA-lDDT | {names[1]} CA-lDDT | {names[0]} modelled | {names[1]} modelled |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            shared_rows = []
            sums = [0.0] * 6
            for t in ids:
                native, _ = native_by_index(os.path.join(args.native, f"{t}.pdb"))
                models = [residues_by_number(os.path.join(d, f"{t}.pdb")) for d in (args.a, args.b)]
                every = sorted(native)
                row = []
                for m, _ in models:
                    extra = [n for n in m if n not in native]
                    if extra:
                        sys.exit(f"{t}: model residues {extra[:5]} are beyond the native's {len(native)}")
                    for n in m:
                        if m[n].name != native[n].name:
                            sys.exit(f"{t}: residue {n} is {native[n].name} in the native, {m[n].name} in a model")
                    present = [n for n in every if n in m]
                    tm, gdt = tmscore(m, native, present, every, tmp)
                    row.append((tm, gdt, lddt(m, native, every), len(present) / len(every)))
                for k in range(2):
                    for v in range(3):
                        sums[3 * k + v] += row[k][v]
                print(f"| {t} | {len(every)} | {row[0][0]:.3f} | {row[1][0]:.3f} | {row[0][1]:.2f} | {row[1][1]:.2f} "
                      f"| {row[0][2]:.2f} | {row[1][2]:.2f} | {100 * row[0][3]:.0f}% | {100 * row[1][3]:.0f}% |")
                shared = sorted(set(models[0][0]) & set(models[1][0]))
                cols = []
                for k, (m, st) in enumerate(models):
                    tm, _ = tmscore(m, native, shared, shared, tmp)
                    path = os.path.join(tmp, f"cut{k}.pdb")
                    cut(st, set(shared), path)
                    rama = classify(path, ref)
                    cut_residues = [r for r in gemmi.read_structure(path)[0][0]]
                    c, atoms = clashes(cut_residues)
                    right, total = chi1(m, native, shared)
                    cols.append((tm, lddt(m, native, shared), rama, c, atoms, right, total))
                shared_rows.append((t, len(shared), cols))
            n = len(ids)
            print(f"| **mean** | | **{sums[0] / n:.3f}** | **{sums[3] / n:.3f}** | {sums[1] / n:.2f} | {sums[4] / n:.2f} "
                  f"| {sums[2] / n:.2f} | {sums[5] / n:.2f} | | |")
            print("\nResidues both models contain (TM-score and CA-lDDT over them; Ramachandran, clashes and "
                  "chi1 of the models cut to them):\n")
            print(f"| target | residues | {names[0]} TM | {names[1]} TM | {names[0]} CA-lDDT | {names[1]} CA-lDDT "
                  f"| {names[0]} favoured / outliers | {names[1]} favoured / outliers "
                  f"| {names[0]} clashes / 1000 atoms | {names[1]} clashes / 1000 atoms | {names[0]} chi1 | {names[1]} chi1 |")
            print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            tot = [[0.0, 0.0, [], 0.0, 0, 0, 0] for _ in range(2)]
            for t, count, cols in shared_rows:
                cells = []
                for k in range(2):
                    tm, ld, rama, c, atoms, right, total = cols[k]
                    acc = tot[k]
                    acc[0] += tm
                    acc[1] += ld
                    acc[2] += rama
                    acc[3] += c
                    acc[4] += atoms
                    acc[5] += right
                    acc[6] += total
                    cells.append((tm, ld, rama, c, atoms, right, total))
                print(f"| {t} | {count} | {cells[0][0]:.3f} | {cells[1][0]:.3f} | {cells[0][1]:.2f} | {cells[1][1]:.2f} "
                      f"| {fav_out(cells[0][2])} | {fav_out(cells[1][2])} "
                      f"| {1000 * cells[0][3] / max(cells[0][4], 1):.1f} | {1000 * cells[1][3] / max(cells[1][4], 1):.1f} "
                      f"| {100 * cells[0][5] / max(cells[0][6], 1):.1f}% | {100 * cells[1][5] / max(cells[1][6], 1):.1f}% |")
            n = len(shared_rows)
            print(f"| **mean / all** | | **{tot[0][0] / n:.3f}** | **{tot[1][0] / n:.3f}** | {tot[0][1] / n:.2f} | {tot[1][1] / n:.2f} "
                  f"| {fav_out(tot[0][2])} | {fav_out(tot[1][2])} "
                  f"| {1000 * tot[0][3] / max(tot[0][4], 1):.1f} | {1000 * tot[1][3] / max(tot[1][4], 1):.1f} "
                  f"| {100 * tot[0][5] / max(tot[0][6], 1):.1f}% | {100 * tot[1][5] / max(tot[1][6], 1):.1f}% |")


def fav_out(rows):
    if not rows:
        return "-"
    fav = sum(q == "favoured" for q, _ in rows) / len(rows)
    out = sum(q == "outlier" for q, _ in rows) / len(rows)
    return f"{100 * fav:.1f}% / {100 * out:.1f}%"


if __name__ == "__main__":
    main()
