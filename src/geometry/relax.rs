//! Deterministic restrained relaxation of N/CA/C (D8).
//!
//! Targets:
//! - bonds N-CA 1.458, CA-C 1.525, C_i-N_{i+1} 1.329 A;
//! - 1-3 distances fixing the angles: N_i..C_i 2.46, CA_i..N_{i+1} 2.42, C_i..CA_{i+1} 2.43 A,
//!   and CA_i..CA_{i+1} 3.80 A (trans peptide), plus a planar trans peptide unit;
//! - a soft repulsion between atoms of residues at least 2 apart: CA-CA below 3.8 A, any other
//!   N/CA/C pair below 3.0 A;
//! - a harmonic restraint to a target: the input's CA trace rebuilt as a chain with 3.8 A
//!   spacing that winds around it ([`coil_along_trace`]).
//!
//! Why this shape: the same sequence must give the same PDB natively and in the browser (within
//! 0.001 A), but the network's outputs there differ by float rounding (about 1e-7 relative).
//! The relaxation must therefore be a smooth, well-conditioned map of its input, not a chaotic
//! one. An undertrained network draws its chain 2-3 times too short and unevenly spaced; an
//! earlier version that left such residues unrestrained and let the bond projections push them
//! apart moved atoms by Angstroms for a 1e-6 relative change of the input. Now the target
//! already has the right spacing and the input's shape, built by an explicit formula, the restraint is strong (10% per
//! sweep) and the repulsion is a gradient step of a polynomial penalty, whose curvature stays
//! bounded even for coincident atoms (a projection divides by the distance). `tests/relax_
//! stability.rs` measures the sensitivity on real network outputs.
//!
//! Minimiser: a fixed number of sweeps of nonlinear Gauss-Seidel (the "position based" /
//! SHAKE-like scheme): each sweep moves every atom 10% of the way back to its target, takes the
//! repulsion step, projects each peptide unit towards the ideal planar unit, then projects every
//! bonded distance in chain order (alternating forward and backward sweeps): each projection
//! moves the two atoms symmetrically along their axis so that the distance takes its target
//! value. The sequential projections propagate along the whole chain in one sweep (plain
//! gradient descent on a chain this stiff needs thousands of steps). A final clean-up projects
//! the bonded targets alone for a fixed number of sweeps, so the output has near-ideal bonds.
//! Every count is fixed (no tolerance-based stop), so the work never jumps with the input.
//!
//! Non-bonded pairs come from a Verlet list rebuilt whenever some atom has moved more than half
//! the skin since the last build (which pairs are listed never changes the result: every pair
//! within reach is listed). Only sequential f64 `+ - * /` and `sqrt` are used (no
//! transcendental functions, no threads, no hash maps), so the result is bit-identical on every
//! IEEE 754 platform, natively and in wasm32.

use super::pairs::{grid_pairs, moved_beyond, repulsion_push};
use super::{any_perpendicular, dot, ideal, scale, sub, unit, v32, v64, V3};

/// Parameters of [`relax_with`].
#[derive(Debug, Clone, PartialEq)]
pub struct RelaxOptions {
    /// Number of sweeps.
    pub iterations: usize,
    /// Fraction of the way back to its target position (see `coil_ca_ca`) every atom moves at
    /// the start of each main sweep: the harmonic restraint. Strong enough that the result is
    /// a smooth function of the input. Scaled down (by the square of [`compactness`]) for
    /// targets denser than a compact globule, and for targets whose CAs are much further apart
    /// than 3.8 A.
    pub restraint: f64,
    /// The restraint target is the input's CA trace rebuilt as a chain with this CA-CA
    /// spacing that follows it (Angstrom; see [`coil_along_trace`]; 0 = the input itself).
    pub coil_ca_ca: f64,
    /// An input whose CA radius of gyration is below this fraction of a compact protein's
    /// (about 3 L^(1/3) A) is collapsed: it carries no usable arrangement, and the relaxation
    /// starts instead from a deterministic random coil through the CA centroid that keeps each
    /// residue's N and C offsets from its CA (no restraint then). 0 disables this.
    pub collapsed_rg_fraction: f64,
    /// Fraction of a violation of a 1-3 / CA-CA distance corrected per projection (bonds: 1).
    pub angle_stiffness: f64,
    /// Fraction of the way each peptide unit (CA_i, C_i, N_{i+1}, CA_{i+1}) moves to the ideal
    /// planar trans unit per sweep.
    pub peptide_stiffness: f64,
    /// Strength of the soft repulsion: each sweep, a pair at distance r < d0 moves apart by
    /// `repulsion_stiffness` (1 - r^2/d0^2) / 2 of their separation, each atom.
    pub repulsion_stiffness: f64,
    /// CA-CA repulsion distance for residues |i - j| >= 2.
    pub ca_repulsion: f64,
    /// Repulsion distance for the other N/CA/C pairs of residues |i - j| >= 2 (0 = off).
    pub atom_repulsion: f64,
    /// Whether O and CB take part in the repulsion, as virtual sites placed from N, CA and C
    /// every sweep (relax_o_cb.rs). Template models use it; the network's relaxation does not
    /// (its sensitivity to the input is what `tests/relax_stability.rs` bounds).
    pub o_cb_repulsion: bool,
    /// Bonded-only sweeps after the main sweeps (a fixed number: a tolerance-based stop would
    /// make the sweep count, and so the result, jump with tiny input changes).
    pub final_sweeps: usize,
    /// Amplitude of the deterministic jitter added to the start positions (breaks exact
    /// symmetries such as perfectly planar or coincident inputs), Angstrom.
    pub jitter: f64,
}

