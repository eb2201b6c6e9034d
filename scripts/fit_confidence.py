#!/usr/bin/env python3
"""Fit the template pLDDT function (src/templates/confidence.rs) to true CA-lDDT.

    webfold templates-benchmark --seed 1 --n 400 --out runs/fit   # the training sample
    python3 scripts/fit_confidence.py runs/fit/residues.tsv        # -> src/templates/confidence.json
                                                                   #    (also reads runs/fit/chains.tsv)
    python3 scripts/fit_confidence.py runs/fit/residues.tsv --network-only   # after new weights

The model: pLDDT = 100 * sigmoid(w . features + b) for templated residues (features as
confidence.rs computes them), and 100 * sigmoid(b + w * min(gap, 10) / 10 + w' * closed) for
residues no template covers (gap = residues to the nearest templated one; closed = 1 for
residues placed by a loop of a known structure, 0 for the arc and helix fill). Fitted by least squares on
lDDT / 100 (so the output is the expected lDDT) with full-batch Newton-free gradient descent
(Adam), deterministic. The estimated TM-score of a whole template model: sigmoid of the mean
pLDDT and the first template's E-value (global_features), fitted the same way on the true
TM-scores in chains.tsv; of a network prediction, the network's mean TM-score there. Report
the calibration on a *different* sample (seed 0), which the benchmark prints.
"""

import argparse
import json
import os
import sys

import numpy as np

FEATURES = ["identity", "local_identity", "local_score", "log_evalue", "coverage", "edge", "beyond", "others", "agreement", "deviation"]
EDGE_CAP = 10


def global_features(mean_plddt, evalue):
    """As confidence::estimated_tm: mean pLDDT / 100, -log10 E capped to 0..100 / 100, and
    -log10 E capped to 0..3 / 3."""
    minus_log = -np.log10(max(evalue, 1e-300))
    return [mean_plddt / 100, min(max(minus_log, 0), 100) / 100, min(max(minus_log, 0), 3) / 3]


def fit_logistic(x, y, steps=4000, lr=0.05):
    """Least squares of sigmoid(x w + b) against y in [0, 1]; returns (w, b)."""
    n, d = x.shape
    w = np.zeros(d)
    b = 0.0
    m = np.zeros(d + 1)
    v = np.zeros(d + 1)
    for t in range(1, steps + 1):
        z = x @ w + b
        p = 1 / (1 + np.exp(-z))
        g_z = 2 * (p - y) * p * (1 - p) / n
        g = np.concatenate([x.T @ g_z, [g_z.sum()]])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        step = lr * (m / (1 - 0.9 ** t)) / (np.sqrt(v / (1 - 0.999 ** t)) + 1e-12)
        w -= step[:d]
        b -= step[d]
    return w, b


def network_predictions(residues_tsv):
    """The rows of chains.tsv (beside residues.tsv) without a template: the network's predictions."""
    chains_tsv = os.path.join(os.path.dirname(residues_tsv), "chains.tsv")
    with open(chains_tsv) as f:
        head = f.readline().rstrip("\n").split("\t")
        crow = [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f if line.strip()]
    return chains_tsv, crow, [r for r in crow if r["template"] == "-"]


