//! Leave-own-entry-out benchmark over the library (`webfold templates-benchmark`): library
//! chains sampled with a fixed seed are predicted with every chain of their own PDB entry
//! excluded, and scored against their own (decoded) CA trace with TMscore and CA-lDDT.
//! Chains without any template are predicted by what `webfold predict` uses then (fragment
//! assembly, or the network: a closure the caller passes, given the exclusions), so that the
//! benchmark scores what a user gets. Writes per-chain and per-residue tables (what
//! `scripts/fit_confidence.py` fits the pLDDT function and the estimated TM-score on) and prints
//! the summary tables of docs/EVALUATION.md.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use super::{predict, SearchOptions, Templates};
use crate::eval::{lddt_ca_per_residue, tmscore_ca};
use crate::geometry::{v32, Structure};

/// One benchmarked chain.
#[derive(Debug, Clone)]
pub struct ChainResult {
    pub name: String,
    pub length: usize,
    /// Best template (first chosen): its E-value (the better of the sequence and the profile
    /// alignment's), identity (0..1); `None` when none was found (the network's prediction).
    pub best: Option<(String, f64, f64)>,
    /// The templates are tentative (no hit reached the E-value cutoff; search.rs).
    pub tentative: bool,
    pub templates: usize,
    /// Fraction of residues copied from a template.
    pub coverage: f64,
    pub tm: f64,
    pub lddt: f64,
    pub mean_plddt: f64,
    /// The model's estimated TM-score (confidence::estimated_tm, or the network's constant).
    pub estimated_tm: f64,
    pub seconds: f64,
    /// The model passes the geometry check (bonds, CA-CA clashes; geometry::check).
    pub valid: bool,
}

/// Chains to benchmark: `n` distinct chains of at least 30 residues, drawn with a seeded
/// xorshift generator (so the same seed gives the same sample on every machine).
pub fn sample(t: &Templates, n: usize, seed: u64) -> Vec<usize> {
    let lib = &t.library;
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let eligible = (0..lib.len()).filter(|&i| lib.sequence(i).len() >= 30).count();
    let mut picked = Vec::new();
    let mut seen = std::collections::HashSet::new();
    while picked.len() < n.min(eligible) {
        let k = (next() % lib.len() as u64) as usize;
        if lib.sequence(k).len() >= 30 && seen.insert(k) {
            picked.push(k);
        }
    }
    picked
}

/// The chains' results, and (pLDDT, true CA-lDDT) for every residue of a modelled chain.
type Outcome = (Vec<ChainResult>, Vec<(f64, f64)>);

/// Runs the benchmark on `chains`, writing `chains.tsv` and `residues.tsv` into `out`. Returns
/// the chains' results and, for every residue of a modelled chain, (pLDDT, true CA-lDDT).
pub fn run(
    t: &Templates,
    chains: &[usize],
    search: &SearchOptions,
    out: &Path,
    mut no_template: impl FnMut(&str, &[String]) -> (Structure, f64),
    mut progress: impl FnMut(&ChainResult),
) -> Result<Outcome, String> {
    let lib = &t.library;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create '{}': {e}", out.display()))?;
    let mut chain_tsv = String::from("chain\tlength\ttemplate\tevalue\tidentity\ttemplates\tcoverage\ttm\tlddt\tmean_plddt\tseconds\ttentative\testimated_tm\tvalid\n");
    let mut res_tsv = format!("chain\tresidue\ttemplated\tgap\tclosed\t{}\tplddt\tlddt\n", super::confidence::FEATURES.join("\t"));
    let mut results = Vec::new();
    let mut residues = Vec::new();
    for &k in chains {
        let name = lib.name(k).to_string();
        let seq = String::from_utf8_lossy(lib.sequence(k)).into_owned();
        let native: Vec<[f32; 3]> = lib.ca(k).into_iter().map(v32).collect();
        let options = SearchOptions { exclude: vec![lib.entry(k).to_string()], ..search.clone() };
        let start = Instant::now();
        let model = predict(t, &seq, &options);
        let from_network;
        let mut no_template_tm = f64::NAN;
        let s: &Structure = match &model {
            Some(m) => &m.structure,
            None => {
                let (structure, estimated) = no_template(&seq, &options.exclude);
                from_network = structure;
                no_template_tm = estimated;
                &from_network
            }
        };
        let seconds = start.elapsed().as_secs_f64();
        let (tm, _) = tmscore_ca(&seq, &s.ca, &seq, &native).map_err(|e| format!("{name}: {e}"))?;
        let per = lddt_ca_per_residue(&s.ca, &native);
        let lddt = per.iter().sum::<f64>() / per.len().max(1) as f64;
        let mean_plddt = s.mean_plddt() as f64;
        let valid = crate::geometry::check(s).is_valid();
        let r = match &model {
            None => ChainResult { name: name.clone(), length: seq.len(), best: None, tentative: false, templates: 0, coverage: 0.0, tm, lddt, mean_plddt, estimated_tm: no_template_tm, seconds, valid },
            Some(m) => {
                let templated: Vec<bool> = m.features.iter().map(Option::is_some).collect();
                let gaps = super::gaps_to_templated(&templated);
                for i in 0..seq.len() {
                    let gap = gaps[i].unwrap_or(usize::MAX);
                    residues.push((s.plddt[i] as f64, per[i]));
                    let f = m.features[i].map(|f| f.iter().map(|x| format!("{x:.4}")).collect::<Vec<_>>().join("\t")).unwrap_or_else(|| vec!["nan"; super::confidence::FEATURES.len()].join("\t"));
                    let _ = writeln!(res_tsv, "{name}\t{}\t{}\t{gap}\t{}\t{f}\t{:.2}\t{:.2}", i + 1, m.features[i].is_some() as u8, m.closed[i] as u8, s.plddt[i], per[i]);
                }
                let first = &m.templates[0];
                ChainResult {
                    name: name.clone(),
                    length: seq.len(),
                    best: Some((format!("{}{}", first.pdb_id, first.chain), first.best_evalue(), first.identity / 100.0)),
                    tentative: first.tentative,
                    templates: m.templates.len(),
                    coverage: templated.iter().filter(|&&x| x).count() as f64 / seq.len() as f64,
                    tm,
                    lddt,
                    mean_plddt,
                    estimated_tm: m.estimated_tm,
                    seconds,
                    valid,
                }
            }
        };
        let (tname, te, ti) = r.best.clone().map_or(("-".to_string(), f64::NAN, f64::NAN), |b| b);
        let _ = writeln!(chain_tsv, "{}\t{}\t{tname}\t{te:.3e}\t{ti:.3}\t{}\t{:.3}\t{:.4}\t{:.2}\t{:.2}\t{:.3}\t{}\t{:.4}\t{}", r.name, r.length, r.templates, r.coverage, r.tm, r.lddt, r.mean_plddt, r.seconds, r.tentative as u8, r.estimated_tm, r.valid as u8);
        progress(&r);
        results.push(r);
    }
    let write = |f: &str, text: &str| std::fs::write(out.join(f), text).map_err(|e| format!("cannot write '{}': {e}", out.join(f).display()));
    write("chains.tsv", &chain_tsv)?;
    write("residues.tsv", &res_tsv)?;
    Ok((results, residues))
}

