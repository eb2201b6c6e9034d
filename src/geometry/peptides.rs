//! N and C of a CA trace by choosing each peptide plane's turn about its CA-CA axis
//! (docs/TEMPLATES.md, Peptide planes).
//!
//! Between two consecutive CAs the trans peptide unit (C_i, O_i, N_{i+1}) is rigid, so given
//! the CA trace each plane has one degree of freedom: its rotation about the CA_i -> CA_{i+1}
//! axis. Residue i's phi, psi and N-CA-C angle depend only on planes i-1 and i, so the best
//! set of turns under an energy that sums over residues is a shortest path through a chain of
//! plane states: dynamic programming (Viterbi), as CA-to-backbone methods that place peptide
//! planes by Ramachandran statistics do. The energy of a residue is -ln of its (phi, psi)
//! probability in the residue's class (general, glycine, proline, pre-proline; counted over
//! the StructureDB by `scripts/build_ramachandran.py`) plus a harmonic term keeping N-CA-C
//! near its mean, plus (optionally) a pull towards guessed N and C, plus a steep penalty where
//! the two planes of a residue put atoms of its neighbours on top of each other (O_{i-1} or
//! C_{i-1} against N_{i+1}, O_{i-1} against CB_i: [`CLASH_WEIGHT`]). A table lookup from the CA
//! geometry alone (templates/backbone.rs) puts N and C at the mean of the positions seen for
//! similar traces, which is often no real conformation, and the relaxation after it knows
//! nothing of phi and psi: 13% of the residues of the CASP13 template models fell outside
//! MolProbity's allowed regions before this step, 5% after it.
//!
//! `+ - * /` and `sqrt` only (and `portable` sines), so the page chooses the same planes as the
//! CLI from the same trace; but the choice is discrete, not a smooth map of its input, so the
//! network's output, which the page computes with other rounding, does not go through it
//! (docs/DESIGN.md D8). The CAs do not move, and the bonds keep their ideal lengths; a plane
//! between CAs no peptide unit can span (a chain break) keeps the input's atoms.

use super::atoms::{place_cb, place_o_peptide};
use super::portable::{atan2, sin_cos};
use super::relax::PEPTIDE;
use super::{add, any_perpendicular, cross, dist, dot, ideal, norm, scale, sub, torsion_y_x, unit, v32, v64, V3};
use serde::Deserialize;
use std::sync::OnceLock;

/// Plane turns tried in the first pass (every 360 / COARSE degrees). 36 (with a second pass of
/// +-5 degrees) gave the same accuracy on the StructureDB chains of `tests/templates.rs` and
/// the same Ramachandran figures on CASP13 at twice the time.
const COARSE: usize = 24;
/// The second pass tries these offsets (degrees) around each plane's first-pass turn.
const FINE: [f64; 7] = [-7.5, -5.0, -2.5, 0.0, 2.5, 5.0, 7.5];

/// Penalty per A^2 of the overlap below the distances that follow: a clash between the two
/// planes of one residue costs more than any (phi, psi). On the CASP13 has_homolog template
/// models (docs/TEMPLATES.md, Peptide planes), 10 and 30 left more clashes, 100 about as
/// many Ramachandran-favoured residues.
const CLASH_WEIGHT: f64 = 100.0;
/// Closest O_{i-1}..N_{i+1} and C_{i-1}..N_{i+1} (A) without penalty: the deposited CASP13
/// structures' 1st percentiles (2.93, 3.02; their minima 2.52 and 2.82).
const O_N_NEXT: f64 = 2.9;
const C_N_NEXT: f64 = 3.0;
/// Closest O_{i-1}..CB_i (A) without penalty (deposited CASP13 structures: minimum 2.73, 1st
/// percentile 3.11).
const O_CB_NEXT: f64 = 3.0;

/// Residue classes of the Ramachandran table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RamaClass {
    General = 0,
    Glycine = 1,
    Proline = 2,
    PreProline = 3,
}

/// The class of residue `i` of `sequence` (one letter per residue, either case).
pub fn rama_class(sequence: &[u8], i: usize) -> RamaClass {
    match sequence[i].to_ascii_uppercase() {
        b'G' => RamaClass::Glycine,
        b'P' => RamaClass::Proline,
        _ if sequence.get(i + 1).is_some_and(|c| c.eq_ignore_ascii_case(&b'P')) => RamaClass::PreProline,
        _ => RamaClass::General,
    }
}

