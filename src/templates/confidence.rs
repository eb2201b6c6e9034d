//! Per-residue confidence (pLDDT) of a template model, from the local alignment.
//!
//! A logistic function of a few alignment features, fitted against the true CA-lDDT of
//! leave-own-entry-out models of library chains (`scripts/fit_confidence.py`, coefficients in
//! `confidence.json`, calibration in docs/EVALUATION.md). The same expected lDDT ranks templates
//! (`choose.rs`): a template is worth the number of residues it is expected to get right.

use std::sync::OnceLock;

use block_aligner::scores::{Matrix, BLOSUM62};

use super::search::Hit;

/// Half-width of the window for the local identity and score features (residues).
pub const WINDOW: usize = 5;
/// Distances to an alignment gap or end are capped here (residues).
pub const EDGE_CAP: usize = 10;

/// Names of the features of a templated residue, in the order of [`features`] and of the
/// fitted weights.
pub const FEATURES: [&str; 10] = ["identity", "local_identity", "local_score", "log_evalue", "coverage", "edge", "beyond", "others", "agreement", "deviation"];
/// Index of `beyond` in [`Features`]: above 0 exactly for pairs of an alignment's extension.
pub const BEYOND: usize = 6;
/// Distances of extended pairs from the alignment are capped here (residues).
pub const BEYOND_CAP: usize = 20;
/// The other hits a residue's position is compared with (consensus.rs): the most significant.
pub const CONSENSUS_HITS: usize = 10;

/// The features of one templated residue, in the order of [`FEATURES`].
pub type Features = [f64; FEATURES.len()];

/// Coefficients of the fitted model.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Coefficients {
    /// Weights of [`FEATURES`], then the intercept, for templated residues.
    pub templated: Vec<f64>,
    /// For residues no template covers: intercept, weight of the (capped, scaled) distance in
    /// residues to the nearest templated residue, and weight of "placed by a loop of a known
    /// structure" (1, loops.rs) rather than by the arc or helix fill (0).
    pub modelled: Vec<f64>,
    /// The estimated TM-score of a template model: weights of the mean pLDDT (/100), of the
    /// first template's -log10 E (capped at 100, /100) and of its significance (-log10 E capped
    /// to 0..3, /3), then the intercept; fitted against the true TM-score of whole models.
    pub global: Vec<f64>,
    /// The estimated TM-score of the network's own prediction: the network's mean TM-score on
    /// the fit sample's chains without a template (it cannot tell its good folds apart yet).
    pub network_tm: f64,
    /// How the coefficients were obtained.
    pub fitted_on: String,
}

/// The committed coefficients (`src/templates/confidence.json`).
pub fn coefficients() -> &'static Coefficients {
    static C: OnceLock<Coefficients> = OnceLock::new();
    C.get_or_init(|| {
        let c: Coefficients = serde_json::from_str(include_str!("confidence.json")).expect("confidence.json is valid (tested)");
        assert_eq!(c.templated.len(), FEATURES.len() + 1, "confidence.json: templated needs one weight per feature plus an intercept");
        assert_eq!(c.modelled.len(), 3, "confidence.json: modelled needs an intercept and two weights");
        assert_eq!(c.global.len(), 4, "confidence.json: global needs three weights and an intercept");
        assert!((0.0..=1.0).contains(&c.network_tm), "confidence.json: network_tm is a TM-score");
        c
    })
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Mean identity and mean BLOSUM62 score (/5) of the pairs `window`.
fn window_means(window: &[(usize, usize)], query: &[u8], template: &[u8]) -> (f64, f64) {
    let (mut same, mut score) = (0usize, 0i32);
    for &(a, b) in window {
        same += (query[a] == template[b]) as usize;
        score += BLOSUM62.get(query[a], template[b]) as i32;
    }
    let w = window.len().max(1) as f64;
    (same as f64 / w, score as f64 / w / 5.0)
}

