#!/usr/bin/python3
"""Build ProMod3 models on the template and alignment webfold chose, for comparison.

    /usr/bin/python3 scripts/promod3_models.py --pred DIR --fasta FILE --out DIR [--ids FILE ...]

For every DIR/<id>.pdb that webfold built on a template, reads its first template (the
`REMARK 3 TEMPLATE 1` lines: PDB id, chain, query and template ranges and the alignment as
modelled) and gives that same alignment to ProMod3 (Debian's python3-promod3, the modelling
engine of SWISS-MODEL): `modelling.BuildRawModel` on the template's backbone from the promod3
StructureDB (N, CA, C, O, CB: the coordinates webfold's library is built from), then
`modelling.BuildFromRawModel` (loop modelling from its fragment and structure databases, side
chains, energy minimisation). Writes OUT/<id>.pdb (residue numbers = positions in the query)
and OUT/times.tsv (seconds per model). Needs Debian's python3 with python3-promod3.

Only the modelling differs between the two models of a target: same template, same alignment.
webfold's own model may use further templates and its gapless extension beyond the alignment;
ProMod3 models the aligned range only (as SWISS-MODEL does), so `scripts/compare_models.py`
scores both over the whole target and over the residues both contain. The CASP13 targets are
fair for ProMod3's databases too: every structure in them was deposited before mid-2018.
"""
import argparse
import os
import sys
import time

from ost import io, seq
from promod3 import loop, modelling


def read_fasta(path):
    records, name = {}, None
    for line in open(path):
        line = line.strip()
        if line.startswith(">"):
            name = line[1:].split()[0]
            records[name] = ""
        elif name:
            records[name] += line
    return records


def first_template(pdb_path):
    """(pdb id, chain, query from, template from, query alignment, template alignment) of
    template 1, or None when the model has no template."""
    pdb = chain = None
    qfrom = tfrom = None
    qaln, taln = [], []
    for line in open(pdb_path):
        if not line.startswith("REMARK   3 TEMPLATE 1 "):
            continue
        words = line[len("REMARK   3 TEMPLATE 1 "):].split()
        if words[0] == "PDB":
            pdb, chain = words[1], words[3]
        elif words[0] == "QUERY":
            qfrom = int(words[1].split("-")[0])
            tfrom = int(words[3].split("-")[0])
        elif words[:2] == ["ALN", "QUERY"]:
            qaln.append(words[2])
        elif words[:2] == ["ALN", "TMPL"]:
            taln.append(words[2])
    if pdb is None:
        return None
    return pdb, chain, qfrom, tfrom, "".join(qaln), "".join(taln)


def template_entity(db, pdb, chain):
    """The template chain's backbone as an OST entity, and its sequence (as webfold's library
    holds it: one StructureDB entry per chain, the first when a chain has several)."""
    idx = db.GetCoordIndex(pdb, chain)
    if not idx:
        raise ValueError(f"{pdb} {chain} is not in the StructureDB")
    bb = db.GetBackboneList(idx[0])
    return bb.ToEntity(), db.GetSequence(idx[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pred", required=True, help="webfold's models (DIR/<id>.pdb)")
    ap.add_argument("--fasta", required=True, help="the query sequences")
    ap.add_argument("--out", required=True)
    ap.add_argument("--ids", action="append", help="only these ids (files of one id a line)")
    args = ap.parse_args()
    queries = read_fasta(args.fasta)
    ids = sorted(queries)
    if args.ids:
        wanted = {l.strip() for f in args.ids for l in open(f) if l.strip()}
        ids = [i for i in ids if i in wanted]
    os.makedirs(args.out, exist_ok=True)
    db = loop.LoadStructureDB()
    times = []
    for tid in ids:
        path = os.path.join(args.pred, f"{tid}.pdb")
        tmpl = first_template(path)
        if tmpl is None:
            print(f"{tid}: no template in {path}; skipped", file=sys.stderr)
            continue
        pdb, chain, qfrom, tfrom, qaln, taln = tmpl
        query = queries[tid]
        ent, tseq = template_entity(db, pdb, chain)
        # The alignment covers query qfrom.. and template tfrom..; the rest of the query becomes
        # terminal gaps (ProMod3 leaves those out), the template's flanks are its offset.
        if qaln.replace("-", "") != query[qfrom - 1:qfrom - 1 + len(qaln.replace("-", ""))]:
            raise ValueError(f"{tid}: the alignment's query does not match the sequence at {qfrom}")
        if taln.replace("-", "") != tseq[tfrom - 1:tfrom - 1 + len(taln.replace("-", ""))]:
            raise ValueError(f"{tid}: the alignment's template does not match {pdb} {chain} at {tfrom}")
        q_after = query[qfrom - 1 + len(qaln.replace("-", "")):]
        full_q = query[:qfrom - 1] + qaln + q_after
        full_t = "-" * (qfrom - 1) + taln + "-" * len(q_after)
        aln = seq.CreateAlignment(seq.CreateSequence("query", full_q), seq.CreateSequence("template", full_t))
        aln.AttachView(1, ent.CreateFullView())
        aln.SetSequenceOffset(1, tfrom - 1)
        start = time.time()
        raw = modelling.BuildRawModel(aln)
        model = modelling.BuildFromRawModel(raw)
        seconds = time.time() - start
        io.SavePDB(model, os.path.join(args.out, f"{tid}.pdb"))
        times.append((tid, seconds))
        print(f"{tid}: {pdb} {chain}, {len(query)} residues, {model.residue_count} modelled, {seconds:.1f} s", file=sys.stderr)
    with open(os.path.join(args.out, "times.tsv"), "w") as f:
        f.write("id\tseconds\n")
        for tid, s in times:
            f.write(f"{tid}\t{s:.1f}\n")


if __name__ == "__main__":
    main()