/// One class's energies: [phi bin * bins + psi bin], and phi and psi alone.
#[derive(Deserialize)]
struct ClassTable {
    phi_psi: Vec<f64>,
    phi: Vec<f64>,
    psi: Vec<f64>,
}

#[derive(Deserialize)]
struct TableFile {
    step_deg: usize,
    tau_mean_deg: f64,
    tau_sd_deg: f64,
    classes: std::collections::BTreeMap<String, ClassTable>,
}

/// Ramachandran energies, -ln(p / uniform), per class on a periodic grid of cells.
pub struct Ramachandran {
    step: f64,
    bins: usize,
    /// Indexed by [`RamaClass`].
    classes: [ClassTable; 4],
    /// sin and cos of the mean N-CA-C angle, and its standard deviation (radians).
    tau_sin_cos: (f64, f64),
    tau_sd: f64,
}

impl Ramachandran {
    /// Parses `ramachandran.json` (format in scripts/build_ramachandran.py).
    pub fn parse(text: &str) -> Result<Self, String> {
        let f: TableFile = serde_json::from_str(text).map_err(|e| format!("ramachandran.json: {e}"))?;
        if f.step_deg == 0 || 360 % f.step_deg != 0 {
            return Err(format!("ramachandran.json: step {} does not divide 360", f.step_deg));
        }
        let bins = 360 / f.step_deg;
        if f.tau_sd_deg.is_nan() || f.tau_sd_deg <= 0.0 {
            return Err("ramachandran.json: tau_sd_deg must be positive".into());
        }
        let mut classes = Vec::with_capacity(4);
        for name in ["general", "glycine", "proline", "pre_proline"] {
            let c = f.classes.get(name).ok_or_else(|| format!("ramachandran.json: no class {name}"))?;
            if c.phi_psi.len() != bins * bins || c.phi.len() != bins || c.psi.len() != bins {
                return Err(format!("ramachandran.json: class {name} does not have {bins} x {bins} cells"));
            }
            let hundredths = |v: &[f64]| v.iter().map(|x| x / 100.0).collect::<Vec<f64>>();
            classes.push(ClassTable { phi_psi: hundredths(&c.phi_psi), phi: hundredths(&c.phi), psi: hundredths(&c.psi) });
        }
        Ok(Ramachandran {
            step: f.step_deg as f64,
            bins,
            classes: classes.try_into().unwrap_or_else(|_| unreachable!("four classes")),
            tau_sin_cos: sin_cos(f.tau_mean_deg.to_radians()),
            tau_sd: f.tau_sd_deg.to_radians(),
        })
    }

    /// The table compiled into the program (checked by the tests, so it cannot fail).
    pub fn get() -> &'static Ramachandran {
        static TABLE: OnceLock<Ramachandran> = OnceLock::new();
        TABLE.get_or_init(|| Ramachandran::parse(include_str!("ramachandran.json")).expect("ramachandran.json is valid (tested)"))
    }

    /// Grid position of an angle (degrees): lower cell centre index and the fraction beyond it.
    fn grid(&self, angle: f64) -> (usize, usize, f64) {
        let f = (angle + 180.0) / self.step - 0.5;
        let lo = f.floor();
        let i = (lo as i64).rem_euclid(self.bins as i64) as usize;
        (i, (i + 1) % self.bins, f - lo)
    }

    /// Energy of (phi, psi) in degrees, bilinear between cell centres.
    pub fn energy(&self, class: RamaClass, phi: f64, psi: f64) -> f64 {
        let t = &self.classes[class as usize].phi_psi;
        let (a0, a1, s) = self.grid(phi);
        let (b0, b1, u) = self.grid(psi);
        let n = self.bins;
        let row = |a: usize| t[a * n + b0] * (1.0 - u) + t[a * n + b1] * u;
        row(a0) * (1.0 - s) + row(a1) * s
    }

    fn energy_1d(&self, t: &[f64], angle: f64) -> f64 {
        let (a0, a1, s) = self.grid(angle);
        t[a0] * (1.0 - s) + t[a1] * s
    }

    /// Energy of phi alone (a chain's last residue has no psi).
    pub fn energy_phi(&self, class: RamaClass, phi: f64) -> f64 {
        self.energy_1d(&self.classes[class as usize].phi, phi)
    }

    /// Energy of psi alone (a chain's first residue has no phi).
    pub fn energy_psi(&self, class: RamaClass, psi: f64) -> f64 {
        self.energy_1d(&self.classes[class as usize].psi, psi)
    }

    /// Harmonic energy of the N-CA-C angle given its cosine (the deviation in angle taken to
    /// first order in the cosine, which is monotonic and exact at the mean).
    fn energy_tau(&self, cos_tau: f64) -> f64 {
        let (sin0, cos0) = self.tau_sin_cos;
        let d = (cos0 - cos_tau) / sin0 / self.tau_sd;
        0.5 * d * d
    }
}

