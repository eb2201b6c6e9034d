#!/usr/bin/env bash
# Recall of webfold's template search against mmseqs2 (the reference sequence search tool).
#   scripts/search_recall.sh [N] [OUT_DIR]     (N sampled library chains, default 100; runs/recall)
# Queries: N library chains drawn with a fixed seed (every 211th chain from a seeded start, so
# the sample spreads over the library). Both tools search the whole library; self hits are
# ignored. A pair (query, template) that mmseqs2 reports at E < 1e-3 counts as found when
# webfold reports it at E <= 1e-3 ("at threshold"), and at E <= 10 ("at all").
# Needs: the release CLI (cargo build --release) and Debian mmseqs2.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100}"
OUT="${2:-runs/recall}"
BIN="${WEBFOLD_BIN:-${CARGO_TARGET_DIR:-$HOME/.cache/webfold-target}/release/webfold}"
mkdir -p "$OUT"
# The library as FASTA, written by webfold itself (the file both tools search).
echo ">probe
ACDEFGHIKLMNPQRSTVWY" | "$BIN" search - --library-fasta "$OUT/library.fasta" > /dev/null
python3 - "$OUT/library.fasta" "$N" "$OUT/queries.fasta" <<'EOF'
import sys
names, seqs = [], []
for line in open(sys.argv[1]):
    if line.startswith(">"):
        names.append(line[1:].strip()); seqs.append("")
    else:
        seqs[-1] += line.strip()
n = int(sys.argv[2])
step = 211
picked, i = [], 17
while len(picked) < n:
    if len(seqs[i % len(seqs)]) >= 30 and i % len(seqs) not in picked:
        picked.append(i % len(seqs))
    i += step
with open(sys.argv[3], "w") as f:
    for k in picked:
        f.write(f">{names[k]}\n{seqs[k]}\n")
EOF
start=$(date +%s.%N)
mmseqs easy-search "$OUT/queries.fasta" "$OUT/library.fasta" "$OUT/mmseqs.m8" "$OUT/tmp" \
  -s 7.5 -e 1e-3 --threads 2 -v 1 --format-output query,target,evalue,bits,fident > /dev/null
mid=$(date +%s.%N)
"$BIN" search "$OUT/queries.fasta" --template-evalue 10 > "$OUT/webfold.tsv"
end=$(date +%s.%N)
python3 - "$OUT" "$start" "$mid" "$end" <<'EOF'
import sys, collections
out, t0, t1, t2 = sys.argv[1], *map(float, sys.argv[2:])
ref = set()
for line in open(f"{out}/mmseqs.m8"):
    q, t, e, *_ = line.split("\t")
    if q != t and float(e) < 1e-3:
        ref.add((q, t))
ours = {}
for line in list(open(f"{out}/webfold.tsv"))[1:]:
    q, t, e, *_ = line.split("\t")
    if q != t:
        ours[(q, t)] = float(e)
queries = {q for q, _ in ref}
at_thr = sum(1 for p in ref if ours.get(p, 1e9) <= 1e-3)
at_all = sum(1 for p in ref if p in ours)
extra = sum(1 for p, e in ours.items() if e <= 1e-3 and p not in ref)
nq = sum(1 for l in open(f"{out}/queries.fasta") if l.startswith(">"))
print(f"| queries | mmseqs2 pairs (E < 1e-3) | found by webfold at E <= 1e-3 | found at E <= 10 | webfold-only pairs at E <= 1e-3 | mmseqs2 time | webfold time |")
print(f"|---:|---:|---:|---:|---:|---:|---:|")
print(f"| {nq} | {len(ref)} | {at_thr} ({100*at_thr/max(1,len(ref)):.1f}%) | {at_all} ({100*at_all/max(1,len(ref)):.1f}%) | {extra} | {t1-t0:.0f} s | {t2-t1:.0f} s |")
missed = [p for p in ref if p not in ours]
if missed:
    print("\nmissed (query, template):", ", ".join(f"{q}/{t}" for q, t in sorted(missed)[:20]))
EOF
