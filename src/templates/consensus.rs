//! Structural consensus of the hits (a confidence feature, confidence.rs): a residue that the
//! other significant hits place where this one does, once they are superposed on it, is more
//! likely right than one where they disagree. The per-residue form of 3D-Jury-style consensus,
//! which model-quality methods use because templates that are wrong rarely agree with each
//! other. Measured before it was adopted (docs/TEMPLATES.md, Confidence): with these three
//! features the pLDDT error on held-out chains fell by about half a point.

use super::confidence::CONSENSUS_HITS;
use super::library::Library;
use super::search::Hit;
use crate::geometry::superpose::superpose;
use crate::geometry::{dist, V3};

/// Other hits that share fewer query residues than this with a hit are not superposed on it.
const MIN_SHARED: usize = 8;
/// A residue agrees with another hit when that hit places it within this distance (A).
const AGREE: f64 = 3.0;
/// Deviations are capped here (A) before they are averaged, then scaled to 0..1.
const DEVIATION_CAP: f64 = 10.0;

/// For every hit, for each of its pairs then each of its extension's (the order of
/// confidence::features): [1 if at least one other hit places that query residue else 0, the
/// fraction of those that place it within 3 A, their mean capped deviation / 10 A] (zeros when
/// none does). The other hits are the [`CONSENSUS_HITS`] most significant (hits come sorted by
/// E-value), each superposed on the hit by the query residues both place.
pub fn consensus(lib: &Library, query_len: usize, hits: &[Hit], extensions: &[Vec<(usize, usize)>]) -> Vec<Vec<[f64; 3]>> {
    let placed = |k: usize| -> Vec<Option<V3>> {
        let ca = lib.ca(hits[k].chain);
        let mut at = vec![None; query_len];
        for &(q, j) in hits[k].pairs.iter().chain(&extensions[k]) {
            at[q] = Some(ca[j]);
        }
        at
    };
    let top: Vec<Vec<Option<V3>>> = (0..hits.len().min(CONSENSUS_HITS)).map(placed).collect();
    (0..hits.len())
        .map(|k| {
            let own;
            let mine: &[Option<V3>] = if k < top.len() {
                &top[k]
            } else {
                own = placed(k);
                &own
            };
            let others: Vec<Vec<Option<V3>>> = top
                .iter()
                .enumerate()
                .filter(|&(o, _)| o != k)
                .filter_map(|(_, other)| {
                    let shared: Vec<(V3, V3)> = mine.iter().zip(other).filter_map(|(a, b)| Some(((*b)?, (*a)?))).collect();
                    if shared.len() < MIN_SHARED {
                        return None;
                    }
                    let (mobile, fixed): (Vec<V3>, Vec<V3>) = shared.into_iter().unzip();
                    let t = superpose(&mobile, &fixed);
                    Some(other.iter().map(|p| p.map(|p| t.apply(p))).collect())
                })
                .collect();
            hits[k]
                .pairs
                .iter()
                .chain(&extensions[k])
                .map(|&(q, _)| {
                    let Some(p) = mine[q] else { return [0.0; 3] };
                    let d: Vec<f64> = others.iter().filter_map(|o| o[q].map(|r| dist(r, p))).collect();
                    if d.is_empty() {
                        return [0.0; 3];
                    }
                    let n = d.len() as f64;
                    [1.0, d.iter().filter(|&&x| x < AGREE).count() as f64 / n, d.iter().map(|x| x.min(DEVIATION_CAP)).sum::<f64>() / n / DEVIATION_CAP]
                })
                .collect()
        })
        .collect()
}