/// atan2(y, x) in degrees, to about 1e-9 degrees: one half-angle step brings the ratio below
/// tan(pi/8), where 12 terms of the series suffice (a table lookup needs no more; `+ - * /` and
/// `sqrt` only, so the page and the CLI agree bit for bit).
fn atan2_deg(y: f64, x: f64) -> f64 {
    let (ax, ay) = (x.abs(), y.abs());
    if ax == 0.0 && ay == 0.0 {
        return 0.0;
    }
    let (small, large) = if ay <= ax { (ay, ax) } else { (ax, ay) };
    let z = small / large;
    let z = z / (1.0 + (1.0 + z * z).sqrt());
    // z (1 - z^2/3 + z^4/5 - ...), Horner from the last term (reciprocals folded at compile time).
    const INV_ODD: [f64; 13] = [1.0, 1.0 / 3.0, 1.0 / 5.0, 1.0 / 7.0, 1.0 / 9.0, 1.0 / 11.0, 1.0 / 13.0, 1.0 / 15.0, 1.0 / 17.0, 1.0 / 19.0, 1.0 / 21.0, 1.0 / 23.0, 1.0 / 25.0];
    let z2 = z * z;
    let mut sum = 0.0;
    for inv in INV_ODD.iter().rev() {
        sum = inv - z2 * sum;
    }
    let mut a = 2.0 * z * sum;
    if ay > ax {
        a = std::f64::consts::FRAC_PI_2 - a;
    }
    if x < 0.0 {
        a = std::f64::consts::PI - a;
    }
    (if y < 0.0 { -a } else { a }).to_degrees()
}

/// Energy above which a (phi, psi) is improbable: under 1/150 of uniform (e^-5). 0.11% of the
/// StructureDB's residues of `tests/templates.rs` lie there.
pub const IMPROBABLE_ENERGY: f64 = 5.0;

/// (phi, psi) in degrees of residue i from C_{i-1}, N_i, CA_i, C_i, N_{i+1}.
pub fn phi_psi([c_prev, n, ca, c, n_next]: [V3; 5]) -> (f64, f64) {
    (torsion_deg(c_prev, n, ca, c), torsion_deg(n, ca, c, n_next))
}

/// Torsion in degrees.
fn torsion_deg(p0: V3, p1: V3, p2: V3, p3: V3) -> f64 {
    let (y, x) = torsion_y_x(p0, p1, p2, p3);
    atan2_deg(y, x)
}

fn cos_angle(a: V3, b: V3, c: V3) -> f64 {
    let (u, v) = (sub(a, b), sub(c, b));
    dot(u, v) / (norm(u) * norm(v))
}

/// One plane's candidate positions of C_i and N_{i+1}.
struct Plane {
    /// Turns (degrees) of the candidates; empty for a fixed plane.
    turns: Vec<f64>,
    c: Vec<V3>,
    n: Vec<V3>,
}

