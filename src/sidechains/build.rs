//! Side-chain atoms from chi angles: each atom placed from its three parents by its ideal bond
//! length, angle and torsion (geometry::place_sin_cos, the construction that also decodes the
//! template library's CA trace, with portable sines and cosines).

use super::library::ResidueType;
use crate::geometry::portable::sin_cos;
use crate::geometry::{dist, place_sin_cos, V3};

/// N-CD bond length of proline (A): the ring closure PRO's chi2 is chosen for.
const PRO_N_CD: f64 = 1.473;

/// The point at distance `d` from `c`, with angle (b, c, new) `theta` and torsion
/// (a, b, c, new) `tau` (degrees).
pub fn place(a: V3, b: V3, c: V3, d: f64, theta_deg: f64, tau_deg: f64) -> V3 {
    place_sin_cos(a, b, c, d, sin_cos(theta_deg.to_radians()), sin_cos(tau_deg.to_radians()))
}

/// The side-chain atoms (in `residue.atoms` order) for chi angles `chis` (degrees; PRO's
/// second is chosen here to close the ring).
pub fn side_chain(residue: &ResidueType, n: V3, ca: V3, cb: V3, chis: &[f64]) -> Vec<V3> {
    if residue.three == "PRO" {
        return proline(residue, n, ca, cb, chis[0]);
    }
    build(residue, n, ca, cb, chis)
}

fn build(residue: &ResidueType, n: V3, ca: V3, cb: V3, chis: &[f64]) -> Vec<V3> {
    let mut placed: Vec<(&str, V3)> = vec![("N", n), ("CA", ca), ("CB", cb)];
    let mut out = Vec::with_capacity(residue.atoms.len());
    for atom in &residue.atoms {
        let find = |name: &str| placed.iter().find(|(n, _)| *n == name).map(|p| p.1).unwrap_or(ca);
        let [a, b, c] = atom.parents.map(find);
        let torsion = if atom.chi == 0 { atom.torsion_deg } else { atom.torsion_deg + chis.get(atom.chi - 1).copied().unwrap_or(180.0) };
        let p = place(a, b, c, atom.bond, atom.angle_deg, torsion);
        placed.push((atom.name, p));
        out.push(p);
    }
    out
}

/// Proline: chi1 from the library; chi2 (whole degrees, -60..60) the one that puts CD
/// closest to the ring-closing distance from N.
fn proline(residue: &ResidueType, n: V3, ca: V3, cb: V3, chi1: f64) -> Vec<V3> {
    let mut best: Option<(f64, Vec<V3>)> = None;
    for chi2 in -60..=60 {
        let atoms = build(residue, n, ca, cb, &[chi1, chi2 as f64]);
        let miss = (dist(*atoms.last().unwrap_or(&ca), n) - PRO_N_CD).abs();
        if best.as_ref().is_none_or(|(m, _)| miss < *m) {
            best = Some((miss, atoms));
        }
    }
    best.map(|b| b.1).unwrap_or_default()
}
