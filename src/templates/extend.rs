//! Alignment extension: where the local alignment stops short of the ends of both chains, the
//! unaligned residues are paired without gaps.
//!
//! Smith-Waterman stops where the similarity fades, but the fold usually goes on: a terminus
//! that the query and the template both still have often keeps its place in the structure.
//! Copied from the template, such residues are near their true place far more often than the
//! helix the filler would otherwise build (docs/TEMPLATES.md, Extension: +0.009 TM-score on the
//! tuning sample). The same holds for an internal stretch left unaligned in both chains with the
//! same length (an insertion next to a deletion of equal size). Extended pairs stay apart from
//! the alignment: they do not count as coverage when templates are chosen, they only place
//! residues that no template aligns (model.rs), and their pLDDT has its own feature.

use super::search::Hit;

/// Pairs that continue `hit`'s alignment without gaps: from its first pair back towards the
/// start of whichever chain is reached first, across every internal stretch unaligned in
/// both chains with the same length, and from its last pair to the end of the shorter side.
/// In query order, disjoint from `hit.pairs`.
pub fn extension(hit: &Hit, query_len: usize, template_len: usize) -> Vec<(usize, usize)> {
    let (Some(&(qa, ta)), Some(&(qb, tb))) = (hit.pairs.first(), hit.pairs.last()) else {
        return Vec::new();
    };
    let mut out: Vec<(usize, usize)> = (1..=qa.min(ta)).rev().map(|k| (qa - k, ta - k)).collect();
    for w in hit.pairs.windows(2) {
        let (dq, dt) = (w[1].0 - w[0].0, w[1].1 - w[0].1);
        if dq == dt && dq > 1 {
            out.extend((1..dq).map(|k| (w[0].0 + k, w[0].1 + k)));
        }
    }
    let tail = (query_len - 1 - qb).min(template_len - 1 - tb);
    out.extend((1..=tail).map(|k| (qb + k, tb + k)));
    out
}
