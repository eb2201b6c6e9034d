//! The low-resolution energy of an assembled CA trace (docs/ASSEMBLY.md, Energy), counted on
//! the template library when a prediction starts.
//!
//! Each residue is its CA and one side-chain point 2.4 A from CA along the CB direction (CA
//! itself for glycine), the CB direction fixed in the frame of CA(i-1), CA(i), CA(i+1). Terms:
//! - pair: -ln(P(d | a, b, s) / P(d | s)) for the side-chain points of residues of types a, b at
//!   sequence separation class s (3-5, 6-11, 12+) in 1 A distance bins up to 12 A, relative to
//!   the pair being further apart (so distant pairs cost nothing);
//! - burial: -ln(P(n | a) / P(n)) for the number n of side-chain points within 10 A;
//! - clashes: squared overlap of CA pairs under 4.0 A and side-chain points under 3.6 A;
//! - compactness: the radius of gyration (Rosetta's rg term), weighted by stage;
//! - strand pairing: a reward for pairs of strand-like positions whose CAs are 4.2-5.6 A apart,
//!   the distance of paired strands, which single residue-pair statistics reward too weakly.
//!
//! Counts come from every [`COUNT_STRIDE`]-th library chain, decoded from the library's codes
//! with exact arithmetic and logarithms from `geometry::portable`, so the CLI and the page get
//! the same tables bit for bit. They are counted once per library ([`Counts::library`]); a
//! prediction that excludes entries subtracts theirs ([`Counts::without`]).

use super::chain::CodeTables;
use crate::geometry::portable;
use crate::geometry::{add, cross, dot, place_sin_cos, scale, sub, unit, V3};
use crate::templates::library::Library;
use crate::templates::profile::aa_index;
use crate::templates::search::is_excluded;

/// One chain in this many is counted.
pub const COUNT_STRIDE: usize = 8;
/// Distance bins of the pair term: [3,4), [4,5), ... [11,12) A (closer counts as [3,4)); then
/// "beyond".
const PAIR_BINS: usize = 9;
const PAIR_CUTOFF: f64 = 12.0;
const SEP_CLASSES: usize = 3;
const BURIAL_RADIUS: f64 = 10.0;
const BURIAL_BINS: usize = 40;
/// Side-chain point distance from CA along the CB direction (A).
const SIDE_POINT: f64 = 2.4;
/// Pseudo-counts (in pairs or residues) that pull sparse cells towards the reference.
const PSEUDO: f64 = 20.0;
const CA_CLASH: f64 = 4.0;
const SIDE_CLASH: f64 = 3.6;
const PAIRING_RANGE: (f64, f64) = (4.2, 5.6);

fn sep_class(sep: usize) -> usize {
    match sep {
        0..=5 => 0,
        6..=11 => 1,
        _ => 2,
    }
}

/// Residue type: AA_ORDER index, 20 for anything else.
pub fn residue_type(letter: u8) -> usize {
    aa_index(letter).unwrap_or(20)
}

/// The tables of the pair and burial terms and the CB direction.
#[derive(Clone)]
pub struct Potentials {
    /// `pair[((a * 21 + b) * SEP_CLASSES + s) * PAIR_BINS + bin]`, beyond-cutoff subtracted.
    pair: Vec<f64>,
    /// `burial[a * BURIAL_BINS + n]`.
    burial: Vec<f64>,
    /// CB direction in the local frame (x, y, z of [`local_frame`]), unit length.
    cb_direction: V3,
}

/// The frame of CA b between neighbours a and c: x along a -> c, y towards the neighbours
/// (in the plane), z = x cross y.
fn local_frame(a: V3, b: V3, c: V3) -> Option<[V3; 3]> {
    let x = unit(sub(c, a))?;
    let v = add(sub(a, b), sub(c, b));
    let y = unit(sub(v, scale(x, dot(v, x))))?;
    Some([x, y, cross(x, y)])
}

