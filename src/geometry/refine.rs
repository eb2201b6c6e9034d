//! Clash relief: the last step of a template model, after its side chains are packed.
//!
//! ProMod3 ends its models with an energy minimisation, which leaves practically no heavy atoms
//! closer than 2.5 A; the packing alone cannot move a backbone, and left about 20 such pairs
//! per 1000 atoms on the CASP13 template models, mostly a side chain on the backbone of a
//! low-confidence loop (docs/TEMPLATES.md, Clash relief). Here every heavy atom may move a
//! little: [`SWEEPS`] sweeps, each of which
//! 1. pushes apart every pair of atoms that are more than three bonds apart and closer than
//!    their contact distance ([`CONTACT`], [`POLAR_CONTACT`] for two N/O atoms, which may
//!    hydrogen-bond; two cysteine SG never: they may form a disulfide), all the way in the
//!    first sweep and less in each later one, to nothing in the last,
//! 2. projects every bond and every pair two bonds apart back to its starting length (the
//!    packed model's geometry is ideal), and pairs three bonds apart part of the way
//!    ([`TORSION_STIFFNESS`], which keeps the torsions, phi and psi among them, near where the
//!    peptide planes and the packing put them, and rings flat), three times,
//! 3. pulls every CA a little back to where it started ([`CA_RESTRAINT`]; the other atoms
//!    follow their bonds), so that the fold the scores and the pLDDT are about stays;
//!
//! then passes over the bonded pairs alone restore the bonds, until none has changed by more
//! than [`BOND_TOLERANCE`] (a model where that fails, jammed beyond repair, is left as it was).
//!
//! Bonds are read from the model itself: atoms of one residue closer than [`BOND_LIMIT`] (the
//! packed geometry has no non-bonded pair of a residue that close) and each residue's C with
//! the next one's N. Plain `+ - * / sqrt` in f64, sequential loops: the page's model equals the
//! CLI's bit for bit.

use std::collections::HashSet;

use super::pairs::{grid_pairs, moved_beyond};
use super::relax::project;
use super::{dist, v32, v64, Structure, V3};

/// Contact distance (A) of two heavy atoms, unless both are N or O.
pub const CONTACT: f64 = 3.0;
/// Contact distance (A) of two N/O atoms (hydrogen bonds are 2.7-3.1 A).
pub const POLAR_CONTACT: f64 = 2.7;
/// Fraction of its deviation a pair three bonds apart is corrected by in a pass.
pub const TORSION_STIFFNESS: f64 = 0.05;
/// Fraction of the way back to its start a CA moves in a sweep (the other atoms follow their
/// bonds).
pub const CA_RESTRAINT: f64 = 0.02;
/// Sweeps of push, bonds and restraint.
pub const SWEEPS: usize = 100;
/// Passes over the bonded pairs in each sweep.
const BOND_PASSES: usize = 3;
/// Passes over the bonded pairs alone after the sweeps.
const FINAL_SWEEPS: usize = 10;
/// Largest change (A) of a bond or angle pair's length the relief leaves; more passes over the
/// bonded pairs alone are made until it holds (at most [`MAX_EXTRA_SWEEPS`]).
const BOND_TOLERANCE: f64 = 0.05;
const MAX_EXTRA_SWEEPS: usize = 200;
/// A model whose bonds have still changed by more than this (A) keeps its unrelieved atoms.
const REVERT_TOLERANCE: f64 = 0.08;
/// The most (A) each atom of a pair moves in one push.
const MAX_PUSH: f64 = 0.1;
/// Two atoms of one residue closer than this (A) are bonded.
const BOND_LIMIT: f64 = 1.9;
/// Verlet-list skin (A): the contact list is rebuilt when an atom moved more than a quarter of it.
const SKIN: f64 = 1.0;

/// One heavy atom of the model: its residue and what it is.
struct Atom {
    residue: usize,
    polar: bool,
    sulfur: bool,
    ca: bool,
}

