//! Choosing the model among the decoys (docs/ASSEMBLY.md, Choice and confidence): the
//! lowest-energy decoys vote, and the one most similar to the others (the centre of the largest
//! family of low-energy folds, as Rosetta's and QUARK's clustering choose) is the model. How
//! much the decoys agree, overall and per residue, is the confidence.

use crate::geometry::superpose::superpose;
use crate::geometry::{dist, V3};

/// TM-score's distance scale d0 for a chain of `l` residues (Zhang and Skolnick 2004).
pub fn d0(l: usize) -> f64 {
    if l > 21 {
        (1.24 * ((l as f64 - 15.0).powf(1.0 / 3.0)) - 1.8).max(0.5)
    } else {
        0.5
    }
}

/// A TM-score between two traces of the same residues (residue i pairs with i): the best of a
/// few superpositions, on all residues and then on those within reach of each other, as
/// TM-score's own search starts. Used to compare decoys, not to evaluate against natives.
pub fn similarity(a: &[V3], b: &[V3]) -> f64 {
    let l = a.len();
    if l < 3 {
        return 1.0;
    }
    let d0 = d0(l);
    let score = |t: &crate::geometry::superpose::Transform| -> (f64, Vec<usize>) {
        let mut s = 0.0;
        let mut close = Vec::new();
        for i in 0..l {
            let d = dist(t.apply(a[i]), b[i]);
            s += 1.0 / (1.0 + (d / d0) * (d / d0));
            if d < 2.0 * d0.max(2.0) {
                close.push(i);
            }
        }
        (s / l as f64, close)
    };
    let mut t = superpose(a, b);
    let (mut best, mut close) = score(&t);
    for _ in 0..4 {
        if close.len() < 3 {
            break;
        }
        let ma: Vec<V3> = close.iter().map(|&i| a[i]).collect();
        let mb: Vec<V3> = close.iter().map(|&i| b[i]).collect();
        t = superpose(&ma, &mb);
        let (s, c) = score(&t);
        if s > best {
            best = s;
        }
        close = c;
    }
    best
}

/// Per-residue CA-lDDT of `model` against `reference` (15 A inclusion radius, thresholds 0.5,
/// 1, 2, 4 A; superposition-free), 0..1.
pub fn lddt_per_residue(model: &[V3], reference: &[V3]) -> Vec<f64> {
    let l = model.len();
    let mut out = vec![0.0; l];
    for i in 0..l {
        let (mut kept, mut total) = (0.0, 0.0);
        for j in 0..l {
            if i == j {
                continue;
            }
            let dr = dist(reference[i], reference[j]);
            if dr >= 15.0 {
                continue;
            }
            let dm = dist(model[i], model[j]);
            let e = (dm - dr).abs();
            kept += [0.5, 1.0, 2.0, 4.0].iter().filter(|&&t| e < t).count() as f64 / 4.0;
            total += 1.0;
        }
        out[i] = if total > 0.0 { kept / total } else { 0.0 };
    }
    out
}

/// The choice among decoys and how much they agree.
#[derive(Clone, Debug)]
pub struct Choice {
    /// Index of the chosen decoy.
    pub chosen: usize,
    /// The voters: the lowest-energy decoys.
    pub voters: Vec<usize>,
    /// Mean similarity of the chosen decoy to the other voters (0..1).
    pub agreement: f64,
    /// Per residue: mean CA-lDDT (0..1) of the other voters against the chosen decoy.
    pub residue_agreement: Vec<f64>,
}

/// Fraction of the decoys (lowest energy first) that vote.
pub const VOTERS: f64 = 0.5;

/// Chooses among decoys (their CA traces and energies).
pub fn choose(traces: &[&[V3]], energies: &[f64]) -> Choice {
    let n = traces.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| energies[a].total_cmp(&energies[b]).then(a.cmp(&b)));
    let k = ((n as f64 * VOTERS).ceil() as usize).clamp(1.min(n), n);
    let voters: Vec<usize> = order[..k].to_vec();
    let mut sim = vec![vec![1.0; k]; k];
    for x in 0..k {
        for y in x + 1..k {
            let s = similarity(traces[voters[x]], traces[voters[y]]);
            sim[x][y] = s;
            sim[y][x] = s;
        }
    }
    // The decoy with the largest summed similarity (ties: lower energy, earlier in `order`).
    let mut best = 0;
    let mut best_sum = f64::NEG_INFINITY;
    for (x, row) in sim.iter().enumerate() {
        let s: f64 = row.iter().enumerate().filter(|&(y, _)| y != x).map(|(_, v)| v).sum();
        if s > best_sum + 1e-12 {
            best_sum = s;
            best = x;
        }
    }
    let chosen = voters[best];
    let others: Vec<usize> = (0..k).filter(|&y| y != best).collect();
    let agreement = if others.is_empty() { 0.0 } else { best_sum / others.len() as f64 };
    let l = traces.first().map_or(0, |t| t.len());
    let mut residue_agreement = vec![0.0; l];
    for &y in &others {
        for (i, v) in lddt_per_residue(traces[voters[y]], traces[chosen]).into_iter().enumerate() {
            residue_agreement[i] += v / others.len() as f64;
        }
    }
    Choice { chosen, voters, agreement, residue_agreement }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helix(l: usize, shift: f64) -> Vec<V3> {
        (0..l).map(|i| {
            let t = i as f64 * 100f64.to_radians();
            [2.3 * t.cos() + shift, 2.3 * t.sin(), 1.5 * i as f64]
        }).collect()
    }

    #[test]
    fn identical_traces_are_fully_similar_and_others_less() {
        let a = helix(40, 0.0);
        let b = helix(40, 5.0);
        assert!((similarity(&a, &b) - 1.0).abs() < 1e-9, "a translation does not matter");
        let straight: Vec<V3> = (0..40).map(|i| [3.8 * i as f64, 0.0, 0.0]).collect();
        assert!(similarity(&a, &straight) < 0.3);
        assert!(lddt_per_residue(&a, &b).iter().all(|&v| (v - 1.0).abs() < 1e-12));
    }

    #[test]
    fn the_centre_of_the_largest_family_is_chosen() {
        let a = helix(30, 0.0);
        let straight: Vec<V3> = (0..30).map(|i| [3.8 * i as f64, 0.0, 0.0]).collect();
        // Five helices and one straight line; the straight one has the lowest energy but is
        // alone among the three voters, so a helix is chosen.
        let traces: Vec<&[V3]> = vec![&straight, &a, &a, &a, &a, &a];
        let c = choose(&traces, &[-10.0, -9.0, -8.0, -7.0, -6.0, -5.0]);
        assert_eq!(c.voters, vec![0, 1, 2]);
        assert_eq!(c.chosen, 1);
        assert!((c.agreement - (1.0 + similarity(&a, &straight)) / 2.0).abs() < 1e-9);
    }
}
