//! Decoys as flat numbers, for moving them between the page's Web Workers (src/web.rs,
//! www/pool.js): per trajectory its energy, then its CA trace (x, y, z per residue). Only what
//! [`super::finish`] reads travels; f64 both ways, so the model is the one the CLI builds.

use super::monte_carlo::Decoy;
use crate::geometry::V3;

/// Numbers per trajectory of a `len`-residue chain.
pub fn per_decoy(len: usize) -> usize {
    1 + 3 * len
}

/// Appends `decoy` to `out`.
pub fn pack_into(out: &mut Vec<f64>, decoy: &Decoy) {
    out.push(decoy.energy);
    out.extend(decoy.ca.iter().flatten());
}

/// The CA traces and energies of `decoys` trajectories of `len` residues, as [`super::finish`]
/// takes them.
pub struct Unpacked {
    pub traces: Vec<Vec<V3>>,
    pub energies: Vec<f64>,
}

impl Unpacked {
    pub fn trace_refs(&self) -> Vec<&[V3]> {
        self.traces.iter().map(|t| t.as_slice()).collect()
    }
}

/// `packed` read back as `decoys` trajectories of `len` residues, or why it is not that (its
/// length, or a number that is not finite: it comes from another wasm instance via JS).
pub fn unpack(packed: &[f64], decoys: usize, len: usize) -> Result<Unpacked, String> {
    let per = per_decoy(len);
    if decoys == 0 || packed.len() != decoys * per {
        return Err(format!(
            "the trajectories hold {} numbers, but {decoys} trajectories of {len} residues are {} ({per} each: the energy, then x, y, z per residue)",
            packed.len(),
            decoys * per
        ));
    }
    if let Some(k) = packed.iter().position(|x| !x.is_finite()) {
        return Err(format!("trajectory {} holds a number that is not finite ({})", k / per + 1, packed[k]));
    }
    let traces = packed.chunks_exact(per).map(|c| c[1..].chunks_exact(3).map(|p| [p[0], p[1], p[2]]).collect()).collect();
    let energies = packed.chunks_exact(per).map(|c| c[0]).collect();
    Ok(Unpacked { traces, energies })
}