/// Removes clashes between the heavy atoms of `s` by small moves of every atom (see the module
/// documentation); leaves `s` as it was where the bonds could not be restored.
pub fn relieve_clashes(s: &mut Structure) {
    let (mut x, atoms) = gather(s);
    if x.is_empty() || x.iter().any(|p| p.iter().any(|v| !v.is_finite())) {
        return;
    }
    let start = x.clone();
    let (near, excluded) = bonded_pairs(s, &x, &atoms);
    let mut contacts = Contacts::new(&x, &atoms, &excluded);
    for sweep in 0..SWEEPS {
        contacts.update(&x, &atoms, &excluded);
        // The push fades out over the sweeps, so that the bonds have the last word.
        contacts.push_apart(&mut x, (SWEEPS - sweep) as f64 / SWEEPS as f64);
        for _ in 0..BOND_PASSES {
            project_all(&mut x, &near);
        }
        for (p, (p0, a)) in x.iter_mut().zip(start.iter().zip(&atoms)) {
            if a.ca {
                for t in 0..3 {
                    p[t] += CA_RESTRAINT * (p0[t] - p[t]);
                }
            }
        }
    }
    for _ in 0..FINAL_SWEEPS {
        project_all(&mut x, &near);
    }
    // Where atoms were jammed together, the bonds may need more sweeps to come back; a model
    // whose bonds still do not is left as it was (it keeps its clashes, not broken bonds).
    let mut extra = 0;
    while largest_bond_change(&x, &near) > BOND_TOLERANCE && extra < MAX_EXTRA_SWEEPS {
        project_all(&mut x, &near);
        extra += 1;
    }
    if largest_bond_change(&x, &near) <= REVERT_TOLERANCE {
        scatter(s, &x);
    }
}

/// Two atoms one, two or three bonds apart: their starting distance and how far each pass
/// takes them back to it.
struct Bonded {
    a: usize,
    b: usize,
    length: f64,
    stiffness: f64,
}

/// One Gauss-Seidel pass over the bonded pairs (see [`bonded_pairs`]).
fn project_all(x: &mut [V3], near: &[Bonded]) {
    for p in near {
        project(x, p.a, p.b, p.length, p.stiffness);
    }
}

/// The largest change of length of a pair one or two bonds apart (the pairs of stiffness 1:
/// bond lengths and bond angles).
fn largest_bond_change(x: &[V3], near: &[Bonded]) -> f64 {
    near.iter().filter(|p| p.stiffness == 1.0).map(|p| (dist(x[p.a], x[p.b]) - p.length).abs()).fold(0.0, f64::max)
}

/// Every heavy atom in file order (N, CA, C, O, CB, side chain of each residue).
fn gather(s: &Structure) -> (Vec<V3>, Vec<Atom>) {
    let mut x = Vec::new();
    let mut atoms = Vec::new();
    for i in 0..s.len() {
        let mut push = |p: [f32; 3], element: &str, ca: bool| {
            x.push(v64(p));
            atoms.push(Atom { residue: i, polar: element == "N" || element == "O", sulfur: element == "S", ca });
        };
        push(s.n[i], "N", false);
        push(s.ca[i], "C", true);
        push(s.c[i], "C", false);
        push(s.o[i], "O", false);
        if let Some(cb) = s.cb[i] {
            push(cb, "C", false);
        }
        for a in s.side.get(i).into_iter().flatten() {
            push(a.pos, a.element, false);
        }
    }
    (x, atoms)
}

/// Writes the moved atoms back, in [`gather`]'s order.
fn scatter(s: &mut Structure, x: &[V3]) {
    let mut k = 0;
    let mut next = || {
        k += 1;
        v32(x[k - 1])
    };
    for i in 0..s.len() {
        s.n[i] = next();
        s.ca[i] = next();
        s.c[i] = next();
        s.o[i] = next();
        if let Some(cb) = s.cb[i].as_mut() {
            *cb = next();
        }
        for a in s.side.get_mut(i).into_iter().flatten() {
            a.pos = next();
        }
    }
}

