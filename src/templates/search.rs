//! Template search: the query against every library sequence by Smith-Waterman local alignment
//! (BLOSUM62, gap open 11, extend 1, BLAST's convention: a gap of k residues costs 11 + k), with
//! E-values and bit scores from Karlin-Altschul statistics (docs/TEMPLATES.md).
//!
//! Two passes, both with block-aligner (SIMD; SSE/AVX2, NEON or wasm SIMD):
//! 1. scan: every chain, score only. Where the shorter of the two sequences has at most
//!    EXACT_SPAN residues, exactly (one block spanning it whole: exact Smith-Waterman, which
//!    for these pairs costs less than the approximate scan below; measured in
//!    docs/TEMPLATES.md, Search). Where both are longer, with small adaptive blocks (fast, can
//!    underestimate). An adaptive block starts at the first residues of both sequences and
//!    follows the high scores, so a local alignment far off that start (a domain at the far end
//!    of a long template) can be missed; it therefore runs twice, forwards and on both
//!    sequences reversed (which starts from the last residues), and keeps the better score.
//! 2. rescore: the best chains of the scan again, exactly, with a block that spans the shorter
//!    sequence whole (exact Smith-Waterman, exact_block_size): the sequence score, bits and E-value of a hit; and each
//!    of a wider set of the scan's best chains against the template's sequence profile
//!    (profile.rs), score only. A chain is a hit when either alignment is significant: the
//!    profile finds relatives that BLOSUM62 alone misses (docs/TEMPLATES.md, Search).
//! 3. realign: every hit is aligned again to the template's profile with the traceback; that
//!    alignment is the one reported and modelled on.

use block_aligner::scan_block::{Block, PaddedBytes};
use block_aligner::scores::{AAMatrix, Gaps, Matrix, BLOSUM62};

use super::align::{exact_block_size, score_pairs, traced, GAP_EXTEND, GAP_OPEN, NO_X_DROP};
use super::library::Library;
use super::profile::{self, ProfileScores};

/// BLAST's gapped Karlin-Altschul parameters for BLOSUM62 with gaps 11/1.
pub const LAMBDA: f64 = 0.267;
pub const K: f64 = 0.041;
/// Relative entropy and the finite-size correction (alpha, beta) BLAST uses for the
/// effective-length adjustment with these scores.
pub const H: f64 = 0.14;
const ALPHA: f64 = 1.9;
const BETA: f64 = -30.0;
/// block-aligner counts the first gap residue in `open`.
const GAPS: Gaps = Gaps { open: -(GAP_OPEN as i8) - (GAP_EXTEND as i8), extend: -(GAP_EXTEND as i8) };
/// Block sizes of the scan pass (powers of two; block-aligner grows blocks within this range
/// where the alignment needs it). Measured with scripts/search_recall.sh (100 queries, 619
/// mmseqs2 pairs): 32..=64 lost 6 pairs, 32..=128 and 32..=256 none; 128 is 1.5x faster.
const SCAN_BLOCKS: (usize, usize) = (32, 128);
/// Pairs whose shorter sequence has at most this many residues are scanned exactly (blocks of
/// up to 256, the padding every library sequence gets). Measured on library chains as queries
/// (docs/TEMPLATES.md, Search): against the adaptive scan of every pair, 10-25% less time at
/// 60-1200 query residues, and no score underestimated where the query has at most 255.
const EXACT_SPAN: usize = 255;
/// Padding of the library and query sequences: the largest block either pass uses.
const PADDING: usize = 256;
/// Chains rescored exactly: all scan hits with E below this...
const RESCORE_EVALUE: f64 = 10.0;
/// ...but at least this many and at most this many, best scan scores first.
const RESCORE_MIN: usize = 20;
const RESCORE_MAX: usize = 300;
/// Chains (best scan scores first) whose alignment to the template's profile is scored. The
/// profile finds relatives far down the BLOSUM62 scan: on the tuning sample (seed 1), of the
/// 38 chains whose best profile hit had E <= 1e-3 and that had no sequence hit, that hit was
/// within the scan's best 200 for 26, best 1000 for 30 and best 2000 for 31.
const PROFILE_CANDIDATES: usize = 1000;

/// What to search for and what to leave out.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    /// Hits with a larger E-value are not reported.
    pub max_evalue: f64,
    /// PDB entries (4 characters: every chain) or chains (PDB id + chain) never used.
    pub exclude: Vec<String>,
    /// Hits whose identity (identical / aligned pairs) exceeds this fraction are dropped.
    pub max_identity: Option<f64>,
    /// When no hit reaches `max_evalue`, the hits up to this E-value are reported instead, as
    /// tentative templates (a guess at the fold; docs/TEMPLATES.md, Tentative templates). Not
    /// above `max_evalue`: never.
    pub tentative_evalue: f64,
}