/// The planar unit CA_i, C_i, N_{i+1}, CA_{i+1} for CAs `d` apart, with ideal bond lengths:
/// C relative to CA_i and N relative to CA_{i+1}, as (along the CA-CA axis, across it). At
/// the ideal unit's CA-CA distance this is the ideal unit (relax.rs); at another distance the
/// CA-C-N and C-N-CA angles both open or close by the same amount (as the relaxation leaves a
/// strained unit), found by bisection. `None` when no such unit spans `d`.
fn unit_shape(d: f64) -> Option<[f64; 4]> {
    let (cu, cv) = (PEPTIDE[1][0] - PEPTIDE[0][0], PEPTIDE[1][1] - PEPTIDE[0][1]);
    let (nu, nv) = (PEPTIDE[2][0] - PEPTIDE[3][0], PEPTIDE[2][1] - PEPTIDE[3][1]);
    // Angles of CA_i -> C and CA_{i+1} -> N away from the axis (C on the negative side).
    let alpha0 = atan2(-cv, cu);
    let beta0 = atan2(nv, -nu);
    let shape = |delta: f64| {
        let (sa, ca) = sin_cos(alpha0 + delta);
        let (sb, cb) = sin_cos(beta0 + delta);
        [ideal::CA_C * ca, -ideal::CA_C * sa, -ideal::N_CA * cb, ideal::N_CA * sb]
    };
    let c_n = |s: [f64; 4]| {
        let (dx, dy) = (d + s[2] - s[0], s[3] - s[1]);
        (dx * dx + dy * dy).sqrt() - ideal::C_N
    };
    // Both the gap along the axis and across it grow with delta over this range.
    let (mut lo, mut hi) = (-0.3, 0.8);
    if c_n(shape(lo)) > 0.0 || c_n(shape(hi)) < 0.0 {
        return None;
    }
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if c_n(shape(mid)) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(shape(0.5 * (lo + hi)))
}

/// Candidates of the plane between CAs `a` and `b` at the given turns about a -> b, or `None`
/// when no peptide unit spans the two.
fn plane(a: V3, b: V3, turns: Vec<f64>) -> Option<Plane> {
    let [cu, cv, nu, nv] = unit_shape(dist(a, b))?;
    let x = unit(sub(b, a))?;
    let u = any_perpendicular(x);
    let w = cross(x, u);
    let mut c = Vec::with_capacity(turns.len());
    let mut n = Vec::with_capacity(turns.len());
    for &t in &turns {
        let (s, co) = sin_cos(t.to_radians());
        let dir = add(scale(u, co), scale(w, s));
        c.push(add(a, add(scale(x, cu), scale(dir, cv))));
        n.push(add(b, add(scale(x, nu), scale(dir, nv))));
    }
    Some(Plane { turns, c, n })
}

/// Replaces N (all but the first residue's) and C (all but the last's) of a chain given by
/// its CA trace, keeping the CAs: the peptide planes' turns with the lowest total energy
/// (module note). `n` and `c` come in as a guess at the chain's N and C: the first N and last
/// C are kept, and so are the atoms of a plane whose CA-CA distance is not a peptide's; each
/// plane's energy gains `prior_weight` times the squared distances (A^2) of its C and N from
/// the guess's.
pub fn place_peptide_planes(sequence: &[u8], ca: &[V3], n: &mut [V3], c: &mut [V3], prior_weight: f64) {
    place_planes_with(sequence, ca, n, c, prior_weight, CLASH_WEIGHT);
}

/// [`place_peptide_planes`] with the clash penalty's weight as a parameter (the tests compare
/// it with none).
fn place_planes_with(sequence: &[u8], ca: &[V3], n: &mut [V3], c: &mut [V3], prior_weight: f64, clash_weight: f64) {
    let l = ca.len();
    assert!(sequence.len() == l && n.len() == l && c.len() == l, "place_peptide_planes: lengths differ");
    if l < 2 {
        return;
    }
    let table = Ramachandran::get();
    let fixed = |i: usize| Plane { turns: Vec::new(), c: vec![c[i]], n: vec![n[i + 1]] };
    let build = |centres: &dyn Fn(usize) -> Option<Vec<f64>>| -> Vec<Plane> {
        (0..l - 1).map(|i| centres(i).and_then(|turns| plane(ca[i], ca[i + 1], turns)).unwrap_or_else(|| fixed(i))).collect()
    };
    let coarse = build(&|_| Some((0..COARSE).map(|k| k as f64 * 360.0 / COARSE as f64).collect()));
    let coarse_terms = terms(sequence, ca, (n, c, prior_weight), clash_weight, &coarse, table);
    let first = best_path(&coarse_terms);
    let fine = build(&|i| coarse[i].turns.get(first[i]).map(|t| FINE.iter().map(|d| t + d).collect()));
    let best = best_path(&terms(sequence, ca, (n, c, prior_weight), clash_weight, &fine, table));
    for (i, (p, k)) in fine.iter().zip(best).enumerate() {
        c[i] = p.c[k];
        n[i + 1] = p.n[k];
    }
}

