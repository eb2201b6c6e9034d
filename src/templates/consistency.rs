//! Consistency realignment (docs/TEMPLATES.md, Consistency): each chosen template's alignment
//! is redrawn from its own pairs and the votes of the most significant other hits (after the
//! choice, which compares the search's independent alignments). Another hit O aligns query residue
//! q to its residue m; superposed on the template T (by the query residues both align), O's
//! residue m lies next to some residue j of T, so O says "q goes with T's j". Where T's own
//! alignment and most of the others agree, nothing changes; where T's alignment is shifted (the
//! typical error at 20-30% identity, near gaps) and closer relatives of the query place the
//! residue elsewhere on T, their structures outvote it. The new alignment is the heaviest chain
//! of votes that keeps both sequences in order, the idea of T-Coffee's consistency library
//! carried by the templates' structures.

use std::collections::BTreeMap;

use super::library::Library;
use super::search::Hit;
use crate::geometry::pairs::grid_pairs;
use crate::geometry::superpose::superpose_trimmed;
use crate::geometry::{dist, V3};

/// Hits that vote on each realignment (the most significant). Every hit's vote, its own
/// alignment's included, weighs its identity to the query: a close relative of the query has
/// the more reliable alignment. Chosen on the tuning sample (seed 1, 150 chains; docs/TEMPLATES.md,
/// Consistency) with the own alignment weighing 0.7, 1, 1.5 or 2.5 times as much, the
/// identity squared or not at all, 40 voters, and 2.5 A for NEAR: this is the best.
pub const VOTERS: usize = 20;
/// Least weight of a vote (a hit with no identical pair still counts).
const MIN_WEIGHT: f64 = 0.05;
/// A voter must share at least this many aligned query residues with the template.
const MIN_SHARED: usize = 12;
/// A voter's residue votes for the template residue nearest to it, if within this distance (A).
const NEAR: f64 = 3.0;
/// Cost of a gap (a step of the new alignment that is not diagonal), in votes: without it the
/// chain hops between near-parallel diagonals of different voters, and every hop is a gap the
/// model must close with a loop. Chosen on the tuning sample from 0, 0.2, 0.5, 1, 1.5 and 2
/// (docs/TEMPLATES.md, Consistency).
const GAP: f64 = 1.5;
/// Pairs further apart than this after a superposition are left out of the next one (A).
const TRIM: f64 = 5.0;

/// `hit` with its alignment redrawn from its own pairs and the votes of the first [`VOTERS`]
/// of `voters` (most significant first; `hit` itself among them is skipped); identity follows
/// the new pairs. E-values and scores stay those of the search.
pub fn realign(lib: &Library, query: &[u8], voters: &[Hit], hit: &Hit) -> Hit {
    let weight = |h: &Hit| h.identity.max(MIN_WEIGHT);
    let ca_t = lib.ca(hit.chain);
    let mut votes: BTreeMap<(usize, usize), f64> = BTreeMap::new();
    let mut at_t = vec![None; query.len()];
    for &(q, j) in &hit.pairs {
        *votes.entry((q, j)).or_default() += weight(hit);
        at_t[q] = Some(j);
    }
    for o in voters.iter().filter(|o| o.chain != hit.chain).take(VOTERS) {
        let ca_o = lib.ca(o.chain);
        let shared: Vec<(V3, V3)> = o.pairs.iter().filter_map(|&(q, m)| Some((ca_o[m], ca_t[at_t[q]?]))).collect();
        if shared.len() < MIN_SHARED {
            continue;
        }
        let tr = superpose_trimmed(shared, TRIM, MIN_SHARED);
        let w = weight(o);
        for (q, j) in nearest_template_residues(&ca_t, o.pairs.iter().map(|&(q, m)| (q, tr.apply(ca_o[m])))) {
            *votes.entry((q, j)).or_default() += w;
        }
    }
    let pairs = heaviest_chain(votes, GAP);
    if pairs.is_empty() {
        return hit.clone();
    }
    let template = lib.sequence(hit.chain);
    let same = pairs.iter().filter(|&&(q, j)| query[q] == template[j]).count();
    Hit { identity: same as f64 / pairs.len() as f64, pairs, ..hit.clone() }
}