/// Default of [`SearchOptions::tentative_evalue`].
pub const TENTATIVE_EVALUE: f64 = 0.1;

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions { max_evalue: 1e-3, exclude: Vec::new(), max_identity: None, tentative_evalue: TENTATIVE_EVALUE }
    }
}

impl SearchOptions {
    /// Options from their text forms, shared by `webfold predict`'s flags and the page's fields
    /// so that both accept and refuse the same values. `names` name the four fields (E-value,
    /// exclusions, identity, tentative E-value) in the messages; empty text means the default.
    /// Exclusions are PDB ids (every chain of the entry) or ids + chain, separated by commas or
    /// white space.
    pub fn from_text(evalue: &str, exclude: &str, max_identity: &str, tentative: &str, names: [&str; 4]) -> Result<Self, String> {
        let mut o = SearchOptions::default();
        let e = evalue.trim();
        if !e.is_empty() {
            o.max_evalue = e.parse::<f64>().ok().filter(|x| x.is_finite() && *x > 0.0).ok_or_else(|| format!("{}: '{e}' is not a positive number", names[0]))?;
        }
        for id in exclude.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
            if id.len() < 4 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("{}: '{id}' is not a PDB id (4 characters, e.g. 1CRN) or a PDB id + chain (1CRNA)", names[1]));
            }
            o.exclude.push(id.to_ascii_uppercase());
        }
        let f = max_identity.trim();
        if !f.is_empty() {
            let v = f.parse::<f64>().ok().filter(|x| (0.0..=1.0).contains(x)).ok_or_else(|| format!("{}: '{f}' is not a fraction between 0 and 1", names[2]))?;
            o.max_identity = Some(v);
        }
        let t = tentative.trim();
        if !t.is_empty() {
            o.tentative_evalue = t.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0).ok_or_else(|| format!("{}: '{t}' is not a number >= 0 (0 switches tentative templates off)", names[3]))?;
        }
        Ok(o)
    }
}

/// One aligned template.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Index of the chain in the library.
    pub chain: usize,
    /// Library name (PDB id + chain id).
    pub name: String,
    /// Exact Smith-Waterman score of the sequence alignment (BLOSUM62 units): the basis of
    /// `bits` and `evalue`.
    pub score: i32,
    pub bits: f64,
    pub evalue: f64,
    /// E-value of the exact alignment to the template's profile (same statistics: its scores
    /// are log-odds in BLOSUM62's units; docs/TEMPLATES.md, Search).
    pub profile_evalue: f64,
    /// Identical pairs / aligned pairs of `pairs` (0..1).
    pub identity: f64,
    /// Aligned (query, template) residue pairs of the profile alignment (profile.rs), 0-based,
    /// in order (gaps are the jumps).
    pub pairs: Vec<(usize, usize)>,
}

impl Hit {
    /// First and last aligned query residue (0-based, inclusive).
    pub fn query_range(&self) -> (usize, usize) {
        (self.pairs.first().map_or(0, |p| p.0), self.pairs.last().map_or(0, |p| p.0))
    }
    /// First and last aligned template residue (0-based, inclusive).
    pub fn template_range(&self) -> (usize, usize) {
        (self.pairs.first().map_or(0, |p| p.1), self.pairs.last().map_or(0, |p| p.1))
    }
    /// Aligned pairs / query length.
    pub fn coverage(&self, query_len: usize) -> f64 {
        self.pairs.len() as f64 / query_len.max(1) as f64
    }
    /// The alignment as two gapped strings of equal length over the aligned ranges (query,
    /// template; '-' where the other has a residue), as alignment viewers and mmseqs2's
    /// qaln/taln show it. Where both skip residues between two pairs, the query's come first.
    pub fn aligned(&self, query: &[u8], template: &[u8]) -> (String, String) {
        let (mut q, mut t) = (String::new(), String::new());
        for (k, &(qi, ti)) in self.pairs.iter().enumerate() {
            if k > 0 {
                let (pq, pt) = self.pairs[k - 1];
                for &c in &query[pq + 1..qi] {
                    q.push(c as char);
                    t.push('-');
                }
                for &c in &template[pt + 1..ti] {
                    q.push('-');
                    t.push(c as char);
                }
            }
            q.push(query[qi] as char);
            t.push(template[ti] as char);
        }
        (q, t)
    }
    /// The hit's significance: the better of the sequence and the profile E-value.
    pub fn best_evalue(&self) -> f64 {
        self.evalue.min(self.profile_evalue)
    }
}