/// [`place_peptide_planes`] on the f32 atoms the pipelines hold. `guess`: the N and C to stay
/// near, with `weight` per A^2; the first N and last C are kept.
pub fn turn_planes(sequence: &[u8], n: &mut [[f32; 3]], ca: &[[f32; 3]], c: &mut [[f32; 3]], guess: (Vec<V3>, Vec<V3>), weight: f64) {
    let l = ca.len();
    if l < 2 {
        return;
    }
    let ca64: Vec<V3> = ca.iter().copied().map(v64).collect();
    let (mut n64, mut c64) = guess;
    n64[0] = v64(n[0]);
    c64[l - 1] = v64(c[l - 1]);
    place_peptide_planes(sequence, &ca64, &mut n64, &mut c64, weight);
    for i in 0..l {
        n[i] = v32(n64[i]);
        c[i] = v32(c64[i]);
    }
}

/// The chain's energy terms over the planes' candidates: residue 0's per candidate of plane
/// 0, residue i's (1 <= i <= L-2) per pair of candidates of planes i-1 and i (row-major, plane
/// i-1's candidate first), and the last residue's per candidate of the last plane; each plane's
/// prior goes with the residue that ends at it.
struct Terms {
    first: Vec<f64>,
    pairs: Vec<Vec<f64>>,
    last: Vec<f64>,
}

fn terms(sequence: &[u8], ca: &[V3], (n_in, c_in, w): (&[V3], &[V3], f64), clash_weight: f64, planes: &[Plane], table: &Ramachandran) -> Terms {
    let l = ca.len();
    let (n_first, c_last) = (n_in[0], c_in[l - 1]);
    let sq = |a: V3, b: V3| {
        let d = sub(a, b);
        dot(d, d)
    };
    // Prior of plane i's candidate k: its C_i and N_{i+1} near the guess's.
    let prior: Vec<Vec<f64>> = planes.iter().enumerate().map(|(i, p)| (0..p.c.len()).map(|k| w * (sq(p.c[k], c_in[i]) + sq(p.n[k], n_in[i + 1]))).collect()).collect();
    let class = |i: usize| rama_class(sequence, i);
    // Squared overlap of two atoms closer than `d0`.
    let overlap = |a: V3, b: V3, d0: f64| {
        let d2 = sq(a, b);
        if d2 < d0 * d0 {
            let o = d0 - d2.sqrt();
            o * o
        } else {
            0.0
        }
    };
    // Residue 0: psi (and N-CA-C) from plane 0 alone.
    let p0 = &planes[0];
    let first = (0..p0.c.len())
        .map(|b| table.energy_psi(class(0), torsion_deg(n_first, ca[0], p0.c[b], p0.n[b])) + table.energy_tau(cos_angle(n_first, ca[0], p0.c[b])) + prior[0][b])
        .collect();
    let pairs = (1..l - 1)
        .map(|i| {
            let (pa, pb) = (&planes[i - 1], &planes[i]);
            let k = class(i);
            let mut e = Vec::with_capacity(pa.c.len() * pb.c.len());
            // O_{i-1} of each candidate of plane i-1 (none where the unit is degenerate).
            let o_a: Vec<Option<V3>> = (0..pa.c.len()).map(|a| place_o_peptide(ca[i - 1], pa.c[a], pa.n[a])).collect();
            let glycine = k == RamaClass::Glycine;
            // The torsions' atan2 arguments are dot products of one vector from each plane
            // (torsion_y_x with the cross products taken once per candidate): phi about
            // N_i -> CA_i, psi about CA_i -> C_i.
            let per_b: Vec<(V3, V3, V3, f64)> = (0..pb.c.len())
                .map(|b| {
                    let to_c = sub(pb.c[b], ca[i]);
                    let c_len = norm(to_c);
                    let across = cross(to_c, sub(pb.n[b], pb.c[b]));
                    (to_c, scale(across, c_len), cross(to_c, across), c_len)
                })
                .collect();
            for (a, &o_prev) in o_a.iter().enumerate() {
                let from_n = sub(ca[i], pa.n[a]);
                let n_len = norm(from_n);
                let m = cross(sub(pa.n[a], pa.c[a]), from_n);
                let (phi_y, phi_x) = (scale(m, n_len), cross(m, from_n));
                for (b, &(to_c, psi_y, psi_x, c_len)) in per_b.iter().enumerate() {
                    let phi = atan2_deg(dot(phi_y, to_c), dot(phi_x, to_c));
                    let psi = atan2_deg(dot(from_n, psi_y), dot(from_n, psi_x));
                    let cos_tau = -dot(from_n, to_c) / (n_len * c_len);
                    let n_next = pb.n[b];
                    let mut bumps = overlap(pa.c[a], n_next, C_N_NEXT);
                    if let Some(o) = o_prev {
                        bumps += overlap(o, n_next, O_N_NEXT);
                        if !glycine {
                            bumps += overlap(o, place_cb(pa.n[a], ca[i], pb.c[b]), O_CB_NEXT);
                        }
                    }
                    e.push(table.energy(k, phi, psi) + table.energy_tau(cos_tau) + prior[i][b] + clash_weight * bumps);
                }
            }
            e
        })
        .collect();
    // The last residue: phi (and N-CA-C) from the last plane alone.
    let pl = &planes[l - 2];
    let last = (0..pl.c.len()).map(|a| table.energy_phi(class(l - 1), torsion_deg(pl.c[a], pl.n[a], ca[l - 1], c_last)) + table.energy_tau(cos_angle(pl.n[a], ca[l - 1], c_last))).collect();
    Terms { first, pairs, last }
}

