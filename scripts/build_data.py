#!/usr/bin/python3
"""Build webfold's training set from Debian's promod3-data StructureDB (docs/DATA.md).

Run with Debian's interpreter (promod3 is only importable there), from the repository root:

    /usr/bin/python3 scripts/build_data.py [--out data] [--seed 0]

Needs: python3-promod3 (promod3-data's StructureDB), numpy, the `mmseqs` binary (mmseqs2).

Steps
1. Dump every chain of the StructureDB: name = PDB id + chain name, sequence (anything outside
   the 20 standard letters -> 'X'), backbone N, CA, C. Chains shorter than --min-len residues or
   whose geometry does not fit the format are dropped and counted, never silently.
2. Leakage filter: mmseqs easy-search in both directions between all chains and the 20 CASP13
   targets (../shared/eval/casp13/casp13.fasta): targets as queries against all chains
   (-s 7.5, --max-seqs 100000) and all chains as queries against the targets
   (--exhaustive-search: every pair aligned, e-values relative to the 20-sequence database, so
   more permissive). Every chain with e-value < 1e-3 in either is removed (casp13_hits.tsv).
3. mmseqs easy-cluster of the remaining chains (--min-seq-id 0.3 -c 0.8 --cov-mode 0).
4. Split by whole clusters: clusters are shuffled with --seed; ~--val-frac of them go to
   validation while it stays within --val-max-chains chains; the rest is training.
5. Write train.wfd, val.wfd (train/webfold_train/dataset.py), clusters.tsv (representative,
   member), casp13_hits.tsv, stats.json; measure the reconstruction error by reading the files back.
"""

import argparse
import collections
import json
import os
import random
import shutil
import subprocess
import sys
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "train"))
from webfold_train.dataset import Chain, encode_chain, read_wfd, write_wfd  # noqa: E402

STANDARD = set("ARNDCQEGHILKMFPSTWYV")
GAP_CA_CA = 4.2  # A: consecutive CAs further apart than this are a chain break


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


def run(cmd, logfile):
    log("$", " ".join(cmd))
    with open(logfile, "a") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}), see {logfile}: {' '.join(cmd)}")


def read_fasta(path):
    recs, name = [], None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith(">"):
                name = line[1:].split()[0]
                recs.append([name, ""])
            elif line:
                recs[-1][1] += line
    return [(n, s) for n, s in recs]


def write_fasta(path, recs):
    with open(path, "w") as f:
        for name, seq in recs:
            f.write(f">{name}\n{seq}\n")


def rebuild_o(n, ca, c):
    """O from N/CA/C (docs/DESIGN.md D5): in the plane of CA_i, C_i, N_{i+1}, C=O 1.23 A, along
    the bisector of the C->CA and C->N_{i+1} directions, pointing away. Last residue: none."""
    u = ca[:-1] - c[:-1]
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    w = n[1:] - c[:-1]
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    d = -(u + w)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    return c[:-1] + 1.23 * d