/// Effective search space and E-value of a score, as BLAST computes them: the query and
/// database lengths are shortened by the expected alignment length of a chance hit.
#[derive(Debug, Clone, Copy)]
pub struct Statistics {
    pub query_len: f64,
    pub db_residues: f64,
    pub db_sequences: f64,
    /// Expected length of a chance HSP (the length correction).
    pub length_adjustment: f64,
}

impl Statistics {
    pub fn new(query_len: usize, db_residues: usize, db_sequences: usize) -> Self {
        let (m, n, nseq) = (query_len as f64, db_residues as f64, db_sequences as f64);
        // Fixed point of l = alpha/lambda * (ln K + ln((m - l)(n - N l))) + beta, kept where
        // both effective lengths stay at least 1/K (BLAST's BLAST_ComputeLengthAdjustment).
        let mut l = 0.0f64;
        for _ in 0..20 {
            let mm = (m - l).max(1.0 / K);
            let nn = (n - nseq * l).max(1.0 / K);
            let next = (ALPHA / LAMBDA * (K.ln() + (mm * nn).ln()) + BETA).max(0.0);
            let limit = (m - 1.0 / K).min((n - 1.0 / K) / nseq.max(1.0)).max(0.0);
            let next = next.min(limit);
            if (next - l).abs() < 1e-3 {
                l = next;
                break;
            }
            l = next;
        }
        Statistics { query_len: m, db_residues: n, db_sequences: nseq, length_adjustment: l.floor() }
    }

    pub fn evalue(&self, score: i32) -> f64 {
        let m = (self.query_len - self.length_adjustment).max(1.0);
        let n = (self.db_residues - self.db_sequences * self.length_adjustment).max(1.0);
        K * m * n * (-LAMBDA * score as f64).exp()
    }

    pub fn bits(score: i32) -> f64 {
        (LAMBDA * score as f64 - K.ln()) / std::f64::consts::LN_2
    }
}

/// Library sequences in block-aligner's padded form and the profile score rows, built once per
/// library.
pub struct SearchIndex {
    padded: Vec<PaddedBytes>,
    /// The chains longer than EXACT_SPAN reversed (the adaptive scan's backward pass; shorter
    /// chains are always scanned exactly).
    reversed: Vec<Option<PaddedBytes>>,
    max_len: usize,
    pub profiles: ProfileScores,
}

impl SearchIndex {
    pub fn new(lib: &Library) -> Self {
        let padded: Vec<PaddedBytes> = (0..lib.len()).map(|i| PaddedBytes::from_bytes::<AAMatrix>(lib.sequence(i), PADDING)).collect();
        let reversed = (0..lib.len()).map(|i| (lib.sequence(i).len() > EXACT_SPAN).then(|| reversed(lib.sequence(i)))).collect();
        let max_len = (0..lib.len()).map(|i| lib.sequence(i).len()).max().unwrap_or(0);
        SearchIndex { padded, reversed, max_len, profiles: ProfileScores::new(lib) }
    }
}

/// `sequence` reversed, in the padded form.
fn reversed(sequence: &[u8]) -> PaddedBytes {
    let mut p = PaddedBytes::new::<AAMatrix>(sequence.len(), PADDING);
    p.set_bytes_rev::<AAMatrix>(sequence, PADDING);
    p
}

/// True when `name` is excluded by one of `exclude` (entries or chains, case-insensitive).
pub fn is_excluded(name: &str, exclude: &[String]) -> bool {
    exclude.iter().any(|e| {
        let e = e.trim();
        if e.len() == 4 {
            name.len() >= 4 && name[..4].eq_ignore_ascii_case(e)
        } else {
            name.eq_ignore_ascii_case(e)
        }
    })
}

/// The query in the scan's padded form, forwards and reversed.
struct ScanQuery {
    forward: PaddedBytes,
    reversed: PaddedBytes,
    len: usize,
}

/// One chain's scan score: exact, or the adaptive scan's (possibly an underestimate).
#[derive(Debug, Clone, Copy)]
struct Scanned {
    chain: usize,
    score: i32,
    exact: bool,
}

