//! Gap closing with fragments of known structures (model step 3a, before the arc fill).
//!
//! A gap the alignment leaves between two templated residues (an insertion in the query, or
//! residues opened by `open_gaps`) needs a chain that leaves one anchor and arrives at the
//! other. Loops of known structures that join two stems placed as the model's stems are placed
//! are far more often right than a smooth arc: ProMod3 closes gaps from a fragment database
//! the same way. Here the database is the CA traces of the library's first chains
//! ([`FRAGMENT_RESIDUES`]), and a fragment for a gap of n residues is n + 4 consecutive residues
//! of one chain whose two residues at each end (the stems) superpose onto the model's two
//! residues on each side of the gap within [`MAX_STEM_RMSD`]. Among those, the one with the
//! lowest stem RMSD whose loop does not come closer than [`MIN_CLASH_DISTANCE`] to the rest of
//! the model is used. Gaps longer than [`MAX_LOOP`], or without two templated residues on each
//! side, keep the arc.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use super::library::Library;
use super::model::TraceModel;
use super::search::is_excluded;
use crate::geometry::superpose::{rmsd, superpose};
use crate::geometry::{dist, v32, v64, V3};

/// Residues (the library's first chains, whole: 4,679 chains, 999,724 residues) whose CA
/// traces make the fragment database.
pub const FRAGMENT_RESIDUES: usize = 1_000_000;
/// Longest gap closed with a fragment (residues).
pub const MAX_LOOP: usize = 12;
/// Largest CA RMSD of a fragment's four stem residues onto the model's (A).
pub const MAX_STEM_RMSD: f64 = 1.0;
/// A loop residue closer than this to a model residue more than two positions away is a clash.
pub const MIN_CLASH_DISTANCE: f64 = 3.5;
/// Candidates (lowest stem RMSD first) checked for clashes before a gap keeps its arc.
const CLASH_CHECKS: usize = 50;
/// Slack of the stem-distance prefilter (A): fragments whose four distances between the stems
/// (inner, outer and the two crossed ones) differ from the model's by more than this are
/// not superposed. Four points within 1 A RMSD rarely have a distance 1.5 A off.
const DISTANCE_SLACK: f32 = 1.5;

/// CA traces of the library's first chains, whole, concatenated, with the offset where each
/// chain starts (segment i is library chain i).
pub struct FragmentDb {
    ca: Vec<[f32; 3]>,
    starts: Vec<usize>,
}

impl FragmentDb {
    /// The first library chains, whole, up to [`FRAGMENT_RESIDUES`] residues in all.
    pub fn new(lib: &Library) -> Self {
        let mut ca = Vec::new();
        let mut starts = vec![0];
        for chain in 0..lib.len() {
            if ca.len() + lib.sequence(chain).len() > FRAGMENT_RESIDUES {
                break;
            }
            ca.extend(lib.ca(chain).into_iter().map(v32));
            starts.push(ca.len());
        }
        FragmentDb { ca, starts }
    }

    pub fn residues(&self) -> usize {
        self.ca.len()
    }
}