/// Markdown tables: TM-score by E-value and identity bin of the best template, and the pLDDT
/// calibration from `residues.tsv` rows (pLDDT, true lDDT).
pub fn summary(results: &[ChainResult], residues: &[(f64, f64)]) -> String {
    let mut s = String::new();
    let modelled: Vec<&ChainResult> = results.iter().filter(|r| r.best.is_some()).collect();
    let found: Vec<&ChainResult> = modelled.iter().copied().filter(|r| !r.tentative).collect();
    let tentative: Vec<&ChainResult> = modelled.iter().copied().filter(|r| r.tentative).collect();
    let mean = |xs: &[f64]| if xs.is_empty() { f64::NAN } else { xs.iter().sum::<f64>() / xs.len() as f64 };
    let _ = writeln!(s, "{} chains; a template found for {} ({:.0}%); mean TM-score {:.3}, CA-lDDT {:.1}, residues from templates {:.0}% (over chains with a template)\n",
        results.len(), found.len(), 100.0 * found.len() as f64 / results.len().max(1) as f64,
        mean(&found.iter().map(|r| r.tm).collect::<Vec<_>>()), mean(&found.iter().map(|r| r.lddt).collect::<Vec<_>>()),
        100.0 * mean(&found.iter().map(|r| r.coverage).collect::<Vec<_>>()));
    let _ = writeln!(s, "Tentative templates only (no hit at the cutoff) for {} more ({:.0}%): mean TM-score {:.3}, CA-lDDT {:.1}, mean pLDDT {:.1}; no template at all for {}.\n",
        tentative.len(), 100.0 * tentative.len() as f64 / results.len().max(1) as f64,
        mean(&tentative.iter().map(|r| r.tm).collect::<Vec<_>>()), mean(&tentative.iter().map(|r| r.lddt).collect::<Vec<_>>()),
        mean(&tentative.iter().map(|r| r.mean_plddt).collect::<Vec<_>>()), results.len() - modelled.len());
    let network: Vec<&ChainResult> = results.iter().filter(|r| r.best.is_none()).collect();
    let _ = writeln!(s, "All {} chains, the network's prediction where there is no template: mean TM-score {:.3}, CA-lDDT {:.1} (the network's {} predictions alone: {:.3}, {:.1}).\n",
        results.len(), mean(&results.iter().map(|r| r.tm).collect::<Vec<_>>()), mean(&results.iter().map(|r| r.lddt).collect::<Vec<_>>()),
        network.len(), mean(&network.iter().map(|r| r.tm).collect::<Vec<_>>()), mean(&network.iter().map(|r| r.lddt).collect::<Vec<_>>()));
    let invalid: Vec<&str> = results.iter().filter(|r| !r.valid).map(|r| r.name.as_str()).collect();
    let _ = writeln!(s, "Geometry check (bonds within 0.1 A of ideal, under 1% of CA pairs closer than 3 A): {} of {} models pass{}.\n",
        results.len() - invalid.len(), results.len(), if invalid.is_empty() { String::new() } else { format!("; failing: {}", invalid.join(", ")) });
    let _ = writeln!(s, "| estimated TM-score | chains | mean estimated | mean true TM-score | mean abs(estimated - true) |\n|---|---:|---:|---:|---:|");
    let estimate_row = |s: &mut String, label: &str, rows: &[&ChainResult]| {
        if !rows.is_empty() {
            let m = |f: &dyn Fn(&ChainResult) -> f64| mean(&rows.iter().map(|r| f(r)).collect::<Vec<_>>());
            let _ = writeln!(s, "| {label} | {} | {:.3} | {:.3} | {:.3} |", rows.len(), m(&|r| r.estimated_tm), m(&|r| r.tm), m(&|r| (r.estimated_tm - r.tm).abs()));
        }
    };
    for (lo, hi, label) in [(0.0, 0.3, "< 0.3"), (0.3, 0.5, "0.3-0.5"), (0.5, 0.7, "0.5-0.7"), (0.7, 0.9, "0.7-0.9"), (0.9, 1.01, ">= 0.9")] {
        let rows: Vec<&ChainResult> = modelled.iter().copied().filter(|r| r.estimated_tm >= lo && r.estimated_tm < hi).collect();
        estimate_row(&mut s, label, &rows);
    }
    estimate_row(&mut s, "all template models", &modelled);
    estimate_row(&mut s, "network predictions", &network);
    let _ = writeln!(s);
    // The bins below cover every template model, tentative ones included.
    let table = |s: &mut String, title: &str, bins: &[(f64, f64, &str)], key: &dyn Fn(&ChainResult) -> f64| {
        let _ = writeln!(s, "| {title} | chains | mean TM | mean CA-lDDT | mean pLDDT | coverage |\n|---|---:|---:|---:|---:|---:|");
        for &(lo, hi, label) in bins {
            let rows: Vec<&&ChainResult> = modelled.iter().filter(|r| key(r) >= lo && key(r) < hi).collect();
            if rows.is_empty() {
                continue;
            }
            let m = |f: &dyn Fn(&ChainResult) -> f64| mean(&rows.iter().map(|r| f(r)).collect::<Vec<_>>());
            let _ = writeln!(s, "| {label} | {} | {:.3} | {:.1} | {:.1} | {:.0}% |", rows.len(), m(&|r| r.tm), m(&|r| r.lddt), m(&|r| r.mean_plddt), 100.0 * m(&|r| r.coverage));
        }
        let _ = writeln!(s);
    };
    let log_e = |r: &ChainResult| r.best.as_ref().map_or(f64::NAN, |b| b.1.max(1e-300).log10());
    table(&mut s, "best E-value", &[(-1e9, -50.0, "< 1e-50"), (-50.0, -20.0, "1e-50 - 1e-20"), (-20.0, -10.0, "1e-20 - 1e-10"), (-10.0, -5.0, "1e-10 - 1e-5"), (-5.0, -3.0, "1e-5 - 1e-3"), (-3.0, 1e9, "> 1e-3 (tentative)")], &log_e);
    let ident = |r: &ChainResult| r.best.as_ref().map_or(f64::NAN, |b| b.2);
    table(&mut s, "best identity", &[(0.0, 0.2, "< 20%"), (0.2, 0.3, "20-30%"), (0.3, 0.4, "30-40%"), (0.4, 0.5, "40-50%"), (0.5, 0.7, "50-70%"), (0.7, 0.9, "70-90%"), (0.9, 1.01, ">= 90%")], &ident);
    let _ = writeln!(s, "| pLDDT bin | residues | mean pLDDT | mean true CA-lDDT | mean abs(pLDDT - lDDT) |\n|---|---:|---:|---:|---:|");
    for lo in (0..100).step_by(10) {
        let rows: Vec<&(f64, f64)> = residues.iter().filter(|(p, _)| *p >= lo as f64 && *p < lo as f64 + 10.0 || (lo == 90 && *p == 100.0)).collect();
        if rows.is_empty() {
            continue;
        }
        let n = rows.len() as f64;
        let _ = writeln!(s, "| {}-{} | {} | {:.1} | {:.1} | {:.1} |", lo, lo + 10, rows.len(), rows.iter().map(|r| r.0).sum::<f64>() / n, rows.iter().map(|r| r.1).sum::<f64>() / n, rows.iter().map(|r| (r.0 - r.1).abs()).sum::<f64>() / n);
    }
    let all = residues.len().max(1) as f64;
    let _ = writeln!(s, "| all | {} | {:.1} | {:.1} | {:.1} |", residues.len(), residues.iter().map(|r| r.0).sum::<f64>() / all, residues.iter().map(|r| r.1).sum::<f64>() / all, residues.iter().map(|r| (r.0 - r.1).abs()).sum::<f64>() / all);
    s
}
