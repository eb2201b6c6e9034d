//! Alignment of the query to the template's sequence profile (docs/TEMPLATES.md, Alignment).
//!
//! The search finds templates and computes their E-values with BLOSUM62 (search.rs), as BLAST
//! does. The alignment the model is built on is then recomputed against the template's profile:
//! the StructureDB's HHblits column frequencies of the template, stored in the library as one of
//! 16 profile classes per amino acid (library.rs). A column says which residues the template's
//! family accepts at that position, so a query residue that differs from the template's own but
//! is common in its family scores well, and one the family never has scores badly. At 20-40%
//! identity this places the gaps better than BLOSUM62 alone: measured on the leave-own-entry-out
//! benchmark (seed 1, the tuning sample), mean TM-score 0.787 -> 0.807.
//!
//! Scores are log-odds in BLOSUM62's units (half bits), so the gap costs 11/1 keep their
//! meaning: for template position j with residue b and class frequencies f,
//! p = ALPHA * f + (1 - ALPHA) * P(a | b), score(a) = round(2 log2(p(a) / background(a))),
//! where P(a | b) is BLOSUM62's substitution probability (the pseudo-counts).

use block_aligner::scan_block::{Block, PaddedBytes};
use block_aligner::scores::{AAMatrix, AAProfile, Matrix, Profile, BLOSUM62};

use super::align::{exact_block_size, score_pairs, traced, GAP_EXTEND, GAP_OPEN, NO_X_DROP};
use super::library::Library;
pub use super::library::AA_ORDER;

/// Weight of the template's family frequencies against BLOSUM62's substitution probabilities.
/// Chosen on the tuning sample (seed 1) from 0.5 and 0.8 (TM-score 0.802 and 0.807).
pub const ALPHA: f64 = 0.8;
/// Background amino-acid frequencies (BLOSUM62's, in AA_ORDER).
const BACKGROUND: [f64; 20] = [
    0.074, 0.025, 0.054, 0.054, 0.047, 0.074, 0.026, 0.068, 0.058, 0.099, 0.025, 0.045, 0.039, 0.034, 0.052, 0.057, 0.051, 0.073, 0.013, 0.032,
];
/// Score of a query letter outside the 20 (X): BLOSUM62's typical score for X.
const UNKNOWN_SCORE: i8 = -1;
/// The letters of a profile position as block-aligner stores them: AA_ORDER, then the six
/// other letters of the alphabet (scored UNKNOWN_SCORE).
const PROFILE_LETTERS: &[u8; 26] = b"ACDEFGHIKLMNPQRSTVWYBJOUXZ";

/// Index of an amino-acid letter in [`AA_ORDER`].
pub fn aa_index(letter: u8) -> Option<usize> {
    AA_ORDER.iter().position(|&c| c == letter)
}

/// Score rows (query letter in AA_ORDER -> score) of every (amino acid, profile class), built
/// once per library.
pub struct ProfileScores {
    classes: usize,
    rows: Vec<[i8; 20]>,
}

impl ProfileScores {
    pub fn new(lib: &Library) -> Self {
        let background: f64 = BACKGROUND.iter().sum();
        let bg: Vec<f64> = BACKGROUND.iter().map(|b| b / background).collect();
        let classes = lib.profile_classes();
        let mut rows = Vec::with_capacity(20 * classes);
        for (b, &letter) in AA_ORDER.iter().enumerate() {
            // P(a | b) from BLOSUM62's target frequencies: q_ab = p_a p_b 2^(s_ab / 2).
            let joint: Vec<f64> = AA_ORDER.iter().enumerate().map(|(a, &other)| bg[a] * bg[b] * 2f64.powf(BLOSUM62.get(other, letter) as f64 / 2.0)).collect();
            let total: f64 = joint.iter().sum();
            for class in 0..classes {
                let f = lib.class_frequencies(b, class);
                let mut row = [0i8; 20];
                for a in 0..20 {
                    let p = ALPHA * f[a] + (1.0 - ALPHA) * joint[a] / total;
                    row[a] = (2.0 * (p / bg[a]).log2()).round().clamp(-20.0, 20.0) as i8;
                }
                rows.push(row);
            }
        }
        ProfileScores { classes, rows }
    }