def dump_db(min_len, limit=0):
    from promod3 import loop
    db = loop.LoadStructureDB()
    n_entries = db.GetNumCoords()
    if limit:
        n_entries = min(limit, n_entries)
    chains, dropped = [], collections.defaultdict(list)
    nonstd = collections.Counter()
    names = collections.Counter()
    gaps = {"chains_with_gap": 0, "gaps": 0, "max_ca_ca": 0.0, "examples": []}
    min_ca_ca = []
    bond = {"N-CA": [np.inf, 0.0], "CA-C": [np.inf, 0.0], "C-N(next, no gap)": [np.inf, 0.0]}
    o_err = []
    odd = {"residues": 0, "chains": 0}  # N-CA or CA-C outside 1.3..1.7 A
    seq_mismatch = 0
    for i in range(n_entries):
        ci = db.GetCoordInfo(i)
        name = f"{ci.id}{ci.chain_name}"
        names[name] += 1
        if names[name] > 1:
            name = f"{name}_{names[name]}"
        seq = db.GetSequence(i)
        bb = db.GetBackboneList(i)
        L = len(bb)
        if L != len(seq) or L != ci.size:
            dropped["sequence/backbone length mismatch"].append(name)
            continue
        if bb.GetSequence() != seq:
            seq_mismatch += 1
        if L < min_len:
            dropped[f"shorter than {min_len} residues"].append(name)
            continue
        a = np.empty((L, 4, 3))
        for k in range(L):
            for j, v in enumerate((bb.GetN(k), bb.GetCA(k), bb.GetC(k), bb.GetO(k))):
                a[k, j] = (v[0], v[1], v[2])
        clean = "".join(ch if ch in STANDARD else "X" for ch in seq)
        for ch in seq:
            if ch not in STANDARD:
                nonstd[ch] += 1
        xyz = a[:, :3].astype(np.float32)
        try:
            encode_chain(Chain(name, clean, xyz))  # validates (offset ranges, finite, ...)
        except ValueError as e:
            dropped["does not fit the .wfd format"].append(f"{name}: {e}")
            continue
        dca = np.linalg.norm(np.diff(a[:, 1], axis=0), axis=1)
        g = np.nonzero(dca > GAP_CA_CA)[0]
        if g.size:
            gaps["chains_with_gap"] += 1
            gaps["gaps"] += int(g.size)
            if len(gaps["examples"]) < 10:
                gaps["examples"].append(f"{name} after residue {int(g[0])}: {dca[g[0]]:.2f} A")
        if L > 1:
            gaps["max_ca_ca"] = max(gaps["max_ca_ca"], float(dca.max()))
            min_ca_ca.append(float(dca.min()))
        n_odd = np.zeros(L, bool)
        for key, d in (("N-CA", np.linalg.norm(a[:, 1] - a[:, 0], axis=1)),
                       ("CA-C", np.linalg.norm(a[:, 2] - a[:, 1], axis=1))):
            bond[key] = [min(bond[key][0], float(d.min())), max(bond[key][1], float(d.max()))]
            n_odd |= (d < 1.3) | (d > 1.7)
        odd["residues"] += int(n_odd.sum())
        odd["chains"] += int(n_odd.any())
        if L > 1:
            ok = dca <= GAP_CA_CA
            cn = np.linalg.norm(a[1:, 0] - a[:-1, 2], axis=1)[ok]
            if cn.size:
                k = "C-N(next, no gap)"
                bond[k] = [min(bond[k][0], float(cn.min())), max(bond[k][1], float(cn.max()))]
            o = rebuild_o(a[:, 0], a[:, 1], a[:, 2])
            e = np.linalg.norm(o - a[:-1, 3], axis=1)[ok]
            o_err.append(e)
        chains.append(Chain(name, clean, xyz))
        if (i + 1) % 2000 == 0:
            log(f"  dumped {i + 1}/{n_entries}")
    o_err = np.concatenate(o_err) if o_err else np.zeros(0)
    info = {
        "db_entries": n_entries,
        "kept": len(chains),
        "dropped": {k: {"count": len(v), "examples": v[:20]} for k, v in dropped.items()},
        "duplicate_names_renamed": sum(c - 1 for c in names.values() if c > 1),
        "nonstandard_letters_to_X": dict(nonstd),
        "promod3_backbone_seq_differs_from_db_seq": seq_mismatch,
        "gaps_ca_ca_gt_%.1f_A" % GAP_CA_CA: gaps,
        "min_consecutive_ca_ca_A": float(np.min(min_ca_ca)) if min_ca_ca else None,
        "bond_length_range_A": {k: [round(v[0], 3), round(v[1], 3)] for k, v in bond.items()},
        "kept_with_N-CA_or_CA-C_outside_1.3-1.7_A": odd,
        "o_rebuild_vs_db_O_A": {
            "method": "bisector in plane CA_i,C_i,N_i+1, C=O 1.23 A (last residue and gaps excluded)",
            "rms": round(float(np.sqrt(np.mean(o_err ** 2))), 4) if o_err.size else None,
            "p99": round(float(np.percentile(o_err, 99)), 4) if o_err.size else None,
            "max": round(float(o_err.max()), 4) if o_err.size else None,
        },
    }
    return chains, info