/// Viterbi: the index of each plane's candidate on the path of lowest total energy (ties to
/// the lower index, so the same inputs always give the same path).
fn best_path(t: &Terms) -> Vec<usize> {
    let mut cost = t.first.clone();
    let mut back: Vec<Vec<usize>> = Vec::with_capacity(t.pairs.len());
    for e in &t.pairs {
        let kb = e.len() / cost.len();
        let mut next = vec![f64::INFINITY; kb];
        let mut from = vec![0usize; kb];
        for (a, &ca_cost) in cost.iter().enumerate() {
            for b in 0..kb {
                let v = ca_cost + e[a * kb + b];
                if v < next[b] {
                    next[b] = v;
                    from[b] = a;
                }
            }
        }
        back.push(from);
        cost = next;
    }
    let end = |a: usize| cost[a] + t.last[a];
    let mut k = 0;
    for a in 1..cost.len() {
        if end(a) < end(k) {
            k = a;
        }
    }
    let mut path = vec![0usize; t.pairs.len() + 1];
    let planes = path.len();
    path[planes - 1] = k;
    for i in (0..back.len()).rev() {
        k = back[i][k];
        path[i] = k;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_parses_and_prefers_helix_and_strand_to_the_forbidden_region() {
        let t = Ramachandran::get();
        let g = RamaClass::General;
        let helix = t.energy(g, -63.0, -42.0);
        let strand = t.energy(g, -120.0, 130.0);
        let forbidden = t.energy(g, 0.0, 0.0);
        assert!(helix < 0.0 && strand < 0.0 && forbidden > 5.0, "{helix} {strand} {forbidden}");
        // Glycine's left-handed region is common; the general class's much less so.
        assert!(t.energy(RamaClass::Glycine, 80.0, 10.0) + 1.0 < t.energy(g, 80.0, 10.0));
        // Periodic: -180 and 180 are the same angle.
        assert!((t.energy(g, -180.0, 150.0) - t.energy(g, 180.0, 150.0)).abs() < 1e-12);
    }

    #[test]
    fn the_unit_keeps_ideal_bonds_at_every_ca_ca_distance_a_peptide_spans() {
        let ideal_d = PEPTIDE[3][0] - PEPTIDE[0][0];
        for d in [3.5, 3.6, 3.7, ideal_d, 3.85, 3.9] {
            let [cu, cv, nu, nv] = unit_shape(d).unwrap_or_else(|| panic!("no unit spans {d}"));
            let c_n = ((d + nu - cu).powi(2) + (nv - cv).powi(2)).sqrt();
            assert!(((cu * cu + cv * cv).sqrt() - ideal::CA_C).abs() < 1e-9, "{d}: CA-C");
            assert!(((nu * nu + nv * nv).sqrt() - ideal::N_CA).abs() < 1e-9, "{d}: N-CA");
            assert!((c_n - ideal::C_N).abs() < 1e-9, "{d}: C-N {c_n}");
        }
        // At the ideal unit's own distance the ideal unit comes back.
        let [cu, cv, nu, nv] = unit_shape(ideal_d).unwrap();
        let want = [PEPTIDE[1][0] - PEPTIDE[0][0], PEPTIDE[1][1] - PEPTIDE[0][1], PEPTIDE[2][0] - PEPTIDE[3][0], PEPTIDE[2][1] - PEPTIDE[3][1]];
        for (got, want) in [cu, cv, nu, nv].iter().zip(want) {
            assert!((got - want).abs() < 1e-3, "{got} against {want}");
        }
        // Too far apart for any peptide (a chain break).
        assert!(unit_shape(4.5).is_none());
    }

    #[test]
    fn the_short_atan2_agrees_with_the_portable_one() {
        for k in 0..2000 {
            let t = -3.2 + 6.4 * k as f64 / 1999.0;
            let (s, c) = sin_cos(t);
            for r in [0.3, 1.0, 7.0] {
                let d = atan2_deg(r * s, r * c) - atan2(r * s, r * c).to_degrees();
                assert!(d.abs() < 1e-8, "{t}: {d}");
            }
        }
        assert_eq!(atan2_deg(0.0, 0.0), 0.0);
    }

    /// Pairs of atoms of residues i-1 and i+1 (O or C against N, O against CB of residue i
    /// from the other side) closer than 2.5 A: the clashes two planes of one residue can make.
    fn local_clashes(seq: &[u8], n: &[V3], ca: &[V3], c: &[V3]) -> usize {
        let mut count = 0;
        for i in 1..ca.len() - 1 {
            let o = place_o_peptide(ca[i - 1], c[i - 1], n[i]).unwrap();
            let close = |a: V3, b: V3| (dist(a, b) < 2.5) as usize;
            count += close(o, n[i + 1]) + close(c[i - 1], n[i + 1]);
            if rama_class(seq, i) != RamaClass::Glycine {
                count += close(o, place_cb(n[i], ca[i], c[i]));
            }
        }
        count
    }

    #[test]
    fn the_clash_penalty_keeps_neighbouring_planes_apart() {
        // CA traces with tight turns (CA-CA-CA angles of 80-150 degrees, any dihedral: what a
        // low-confidence loop or a squeezed gap can look like), from a fixed-seed generator.
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let seq = b"MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ";
        let (mut without, mut with) = (0, 0);
        for _ in 0..10 {
            let mut ca: Vec<V3> = vec![[0.0, 0.0, 0.0], [3.8, 0.0, 0.0], [5.0, 3.6, 0.0]];
            while ca.len() < seq.len() {
                let k = ca.len();
                let (theta, tau) = ((80.0 + 70.0 * uniform()).to_radians(), (360.0 * uniform() - 180.0).to_radians());
                ca.push(crate::geometry::place_sin_cos(ca[k - 3], ca[k - 2], ca[k - 1], 3.8, theta.sin_cos(), tau.sin_cos()));
            }
            let guess = || (vec![add(ca[0], [-1.0, 0.5, 0.0]); ca.len()], vec![add(ca[ca.len() - 1], [1.0, 0.5, 0.0]); ca.len()]);
            for (weight, count) in [(0.0, &mut without), (CLASH_WEIGHT, &mut with)] {
                let (mut n, mut c) = guess();
                place_planes_with(seq, &ca, &mut n, &mut c, 0.0, weight);
                *count += local_clashes(seq, &n, &ca, &c);
            }
        }
        eprintln!("local clashes: {without} without the penalty, {with} with it");
        assert!(without >= 10 && with * 5 <= without, "local clashes: {without} without the penalty, {with} with it");
    }

    #[test]
    fn classes_follow_the_sequence() {
        let s = b"GPAPa";
        let k: Vec<RamaClass> = (0..s.len()).map(|i| rama_class(s, i)).collect();
        assert_eq!(k, [RamaClass::Glycine, RamaClass::Proline, RamaClass::PreProline, RamaClass::Proline, RamaClass::General]);
    }
}