impl Default for RelaxOptions {
    fn default() -> Self {
        RelaxOptions {
            iterations: 1000,
            restraint: 0.1,
            coil_ca_ca: ideal::CA_CA,
            collapsed_rg_fraction: 0.3,
            angle_stiffness: 1.0,
            peptide_stiffness: 1.0,
            repulsion_stiffness: 0.2,
            ca_repulsion: 3.8,
            atom_repulsion: 3.0,
            o_cb_repulsion: false,
            final_sweeps: 100,
            jitter: 0.01,
        }
    }
}

/// What [`relax_with`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct RelaxStats {
    pub iterations: usize,
    /// Violation energy before and after: sum of squared violations (A^2) of the bonds,
    /// 1-3 / CA-CA distances and repulsions (the restraint is not included).
    pub energy_start: f64,
    pub energy_end: f64,
    /// Whether the input was collapsed and replaced by a random coil (see
    /// [`RelaxOptions::collapsed_rg_fraction`]).
    pub collapsed: bool,
    /// Whether the input was scattered (consecutive CAs on average more than
    /// [`SCATTERED_SPACING`] times 3.8 A apart) and replaced by a random coil.
    pub scattered: bool,
    /// Number of atoms whose input coordinates were not finite (replaced before relaxing).
    pub replaced_atoms: usize,
    /// Largest distance of an atom from its input position at the end (Angstrom).
    pub max_shift: f64,
}

/// Relax N/CA/C in place with the default options. The three slices should have equal length
/// (extra entries of longer slices are left untouched).
pub fn relax(n: &mut [[f32; 3]], ca: &mut [[f32; 3]], c: &mut [[f32; 3]]) -> RelaxStats {
    relax_with(n, ca, c, &RelaxOptions::default())
}

/// A bonded distance target between atoms `a` and `b` (atom index = 3 * residue + {0: N, 1: CA,
/// 2: C}).
#[derive(Clone, Copy)]
struct Spring {
    a: u32,
    b: u32,
    d0: f64,
    w: f64,
}

/// The ideal trans peptide unit CA_i, C_i, N_{i+1}, CA_{i+1} (bonds 1.525 / 1.329 / 1.458 A,
/// CA..N 2.42 A, C..CA 2.43 A, planar), in its own frame: origin at the centroid, u along
/// CA_i -> CA_{i+1}, v along the part of C_i -> N_{i+1} perpendicular to u. CA..CA = 3.7976 A.
pub(crate) const PEPTIDE: [[f64; 2]; 4] = [
    [-1.9037700707698268, 0.03910619173645591],
    [-0.47624003012535226, -0.497347891161217],
    [0.48620434729769046, 0.41913550768830465],
    [1.8938057535974888, 0.039106191736456575],
];