/// The set of cells (q, j) in which both q and j strictly increase with the largest total
/// weight less `gap` for every step that is not a diagonal one ((q, j) -> (q + 1, j + 1)): a
/// longest-increasing-subsequence sweep over q with a prefix-maximum tree over j, plus the
/// diagonal neighbour, which continues without the penalty.
fn heaviest_chain(votes: BTreeMap<(usize, usize), f64>, gap: f64) -> Vec<(usize, usize)> {
    // In (q, j) order: the map is sorted.
    let cells: Vec<((usize, usize), f64)> = votes.into_iter().collect();
    let width = cells.iter().map(|c| c.0 .1).max().map_or(0, |m| m + 1);
    // Fenwick tree of (best total, cell) over template positions 1..=width.
    let mut tree: Vec<(f64, usize)> = vec![(f64::NEG_INFINITY, usize::MAX); width + 1];
    let mut best = vec![(0.0, usize::MAX); cells.len()];
    let mut start = 0;
    while start < cells.len() {
        let q = cells[start].0 .0;
        let end = start + cells[start..].iter().take_while(|c| c.0 .0 == q).count();
        for c in start..end {
            let j = cells[c].0 .1;
            // Start a chain here, or jump from the best chain ending before (q, j) (rows before
            // q only: this row is not in the tree yet), or continue the diagonal.
            let mut from = (0.0, usize::MAX);
            let mut i = j;
            let mut jump = (f64::NEG_INFINITY, usize::MAX);
            while i > 0 {
                if tree[i].0 > jump.0 {
                    jump = tree[i];
                }
                i &= i - 1;
            }
            if jump.0 - gap > from.0 {
                from = (jump.0 - gap, jump.1);
            }
            if q > 0 && j > 0 {
                if let Ok(d) = cells[..start].binary_search_by(|x| x.0.cmp(&(q - 1, j - 1))) {
                    if best[d].0 >= from.0 {
                        from = (best[d].0, d);
                    }
                }
            }
            best[c] = (from.0 + cells[c].1, from.1);
        }
        for c in start..end {
            let mut i = cells[c].0 .1 + 1;
            while i <= width {
                if best[c].0 > tree[i].0 {
                    tree[i] = (best[c].0, c);
                }
                i += i & i.wrapping_neg();
            }
        }
        start = end;
    }
    let mut c = (0..cells.len()).max_by(|&a, &b| best[a].0.total_cmp(&best[b].0)).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    while c != usize::MAX {
        out.push(cells[c].0);
        c = best[c].1;
    }
    out.reverse();
    out
}

/// For each (query residue, position) of a voter moved onto the template, the query residue
/// and the template residue nearest to the position, where one is within [`NEAR`] (the relax's
/// spatial grid finds the candidates).
fn nearest_template_residues(ca_t: &[V3], moved: impl Iterator<Item = (usize, V3)>) -> Vec<(usize, usize)> {
    let moved: Vec<(usize, V3)> = moved.collect();
    // Points 0..n are the template's residues, the voter's follow.
    let n = ca_t.len();
    let points: Vec<(u32, V3)> = ca_t.iter().copied().chain(moved.iter().map(|m| m.1)).enumerate().map(|(i, p)| (i as u32, p)).collect();
    let mut nearest: Vec<Option<(f64, usize)>> = vec![None; moved.len()];
    grid_pairs(&points, NEAR, |a, b| {
        let (t, v) = (a.min(b) as usize, a.max(b) as usize);
        if t >= n || v < n {
            return;
        }
        let d = dist(ca_t[t], moved[v - n].1);
        if d < NEAR && nearest[v - n].is_none_or(|(best, j)| d < best || (d == best && t < j)) {
            nearest[v - n] = Some((d, t));
        }
    });
    moved.iter().zip(nearest).filter_map(|(&(q, _), near)| Some((q, near?.1))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Best total of a chain strictly increasing in both coordinates, less `gap` per
    /// non-diagonal step, by the quadratic DP.
    fn brute_force(cells: &[((usize, usize), f64)], gap: f64) -> f64 {
        let mut best: Vec<f64> = Vec::with_capacity(cells.len());
        for (c, &((q, j), w)) in cells.iter().enumerate() {
            let before = (0..c)
                .filter(|&p| cells[p].0 .0 < q && cells[p].0 .1 < j)
                .map(|p| if cells[p].0 == (q - 1, j - 1) { best[p] } else { best[p] - gap })
                .fold(0.0, f64::max);
            best.push(before + w);
        }
        best.into_iter().fold(0.0, f64::max)
    }

    #[test]
    fn the_heaviest_chain_is_increasing_and_as_heavy_as_the_quadratic_dp_finds() {
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        for round in 0..600 {
            let gap = [0.0, 0.5, 3.0][round % 3];
            let mut votes = BTreeMap::new();
            for _ in 0..1 + state % 40 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let cell = ((state % 15) as usize, ((state >> 8) % 15) as usize);
                *votes.entry(cell).or_insert(0.0) += 0.1 + (state >> 20) as f64 % 7.0;
            }
            let cells: Vec<((usize, usize), f64)> = votes.clone().into_iter().collect();
            let chain = heaviest_chain(votes.clone(), gap);
            assert!(chain.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1), "{chain:?} is not increasing");
            let jumps = chain.windows(2).filter(|w| w[1] != (w[0].0 + 1, w[0].1 + 1)).count();
            let total: f64 = chain.iter().map(|c| votes[c]).sum::<f64>() - gap * jumps as f64;
            assert!((total - brute_force(&cells, gap)).abs() < 1e-9, "gap {gap}: {total} against {}", brute_force(&cells, gap));
        }
    }
}
