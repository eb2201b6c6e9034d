//! Backbone geometry (D5, D8): frames -> atoms ([`atoms`]), restrained relaxation ([`relax`]),
//! and stereochemistry checks ([`check`]).
//!
//! Everything here is plain sequential f64 arithmetic using only `+ - * /` and `sqrt` (all
//! correctly rounded in IEEE 754), so results are bit-identical natively and in wasm32.

pub mod atoms;
pub mod check;
pub mod portable;
pub mod relax;
pub mod superpose;

pub use atoms::{backbone_from_frames, complete_backbone, Structure};
pub use check::{check, GeometryReport};
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
/// Mean of the points (the origin for none).
pub(crate) fn centroid(p: &[V3]) -> V3 {
    let mut c = [0.0; 3];
    for q in p {
        c = add(c, *q);
    }
    scale(c, 1.0 / p.len().max(1) as f64)
}

/// Euclidean distance between f32 points, computed in f64.
pub fn distance(a: [f32; 3], b: [f32; 3]) -> f64 {
    dist(v64(a), v64(b))
}