def refit_network_tm(args):
    """--network-only: the network's mean TM-score on the sample replaces network_tm in --out;
    fitted_on says so. Template coefficients are left as they are."""
    chains_tsv, _, net = network_predictions(args.residues)
    if not net:
        sys.exit(f"{chains_tsv}: no network predictions to fit network_tm on")
    with open(args.out) as f:
        out = json.load(f)
    network_tm = float(np.mean([float(r["tm"]) for r in net]))
    old = out["network_tm"]
    out["network_tm"] = round(network_tm, 4)
    out["fitted_on"] += (f"; network_tm refitted by scripts/fit_confidence.py --network-only on "
                         f"{os.path.relpath(chains_tsv)}: mean TM-score of {len(net)} network predictions")
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"network_tm {old} -> {out['network_tm']} ({len(net)} network predictions in {chains_tsv}); wrote {os.path.relpath(args.out)}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("residues", help="residues.tsv from webfold templates-benchmark")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "src", "templates", "confidence.json"))
    ap.add_argument("--network-only", action="store_true",
                    help="refit only network_tm (after the network changed; the template models did not) "
                         "and keep the other coefficients of --out")
    args = ap.parse_args()
    if args.network_only:
        refit_network_tm(args)
        return
    with open(args.residues) as f:
        header = f.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in f if line.strip()]
    col = {h: i for i, h in enumerate(header)}
    chains = {r[col["chain"]] for r in rows}
    templated = [r for r in rows if r[col["templated"]] == "1"]
    filled = [r for r in rows if r[col["templated"]] == "0"]
    if len(templated) < 100:
        sys.exit(f"only {len(templated)} templated residues in {args.residues}: too few to fit")
    x = np.array([[float(r[col[f]]) for f in FEATURES] for r in templated])
    y = np.array([float(r[col["lddt"]]) / 100 for r in templated])
    w, b = fit_logistic(x, y)
    pred = 100 / (1 + np.exp(-(x @ w + b)))
    print(f"templated residues: {len(templated)} in {len(chains)} chains; "
          f"mean |pLDDT - lDDT| {np.mean(np.abs(pred - 100 * y)):.2f} (fit set)")
    modelled = [-1.0, 0.0, 0.0]
    if len(filled) >= 20:
        g = np.array([[min(int(r[col["gap"]]), EDGE_CAP) / EDGE_CAP, float(r[col["closed"]])] for r in filled])
        yf = np.array([float(r[col["lddt"]]) / 100 for r in filled])
        wf, bf = fit_logistic(g, yf)
        modelled = [float(bf), float(wf[0]), float(wf[1])]
        pf = 100 / (1 + np.exp(-(g @ wf + bf)))
        print(f"filled residues: {len(filled)}; mean |pLDDT - lDDT| {np.mean(np.abs(pf - 100 * yf)):.2f} (fit set)")
    # The estimated TM-score of whole models, from chains.tsv beside residues.tsv: template
    # models by a logistic function of the mean pLDDT and the first template's E-value; the
    # network's predictions by the network's mean TM-score (it cannot tell its folds apart).
    chains_tsv, crow, net = network_predictions(args.residues)
    templ = [r for r in crow if r["template"] != "-"]
    if len(templ) < 20 or not net:
        sys.exit(f"{chains_tsv}: {len(templ)} template models and {len(net)} network predictions: too few to fit")
    xg = np.array([global_features(float(r["mean_plddt"]), float(r["evalue"])) for r in templ])
    yg = np.array([float(r["tm"]) for r in templ])
    wg, bg = fit_logistic(xg, yg, steps=8000)
    pg = 1 / (1 + np.exp(-(xg @ wg + bg)))
    network_tm = float(np.mean([float(r["tm"]) for r in net]))
    print(f"estimated TM-score: {len(templ)} template models, mean |estimated - TM| {np.mean(np.abs(pg - yg)):.3f} (fit set); "
          f"network: mean TM-score {network_tm:.3f} over {len(net)} predictions")
    out = {
        "fitted_on": f"scripts/fit_confidence.py on {os.path.relpath(args.residues)}: {len(templated)} templated and "
                     f"{len(filled)} filled residues of {len(chains)} library chains, each modelled with its own PDB entry excluded",
        "templated": [round(float(a), 5) for a in w] + [round(float(b), 5)],
        "modelled": [round(a, 5) for a in modelled],
        "global": [round(float(a), 5) for a in wg] + [round(float(bg), 5)],
        "network_tm": round(network_tm, 4),
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print("weights:", dict(zip(FEATURES + ["intercept"], out["templated"])), "modelled:", out["modelled"])
    print("wrote", os.path.relpath(args.out))


if __name__ == "__main__":
    main()