/// The scan pass over `chains`: exact where the shorter sequence has at most EXACT_SPAN
/// residues, otherwise the better of the forward and the reversed adaptive alignment.
fn scan(query: &ScanQuery, index: &SearchIndex, chains: &[usize]) -> Vec<Scanned> {
    let mut block = Block::<false, true, true>::new(query.len, index.max_len, PADDING);
    chains
        .iter()
        .map(|&i| {
            let target = &index.padded[i];
            let shorter = query.len.min(target.len());
            if shorter <= EXACT_SPAN {
                let size = exact_block_size::<false>(query.len, target.len());
                block.align(&query.forward, target, &BLOSUM62, GAPS, size..=size, NO_X_DROP);
                return Scanned { chain: i, score: block.res().score.max(0), exact: true };
            }
            block.align(&query.forward, target, &BLOSUM62, GAPS, SCAN_BLOCKS.0..=SCAN_BLOCKS.1, NO_X_DROP);
            let forward = block.res().score;
            let backward = index.reversed[i].as_ref().map_or(0, |r| {
                block.align(&query.reversed, r, &BLOSUM62, GAPS, SCAN_BLOCKS.0..=SCAN_BLOCKS.1, NO_X_DROP);
                block.res().score
            });
            Scanned { chain: i, score: forward.max(backward).max(0), exact: false }
        })
        .collect()
}

/// Exact local alignment of `query` and `target` with the traceback: (score, aligned pairs).
pub fn align_exact(query: &[u8], target: &[u8]) -> (i32, Vec<(usize, usize)>) {
    if query.is_empty() || target.is_empty() {
        return (0, Vec::new());
    }
    traced(&exact_block::<true>(query, target), query.len(), target.len(), blosum(query, target))
}

/// BLOSUM62's score of query residue `q` against target residue `t` (indices).
fn blosum<'a>(query: &'a [u8], target: &'a [u8]) -> impl Fn(usize, usize) -> i32 + 'a {
    move |q, t| BLOSUM62.get(query[q], target[t]) as i32
}

/// The exact Smith-Waterman score of `query` and `target` (0 when nothing aligns), without the
/// traceback: what the rescoring needs for the E-value.
pub fn score_exact(query: &[u8], target: &[u8]) -> i32 {
    if query.is_empty() || target.is_empty() {
        return 0;
    }
    exact_block::<false>(query, target).res().score.max(0)
}

/// Exact BLOSUM62 local alignment of `query` and `target` (block size: exact_block_size).
fn exact_block<const TRACE: bool>(query: &[u8], target: &[u8]) -> Block<TRACE, true, true> {
    let size = exact_block_size::<TRACE>(query.len(), target.len());
    let q = PaddedBytes::from_bytes::<AAMatrix>(query, size);
    let t = PaddedBytes::from_bytes::<AAMatrix>(target, size);
    let mut block = Block::<TRACE, true, true>::new(query.len(), target.len(), size);
    block.align(&q, &t, &BLOSUM62, GAPS, size..=size, NO_X_DROP);
    block
}

/// Score of an alignment given as pairs (BLOSUM62, gaps 11/1): the check that the traceback and
/// the score agree.
pub fn pairs_score(query: &[u8], target: &[u8], pairs: &[(usize, usize)]) -> i32 {
    score_pairs(pairs, blosum(query, target))
}

/// Every library chain (not excluded) whose sequence or profile alignment has an exact E-value
/// at most `options.max_evalue`, most significant first; when there is none, those up to
/// `options.tentative_evalue` (tentative templates: every one then has a larger E-value than
/// `max_evalue`, which is how callers tell them apart). `query` is upper-case one-letter codes.
pub fn search(lib: &Library, index: &SearchIndex, query: &[u8], options: &SearchOptions) -> Vec<Hit> {
    let stats = Statistics::new(query.len(), lib.residues(), lib.len());
    let Candidates { chains, sequence_rescored } = candidates(lib, index, query, options);
    let ranked: Vec<(usize, Candidate)> = chains.into_iter().enumerate().collect();
    let rescored = |max_evalue: f64| -> Vec<Hit> { in_parallel(&ranked, |part| part.iter().filter_map(|&(rank, candidate)| rescore(lib, index, query, options, max_evalue, &stats, rank, candidate, sequence_rescored)).collect()) };
    let mut hits = rescored(options.max_evalue);
    // The scan's candidates do not depend on the cutoff, so only the rescoring is repeated.
    if hits.is_empty() && options.tentative_evalue > options.max_evalue {
        hits = rescored(options.tentative_evalue);
    }
    hits.sort_by(|a, b| a.best_evalue().total_cmp(&b.best_evalue()).then(b.score.cmp(&a.score)).then(a.chain.cmp(&b.chain)));
    hits
}

