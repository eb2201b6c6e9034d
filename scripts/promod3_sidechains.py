#!/usr/bin/python3
"""Repack the side chains of structures with ProMod3's packer, for comparison with webfold's.

    /usr/bin/python3 scripts/promod3_sidechains.py --native DIR --ids FILE [--ids FILE ...] --out DIR

For every DIR/<id>.pdb: its first chain's backbone, every side chain rebuilt by
`modelling.ReconstructSidechains(keep_sidechains=False)` (Debian's python3-promod3: the same
backbone-dependent rotamer library webfold exports, SCWRL4-like energies with hydrogen bonds,
disulfides and a graph solver), written to OUT/<id>.pdb. Score it like `webfold sidechains`'s
output with scripts/side_chain_accuracy.py --pred OUT. Needs Debian's python3 with
python3-promod3.
"""
import argparse
import os
import sys
import time

from ost import io, mol
from promod3 import modelling


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--native", required=True)
    ap.add_argument("--ids", action="append", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    ids = [l.split()[0] for f in args.ids for l in open(f) if l.strip()]
    for tid in ids:
        ent = io.LoadPDB(os.path.join(args.native, f"{tid}.pdb"))
        first = ent.chains[0].name
        chain = mol.CreateEntityFromView(ent.Select(f"cname='{first}' and peptide=true"), True)
        start = time.time()
        modelling.ReconstructSidechains(chain, keep_sidechains=False)
        io.SavePDB(chain, os.path.join(args.out, f"{tid}.pdb"))
        print(f"{tid}: {chain.residue_count} residues, {time.time() - start:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