/// Distance in f32 (geometry::distance works in f64): the prefilter runs over every database
/// residue for every gap.
fn d32(a: [f32; 3], b: [f32; 3]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// Closes every gap it can between templated residues of `m` with a fragment, marking the
/// residues it places in `m.closed`. Gaps are taken in chain order; each placed loop counts
/// in the clash test of the next. Chains matching `exclude` (entries or chains, as the
/// search's exclusions) give no fragments: a structure predicted as if unknown must not get
/// its own loops back.
pub fn close_gaps(m: &mut TraceModel, db: &FragmentDb, lib: &Library, exclude: &[String]) {
    let allowed: Vec<bool> = (0..db.starts.len() - 1).map(|chain| !is_excluded(lib.name(chain), exclude)).collect();
    let l = m.ca.len();
    let known: Vec<usize> = (0..l).filter(|&i| m.source[i].is_some()).collect();
    for w in known.windows(2) {
        let (a, b) = (w[0], w[1]);
        let n = b - a - 1;
        if n == 0 || n > MAX_LOOP || a == 0 || b + 1 >= l || m.source[a - 1].is_none() || m.source[b + 1].is_none() {
            continue;
        }
        if let Some(loop_ca) = best_fragment(m, db, &allowed, a, b) {
            for (k, p) in loop_ca.into_iter().enumerate() {
                m.ca[a + 1 + k] = p;
                m.closed[a + 1 + k] = true;
            }
        }
    }
}

/// The stem CAs of the fragment of a gap of `n` residues starting at database residue `p`:
/// its first two residues and its last two.
fn fragment_stems(db: &FragmentDb, p: usize, n: usize) -> [V3; 4] {
    let q = p + n + 2;
    [v64(db.ca[p]), v64(db.ca[p + 1]), v64(db.ca[q]), v64(db.ca[q + 1])]
}

/// An RMSD rounded to 1e-6 A, ordered (never NaN: a superposition of finite points).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Quantised(f64);

impl Eq for Quantised {}

impl PartialOrd for Quantised {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantised {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The six pairs of four points, ordered so that each two consecutive pairs cover all four
/// (01/23, 02/13, 03/12): the pairings of [`rmsd_lower_bound`].
const PAIRS: [(usize, usize); 6] = [(0, 1), (2, 3), (0, 2), (1, 3), (0, 3), (1, 2)];

/// The distances between four points, in [`PAIRS`] order.
fn pair_distances(p: &[V3; 4]) -> [f64; 6] {
    PAIRS.map(|(i, j)| dist(p[i], p[j]))
}

/// A lower bound of the RMSD of the best superposition of four points on four others, from
/// their [`pair_distances`] `a` and `b` alone: a rigid motion keeps distances, so the distances
/// of a pair differ by at most the two points' deviations d_i + d_j. For one pair, d_i + d_j <=
/// sqrt(2 (d_i^2 + d_j^2)) <= sqrt(8) RMSD; for a pairing of all four points, the sum of the two
/// differences is at most d_0 + d_1 + d_2 + d_3 <= 4 RMSD.
fn rmsd_lower_bound(a: &[f64; 6], b: &[f64; 6]) -> f64 {
    let e: [f64; 6] = std::array::from_fn(|k| (a[k] - b[k]).abs());
    let single = e.iter().copied().fold(0.0, f64::max) / 8f64.sqrt();
    let paired = e.chunks(2).map(|p| p[0] + p[1]).fold(0.0, f64::max) / 4.0;
    single.max(paired)
}

/// The loop CAs (residues a+1 .. b-1, in the model's frame) of the best clash-free fragment.
fn best_fragment(m: &TraceModel, db: &FragmentDb, allowed: &[bool], a: usize, b: usize) -> Option<Vec<V3>> {
    let n = b - a - 1;
    let stems = [m.ca[a - 1], m.ca[a], m.ca[b], m.ca[b + 1]];
    let s32 = stems.map(v32);
    // Stem pairs (0/1 on the N side, 2/3 on the C side) whose distances span the gap.
    let spans = [(1, 2), (0, 3), (0, 2), (1, 3)];
    let want = spans.map(|(i, j)| d32(s32[i], s32[j]));
    let stem_distances = pair_distances(&stems);
    // The CLASH_CHECKS lowest (stem RMSD, position) so far, worst on top. Helical stems match
    // hundreds of thousands of fragments; a fragment whose distances already bound its RMSD
    // above the worst kept one is not superposed (the kept set is the same).
    let mut best: BinaryHeap<(Quantised, usize)> = BinaryHeap::with_capacity(CLASH_CHECKS + 1);
    for (c, _) in db.starts.windows(2).zip(allowed).filter(|(_, &ok)| ok) {
        let (start, end) = (c[0], c[1]);
        if end - start < n + 4 {
            continue;
        }
        for p in start..=end - (n + 4) {
            let q = p + n + 2;
            let at = [db.ca[p], db.ca[p + 1], db.ca[q], db.ca[q + 1]];
            if spans.iter().zip(&want).any(|(&(i, j), &w)| (d32(at[i], at[j]) - w).abs() > DISTANCE_SLACK) {
                continue;
            }
            let mobile = fragment_stems(db, p, n);
            if best.len() == CLASH_CHECKS && best.peek().is_some_and(|worst| rmsd_lower_bound(&pair_distances(&mobile), &stem_distances) > worst.0 .0 + 1e-6) {
                continue;
            }
            let r = rmsd(&superpose(&mobile, &stems), &mobile, &stems);
            if r <= MAX_STEM_RMSD {
                // Quantised so that ties break by position alike on every platform.
                best.push((Quantised((r * 1e6).round() / 1e6), p));
                if best.len() > CLASH_CHECKS {
                    best.pop();
                }
            }
        }
    }
    let candidates = best.into_sorted_vec();
    let others: Vec<V3> = (0..m.ca.len()).filter(|&i| (i + 2 < a || i > b + 2) && (m.source[i].is_some() || m.closed[i])).map(|i| m.ca[i]).collect();
    for &(_, p) in &candidates {
        let t = superpose(&fragment_stems(db, p, n), &stems);
        let loop_ca: Vec<V3> = (p + 2..p + n + 2).map(|i| t.apply(v64(db.ca[i]))).collect();
        if loop_ca.iter().all(|x| others.iter().all(|o| dist(*x, *o) >= MIN_CLASH_DISTANCE)) {
            return Some(loop_ca);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_distance_bound_never_exceeds_the_superposition_rmsd() {
        // Random four-point sets, the second a noisy copy of the first (rotated, moved): the
        // bound is below the RMSD of the best superposition, and not trivially zero.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5
        };
        let mut tight = 0;
        for round in 0..2000 {
            let noise = [0.0, 0.1, 0.5, 2.0][round % 4];
            let a: [V3; 4] = std::array::from_fn(|_| [8.0 * next(), 8.0 * next(), 8.0 * next()]);
            let (s, c) = (next() * 6.0).sin_cos();
            let b: [V3; 4] = std::array::from_fn(|i| [c * a[i][0] - s * a[i][1] + 3.0 + noise * next(), s * a[i][0] + c * a[i][1] + noise * next(), a[i][2] - 1.0 + noise * next()]);
            let r = rmsd(&superpose(&a, &b), &a, &b);
            let bound = rmsd_lower_bound(&pair_distances(&a), &pair_distances(&b));
            assert!(bound <= r + 1e-9, "bound {bound} above the RMSD {r}");
            if bound > 0.3 * r {
                tight += 1;
            }
        }
        assert!(tight > 500, "the bound is rarely informative ({tight} of 2000)");
    }
}