/// Side-chain points of a CA trace (CA for glycine, the termini and degenerate frames).
pub fn side_points(ca: &[V3], types: &[usize], cb_direction: V3, out: &mut Vec<V3>) {
    out.clear();
    let l = ca.len();
    for i in 0..l {
        let glycine = types[i] == 5;
        let p = if i == 0 || i + 1 == l || glycine {
            ca[i]
        } else {
            match local_frame(ca[i - 1], ca[i], ca[i + 1]) {
                Some(f) => add(ca[i], scale(add(add(scale(f[0], cb_direction[0]), scale(f[1], cb_direction[1])), scale(f[2], cb_direction[2])), SIDE_POINT)),
                None => ca[i],
            }
        };
        out.push(p);
    }
}

/// The CA trace of a library chain from its codes (exact arithmetic, portable tables).
fn decode(lib: &Library, tables: &CodeTables, chain: usize) -> Vec<V3> {
    let (d, theta, tau) = lib.internal_codes();
    let s = lib.code_steps();
    let start = lib.chain_start(chain);
    let m = lib.sequence(chain).len();
    let mut ca: Vec<V3> = Vec::with_capacity(m);
    for k in 0..m {
        let g = start + k;
        let dk = s.d_min + s.d_step * d[g] as f64;
        let p = match k {
            0 => [0.0; 3],
            1 => [dk, 0.0, 0.0],
            2 => {
                let (sn, cs) = tables.theta[theta[g] as usize];
                add(ca[1], [-dk * cs, dk * sn, 0.0])
            }
            _ => place_sin_cos(ca[k - 3], ca[k - 2], ca[k - 1], dk, tables.theta[theta[g] as usize], tables.tau[tau[g] as usize]),
        };
        ca.push(p);
    }
    ca
}

/// The CB direction in [`local_frame`], from the library's own N/C rebuilding of its first
/// chains (templates/backbone.rs) and the tetrahedral CB rule, rounded to 1e-4 so that last
/// bits of the platform's trigonometry cannot change it.
fn cb_direction(lib: &Library) -> V3 {
    let mut sum = [0.0; 3];
    for chain in 0..lib.len().min(50) {
        let ca = lib.ca(chain);
        let (n, c) = crate::templates::backbone::rebuild_n_c(&ca, &lib.backbone_table);
        for i in 1..ca.len().saturating_sub(1) {
            let cb = crate::geometry::atoms::place_cb(n[i], ca[i], c[i]);
            if let (Some(f), Some(u)) = (local_frame(ca[i - 1], ca[i], ca[i + 1]), unit(sub(cb, ca[i]))) {
                sum = add(sum, [dot(u, f[0]), dot(u, f[1]), dot(u, f[2])]);
            }
        }
    }
    let u = unit(sum).unwrap_or([0.0, -0.5, 0.85]);
    let r = |x: f64| (x * 1e4).round() / 1e4;
    [r(u[0]), r(u[1]), r(u[2])]
}

/// The raw counts the tables come from: pair distances by type, separation and bin, and
/// burial by type and neighbour count. Counts add up over chains, so the counts without some
/// chains are the whole library's minus theirs.
#[derive(Clone)]
pub struct Counts {
    pair: Vec<f64>,
    burial: Vec<f64>,
    cb_direction: V3,
}

impl Counts {
    /// Every [`COUNT_STRIDE`]-th chain of the library.
    pub fn library(lib: &Library, tables: &CodeTables) -> Self {
        let mut c = Counts { pair: vec![0.0; 21 * 21 * SEP_CLASSES * (PAIR_BINS + 1)], burial: vec![0.0; 21 * BURIAL_BINS], cb_direction: cb_direction(lib) };
        for chain in (0..lib.len()).step_by(COUNT_STRIDE) {
            c.add_chain(lib, tables, chain, 1.0);
        }
        c
    }