/// Steps 2 and 3 for one candidate (`rank` in the scan's order): the hit, or `None` when
/// neither alignment is significant or the hit is filtered out.
#[allow(clippy::too_many_arguments)]
fn rescore(lib: &Library, index: &SearchIndex, query: &[u8], options: &SearchOptions, max_evalue: f64, stats: &Statistics, rank: usize, candidate: Candidate, sequence_rescored: usize) -> Option<Hit> {
    let chain = candidate.chain;
    let target = lib.sequence(chain);
    let table = index.profiles.template(lib, chain);
    let profile_evalue = stats.evalue(profile::score(query, &table));
    // Beyond the sequence rescoring's share of the scan, the exact sequence score is
    // only needed (for the report) when the profile makes the chain a hit.
    if rank >= sequence_rescored && profile_evalue > max_evalue {
        return None;
    }
    let score = candidate.exact_score.unwrap_or_else(|| score_exact(query, target));
    let evalue = stats.evalue(score);
    if evalue.min(profile_evalue) > max_evalue {
        return None;
    }
    // The model is built on the alignment to the template's profile; the sequence
    // alignment's traceback is needed only when that one finds nothing.
    let (_, realigned) = profile::align(query, &table);
    let pairs = if realigned.is_empty() { align_exact(query, target).1 } else { realigned };
    if pairs.is_empty() {
        return None;
    }
    let same = pairs.iter().filter(|&&(a, b)| query[a] == target[b]).count();
    let identity = same as f64 / pairs.len() as f64;
    if options.max_identity.is_some_and(|m| identity > m) {
        return None;
    }
    Some(Hit { chain, name: lib.name(chain).to_string(), score, bits: Statistics::bits(score), evalue, profile_evalue, identity, pairs })
}

/// What the scan hands to the rescoring: chains best scan score first; the first
/// `sequence_rescored` of them always get the exact sequence score, all of them the profile
/// score.
pub struct Candidates {
    pub chains: Vec<Candidate>,
    pub sequence_rescored: usize,
}

/// A chain worth rescoring, with its exact sequence score when the scan computed it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate {
    pub chain: usize,
    pub exact_score: Option<i32>,
}

/// The scan pass (step 1): the chains worth rescoring exactly.
pub fn candidates(lib: &Library, index: &SearchIndex, query: &[u8], options: &SearchOptions) -> Candidates {
    if query.is_empty() || lib.is_empty() {
        return Candidates { chains: Vec::new(), sequence_rescored: 0 };
    }
    let stats = Statistics::new(query.len(), lib.residues(), lib.len());
    let chains: Vec<usize> = (0..lib.len()).filter(|&i| !is_excluded(lib.name(i), &options.exclude)).collect();
    let q = ScanQuery { forward: PaddedBytes::from_bytes::<AAMatrix>(query, PADDING), reversed: reversed(query), len: query.len() };
    let mut scored = scan_parallel(&q, index, &chains);
    scored.sort_by(|a, b| b.score.cmp(&a.score).then(a.chain.cmp(&b.chain)));
    let sequence_rescored = scored.iter().take_while(|s| stats.evalue(s.score) <= RESCORE_EVALUE).count().clamp(RESCORE_MIN, RESCORE_MAX).min(scored.len());
    let chains = scored.into_iter().take(sequence_rescored.max(PROFILE_CANDIDATES)).map(|s| Candidate { chain: s.chain, exact_score: s.exact.then_some(s.score) }).collect();
    Candidates { chains, sequence_rescored }
}

/// The scan of `chains` on every core (natively; the page's search runs in one worker).
fn scan_parallel(q: &ScanQuery, index: &SearchIndex, chains: &[usize]) -> Vec<Scanned> {
    in_parallel(chains, |part| scan(q, index, part))
}

/// `f` over `items` on every core (at most 8), results in order. The items are handed out in
/// chunks of CHUNK as threads become free, so a part with longer chains does not leave the
/// other cores idle at the end.
#[cfg(not(target_arch = "wasm32"))]
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> Vec<R> + Sync) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const CHUNK: usize = 256;
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    if threads <= 1 || items.len() < 64 {
        return f(items);
    }
    let chunk = CHUNK.min(items.len().div_ceil(threads));
    let next = AtomicUsize::new(0);
    let (f, next) = (&f, &next);
    let mut parts: Vec<(usize, Vec<R>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(move || {
                    let mut done = Vec::new();
                    loop {
                        let start = next.fetch_add(chunk, Ordering::Relaxed);
                        if start >= items.len() {
                            return done;
                        }
                        done.push((start, f(&items[start..(start + chunk).min(items.len())])));
                    }
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("search thread")).collect()
    });
    parts.sort_by_key(|p| p.0);
    parts.into_iter().flat_map(|p| p.1).collect()
}

#[cfg(target_arch = "wasm32")]
fn in_parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&[T]) -> Vec<R> + Sync) -> Vec<R> {
    f(items)
}