/// Pairs one, two and three bonds apart with their starting lengths and stiffness (1 for the
/// first two, [`TORSION_STIFFNESS`] for the third), and the set of all of them (never pushed apart).
fn bonded_pairs(s: &Structure, x: &[V3], atoms: &[Atom]) -> (Vec<Bonded>, HashSet<(u32, u32)>) {
    let n = x.len();
    let mut bonds: Vec<Vec<usize>> = vec![Vec::new(); n];
    // Residue i's atoms are a contiguous range; its N is the range's first, its C the third.
    let mut first = vec![0usize; s.len() + 1];
    for (k, a) in atoms.iter().enumerate() {
        first[a.residue + 1] = k + 1;
    }
    for i in 0..s.len() {
        let (lo, hi) = (first[i], first[i + 1]);
        for a in lo..hi {
            for b in a + 1..hi {
                if dist(x[a], x[b]) < BOND_LIMIT {
                    bonds[a].push(b);
                    bonds[b].push(a);
                }
            }
        }
        if i + 1 < s.len() {
            let (c, next_n) = (lo + 2, hi);
            bonds[c].push(next_n);
            bonds[next_n].push(c);
        }
    }
    let mut near = Vec::new();
    let mut excluded = HashSet::new();
    for a in 0..n {
        // Breadth-first to depth 3 from a; each pair once (a < b), at its shortest depth.
        let mut depth: Vec<(usize, usize)> = vec![(a, 0)];
        let mut k = 0;
        while k < depth.len() {
            let (p, d) = depth[k];
            k += 1;
            if d == 3 {
                continue;
            }
            for &q in &bonds[p] {
                if !depth.iter().any(|&(r, _)| r == q) {
                    depth.push((q, d + 1));
                }
            }
        }
        for &(b, d) in &depth[1..] {
            if b > a {
                near.push(Bonded { a, b, length: dist(x[a], x[b]), stiffness: if d == 3 { TORSION_STIFFNESS } else { 1.0 } });
                excluded.insert((a as u32, b as u32));
            }
        }
    }
    (near, excluded)
}

/// The contact distance of two atoms, `None` for a pair never pushed apart (two SG).
fn contact(a: &Atom, b: &Atom) -> Option<f64> {
    if a.sulfur && b.sulfur {
        None
    } else if a.polar && b.polar {
        Some(POLAR_CONTACT)
    } else {
        Some(CONTACT)
    }
}

/// Verlet list of the pairs that may come within contact distance.
struct Contacts {
    pairs: Vec<(u32, u32, f64)>,
    built_at: Vec<V3>,
}

impl Contacts {
    fn new(x: &[V3], atoms: &[Atom], excluded: &HashSet<(u32, u32)>) -> Self {
        let mut c = Contacts { pairs: Vec::new(), built_at: Vec::new() };
        c.rebuild(x, atoms, excluded);
        c
    }

    fn rebuild(&mut self, x: &[V3], atoms: &[Atom], excluded: &HashSet<(u32, u32)>) {
        let points: Vec<(u32, V3)> = x.iter().enumerate().map(|(k, p)| (k as u32, *p)).collect();
        let cut = CONTACT + SKIN;
        let mut pairs = Vec::new();
        grid_pairs(&points, cut, |a, b| {
            let (a, b) = (a.min(b), a.max(b));
            if excluded.contains(&(a, b)) {
                return;
            }
            if let Some(d0) = contact(&atoms[a as usize], &atoms[b as usize]) {
                if dist(x[a as usize], x[b as usize]) < cut {
                    pairs.push((a, b, d0));
                }
            }
        });
        // grid_pairs visits cells in a fixed order, but sorting makes the sweep order plain.
        pairs.sort_unstable_by_key(|&(a, b, _)| (a, b));
        self.pairs = pairs;
        self.built_at = x.to_vec();
    }

    fn update(&mut self, x: &[V3], atoms: &[Atom], excluded: &HashSet<(u32, u32)>) {
        if moved_beyond(x, &self.built_at, SKIN / 4.0) {
            self.rebuild(x, atoms, excluded);
        }
    }

    /// Each listed pair closer than its contact distance is moved apart to it (Gauss-Seidel).
    fn push_apart(&self, x: &mut [V3], stiffness: f64) {
        for &(a, b, d0) in &self.pairs {
            let (a, b) = (a as usize, b as usize);
            let d = [x[a][0] - x[b][0], x[a][1] - x[b][1], x[a][2] - x[b][2]];
            let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
            if r2 < d0 * d0 {
                // At most MAX_PUSH a step: a deep overlap opens over several sweeps, with the
                // bonds following, instead of one jump that could turn a chiral centre inside out.
                let r = r2.sqrt();
                let target = d0.min(r + 2.0 * MAX_PUSH);
                project(x, a, b, target, stiffness);
            }
        }
    }
}