    /// These counts without the counted chains that match `exclude`.
    pub fn without(&self, lib: &Library, tables: &CodeTables, exclude: &[String]) -> Self {
        let mut c = self.clone();
        if !exclude.is_empty() {
            for chain in (0..lib.len()).step_by(COUNT_STRIDE) {
                if is_excluded(lib.name(chain), exclude) {
                    c.add_chain(lib, tables, chain, -1.0);
                }
            }
        }
        c
    }

    fn add_chain(&mut self, lib: &Library, tables: &CodeTables, chain: usize, weight: f64) {
        let ca = decode(lib, tables, chain);
        let types: Vec<usize> = lib.sequence(chain).iter().map(|&c| residue_type(c)).collect();
        let mut side = Vec::new();
        side_points(&ca, &types, self.cb_direction, &mut side);
        let m = ca.len();
        let mut neighbours = vec![0usize; m];
        for i in 0..m {
            for j in i + 1..m {
                let d2 = dist2(side[i], side[j]);
                if d2 < BURIAL_RADIUS * BURIAL_RADIUS {
                    neighbours[i] += 1;
                    neighbours[j] += 1;
                }
                if j - i < 3 || types[i] == 20 || types[j] == 20 {
                    continue;
                }
                let bin = if d2 < PAIR_CUTOFF * PAIR_CUTOFF { pair_bin(d2.sqrt()) } else { PAIR_BINS };
                let s = sep_class(j - i);
                self.pair[((types[i] * 21 + types[j]) * SEP_CLASSES + s) * (PAIR_BINS + 1) + bin] += weight;
                self.pair[((types[j] * 21 + types[i]) * SEP_CLASSES + s) * (PAIR_BINS + 1) + bin] += weight;
            }
        }
        // The termini's points are their CAs: not counted for burial.
        for i in 1..m.saturating_sub(1) {
            if types[i] < 20 {
                self.burial[types[i] * BURIAL_BINS + neighbours[i].min(BURIAL_BINS - 1)] += weight;
            }
        }
    }
}

impl Potentials {
    /// The tables from counts (log-odds against the all-types reference, with pseudo-counts).
    pub fn from_counts(counts: &Counts) -> Self {
        let (pair_n, burial_n, cb) = (&counts.pair, &counts.burial, counts.cb_direction);
        // Pair: reference P(bin | s) over all types.
        let mut pair = vec![0.0; 21 * 21 * SEP_CLASSES * PAIR_BINS];
        for s in 0..SEP_CLASSES {
            let mut reference = [0.0; PAIR_BINS + 1];
            for ab in 0..21 * 21 {
                for bin in 0..=PAIR_BINS {
                    reference[bin] += pair_n[(ab * SEP_CLASSES + s) * (PAIR_BINS + 1) + bin];
                }
            }
            let total: f64 = reference.iter().sum::<f64>().max(1.0);
            let p_ref: Vec<f64> = reference.iter().map(|x| (x / total).max(1e-9)).collect();
            for ab in 0..20 * 21 {
                if ab % 21 == 20 {
                    continue;
                }
                let cell = &pair_n[(ab * SEP_CLASSES + s) * (PAIR_BINS + 1)..][..PAIR_BINS + 1];
                let n: f64 = cell.iter().sum();
                let e = |bin: usize| -portable::ln((cell[bin] + PSEUDO * p_ref[bin]) / (n + PSEUDO) / p_ref[bin]);
                let beyond = e(PAIR_BINS);
                for bin in 0..PAIR_BINS {
                    pair[(ab * SEP_CLASSES + s) * PAIR_BINS + bin] = e(bin) - beyond;
                }
            }
        }
        let mut reference = vec![0.0; BURIAL_BINS];
        for a in 0..20 {
            for n in 0..BURIAL_BINS {
                reference[n] += burial_n[a * BURIAL_BINS + n];
            }
        }
        let total: f64 = reference.iter().sum::<f64>().max(1.0);
        let mut burial = vec![0.0; 21 * BURIAL_BINS];
        for a in 0..20 {
            let row = &burial_n[a * BURIAL_BINS..][..BURIAL_BINS];
            let n_a: f64 = row.iter().sum();
            for n in 0..BURIAL_BINS {
                let p = (reference[n] / total).max(1e-9);
                burial[a * BURIAL_BINS + n] = -portable::ln((row[n] + PSEUDO * p) / (n_a + PSEUDO) / p);
            }
        }
        Potentials { pair, burial, cb_direction: cb }
    }

