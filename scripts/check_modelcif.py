#!/usr/bin/env python3
"""Reads every DIR/<id>.cif that `webfold predict --format both` wrote with gemmi and checks it
against DIR/<id>.pdb (also read by gemmi): same atoms in the same order, coordinates within
0.001 A, B-factors (pLDDT) within 0.01, one local pLDDT per residue equal to the CA B-factor,
the global pLDDT their mean, and the model type ("Homology model" exactly when templates are
referenced). Prints one line per file and exits 1 if any check fails.

usage: python3 scripts/check_modelcif.py DIR      (needs `pip install gemmi`)
"""
import sys
from pathlib import Path

import gemmi


def atoms(st):
    return [(r.seqid.num, r.name, a.name, a.pos, a.b_iso) for r in st[0][0] for a in r]


def check(cif_path, pdb_path):
    """Returns (summary, problems) for one pair of files."""
    problems = []
    block = gemmi.cif.read(str(cif_path)).sole_block()
    cif = gemmi.make_structure_from_block(block)
    pdb = gemmi.read_structure(str(pdb_path))
    a, b = atoms(cif), atoms(pdb)
    if len(a) != len(b):
        problems.append(f"{len(a)} atoms in the mmCIF, {len(b)} in the PDB")
    dxyz = db = 0.0
    for x, y in zip(a, b):
        if x[:3] != y[:3]:
            problems.append(f"atom {x[:3]} in the mmCIF where the PDB has {y[:3]}")
            break
        dxyz = max(dxyz, x[3].dist(y[3]))
        db = max(db, abs(x[4] - y[4]))
    if dxyz > 1e-3 + 1e-9:
        problems.append(f"coordinates differ by up to {dxyz:.4f} A")
    if db > 1e-2 + 1e-9:
        problems.append(f"B-factors differ by up to {db:.3f}")
    ca_b = [x[4] for x in b if x[2] == "CA"]
    local = [float(v) for v in block.find_values("_ma_qa_metric_local.metric_value")]
    if len(local) != len(ca_b) or any(abs(p - q) > 1e-2 for p, q in zip(local, ca_b)):
        problems.append(f"{len(local)} local pLDDT values do not match the {len(ca_b)} CA B-factors")
    glob = [float(v) for v in block.find_values("_ma_qa_metric_global.metric_value")]
    mean = sum(ca_b) / max(len(ca_b), 1)
    if len(glob) != 1 or abs(glob[0] - mean) > 0.02:
        problems.append(f"global pLDDT {glob} is not the mean {mean:.2f}")
    templates = list(block.find_values("_ma_template_ref_db_details.db_accession_code"))
    kind = [gemmi.cif.as_string(t) for t in block.find_values("_ma_model_list.model_type")]
    want = "Homology model" if templates else "Ab initio model"
    if kind != [want]:
        problems.append(f"model type {kind}, expected {want!r}")
    summary = (f"{cif_path.name}: {len(cif[0][0])} residues, {len(a)} atoms, max |dxyz| {dxyz:.4f} A, "
               f"max |dB| {db:.3f}, global pLDDT {glob[0] if glob else 'missing'}, "
               f"{kind[0] if kind else 'no model type'}{', templates ' + ' '.join(templates) if templates else ''}")
    return summary, problems


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    cifs = sorted(folder.glob("*.cif"))
    if not cifs:
        sys.exit(f"no .cif files in {folder}")
    failed = 0
    for cif_path in cifs:
        pdb_path = cif_path.with_suffix(".pdb")
        if not pdb_path.exists():
            print(f"FAIL {cif_path.name}: no {pdb_path.name} beside it")
            failed += 1
            continue
        try:
            summary, problems = check(cif_path, pdb_path)
        except Exception as e:  # gemmi's read errors name the file and line
            summary, problems = f"{cif_path.name}: not read", [str(e)]
        print(("FAIL " if problems else "ok   ") + summary + "".join(f"\n       {p}" for p in problems))
        failed += bool(problems)
    print(f"{len(cifs) - failed} of {len(cifs)} mmCIF files read by gemmi {gemmi.__version__} and equal to their PDB")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
