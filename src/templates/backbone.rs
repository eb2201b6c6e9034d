//! N and C rebuilt from a CA trace (the library stores CA only).
//!
//! Each residue's N and C are placed at the mean offsets observed in the StructureDB for
//! residues with the same pair of neighbouring CA virtual torsions, in the local frame of
//! CA_{i-1}, CA_i, CA_{i+1} (a lookup table fitted by `scripts/build_templates.py` and stored in
//! the library; docs/TEMPLATES.md gives its accuracy). The relaxation (D8) then makes the bonds
//! and angles exact.

use super::library::{dihedral, place, BB_BINS};
use crate::geometry::peptides::turn_planes;
use crate::geometry::{add, any_perpendicular, cross, dot, scale, sub, unit, v64, V3};

/// Torsion bin of a virtual torsion in radians (15-degree bins from -180 degrees; +180 wraps to
/// bin 0). The library stores torsions in steps of 360/256 degrees, so every 45-degree bin edge
/// is a stored value and 3.9% of the stored torsions lie exactly on an edge; there the last
/// bit of `atan2` (glibc natively, Rust's libm in wasm) would pick the bin, and the page's model
/// would differ from the CLI's. Values within 1e-6 of a bin (1.5e-5 degrees) are therefore
/// snapped to the edge first.
fn bin(tau: f64) -> usize {
    let x = (tau.to_degrees() + 180.0) / (360.0 / BB_BINS as f64);
    let r = x.round();
    let x = if (x - r).abs() < 1e-6 { r } else { x };
    (x.floor().max(0.0) as usize) % BB_BINS
}

/// The local frame of residue `b` between neighbours `a` and `c`: x along a -> c, y along the
/// bisector pointing away from the neighbours, z = x cross y.
fn frame(a: V3, b: V3, c: V3) -> Option<[V3; 3]> {
    let x = unit(sub(c, a))?;
    let v = add(sub(a, b), sub(c, b));
    let y = unit(sub(v, scale(x, dot(v, x)))).unwrap_or_else(|| any_perpendicular(x));
    Some([x, y, cross(x, y)])
}

/// N and C for every CA of `ca` (the table is [`super::Library::backbone_table`]).
pub fn rebuild_n_c(ca: &[V3], table: &[[f64; 6]]) -> (Vec<V3>, Vec<V3>) {
    let l = ca.len();
    let marginal = BB_BINS;
    let cell = |p: usize, q: usize| table[p * (BB_BINS + 1) + q];
    let mut n = Vec::with_capacity(l);
    let mut c = Vec::with_capacity(l);
    // Phantom neighbours extend the trace by one residue at each end, continuing its last
    // angle with an extended torsion, so that every residue has a frame.
    let ext = |p0: V3, p1: V3, p2: V3| -> V3 {
        let ang = {
            let u = unit(sub(p0, p1)).unwrap_or([1.0, 0.0, 0.0]);
            let w = unit(sub(p2, p1)).unwrap_or([0.0, 1.0, 0.0]);
            dot(u, w).clamp(-1.0, 1.0).acos()
        };
        place(p0, p1, p2, 3.8, ang, std::f64::consts::PI)
    };
    for i in 0..l {
        let (a, cc) = if l >= 3 {
            let a = if i > 0 { ca[i - 1] } else { ext(ca[2], ca[1], ca[0]) };
            let cc = if i + 1 < l { ca[i + 1] } else { ext(ca[l - 3], ca[l - 2], ca[l - 1]) };
            (a, cc)
        } else {
            let dir = if l == 2 { unit(sub(ca[1], ca[0])).unwrap_or([1.0, 0.0, 0.0]) } else { [1.0, 0.0, 0.0] };
            let perp = any_perpendicular(dir);
            (add(ca[i], add(scale(dir, -2.0), scale(perp, -3.0))), add(ca[i], add(scale(dir, 2.0), scale(perp, -3.0))))
        };
        let p = if i >= 2 && i + 1 < l { bin(dihedral(ca[i - 2], ca[i - 1], ca[i], ca[i + 1])) } else { marginal };
        let q = if i >= 1 && i + 2 < l { bin(dihedral(ca[i - 1], ca[i], ca[i + 1], ca[i + 2])) } else { marginal };
        let off = cell(p, q);
        let b = ca[i];
        let [x, y, z] = frame(a, b, cc).unwrap_or([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]);
        let at = |o: &[f64]| add(b, add(scale(x, o[0]), add(scale(y, o[1]), scale(z, o[2]))));
        n.push(at(&off[0..3]));
        c.push(at(&off[3..6]));
    }
    (n, c)
}

/// Weight (per A^2) of the table's N and C in the choice of peptide planes: each plane's
/// energy gains this times the squared distances of its C and N from the table's. Chosen on the
/// StructureDB chains of `tests/templates.rs` (true CA traces; N and C from the planes alone,
/// 0: mean phi and psi error 27.6 degrees, 1: 26.8, 3: 25.9, 10: 24.2, 30: 25.5, with 36 turns per
/// plane; 10 gives 24.2 with the 24 used).
pub const TABLE_WEIGHT: f64 = 10.0;

/// Turns the peptide planes of a chain about its CA trace (geometry/peptides.rs), near the N
/// and C the table puts on that trace; the first N and the last C are kept.
pub fn turn_peptide_planes(sequence: &[u8], table: &[[f64; 6]], n: &mut [[f32; 3]], ca: &[[f32; 3]], c: &mut [[f32; 3]]) {
    let trace: Vec<V3> = ca.iter().copied().map(v64).collect();
    turn_planes(sequence, n, ca, c, rebuild_n_c(&trace, table), TABLE_WEIGHT);
}