    pub fn cb_direction(&self) -> V3 {
        self.cb_direction
    }
}

#[inline]
fn dist2(a: V3, b: V3) -> f64 {
    let d = sub(a, b);
    dot(d, d)
}

#[inline]
fn pair_bin(d: f64) -> usize {
    ((d - 3.0).max(0.0) as usize).min(PAIR_BINS - 1)
}

/// Term weights of one stage of the protocol.
#[derive(Clone, Copy, Debug)]
pub struct Weights {
    pub pair: f64,
    pub burial: f64,
    pub clash: f64,
    pub rg: f64,
    pub pairing: f64,
}

/// The energy's terms for one conformation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Terms {
    pub pair: f64,
    pub burial: f64,
    pub clash: f64,
    pub rg: f64,
    pub pairing: f64,
}

impl Terms {
    pub fn total(&self, w: &Weights) -> f64 {
        w.pair * self.pair + w.burial * self.burial + w.clash * self.clash + w.rg * self.rg + w.pairing * self.pairing
    }
}

/// Scratch space for [`Potentials::terms`] (no allocation per move).
#[derive(Default)]
pub struct Scratch {
    side: Vec<V3>,
    neighbours: Vec<usize>,
}

impl Potentials {
    /// Every term for the CA trace `ca` of residues `types`; `strand_like[i]` marks positions
    /// whose local geometry is a strand's (they can pair).
    pub fn terms(&self, ca: &[V3], types: &[usize], strand_like: &[bool], scratch: &mut Scratch) -> Terms {
        let l = ca.len();
        side_points(ca, types, self.cb_direction, &mut scratch.side);
        let side = &scratch.side;
        scratch.neighbours.clear();
        scratch.neighbours.resize(l, 0);
        let mut t = Terms::default();
        for i in 0..l {
            let ti = types[i];
            for j in i + 1..l {
                let ds2 = dist2(side[i], side[j]);
                if ds2 < BURIAL_RADIUS * BURIAL_RADIUS {
                    scratch.neighbours[i] += 1;
                    scratch.neighbours[j] += 1;
                    if ds2 < SIDE_CLASH * SIDE_CLASH && j - i >= 2 {
                        let o = SIDE_CLASH - ds2.sqrt();
                        t.clash += o * o;
                    }
                }
                if j - i < 3 {
                    continue;
                }
                let dc2 = dist2(ca[i], ca[j]);
                if dc2 < CA_CLASH * CA_CLASH {
                    let o = CA_CLASH - dc2.sqrt();
                    t.clash += o * o;
                }
                if strand_like[i] && strand_like[j] && j - i >= 3 && dc2 >= PAIRING_RANGE.0 * PAIRING_RANGE.0 && dc2 <= PAIRING_RANGE.1 * PAIRING_RANGE.1 {
                    t.pairing -= 1.0;
                }
                if ds2 < PAIR_CUTOFF * PAIR_CUTOFF && ti < 20 && types[j] < 20 {
                    t.pair += self.pair[((ti * 21 + types[j]) * SEP_CLASSES + sep_class(j - i)) * PAIR_BINS + pair_bin(ds2.sqrt())];
                }
            }
        }
        for (&ti, &n) in types.iter().zip(&scratch.neighbours).take(l.saturating_sub(1)).skip(1) {
            if ti < 20 {
                t.burial += self.burial[ti * BURIAL_BINS + n.min(BURIAL_BINS - 1)];
            }
        }
        t.rg = crate::geometry::radius_of_gyration(ca);
        t
    }
}