    /// The scores of the 20 query letters (AA_ORDER) against a library column of amino acid
    /// `aa` (AA_ORDER index) in profile class `class`.
    pub fn row(&self, aa: usize, class: usize) -> &[i8; 20] {
        &self.rows[aa * self.classes + class]
    }

    /// The template's scores: 20 per residue (AA_ORDER). A template letter outside the 20 gets
    /// BLOSUM62's row.
    pub fn template(&self, lib: &Library, chain: usize) -> Vec<i8> {
        let seq = lib.sequence(chain);
        let classes = lib.chain_profile_classes(chain);
        let mut out = Vec::with_capacity(20 * seq.len());
        for (&letter, &class) in seq.iter().zip(classes) {
            match aa_index(letter) {
                Some(b) => out.extend_from_slice(&self.rows[b * self.classes + class as usize]),
                None => out.extend(AA_ORDER.iter().map(|&a| BLOSUM62.get(a, letter))),
            }
        }
        out
    }
}

/// Exact local alignment (Smith-Waterman, gaps 11/1) of `query` to a position-specific score
/// table (`scores`: 20 per template residue, AA_ORDER), with the traceback: (score, aligned
/// (query, template) pairs). One block covering the whole matrix, as in search::align_exact.
pub fn align(query: &[u8], scores: &[i8]) -> (i32, Vec<(usize, usize)>) {
    let tlen = scores.len() / 20;
    if query.is_empty() || tlen == 0 {
        return (0, Vec::new());
    }
    traced(&profile_block::<true>(query, scores), query.len(), tlen, table_score(query, scores))
}

/// The table's score of query residue `q` at template residue `t` (indices).
fn table_score<'a>(query: &'a [u8], scores: &'a [i8]) -> impl Fn(usize, usize) -> i32 + 'a {
    move |q, t| aa_index(query[q]).map_or(UNKNOWN_SCORE, |a| scores[20 * t + a]) as i32
}

/// The exact score of [`align`] without the traceback (0 when nothing aligns): what the search
/// needs to decide whether a chain is a hit (search.rs, step 2).
pub fn score(query: &[u8], scores: &[i8]) -> i32 {
    if query.is_empty() || scores.len() < 20 {
        return 0;
    }
    profile_block::<false>(query, scores).res().score.max(0)
}

/// `query` against the score table, exactly (block size: align::exact_block_size).
fn profile_block<const TRACE: bool>(query: &[u8], scores: &[i8]) -> Block<TRACE, true, true> {
    let tlen = scores.len() / 20;
    let size = exact_block_size::<TRACE>(query.len(), tlen);
    let mut profile = AAProfile::new(tlen, size, -(GAP_EXTEND as i8));
    // All 26 letters of every position in one pass (set_all): the 20 scores, then the letters
    // outside the 20 at UNKNOWN_SCORE. Setting them one by one cost as much as the alignment.
    let mut wide = Vec::with_capacity(PROFILE_LETTERS.len() * tlen);
    for row in scores.chunks_exact(20) {
        wide.extend_from_slice(row);
        wide.extend_from_slice(&[UNKNOWN_SCORE; 6]);
    }
    profile.set_all(PROFILE_LETTERS, &wide, 0, 0);
    // A profile's gap opening excludes the first extension (the sequence aligner's includes
    // it): a gap of k residues costs GAP_OPEN + k * GAP_EXTEND in both.
    profile.set_all_gap_open_C(-(GAP_OPEN as i8));
    profile.set_all_gap_close_C(0);
    profile.set_all_gap_open_R(-(GAP_OPEN as i8));
    let q = PaddedBytes::from_bytes::<AAMatrix>(query, size);
    let mut block = Block::<TRACE, true, true>::new(query.len(), tlen, size);
    block.align_profile(&q, &profile, size..=size, NO_X_DROP);
    block
}

/// Score of an alignment given as pairs against a score table (gaps 11/1): the check that the
/// traceback and the score agree.
pub fn pairs_score(query: &[u8], scores: &[i8], pairs: &[(usize, usize)]) -> i32 {
    score_pairs(pairs, table_score(query, scores))
}
