#!/usr/bin/env python3
"""Reads every DIR/<id>.cif that `webfold predict --format both` wrote with gemmi and checks it
against DIR/<id>.pdb (also read by gemmi): same atoms in the same order, coordinates within
0.001 A, B-factors (pLDDT) within 0.01, one local pLDDT per residue equal to the CA B-factor,
the global pLDDT their mean, and the model type ("Homology model" exactly when templates are
referenced). With --dictionary DIC, every file is also validated against that DDL2 dictionary by
python-ihm's validator (mandatory items, enumerations, types, parent-child links): for example
ModelCIF's own categories against `base/mmcif_ma-core.dic` of github.com/ihmwg/ModelCIF; the
categories a dictionary does not define (PDBx's, with the ModelCIF core alone) are listed, not
counted as failures. Prints one line per file and exits 1 if any check fails.

usage: python3 scripts/check_modelcif.py DIR [--dictionary DIC]   (needs `pip install gemmi modelcif`)
"""
import re
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
    names = {r[0]: gemmi.cif.as_string(r[1]) for r in block.find("_ma_qa_metric.", ["id", "name"])}
    values = [(names.get(r[0], "?"), float(r[1])) for r in block.find("_ma_qa_metric_global.", ["metric_id", "metric_value"])]
    glob = [v for n, v in values if n == "pLDDT"]
    tm = [v for n, v in values if n == "estimated TM-score"]
    mean = sum(ca_b) / max(len(ca_b), 1)
    if len(glob) != 1 or abs(glob[0] - mean) > 0.02:
        problems.append(f"global pLDDT {glob} is not the mean {mean:.2f}")
    if len(tm) != 1 or not 0 <= tm[0] <= 1:
        problems.append(f"estimated TM-score {tm} is not one number in 0..1")
    templates = list(block.find_values("_ma_template_ref_db_details.db_accession_code"))
    kind = [gemmi.cif.as_string(t) for t in block.find_values("_ma_model_list.model_type")]
    want = "Homology model" if templates else "Ab initio model"
    if kind != [want]:
        problems.append(f"model type {kind}, expected {want!r}")
    summary = (f"{cif_path.name}: {len(cif[0][0])} residues, {len(a)} atoms, max |dxyz| {dxyz:.4f} A, "
               f"max |dB| {db:.3f}, global pLDDT {glob[0] if glob else 'missing'}, estimated TM-score {tm[0] if tm else 'missing'}, "
               f"{kind[0] if kind else 'no model type'}{', templates ' + ' '.join(templates) if templates else ''}")
    return summary, problems


def validate(dictionary, cif_path):
    """Problems python-ihm's validator finds, leaving out categories and keywords the dictionary
    does not define (returned apart)."""
    import ihm.dictionary
    try:
        with open(cif_path) as fh:
            dictionary.validate(fh)
    except ihm.dictionary.ValidatorError as e:
        messages = [m.strip() for m in re.split(r"\n\s*\n", str(e)) if m.strip()]
        undefined = [m for m in messages if m.startswith("The following categories are not defined")
                     or m.startswith("The following keywords are not defined")]
        return [m for m in messages if m not in undefined], undefined
    return [], []


def main():
    args = sys.argv[1:]
    dictionary = None
    if "--dictionary" in args:
        k = args.index("--dictionary")
        if k + 1 >= len(args):
            sys.exit("--dictionary needs a file")
        import ihm.dictionary
        with open(args[k + 1]) as fh:
            dictionary = ihm.dictionary.read(fh)
        del args[k:k + 2]
    if len(args) != 1:
        sys.exit(__doc__)
    folder = Path(args[0])
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
        if dictionary is not None:
            invalid, undefined = validate(dictionary, cif_path)
            problems += invalid
            summary += "; valid against the dictionary" if not invalid else ""
            if undefined and cif_path == cifs[0]:
                print("not in the dictionary (not checked): " + " ".join(u.split(":", 1)[1].strip() for u in undefined))
        print(("FAIL " if problems else "ok   ") + summary + "".join(f"\n       {p}" for p in problems))
        failed += bool(problems)
    print(f"{len(cifs) - failed} of {len(cifs)} mmCIF files read by gemmi {gemmi.__version__} and equal to their PDB")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
