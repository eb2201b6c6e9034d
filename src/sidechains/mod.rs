//! Side chains: the last step from backbone to a full-atom model (docs/SIDECHAINS.md).
//!
//! The templates give CA traces only (the library stores no side chains) and the network
//! predicts N, CA, C; so, as ProMod3 and SWISS-MODEL do after the backbone, every residue's side
//! chain is placed from a backbone-dependent rotamer library (ProMod3's, exported by
//! scripts/build_rotamers.py) with ideal geometry (the wwPDB Chemical Component Dictionary,
//! scripts/build_sidechain_geometry.py), choosing rotamers that are probable for the residue's
//! phi/psi and do not clash ([`pack`]). The atoms use only portable arithmetic
//! (geometry/portable.rs), so the page's files equal the CLI's.

pub mod build;
pub mod library;
pub mod pack;

pub use library::SideChainLibrary;

use crate::geometry::atoms::SideAtom;
use crate::geometry::{v32, Structure};

/// Adds side-chain atoms beyond CB to every residue of `s` that has them (not GLY, ALA or
/// unknown residues), replacing any already there.
pub fn add_side_chains(s: &mut Structure) {
    let lib = SideChainLibrary::get();
    s.side = vec![Vec::new(); s.len()];
    let seq: Vec<char> = s.sequence.chars().collect();
    for (i, atoms) in pack::pack(s, lib) {
        let rt = &lib.residues[&seq[i]];
        s.side[i] = rt.atoms.iter().zip(atoms).map(|(spec, p)| SideAtom { name: spec.name, element: spec.element, pos: v32(p) }).collect();
    }
}
