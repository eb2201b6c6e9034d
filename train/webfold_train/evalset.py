"""Writes an evaluation set from a .wfd split: native PDB files (N, CA, C), a FASTA file and an
id list, in the layout `webfold eval` reads (the same as ../shared/eval/casp13).

    python -m webfold_train.evalset --data data/val.wfd --out data/val_eval --n 50
"""
import argparse
import os

import numpy as np

from . import dataset

THREE = dict(zip("ARNDCQEGHILKMFPSTWYVX",
                 "ALA ARG ASN ASP CYS GLN GLU GLY HIS ILE LEU LYS MET PHE PRO SER THR TRP TYR VAL UNK".split()))


def native_pdb(chain) -> str:
    lines, serial = [], 1
    for i, (aa, xyz) in enumerate(zip(chain.seq, chain.xyz), start=1):
        for name, (x, y, z) in zip(("N", "CA", "C"), xyz):
            lines.append(f"ATOM  {serial:5d}  {name:<3s} {THREE.get(aa, 'UNK')} A{i:4d}    "
                         f"{x:8.3f}{y:8.3f}{z:8.3f}  1.00  0.00           {name[0]}")
            serial += 1
    return "\n".join(lines + ["TER", "END", ""])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--n", type=int, default=50, help="number of chains (seeded sample)")
    p.add_argument("--min-len", type=int, default=40)
    p.add_argument("--max-len", type=int, default=400)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    chains = [c for c in dataset.read_wfd(args.data) if args.min_len <= len(c.seq) <= args.max_len]
    chains.sort(key=lambda c: c.name)
    rng = np.random.default_rng(args.seed)
    pick = sorted(rng.choice(len(chains), size=min(args.n, len(chains)), replace=False))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "eval.fasta"), "w") as fa, open(os.path.join(args.out, "ids.txt"), "w") as ids:
        for i in pick:
            c = chains[i]
            with open(os.path.join(args.out, f"{c.name}.pdb"), "w") as f:
                f.write(native_pdb(c))
            fa.write(f">{c.name}\n{c.seq}\n")
            ids.write(c.name + "\n")
    print(f"wrote {len(pick)} chains of {len(chains)} eligible to {args.out}")


if __name__ == "__main__":
    main()
