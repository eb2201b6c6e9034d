//! Exact Smith-Waterman alignment shared by the sequence search ([`super::search`]) and the
//! profile alignment ([`super::profile`]): BLAST's gap costs, the block size that makes an
//! alignment exact and the same on every SIMD back end, the traceback as aligned pairs, and
//! the score of an alignment given as pairs.

use block_aligner::cigar::{Cigar, Operation};
use block_aligner::scan_block::Block;

/// Gap of k residues costs GAP_OPEN + k * GAP_EXTEND (BLAST's 11/1).
pub const GAP_OPEN: i32 = 11;
pub const GAP_EXTEND: i32 = 1;
/// A score drop that never happens for proteins: local alignment over the whole matrix.
pub(crate) const NO_X_DROP: i32 = 1 << 24;

/// The block size of an exact alignment. With the traceback: one block larger than the whole
/// matrix, so the alignment chosen among equal-scoring ones is the same on every SIMD back end
/// (the page's alignment must equal the CLI's; a sliding block broke ties differently with
/// wasm's 8 lanes than with AVX2's 16). Score only: a block that spans the shorter sequence
/// whole; block-aligner can then only slide it along the longer one (the moves it is forced
/// to when the block reaches past a sequence's end), so every cell is still computed (exact
/// Smith-Waterman, tests/templates.rs checks it against a textbook implementation), and about
/// half as many cells as the whole-matrix block for typical pairs.
pub(crate) fn exact_block_size<const TRACE: bool>(query_len: usize, target_len: usize) -> usize {
    let span = if TRACE { query_len.max(target_len) } else { query_len.min(target_len) };
    (span + 1).next_power_of_two().max(block_aligner::L * 2)
}

/// Score and aligned pairs of a finished block with its traceback ((0, no pairs) when nothing
/// scores above 0), `substitution` being the scores it aligned with; the pairs end where the
/// alignment first reaches its score (without_null_tail).
pub(crate) fn traced(block: &Block<true, true, true>, query_len: usize, target_len: usize, substitution: impl Fn(usize, usize) -> i32) -> (i32, Vec<(usize, usize)>) {
    let res = block.res();
    if res.score <= 0 {
        return (0, Vec::new());
    }
    let mut cigar = Cigar::new(query_len, target_len);
    block.trace().cigar(res.query_idx, res.reference_idx, &mut cigar);
    (res.score, without_null_tail(cigar_pairs(&cigar, res.query_idx, res.reference_idx), substitution))
}

/// The aligned (query, template) pairs of a traceback that ends at (query_end, target_end)
/// (exclusive, as block-aligner reports them).
fn cigar_pairs(cigar: &Cigar, query_end: usize, target_end: usize) -> Vec<(usize, usize)> {
    let ops = cigar.to_vec();
    let (mut qi, mut ti) = (query_end, target_end);
    for op in &ops {
        match op.op {
            Operation::M | Operation::Eq | Operation::X => {
                qi -= op.len;
                ti -= op.len;
            }
            Operation::I => qi -= op.len,
            Operation::D => ti -= op.len,
            Operation::Sentinel => {}
        }
    }
    let mut pairs = Vec::with_capacity(query_end - qi);
    for op in &ops {
        match op.op {
            Operation::M | Operation::Eq | Operation::X => {
                for _ in 0..op.len {
                    pairs.push((qi, ti));
                    qi += 1;
                    ti += 1;
                }
            }
            Operation::I => qi += op.len,
            Operation::D => ti += op.len,
            Operation::Sentinel => {}
        }
    }
    pairs
}

/// Score of an alignment given as pairs with `substitution(query index, template index)` and
/// gaps 11/1.
pub(crate) fn score_pairs(pairs: &[(usize, usize)], substitution: impl Fn(usize, usize) -> i32) -> i32 {
    running_scores(pairs, substitution).last().copied().unwrap_or(0)
}

/// The score of each prefix of an alignment given as pairs (gaps 11/1).
fn running_scores(pairs: &[(usize, usize)], substitution: impl Fn(usize, usize) -> i32) -> Vec<i32> {
    let mut s = 0;
    let mut out = Vec::with_capacity(pairs.len());
    for (k, &(qi, ti)) in pairs.iter().enumerate() {
        s += substitution(qi, ti);
        if k > 0 {
            let (pq, pt) = pairs[k - 1];
            for gap in [qi - pq - 1, ti - pt - 1] {
                if gap > 0 {
                    s -= GAP_OPEN + GAP_EXTEND * gap as i32;
                }
            }
        }
        out.push(s);
    }
    out
}

/// The alignment cut after the first pair where it reaches its full score. When several cells
/// hold the best score, block-aligner's choice of the end among them depends on the SIMD width
/// (16 lanes with AVX2, 8 in wasm); a tail that adds nothing is cut so that the CLI and the page
/// report and model the same alignment.
fn without_null_tail(mut pairs: Vec<(usize, usize)>, substitution: impl Fn(usize, usize) -> i32) -> Vec<(usize, usize)> {
    let running = running_scores(&pairs, substitution);
    if let Some(&total) = running.last() {
        let end = running.iter().position(|&s| s == total).unwrap_or(running.len() - 1);
        pairs.truncate(end + 1);
    }
    pairs
}