/// Features of every pair of `hit`'s alignment, then of every pair of its `extension`
/// (extend.rs), in that order. The local identity and score of an aligned pair are taken over
/// its alignment neighbours, those of an extended pair over its neighbours among all pairs;
/// an extended pair's `edge` is 0 (it is outside the alignment) and its `beyond` its distance
/// in query residues from the nearest aligned pair (capped at [`BEYOND_CAP`], scaled to 1).
///
/// `consensus` holds, in the same order, the last three features (consensus.rs): whether other
/// hits place the residue, the fraction of them that agree, their mean deviation.
pub fn features(hit: &Hit, extension: &[(usize, usize)], query: &[u8], template: &[u8], consensus: &[[f64; 3]]) -> Vec<Features> {
    let n = hit.pairs.len();
    let coverage = hit.coverage(query.len());
    let log_e = (hit.best_evalue().max(1e-300).log10()).clamp(-100.0, 0.0) / -100.0;
    // Gaps: a pair starts a new ungapped block when either sequence jumps.
    let mut block_start = vec![0usize; n];
    let mut block_end = vec![0usize; n];
    let mut s = 0;
    for (k, start) in block_start.iter_mut().enumerate() {
        if k > 0 && (hit.pairs[k].0 != hit.pairs[k - 1].0 + 1 || hit.pairs[k].1 != hit.pairs[k - 1].1 + 1) {
            s = k;
        }
        *start = s;
    }
    let mut e = n.saturating_sub(1);
    for k in (0..n).rev() {
        if k + 1 < n && (hit.pairs[k + 1].0 != hit.pairs[k].0 + 1 || hit.pairs[k + 1].1 != hit.pairs[k].1 + 1) {
            e = k;
        }
        block_end[k] = e;
    }
    let mut out: Vec<Features> = (0..n)
        .map(|k| {
            let (local_identity, local_score) = window_means(&hit.pairs[k.saturating_sub(WINDOW)..(k + WINDOW + 1).min(n)], query, template);
            let edge = (k - block_start[k]).min(block_end[k] - k).min(EDGE_CAP) as f64 / EDGE_CAP as f64;
            let [others, agreement, deviation] = consensus[k];
            [hit.identity, local_identity, local_score, log_e, coverage, edge, 0.0, others, agreement, deviation]
        })
        .collect();
    if extension.is_empty() {
        return out;
    }
    let mut all: Vec<(usize, usize)> = hit.pairs.iter().chain(extension).copied().collect();
    all.sort_unstable();
    let aligned: Vec<usize> = hit.pairs.iter().map(|p| p.0).collect();
    for (e, &(q, t)) in extension.iter().enumerate() {
        let k = all.binary_search(&(q, t)).unwrap_or(0);
        let (local_identity, local_score) = window_means(&all[k.saturating_sub(WINDOW)..(k + WINDOW + 1).min(all.len())], query, template);
        let i = aligned.partition_point(|&a| a < q);
        let nearest = [i.checked_sub(1), (i < aligned.len()).then_some(i)].into_iter().flatten().map(|j| aligned[j].abs_diff(q)).min().unwrap_or(BEYOND_CAP);
        let beyond = nearest.min(BEYOND_CAP) as f64 / BEYOND_CAP as f64;
        let [others, agreement, deviation] = consensus[n + e];
        out.push([hit.identity, local_identity, local_score, log_e, coverage, 0.0, beyond, others, agreement, deviation]);
    }
    out
}

/// Expected CA-lDDT (0..100) of a templated residue with these features.
pub fn templated_plddt(f: &Features) -> f64 {
    let w = &coefficients().templated;
    let x: f64 = f.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + w[FEATURES.len()];
    100.0 * sigmoid(x)
}

/// The estimated TM-score (0..1) of a template model from its mean pLDDT (0..100) and its first
/// template's E-value (the better of the sequence and profile alignments'): how well the whole
/// fold is expected to match, where the pLDDT says how well each residue's neighbourhood does.
pub fn estimated_tm(mean_plddt: f64, best_evalue: f64) -> f64 {
    let w = &coefficients().global;
    let minus_log = -best_evalue.max(1e-300).log10();
    let log_e = minus_log.clamp(0.0, 100.0) / 100.0;
    let significance = minus_log.clamp(0.0, 3.0) / 3.0;
    sigmoid(w[0] * mean_plddt / 100.0 + w[1] * log_e + w[2] * significance + w[3])
}

/// The estimated TM-score of a network prediction (see [`Coefficients::network_tm`]).
pub fn network_estimated_tm() -> f64 {
    coefficients().network_tm
}

/// Expected CA-lDDT (0..100) of a residue no template covers, `gap` residues from the nearest
/// templated one (`None`: no template at all in this model), `closed` when a loop of a known
/// structure placed it (loops.rs).
pub fn modelled_plddt(gap: Option<usize>, closed: bool) -> f64 {
    let w = &coefficients().modelled;
    let d = gap.map_or(1.0, |g| g.min(EDGE_CAP) as f64 / EDGE_CAP as f64);
    100.0 * sigmoid(w[0] + w[1] * d + w[2] * closed as u8 as f64)
}