def casp13_filter(chains, casp_fasta, work, threads, evalue, sens):
    """Both-direction mmseqs search; returns {chain name: sorted list of targets hit} and rows."""
    targets = read_fasta(casp_fasta)
    write_fasta(os.path.join(work, "all.fasta"), [(c.name, c.seq) for c in chains])
    cols = "query,target,evalue,fident,alnlen,qstart,qend,qlen,tstart,tend,tlen,bits"
    common = ["-e", str(evalue), "--threads", str(threads), "--format-output", cols, "-v", "1"]
    mlog = os.path.join(work, "mmseqs.log")
    out_a = os.path.join(work, "casp13_vs_chains.m8")
    out_b = os.path.join(work, "chains_vs_casp13.m8")
    run(["mmseqs", "easy-search", casp_fasta, os.path.join(work, "all.fasta"), out_a,
         os.path.join(work, "tmp_a"), "-s", str(sens), "--max-seqs", "100000"] + common, mlog)
    run(["mmseqs", "easy-search", os.path.join(work, "all.fasta"), casp_fasta, out_b,
         os.path.join(work, "tmp_b"), "--exhaustive-search"] + common, mlog)
    hits = collections.defaultdict(set)
    rows = []
    for path, flip in ((out_a, True), (out_b, False)):
        with open(path) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if float(p[2]) >= evalue:
                    continue
                chain, target = (p[1], p[0]) if flip else (p[0], p[1])
                hits[chain].add(target)
                rows.append([chain, target, "casp_query" if flip else "chain_query"] + p[2:])
    return {k: sorted(v) for k, v in hits.items()}, rows, [t for t, _ in targets]


def cluster(chains, work, threads, min_seq_id, cov):
    fasta = os.path.join(work, "kept.fasta")
    write_fasta(fasta, [(c.name, c.seq) for c in chains])
    prefix = os.path.join(work, "clu")
    run(["mmseqs", "easy-cluster", fasta, prefix, os.path.join(work, "tmp_c"),
         "--min-seq-id", str(min_seq_id), "-c", str(cov), "--cov-mode", "0",
         "--threads", str(threads), "-v", "1"], os.path.join(work, "mmseqs.log"))
    members = collections.defaultdict(list)
    with open(prefix + "_cluster.tsv") as f:
        for line in f:
            rep, mem = line.split()
            members[rep].append(mem)
    return members, prefix + "_cluster.tsv"


def split(members, seed, val_frac, val_max_chains):
    reps = sorted(members)
    rng = random.Random(seed)
    rng.shuffle(reps)
    want = max(1, round(val_frac * len(reps)))
    val, n_val_chains = [], 0
    for r in reps:
        if len(val) >= want:
            break
        if n_val_chains + len(members[r]) <= val_max_chains:
            val.append(r)
            n_val_chains += len(members[r])
    return set(val)