/// Coordinates outside +-this are clamped before relaxing (Angstrom).
const COORD_LIMIT: f64 = 1.0e5;
/// A trace whose consecutive CAs are on average more than this many times 3.8 A apart is
/// scattered: independent points, not a chain (an exploded network output, every coordinate
/// 1e4-1e6 A). Shrunk to chain spacing it still crosses itself everywhere, and the relaxation
/// could not untangle it (3 of 40 such cases kept CA pairs under 3 A); like a collapsed
/// input it carries no usable arrangement, so the relaxation starts from a random coil.
/// Undertrained network traces are far below this (about 1.4 A per residue), noisy ones
/// rarely above 2 (a 3.8 A chain with 4 A noise on every atom: about 8 A).
pub const SCATTERED_SPACING: f64 = 3.0;
/// Verlet-list skin (Angstrom).
const SKIN: f64 = 1.5;

/// Deterministic pseudo-random unit vector for a pair of coincident atoms.
fn pair_direction(a: u32, b: u32) -> V3 {
    let mut z = ((a as u64) << 32 | b as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut next = || {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut x = z;
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^= x >> 31;
        (x >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let v = [next(), next(), next() * 0.5 + 0.6];
    let len = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    [v[0] / len, v[1] / len, v[2] / len]
}

/// Unit vector from b to a and the distance; a pseudo-random direction for coincident atoms.
#[inline]
fn axis(x: &[V3], a: usize, b: usize) -> (V3, f64) {
    let (pa, pb) = (x[a], x[b]);
    let d = [pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]];
    let r = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
    if r > 1e-6 {
        ([d[0] / r, d[1] / r, d[2] / r], r)
    } else {
        (pair_direction(a as u32, b as u32), 0.0)
    }
}

/// Move a and b symmetrically so that their distance goes a fraction `w` of the way to `d0`.
#[inline]
pub(crate) fn project(x: &mut [V3], a: usize, b: usize, d0: f64, w: f64) {
    let (u, r) = axis(x, a, b);
    let half = 0.5 * w * (d0 - r);
    for t in 0..3 {
        x[a][t] += half * u[t];
        x[b][t] -= half * u[t];
    }
}

/// Move the peptide unit `atoms` = [CA_i, C_i, N_{i+1}, CA_{i+1}] a fraction `w` of the way to
/// the ideal planar trans unit placed on it (same centroid, axes from the current atoms). This
/// fixes a twisted (cis-like or perpendicular) peptide in one step, which distance projections
/// alone do only very slowly.
#[inline]
fn project_peptide(x: &mut [V3], atoms: [usize; 4], w: f64) {
    let p = [x[atoms[0]], x[atoms[1]], x[atoms[2]], x[atoms[3]]];
    let mut cen = [0.0; 3];
    for q in &p {
        for t in 0..3 {
            cen[t] += 0.25 * q[t];
        }
    }
    let u = unit(sub(p[3], p[0])).unwrap_or_else(|| pair_direction(atoms[0] as u32, atoms[3] as u32));
    let cn = sub(p[2], p[1]);
    let v = unit(sub(cn, scale(u, dot(cn, u)))).unwrap_or_else(|| any_perpendicular(u));
    for (k, &a) in atoms.iter().enumerate() {
        let [cu, cv] = PEPTIDE[k];
        for t in 0..3 {
            let target = cen[t] + cu * u[t] + cv * v[t];
            x[a][t] += w * (target - x[a][t]);
        }
    }
}

/// Repulsion distance of a non-bonded pair (both CA or not).
#[inline]
fn repulsion_distance(a: u32, b: u32, opts: &RelaxOptions) -> f64 {
    if a % 3 == 1 && b % 3 == 1 {
        opts.ca_repulsion
    } else {
        opts.atom_repulsion
    }
}

/// Replace non-finite coordinates (next to the previous good atom) and clamp huge ones.
fn sanitize(x: &mut [V3]) -> usize {
    let mut replaced = 0;
    let mut prev = x.iter().copied().find(|p| p.iter().all(|v| v.is_finite())).unwrap_or([0.0; 3]);
    for (i, p) in x.iter_mut().enumerate() {
        if p.iter().all(|v| v.is_finite()) {
            for v in p.iter_mut() {
                *v = v.clamp(-COORD_LIMIT, COORD_LIMIT);
            }
        } else {
            replaced += 1;
            let k = (i % 3) as f64;
            *p = [prev[0] + 1.0 + 0.1 * k, prev[1] + 0.5 - 0.2 * k, prev[2] + 0.2 * k];
        }
        prev = *p;
    }
    replaced
}

/// Candidate non-bonded pairs (residues at least 2 apart) within their repulsion distance plus
/// `skin`, found with a cell grid (sorted cell keys and binary search: no hashing). The order
/// is a function of the coordinates only, hence deterministic.
fn build_pairs(x: &[V3], opts: &RelaxOptions, skin: f64, pairs: &mut Vec<(u32, u32)>) {
    pairs.clear();
    let ca_cut = opts.ca_repulsion + skin;
    let atom_cut = if opts.atom_repulsion > 0.0 { opts.atom_repulsion + skin } else { 0.0 };
    let cell = ca_cut.max(atom_cut);
    if cell.is_nan() || cell <= 0.0 {
        return;
    }
    let (ca_cut2, atom_cut2) = (ca_cut * ca_cut, atom_cut * atom_cut);
    let points: Vec<(u32, V3)> = x.iter().enumerate().filter(|(i, _)| atom_cut > 0.0 || i % 3 == 1).map(|(i, p)| (i as u32, *p)).collect();
    grid_pairs(&points, cell, |ia, ib| {
        if (ia / 3).abs_diff(ib / 3) < 2 {
            return;
        }
        let both_ca = ia % 3 == 1 && ib % 3 == 1;
        let (pa, pb) = (x[ia as usize], x[ib as usize]);
        let d = [pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]];
        let d2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
        if d2 < if both_ca { ca_cut2 } else { atom_cut2 } {
            pairs.push((ia.min(ib), ia.max(ib)));
        }
    });
}

/// Mean consecutive CA-CA distance of `x` (N, CA, C interleaved); 3.8 A for fewer than two
/// residues.
fn mean_ca_ca(x: &[V3]) -> f64 {
    let l = x.len() / 3;
    if l < 2 {
        return ideal::CA_CA;
    }
    (0..l - 1).map(|i| super::dist(x[3 * i + 1], x[3 * i + 4])).sum::<f64>() / (l - 1) as f64
}

/// Centroid of the CA atoms of `x` (N, CA, C interleaved; at least one residue).
fn ca_centroid(x: &[V3]) -> V3 {
    let l = x.len() / 3;
    let mut cen = [0.0; 3];
    for i in 0..l {
        for t in 0..3 {
            cen[t] += x[3 * i + 1][t] / l as f64;
        }
    }
    cen
}

/// (Rg / 3)^3 / L for the CA trace of `x`: about 1 for a compact globule (Rg = 3 L^(1/3) A),
/// less for a denser one, more for an open chain.
fn compactness(x: &[V3]) -> f64 {
    let l = x.len() / 3;
    if l < 2 {
        return 1.0;
    }
    let cen = ca_centroid(x);
    let mut ss = 0.0;
    for i in 0..l {
        let d = sub(x[3 * i + 1], cen);
        ss += dot(d, d);
    }
    let rg = (ss / l as f64).sqrt();
    rg * rg * rg / (27.0 * l as f64)
}

/// True when the CA radius of gyration of `x` (N, CA, C interleaved) is below `fraction` of
/// 3 L^(1/3) A. Compared in cubes, so no transcendental function is needed.
fn is_collapsed(x: &[V3], fraction: f64) -> bool {
    x.len() / 3 >= 4 && fraction > 0.0 && compactness(x) < fraction * fraction * fraction
}

/// N and C offsets from their CA longer than this (A) are not kept by [`random_coil_start`].
const MAX_KEPT_OFFSET: f64 = 3.0;
/// The offsets it uses instead: 1.46 and 1.52 A from the CA, 111 degrees apart (the bond
/// lengths and the N-CA-C angle; the relaxation then orients them).
const N_OFFSET: V3 = [-0.52, 1.364, 0.0];
const C_OFFSET: V3 = [1.52, 0.0, 0.0];

/// cos and sin of 100 degrees: the turn per residue of an alpha helix (3.6 residues a turn).
const HELIX_COS: f64 = -0.17364817766693033;
const HELIX_SIN: f64 = 0.984807753012208;
/// 2 sin(50 degrees): the chord across one 100-degree step of a unit circle.
const HELIX_CHORD: f64 = 1.532088886237956;

/// Rebuilds the CA trace of `x` (N, CA, C interleaved) as a chain with `ca_ca` spacing that
/// follows the input's trace. An undertrained network draws a blurred chain: its shape is
/// sensible but consecutive CAs are too close (about 1.4 A instead of 3.8 A; the network
/// averages over conformations). Pushing them apart with the bond projections lets each
/// stretch crumple in a direction nothing in the input decides, which made the result chaotic.
/// Instead the input trace is taken as the axis of a coil: the residues are spread evenly along
/// it (arc length), and when that spacing `a` is shorter than `ca_ca` they wind around it as a
/// right-handed helix (100 degrees a residue, radius sqrt(ca_ca^2 - a^2) / (2 sin 50 deg), so
/// consecutive CAs on a straight axis are exactly `ca_ca` apart; at a = 1.5 A this is the alpha
/// helix). A trace that is long enough (a >= `ca_ca`) is left as it is (see `weight`). The
/// frame around the axis is carried along by projection, starting from residue 0's own N
/// direction, so the result is a continuous function of the input (no thresholds, no axis
/// choices). N and C move rigidly with their CA (their orientation is the network's). A trace
/// much longer than its chain (mean spacing over 1.25 `ca_ca`) is scaled down to that spacing
/// instead. `ca_ca` = 0 or fewer than three residues: unchanged.
fn coil_along_trace(x: &mut [V3], ca_ca: f64) {
    let l = x.len() / 3;
    if l < 3 || ca_ca.is_nan() || ca_ca <= 0.0 {
        return;
    }
    let ca: Vec<V3> = (0..l).map(|i| x[3 * i + 1]).collect();
    let seg: Vec<f64> = (0..l - 1).map(|i| super::dist(ca[i], ca[i + 1])).collect();
    let total: f64 = seg.iter().sum();
    if total.is_nan() || total <= 0.0 {
        return;
    }
    // A trace far longer than the chain (a scattered or exploded input: mean spacing over
    // 1.25 ca_ca) is first scaled down about its CA centroid to that spacing; the chain cannot
    // follow it anyway, and at 1e4-1e6 A the bond projections would never close the gaps.
    let a = total / (l - 1) as f64;
    if a > 1.25 * ca_ca {
        let s = 1.25 * ca_ca / a;
        let cen = ca_centroid(x);
        // Every atom, not whole residues: an exploded input's N and C are as far from their
        // CA as the CAs are from each other.
        for p in x.iter_mut() {
            *p = super::add(cen, scale(sub(*p, cen), s));
        }
        return;
    }
    let mut axis_pts = Vec::with_capacity(l);
    let (mut j, mut start) = (0usize, 0.0f64);
    for i in 0..l {
        let t = a * i as f64;
        while j + 1 < l - 1 && start + seg[j] < t {
            start += seg[j];
            j += 1;
        }
        let f = if seg[j] > 0.0 { ((t - start) / seg[j]).clamp(0.0, 1.0) } else { 0.0 };
        axis_pts.push(super::add(ca[j], scale(sub(ca[j + 1], ca[j]), f)));
    }
    let radius = if a < ca_ca { (ca_ca * ca_ca - a * a).sqrt() / HELIX_CHORD } else { 0.0 };
    // How far each residue moves to its coil position: fully when the trace is clearly too
    // short (a <= 3/4 ca_ca), not at all when it is long enough (a >= ca_ca; a noisy trace is
    // longer than its chain, and spreading residues evenly along it would shift them), linearly
    // between, so that the map stays continuous.
    let weight = ((ca_ca - a) / (0.25 * ca_ca)).clamp(0.0, 1.0);
    // Tangents (central differences) and a frame carried along by projection.
    let tangent = |i: usize| -> V3 {
        let (p, q) = (axis_pts[i.saturating_sub(1)], axis_pts[(i + 1).min(l - 1)]);
        unit(sub(q, p)).unwrap_or([0.0, 0.0, 1.0])
    };
    let t0 = tangent(0);
    let n0 = sub(x[0], ca[0]);
    let mut e1 = unit(sub(n0, scale(t0, dot(n0, t0)))).unwrap_or_else(|| any_perpendicular(t0));
    let (mut cos_i, mut sin_i) = (1.0f64, 0.0f64);
    for i in 0..l {
        let t = tangent(i);
        e1 = unit(sub(e1, scale(t, dot(e1, t)))).unwrap_or_else(|| any_perpendicular(t));
        let e2 = super::cross(t, e1);
        let p = super::add(axis_pts[i], super::add(scale(e1, radius * cos_i), scale(e2, radius * sin_i)));
        let shift = scale(sub(p, ca[i]), weight);
        for k in 0..3 {
            x[3 * i + k] = super::add(x[3 * i + k], shift);
        }
        (cos_i, sin_i) = (cos_i * HELIX_COS - sin_i * HELIX_SIN, sin_i * HELIX_COS + cos_i * HELIX_SIN);
    }
}

/// Replace the CA trace by a deterministic persistent random walk (3.8 A steps) starting at the
/// CA centroid; N and C keep their offsets from their CA where those are bond-like (at most
/// [`MAX_KEPT_OFFSET`]), and otherwise take a fixed one (a scattered input's N and C are as
/// far from their CA as the CAs are from each other).
fn random_coil_start(x: &mut [V3]) {
    let l = x.len() / 3;
    let mut pos = ca_centroid(x);
    let mut dir = [1.0, 0.0, 0.0];
    for i in 0..l {
        if i > 0 {
            // Unbiased random direction: components of pair_direction are not all centred.
            let r = pair_direction(i as u32, 0x5EED);
            let q = pair_direction(0x5EED, i as u32);
            let r = [r[0], r[1], q[0]];
            dir = unit([dir[0] + 1.5 * r[0], dir[1] + 1.5 * r[1], dir[2] + 1.5 * r[2]]).unwrap_or(dir);
            pos = [pos[0] + ideal::CA_CA * dir[0], pos[1] + ideal::CA_CA * dir[1], pos[2] + ideal::CA_CA * dir[2]];
        }
        let ca = x[3 * i + 1];
        for (k, fixed) in [(0, N_OFFSET), (2, C_OFFSET)] {
            let offset = sub(x[3 * i + k], ca);
            let offset = if dot(offset, offset) <= MAX_KEPT_OFFSET * MAX_KEPT_OFFSET { offset } else { fixed };
            x[3 * i + k] = super::add(pos, offset);
        }
        x[3 * i + 1] = pos;
    }
}

/// Sum of squared violations of the bonded targets and of the repulsions.
fn violation(x: &[V3], springs: &[Spring], pairs: &[(u32, u32)], opts: &RelaxOptions) -> f64 {
    let mut e = 0.0;
    for s in springs {
        let (_, r) = axis(x, s.a as usize, s.b as usize);
        e += (r - s.d0) * (r - s.d0);
    }
    for &(a, b) in pairs {
        let (_, r) = axis(x, a as usize, b as usize);
        let d0 = repulsion_distance(a, b, opts);
        if r < d0 {
            e += (d0 - r) * (d0 - r);
        }
    }
    e
}

/// Relax N/CA/C in place (see the module docs). Deterministic: identical inputs give identical
/// bits on every platform.
pub fn relax_with(n: &mut [[f32; 3]], ca: &mut [[f32; 3]], c: &mut [[f32; 3]], opts: &RelaxOptions) -> RelaxStats {
    let l = n.len().min(ca.len()).min(c.len());
    let mut x: Vec<V3> = Vec::with_capacity(3 * l);
    for i in 0..l {
        x.push(v64(n[i]));
        x.push(v64(ca[i]));
        x.push(v64(c[i]));
    }
    let replaced_atoms = sanitize(&mut x);
    let x0 = x.clone();
    let collapsed = opts.iterations > 0 && is_collapsed(&x, opts.collapsed_rg_fraction);
    let scattered = opts.iterations > 0 && !collapsed && l >= 2 && mean_ca_ca(&x) > SCATTERED_SPACING * ideal::CA_CA;
    // The restraint target: the input's trace rebuilt as a coil (see `coil_ca_ca`); the sweeps
    // start there. A collapsed input has no shape worth keeping: a random coil, unrestrained.
    let target = if collapsed || scattered {
        random_coil_start(&mut x);
        None
    } else if opts.iterations > 0 {
        coil_along_trace(&mut x, opts.coil_ca_ca);
        Some(x.clone())
    } else {
        None
    };

    // A target denser than a compact globule cannot be kept without clashes: the restraint
    // weakens with its density (continuously, so the map stays smooth), letting the
    // repulsion open it up. Network outputs are far less dense than this.
    // Likewise a target whose CAs are much further apart than 3.8 A (a scattered input: the
    // chain cannot follow it) is only loosely held: the restraint falls with the square of
    // 3.8 A over its mean CA-CA spacing.
    let restraint = match &target {
        Some(t) => {
            let q = compactness(t).clamp(0.01, 1.0);
            let spread = (ideal::CA_CA / mean_ca_ca(t).max(1e-9)).min(1.0);
            opts.restraint * q * q * spread * spread
        }
        None => 0.0,
    };

    let mut springs = Vec::with_capacity(7 * l);
    let wa = opts.angle_stiffness;
    for i in 0..l as u32 {
        let (ni, cai, ci) = (3 * i, 3 * i + 1, 3 * i + 2);
        springs.push(Spring { a: ni, b: cai, d0: ideal::N_CA, w: 1.0 });
        springs.push(Spring { a: cai, b: ci, d0: ideal::CA_C, w: 1.0 });
        springs.push(Spring { a: ni, b: ci, d0: ideal::N_C, w: wa });
        if (i as usize) + 1 < l {
            let (nj, caj) = (3 * i + 3, 3 * i + 4);
            springs.push(Spring { a: ci, b: nj, d0: ideal::C_N, w: 1.0 });
            springs.push(Spring { a: cai, b: nj, d0: ideal::CA_N, w: wa });
            springs.push(Spring { a: ci, b: caj, d0: ideal::C_CA, w: wa });
        }
    }

    let mut pairs = Vec::new();
    build_pairs(&x, opts, SKIN, &mut pairs);
    let energy_start = violation(&x, &springs, &pairs, opts);

    if opts.iterations > 0 && opts.jitter != 0.0 {
        for (i, p) in x.iter_mut().enumerate() {
            let u = pair_direction(i as u32, u32::MAX);
            for t in 0..3 {
                p[t] += opts.jitter * u[t];
            }
        }
    }
    let mut sites = (opts.o_cb_repulsion && opts.iterations > 0).then(|| super::relax_o_cb::Sites::new(&x));
    let mut x_built = x.clone();
    for it in 0..opts.iterations {
        if let (Some(target), true) = (&target, restraint > 0.0) {
            for (p, q) in x.iter_mut().zip(target) {
                for t in 0..3 {
                    p[t] += restraint * (q[t] - p[t]);
                }
            }
        }
        for &(a, b) in &pairs {
            if let Some(m) = repulsion_push(x[a as usize], x[b as usize], repulsion_distance(a, b, opts), opts.repulsion_stiffness) {
                for t in 0..3 {
                    x[a as usize][t] += m[t];
                    x[b as usize][t] -= m[t];
                }
            }
        }
        if let Some(sites) = &mut sites {
            sites.repel(&mut x, opts.repulsion_stiffness);
        }
        let wp = opts.peptide_stiffness;
        if wp != 0.0 {
            for i in 0..l.saturating_sub(1) {
                let i = if it % 2 == 0 { i } else { l - 2 - i };
                project_peptide(&mut x, [3 * i + 1, 3 * i + 2, 3 * i + 3, 3 * i + 4], wp);
            }
        }
        if it % 2 == 0 {
            for s in &springs {
                project(&mut x, s.a as usize, s.b as usize, s.d0, s.w);
            }
        } else {
            for s in springs.iter().rev() {
                project(&mut x, s.a as usize, s.b as usize, s.d0, s.w);
            }
        }
        if moved_beyond(&x, &x_built, SKIN / 2.0) {
            build_pairs(&x, opts, SKIN, &mut pairs);
            x_built.copy_from_slice(&x);
        }
    }
    // Final clean-up: the bonded targets alone (always mutually satisfiable), a fixed number of
    // sweeps (a tolerance-based stop would make the sweep count, and so the result, jump with
    // tiny input changes). Long chains restarted from a random coil can end the main sweeps
    // with repulsion and bonds still disagreeing by > 0.1 A.
    if opts.iterations > 0 {
        for it in 0..opts.final_sweeps {
            if it % 2 == 0 {
                springs.iter().for_each(|s| project(&mut x, s.a as usize, s.b as usize, s.d0, s.w));
            } else {
                springs.iter().rev().for_each(|s| project(&mut x, s.a as usize, s.b as usize, s.d0, s.w));
            }
        }
    }
    build_pairs(&x, opts, 0.0, &mut pairs);
    let energy_end = violation(&x, &springs, &pairs, opts);

    let mut max_shift = 0.0f64;
    for i in 0..l {
        n[i] = v32(x[3 * i]);
        ca[i] = v32(x[3 * i + 1]);
        c[i] = v32(x[3 * i + 2]);
        for k in 0..3 {
            let p = x[3 * i + k];
            let q = x0[3 * i + k];
            let d = [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
            max_shift = max_shift.max((d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt());
        }
    }
    RelaxStats { iterations: opts.iterations, energy_start, energy_end, collapsed, scattered, replaced_atoms, max_shift }
}
