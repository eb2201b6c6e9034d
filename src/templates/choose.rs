//! Template choice: rank hits by what they give the model, and add further templates for the
//! parts of the query (domains) the first one does not cover.
//!
//! A hit's value is the sum of the expected lDDT of the residues it aligns (confidence.rs): the
//! number of residues it is expected to place correctly. So a short 100%-identical domain ranks
//! below a 40%-identical hit that covers the whole chain, and a long weak hit below a shorter
//! strong one when it is expected to get fewer residues right.

use super::confidence::{features, templated_plddt, Features, CONSENSUS_HITS};
use super::consensus::consensus;
use super::consistency::realign;
use super::extend::extension;
use super::library::Library;
use super::search::Hit;

/// At most this many templates go into one model.
pub const MAX_TEMPLATES: usize = 4;
/// A further template is used when it covers at least this many query residues that the
/// templates chosen so far leave uncovered.
pub const MIN_NEW_RESIDUES: usize = 20;

/// A hit, its alignment's extension (extend.rs) and the expected lDDT (0..100) of each pair.
#[derive(Debug, Clone)]
pub struct Scored {
    pub hit: Hit,
    /// Pairs that continue the alignment without gaps (disjoint from `hit.pairs`).
    pub extension: Vec<(usize, usize)>,
    /// Confidence features (confidence.rs) of each pair of `hit.pairs`, then of `extension`.
    pub features: Vec<Features>,
    /// Expected lDDT of each pair, in the order of `features`.
    pub plddt: Vec<f64>,
    /// Sum of `plddt` / 100: expected number of correctly placed residues.
    pub value: f64,
}

/// Extends every hit's alignment and scores its pairs (expected lDDT), best value first.
pub fn rank(lib: &Library, query: &[u8], hits: &[Hit]) -> Vec<Scored> {
    let extensions: Vec<Vec<(usize, usize)>> = hits.iter().map(|h| extension(h, query.len(), lib.sequence(h.chain).len())).collect();
    let agreement = consensus(lib, query.len(), hits, &extensions);
    let mut scored: Vec<Scored> = hits
        .iter()
        .zip(extensions)
        .zip(&agreement)
        .map(|((h, extension), agreement)| {
            let template = lib.sequence(h.chain);
            let features = features(h, &extension, query, template, agreement);
            let plddt: Vec<f64> = features.iter().map(templated_plddt).collect();
            let value = plddt.iter().sum::<f64>() / 100.0;
            Scored { hit: h.clone(), extension, features, plddt, value }
        })
        .collect();
    scored.sort_by(|a, b| b.value.total_cmp(&a.value).then(b.hit.score.cmp(&a.hit.score)).then(a.hit.chain.cmp(&b.hit.chain)));
    scored
}

/// The templates for one model: the best-ranked hit, then (in rank order) every hit that adds
/// at least [`MIN_NEW_RESIDUES`] uncovered query residues, up to [`MAX_TEMPLATES`]. Only the
/// aligned pairs cover residues: an extension alone does not keep out a template that aligns.
pub fn choose(ranked: &[Scored], query_len: usize) -> Vec<Scored> {
    let mut covered = vec![false; query_len];
    let mut chosen: Vec<Scored> = Vec::new();
    for s in ranked {
        if chosen.len() == MAX_TEMPLATES {
            break;
        }
        let new = s.hit.pairs.iter().filter(|p| !covered[p.0]).count();
        if chosen.is_empty() || new >= MIN_NEW_RESIDUES {
            for p in &s.hit.pairs {
                covered[p.0] = true;
            }
            chosen.push(s.clone());
        }
    }
    chosen
}

/// The templates for one model and every hit ranked, as the model step takes them. Templates
/// are ranked and chosen on the search's own alignments: their structural consensus (a
/// confidence feature) must compare independent alignments. Only then are the chosen ones
/// realigned with the others' votes (consistency.rs) and scored again ([`realign_chosen`]).
pub fn choose_and_realign(lib: &Library, query: &[u8], hits: &[Hit]) -> (Vec<Scored>, Vec<Scored>) {
    let ranked = rank(lib, query, hits);
    let chosen = choose(&ranked, query.len());
    realign_chosen(lib, query, hits, &ranked, &chosen)
}

/// The chosen templates with their alignments redrawn by consistency (consistency.rs) and
/// scored again (extension, features, expected lDDT) among the other hits, in the same order;
/// and `ranked` with those entries replaced (the model's bridging hits come from it).
pub fn realign_chosen(lib: &Library, query: &[u8], hits: &[Hit], ranked: &[Scored], chosen: &[Scored]) -> (Vec<Scored>, Vec<Scored>) {
    let is_chosen = |chain: usize| chosen.iter().any(|c| c.hit.chain == chain);
    // Only the chosen hits need scoring again; their structural consensus compares them with
    // the first CONSENSUS_HITS hits, so those come along (as the search ordered them).
    let subset: Vec<Hit> = hits
        .iter()
        .enumerate()
        .filter(|&(i, h)| i < CONSENSUS_HITS || is_chosen(h.chain))
        .map(|(_, h)| if is_chosen(h.chain) { realign(lib, query, hits, h) } else { h.clone() })
        .collect();
    let scored = rank(lib, query, &subset);
    let again = |s: &Scored| if is_chosen(s.hit.chain) { scored.iter().find(|r| r.hit.chain == s.hit.chain).cloned().unwrap_or_else(|| s.clone()) } else { s.clone() };
    (chosen.iter().map(again).collect(), ranked.iter().map(again).collect())
}