def recon_error(orig, path):
    back = read_wfd(path)
    assert [c.name for c in back] == [c.name for c in orig]
    err = {"N": [], "CA": [], "C": []}
    for a, b in zip(orig, back):
        assert a.seq == b.seq
        d = np.linalg.norm(b.xyz.astype(np.float64) - a.xyz.astype(np.float64), axis=2)
        for j, k in enumerate(("N", "CA", "C")):
            err[k].append(d[:, j])
    out = {}
    for k, v in err.items():
        v = np.concatenate(v)
        out[k] = {"rms_A": round(float(np.sqrt(np.mean(v ** 2))), 5), "max_A": round(float(v.max()), 5)}
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(REPO, "data"))
    ap.add_argument("--casp13", default=os.path.join(REPO, "..", "shared", "eval", "casp13", "casp13.fasta"))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--min-len", type=int, default=20)
    ap.add_argument("--evalue", type=float, default=1e-3)
    ap.add_argument("--sensitivity", type=float, default=7.5)
    ap.add_argument("--min-seq-id", type=float, default=0.3)
    ap.add_argument("--coverage", type=float, default=0.8)
    ap.add_argument("--val-frac", type=float, default=0.05, help="fraction of clusters for validation")
    ap.add_argument("--val-max-chains", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="debug: only the first N DB entries")
    ap.add_argument("--keep-tmp", action="store_true", help="keep data/tmp_build (mmseqs work dir)")
    args = ap.parse_args()
    t0 = time.time()
    os.makedirs(args.out, exist_ok=True)
    work = os.path.join(args.out, "tmp_build")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)

    log("dumping the promod3 StructureDB")
    chains, dump_info = dump_db(args.min_len, args.limit)
    log(f"kept {len(chains)} of {dump_info['db_entries']} entries; dropped "
        f"{ {k: v['count'] for k, v in dump_info['dropped'].items()} }")
    t_dump = time.time() - t0

    log("CASP13 leakage search")
    hits, hit_rows, targets = casp13_filter(chains, args.casp13, work, args.threads, args.evalue,
                                            args.sensitivity)
    with open(os.path.join(args.out, "casp13_hits.tsv"), "w") as f:
        f.write("chain\ttarget\tdirection\tevalue\tfident\talnlen\tqstart\tqend\tqlen\ttstart\ttend\ttlen\tbits\n")
        for r in sorted(hit_rows):
            f.write("\t".join(r) + "\n")
    per_target = collections.Counter(t for ts in hits.values() for t in ts)
    kept = [c for c in chains if c.name not in hits]
    log(f"removed {len(hits)} chains similar to CASP13 targets: {dict(sorted(per_target.items()))}")

    log("clustering")
    members, tsv = cluster(kept, work, args.threads, args.min_seq_id, args.coverage)
    shutil.copy(tsv, os.path.join(args.out, "clusters.tsv"))
    clustered = {m for ms in members.values() for m in ms}
    assert clustered == {c.name for c in kept}, "mmseqs cluster lost or invented chains"
    val_reps = split(members, args.seed, args.val_frac, args.val_max_chains)
    val_names = {m for r in val_reps for m in members[r]}
    train = [c for c in kept if c.name not in val_names]
    val = [c for c in kept if c.name in val_names]

    log("writing")
    sizes = {}
    for fname, cs in (("train.wfd", train), ("val.wfd", val)):
        sizes[fname] = write_wfd(os.path.join(args.out, fname), cs)
    recon = {f: recon_error(cs, os.path.join(args.out, f)) for f, cs in (("train.wfd", train), ("val.wfd", val))}
    res = {"train": sum(len(c) for c in train), "val": sum(len(c) for c in val)}
    sizes_c = collections.Counter(len(v) for v in members.values())
    stats = {
        "command": " ".join([sys.executable] + sys.argv),
        "source": "Debian promod3-data StructureDB (promod3.loop.LoadStructureDB())",
        "dump": dump_info,
        "casp13_filter": {
            "targets": targets,
            "search": f"union of mmseqs easy-search targets vs chains (-s {args.sensitivity} "
                      f"--max-seqs 100000) and chains vs targets (--exhaustive-search), "
                      f"e-value < {args.evalue}",
            "chains_removed": len(hits),
            "residues_removed": sum(len(c) for c in chains if c.name in hits),
            "chains_removed_per_target": {t: per_target.get(t, 0) for t in targets},
            "targets_with_hits": sorted(per_target),
        },
        "clustering": {
            "command": f"mmseqs easy-cluster --min-seq-id {args.min_seq_id} -c {args.coverage} --cov-mode 0",
            "chains": len(kept),
            "clusters": len(members),
            "singletons": sizes_c.get(1, 0),
            "largest_cluster": max(sizes_c) if sizes_c else 0,
        },
        "split": {
            "seed": args.seed, "val_frac_of_clusters": args.val_frac, "val_max_chains": args.val_max_chains,
            "train": {"clusters": len(members) - len(val_reps), "chains": len(train), "residues": res["train"]},
            "val": {"clusters": len(val_reps), "chains": len(val), "residues": res["val"]},
        },
        "files": {f: {"bytes": sizes[f], "bytes_per_residue": round(sizes[f] / max(1, res[f[:-4]]), 3)}
                  for f in sizes},
        "reconstruction_error": recon,
        "seconds": {"dump": round(t_dump, 1), "total": round(time.time() - t0, 1)},
        "tools": {"mmseqs": subprocess.run(["mmseqs", "version"], capture_output=True, text=True).stdout.strip(),
                  "numpy": np.__version__, "python": sys.version.split()[0]},
    }
    total = sum(sizes.values())
    stats["files"]["total"] = {"bytes": total, "bytes_per_residue": round(total / max(1, sum(res.values())), 3)}
    with open(os.path.join(args.out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=1)
    if not args.keep_tmp:
        shutil.rmtree(work)
    log(f"done in {time.time() - t0:.0f} s: train {len(train)} chains / {res['train']} residues "
        f"({sizes['train.wfd']} B), val {len(val)} chains / {res['val']} residues ({sizes['val.wfd']} B), "
        f"{len(members)} clusters; stats in {os.path.join(args.out, 'stats.json')}")


if __name__ == "__main__":
    main()
