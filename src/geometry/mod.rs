//! Backbone geometry (D5, D8): frames -> atoms ([`atoms`]), restrained relaxation ([`relax`]),
//! and stereochemistry checks ([`check`]).
//!
//! Everything here is plain sequential f64 arithmetic using only `+ - * /` and `sqrt` (all
//! correctly rounded in IEEE 754), so results are bit-identical natively and in wasm32.

pub mod atoms;
pub mod check;
pub mod pairs;
pub mod peptides;
pub mod portable;
pub mod refine;
pub mod relax;
pub mod relax_o_cb;
pub mod superpose;

pub use atoms::{backbone_from_frames, complete_backbone, Structure};
pub use check::{check, quality_summary, GeometryReport};
pub use relax::{relax, relax_with, RelaxOptions};

/// Ideal bond lengths and 1-3 distances (Angstrom, Engh & Huber).
pub mod ideal {
    pub const N_CA: f64 = 1.458;
    pub const CA_C: f64 = 1.525;
    pub const C_O: f64 = 1.23;
    /// Peptide bond C_i - N_{i+1}.
    pub const C_N: f64 = 1.329;
    pub const CA_CB: f64 = 1.53;
    /// Consecutive CA - CA (trans peptide).
    pub const CA_CA: f64 = 3.80;
    /// 1-3 distance N_i .. C_i (N-CA-C angle ~111 deg).
    pub const N_C: f64 = 2.46;
    /// 1-3 distance CA_i .. N_{i+1} (CA-C-N angle ~116 deg).
    pub const CA_N: f64 = 2.42;
    /// 1-3 distance C_i .. CA_{i+1} (C-N-CA angle ~122 deg).
    pub const C_CA: f64 = 2.43;
}

pub(crate) type V3 = [f64; 3];

#[inline]
pub(crate) fn v64(p: [f32; 3]) -> V3 {
    [p[0] as f64, p[1] as f64, p[2] as f64]
}
#[inline]
pub(crate) fn v32(p: V3) -> [f32; 3] {
    [p[0] as f32, p[1] as f32, p[2] as f32]
}
#[inline]
pub(crate) fn add(a: V3, b: V3) -> V3 {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2]]
}
#[inline]
pub(crate) fn sub(a: V3, b: V3) -> V3 {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
#[inline]
pub(crate) fn scale(a: V3, s: f64) -> V3 {
    [a[0] * s, a[1] * s, a[2] * s]
}
#[inline]
pub(crate) fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
#[inline]
pub(crate) fn cross(a: V3, b: V3) -> V3 {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}
#[inline]
pub(crate) fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}
#[inline]
pub(crate) fn dist(a: V3, b: V3) -> f64 {
    norm(sub(a, b))
}
/// Unit vector along `a`, or `None` when `a` is (nearly) zero or not finite.
#[inline]
pub(crate) fn unit(a: V3) -> Option<V3> {
    let n = norm(a);
    if n > 1e-9 && n.is_finite() {
        Some(scale(a, 1.0 / n))
    } else {
        None
    }
}
/// A unit vector perpendicular to the unit vector `u`.
pub(crate) fn any_perpendicular(u: V3) -> V3 {
    // Cross with the coordinate axis least aligned with u.
    let ax = if u[0].abs() <= u[1].abs() && u[0].abs() <= u[2].abs() {
        [1.0, 0.0, 0.0]
    } else if u[1].abs() <= u[2].abs() {
        [0.0, 1.0, 0.0]
    } else {
        [0.0, 0.0, 1.0]
    };
    unit(cross(u, ax)).unwrap_or([0.0, 0.0, 1.0])
}
/// The point at distance `d` from `c` with angle (b, c, new) and torsion (a, b, c, new) given
/// by their (sin, cos) (natural extension reference frame, IUPAC sign). The callers take the
/// sines and cosines from the platform (template library) or from `portable` (side chains).
pub(crate) fn place_sin_cos(a: V3, b: V3, c: V3, d: f64, (sin_theta, cos_theta): (f64, f64), (sin_tau, cos_tau): (f64, f64)) -> V3 {
    let bc = unit(sub(c, b)).unwrap_or([1.0, 0.0, 0.0]);
    let n = unit(cross(sub(b, a), bc)).unwrap_or_else(|| any_perpendicular(bc));
    let m = cross(n, bc);
    let local = [-d * cos_theta, d * sin_theta * cos_tau, d * sin_theta * sin_tau];
    add(c, add(scale(bc, local[0]), add(scale(m, local[1]), scale(n, local[2]))))
}
/// The torsion (p0, p1, p2, p3) as (y, x) for atan2 (IUPAC sign: positive when, looking along
/// p1 -> p2, p3 is turned clockwise from p0).
pub(crate) fn torsion_y_x(p0: V3, p1: V3, p2: V3, p3: V3) -> (f64, f64) {
    let (b1, b2, b3) = (sub(p1, p0), sub(p2, p1), sub(p3, p2));
    (norm(b2) * dot(b1, cross(b2, b3)), dot(cross(b1, b2), cross(b2, b3)))
}
/// Mean of the points (the origin for none).
pub(crate) fn centroid(p: &[V3]) -> V3 {
    let mut c = [0.0; 3];
    for q in p {
        c = add(c, *q);
    }
    scale(c, 1.0 / p.len().max(1) as f64)
}

/// Radius of gyration of the points about their centroid (A; 0 for none).
pub(crate) fn radius_of_gyration(p: &[V3]) -> f64 {
    let c = centroid(p);
    (p.iter().map(|q| dot(sub(*q, c), sub(*q, c))).sum::<f64>() / p.len().max(1) as f64).sqrt()
}

/// Euclidean distance between f32 points, computed in f64.
pub fn distance(a: [f32; 3], b: [f32; 3]) -> f64 {
    dist(v64(a), v64(b))
}
