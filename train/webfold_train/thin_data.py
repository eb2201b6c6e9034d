"""A smaller training set for a GPU session whose files must fit the device tool's 64 MiB.

Keeps at most N chains of every sequence cluster (data/clusters.tsv: mmseqs easy-cluster at 30%
identity, the clusters the train/validation split was made by), chosen at random with a fixed
seed, so what is dropped is the redundant members of large families, not families.

    cd train && python3 -m webfold_train.thin_data --data ../data/train.wfd \\
        --clusters ../data/clusters.tsv --max-per-cluster 3 --out ../data/train_c3.wfd

Measured on data/train.wfd (19,831 chains, 4.32 M residues, 14,338 clusters): at most 3 per
cluster keeps 17,905 chains and 89.1% of the residues (2: 83.1%; 1: 68.8%).
"""
import argparse
import collections

import numpy as np

from . import dataset


def thin(chains, member_to_rep, max_per_cluster, seed=0):
    """The chains kept, in their original order; a chain missing from the clusters is its own."""
    by = collections.defaultdict(list)
    for i, c in enumerate(chains):
        by[member_to_rep.get(c.name, c.name)].append(i)
    rng = np.random.Generator(np.random.PCG64(seed))
    keep = []
    for rep in sorted(by):
        idx = by[rep]
        if len(idx) > max_per_cluster:
            idx = rng.choice(idx, size=max_per_cluster, replace=False).tolist()
        keep += idx
    return [chains[i] for i in sorted(keep)]


def read_clusters(path):
    """clusters.tsv rows 'representative<TAB>member' -> {member: representative}."""
    out = {}
    for n, line in enumerate(open(path), 1):
        if line.strip():
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 2:
                raise ValueError(f"{path}:{n}: expected 'representative<TAB>member'")
            out[parts[1]] = parts[0]
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--clusters", required=True)
    p.add_argument("--max-per-cluster", type=int, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.max_per_cluster < 1:
        raise SystemExit("--max-per-cluster must be at least 1")
    chains = dataset.read_wfd(a.data)
    kept = thin(chains, read_clusters(a.clusters), a.max_per_cluster, a.seed)
    dataset.write_wfd(a.out, kept)
    r0, r1 = sum(len(c) for c in chains), sum(len(c) for c in kept)
    print(f"{a.out}: {len(kept)} of {len(chains)} chains, {r1} of {r0} residues ({100 * r1 / r0:.1f}%)")


if __name__ == "__main__":
    main()
