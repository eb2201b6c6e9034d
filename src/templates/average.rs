//! Template averaging (docs/TEMPLATES.md, Averaging), after the raw model (model.rs, step 1):
//! every templated residue moves to the weighted mean of its own position and the positions
//! the best-ranked other hits give it, each hit superposed on the model by the residues both
//! place. A single template differs from the query's true structure by its own divergence;
//! where several relatives agree within a few angstroms, their mean is on average nearer the
//! query's structure than any one of them (the reason consensus of models works, and what
//! multi-template modelling draws on). Each position weighs the expected lDDT of its pair
//! (choose.rs) raised to a high power, so the most reliable templates dominate; positions
//! further than [`NEAR`] from the model's are left out, so a hit with another conformation
//! there (a hinge, a loop, a misalignment) cannot pull the residue half-way. The residue's
//! source (the template that placed it) is unchanged.

use super::choose::Scored;
use super::library::Library;
use super::model::TraceModel;
use crate::geometry::superpose::superpose_trimmed;
use crate::geometry::{add, dist, scale, V3};

/// The best-ranked hits (choose.rs order, the chosen templates among them) that take part.
/// Chosen with the other constants on the tuning sample (seed 1, 150 chains; docs/TEMPLATES.md,
/// Averaging) from 10, 20 and 40.
pub const VOTERS: usize = 20;
/// A hit's position counts only within this distance (A) of the raw model's; from 2, 3, 4, 5, 6.
pub const NEAR: f64 = 4.0;
/// Each position weighs (expected lDDT / 100) to the power 2^SQUARINGS (16); powers 4, 8, 16
/// and 32 were tried. Squared step by step, so that the page and the CLI do the same arithmetic.
const SQUARINGS: usize = 4;
/// The position the residue's own template gives weighs this many times as much (its pairs
/// are the realigned ones, consistency.rs); from 1 and 2.
const OWN: f64 = 2.0;
/// A hit must share at least this many placed residues with the model to be superposed on it.
const MIN_SHARED: usize = 12;
/// Pairs further apart than this after a superposition are left out of the next one (A).
const TRIM: f64 = 5.0;

/// Moves the templated residues of `trace` (placed by `chosen`) to the weighted mean of their
/// positions in the first [`VOTERS`] of `ranked`.
pub fn average(lib: &Library, trace: &mut TraceModel, chosen: &[Scored], ranked: &[Scored]) {
    let raw = trace.ca.clone();
    let weight = |plddt: f64| (0..SQUARINGS).fold((plddt / 100.0).clamp(0.0, 1.0), |w, _| w * w);
    let mut sum: Vec<V3> = vec![[0.0; 3]; raw.len()];
    let mut total = vec![0.0; raw.len()];
    for (q, p) in raw.iter().enumerate() {
        if trace.source[q].is_some() {
            total[q] = OWN * weight(trace.plddt[q]);
            sum[q] = scale(*p, total[q]);
        }
    }
    for hit in ranked.iter().take(VOTERS) {
        let ca = lib.ca(hit.hit.chain);
        // The hit's pairs and extension, in the order of its expected lDDT.
        let pairs: Vec<((usize, usize), f64)> = hit.hit.pairs.iter().chain(&hit.extension).copied().zip(hit.plddt.iter().copied()).collect();
        let shared: Vec<(V3, V3)> = pairs.iter().filter(|((q, _), _)| trace.source[*q].is_some()).map(|&((q, m), _)| (ca[m], raw[q])).collect();
        if shared.len() < MIN_SHARED {
            continue;
        }
        let onto_model = superpose_trimmed(shared, TRIM, MIN_SHARED);
        for &((q, m), plddt) in &pairs {
            // The residue's own template is already counted (with the realigned pairs).
            let Some(t) = trace.source[q] else { continue };
            if chosen[t].hit.chain == hit.hit.chain {
                continue;
            }
            let at = onto_model.apply(ca[m]);
            if dist(at, raw[q]) < NEAR {
                let w = weight(plddt);
                sum[q] = add(sum[q], scale(at, w));
                total[q] += w;
            }
        }
    }
    for q in 0..raw.len() {
        if total[q] > 0.0 {
            trace.ca[q] = scale(sum[q], 1.0 / total[q]);
        }
    }
}
