//! Rotamer choice: every residue's rotamers from the backbone-dependent library (its phi/psi
//! cell), scored by how much less probable they are than the cell's best plus a repulsion
//! term for atoms closer than contact distance, less a hydrogen-bond term for a donor and an
//! acceptor within 3.4 A, chosen residue by residue given the others
//! (iterated conditional modes), and pairs of clashing residues together, until no choice
//! changes; residues still clashing then get sub-rotamers (chi1, chi2 turned by 15 degrees)
//! and everything settles again.

use super::build::side_chain;
use super::library::{ResidueType, SideChainLibrary};
use crate::geometry::portable::atan2;
use crate::geometry::{dot, norm, sub, torsion_y_x, v64, Structure, V3};

/// Weight of the repulsion (per A^2 of overlap squared) against the library's -ln(p) units.
pub const REPULSION: f64 = 30.0;
/// Contact distance (A) of a side-chain atom and the backbone (N, CA, C, O) of the residues
/// next to its own, whatever the elements: shorter than [`contact`]'s, since the library's
/// backbone dependence already holds these neighbours' usual effect, so that only real
/// clashes count. Model backbones, whose phi and psi are off, otherwise left side chains on
/// their neighbours' backbone (docs/SIDECHAINS.md, Neighbours' backbone).
const ADJACENT_CONTACT: f64 = 3.0;
/// The largest distance (A) at which two atoms interact: [`HBOND_END`], beyond [`contact`]'s.
const MAX_CONTACT: f64 = HBOND_END;
/// A hydrogen bond's energy (the library's -ln(p) units) for a donor and an acceptor at most
/// [`HBOND_FULL`] apart, falling linearly to 0 at [`HBOND_END`]. Chosen on the CASP13 clean.txt
/// native backbones (0.5-1.5 tried; docs/SIDECHAINS.md, Hydrogen bonds).
pub const HBOND: f64 = 0.75;
const HBOND_FULL: f64 = 3.0;
const HBOND_END: f64 = 3.4;
/// A residue whose chosen rotamer still repels other atoms by more than this gets sub-rotamers.
const SUB_CLASH: f64 = 1.0;
/// Sub-rotamers are made from this many of the residue's best rotamers.
const SUB_PARENTS: usize = 4;
/// Sub-rotamers: (chi1, chi2) turns in degrees (chi2 only for residues that have one).
const SUB_TURNS: [(f64, f64); 8] = [(-15.0, 0.0), (15.0, 0.0), (0.0, -15.0), (0.0, 15.0), (-15.0, -15.0), (-15.0, 15.0), (15.0, -15.0), (15.0, 15.0)];
/// Two residues whose side chains repel each other by more than this are also moved together.
const PAIR_MOVE: f64 = 1.0;
/// Sweeps of the residue-by-residue choice at most (it usually settles in 2-3).
const MAX_SWEEPS: usize = 8;
/// phi / psi used where the chain has none (first / last residue): the most common region
/// of coil residues.
const TERMINAL_PHI: f64 = -70.0;
const TERMINAL_PSI: f64 = 140.0;

/// Contact distance (A) below which two heavy atoms repel: polar pairs may hydrogen-bond,
/// two sulfurs may form a disulfide.
fn contact(a: &str, b: &str) -> f64 {
    let polar = |e: &str| e == "N" || e == "O";
    match (a, b) {
        ("S", "S") => 1.9,
        _ if polar(a) && polar(b) => 2.6,
        _ if polar(a) || polar(b) => 3.0,
        _ => 3.2,
    }
}

/// A heavy atom as the packing scores it: its element and its hydrogen-bonding role.
#[derive(Clone, Copy)]
struct Kind {
    element: &'static str,
    /// [`DONOR`] and/or [`ACCEPTOR`], or 0.
    role: u8,
}

const DONOR: u8 = 1;
const ACCEPTOR: u8 = 2;
const CARBON: Kind = Kind { element: "C", role: 0 };

/// The hydrogen-bonding role of a side-chain atom (its residue type's three-letter name):
/// hydroxyls and histidine's ring nitrogens both give and take (tautomers are not modelled).
fn side_role(three: &str, name: &str) -> u8 {
    match (three, name) {
        ("ARG", "NE" | "NH1" | "NH2") | ("ASN", "ND2") | ("GLN", "NE2") | ("LYS", "NZ") | ("TRP", "NE1") => DONOR,
        ("ASP", "OD1" | "OD2") | ("GLU", "OE1" | "OE2") | ("ASN", "OD1") | ("GLN", "OE1") => ACCEPTOR,
        ("HIS", "ND1" | "NE2") | ("SER", "OG") | ("THR", "OG1") | ("TYR", "OH") => DONOR | ACCEPTOR,
        _ => 0,
    }
}

/// Energy of two atoms: the repulsion below their contact distance, less a hydrogen bond's
/// energy when one can give and the other take (distance only: no angles, no hydrogens).
fn repulsion(p: V3, a: Kind, q: V3, b: Kind) -> f64 {
    let d = sub(p, q);
    let d2 = dot(d, d);
    let e = overlap_from_squared(d2, contact(a.element, b.element));
    let bonds = (a.role & DONOR != 0 && b.role & ACCEPTOR != 0) || (a.role & ACCEPTOR != 0 && b.role & DONOR != 0);
    if !bonds || d2 >= HBOND_END * HBOND_END {
        return e;
    }
    let r = d2.sqrt();
    if r <= HBOND_FULL {
        e - HBOND
    } else {
        e - HBOND * (HBOND_END - r) / (HBOND_END - HBOND_FULL)
    }
}

/// The repulsion of two atoms closer than the contact distance `r`.
fn overlap_energy(p: V3, q: V3, r: f64) -> f64 {
    let d = sub(p, q);
    overlap_from_squared(dot(d, d), r)
}

/// [`overlap_energy`] from the squared distance `d2`.
fn overlap_from_squared(d2: f64, r: f64) -> f64 {
    if d2 >= r * r {
        return 0.0;
    }
    let overlap = r - d2.sqrt();
    REPULSION * overlap * overlap
}

/// Torsion (degrees, IUPAC sign) with the portable atan2.
pub fn torsion_deg(p0: V3, p1: V3, p2: V3, p3: V3) -> f64 {
    let (y, x) = torsion_y_x(p0, p1, p2, p3);
    atan2(y, x).to_degrees()
}

/// One residue's candidates: atoms (with elements) and the library penalty of each rotamer.
struct Candidates {
    residue: usize,
    /// Its residue type, for building more rotamers (sub-rotamers).
    kind: &'static ResidueType,
    elements: Vec<Kind>,
    atoms: Vec<Vec<V3>>,
    penalty: Vec<f64>,
    chis: Vec<Vec<f64>>,
    /// Its CB and reach: no atom of its rotamers can touch an atom further from the CB.
    centre: V3,
    reach: f64,
    /// The backbone atoms within its reach (see [`pack`]).
    fixed: Vec<(V3, Kind)>,
    /// The backbone atoms of the residues next to it (see [`pack`]; [`ADJACENT_CONTACT`]).
    adjacent: Vec<V3>,
    /// Energy of each rotamer against `fixed`, penalty included.
    self_energy: Vec<f64>,
}

impl Candidates {
    fn add(&mut self, atoms: Vec<V3>, penalty: f64, chis: Vec<f64>) {
        let clash: f64 = atoms.iter().zip(&self.elements).map(|(&a, &ea)| self.fixed.iter().map(|&(q, eb)| repulsion(a, ea, q, eb)).sum::<f64>()).sum();
        let adjacent: f64 = atoms.iter().map(|&a| self.adjacent.iter().map(|&q| overlap_energy(a, q, ADJACENT_CONTACT)).sum::<f64>()).sum();
        self.self_energy.push(penalty + clash + adjacent);
        self.atoms.push(atoms);
        self.penalty.push(penalty);
        self.chis.push(chis);
    }
}

/// The chosen rotamer's atoms of each residue that has one: (residue index, atoms).
pub type Packed = Vec<(usize, Vec<V3>)>;

/// Chooses a rotamer for every residue of `s` whose type has side-chain atoms beyond CB.
pub fn pack(s: &Structure, lib: &'static SideChainLibrary) -> Packed {
    let l = s.len();
    let seq: Vec<char> = s.sequence.chars().collect();
    let (n, ca, c) = (|i: usize| v64(s.n[i]), |i: usize| v64(s.ca[i]), |i: usize| v64(s.c[i]));
    let mut residues: Vec<Candidates> = Vec::new();
    for i in 0..l {
        let (Some(rt), Some(Some(cb))) = (seq.get(i).and_then(|a| lib.residues.get(a)), s.cb.get(i)) else { continue };
        let cb = v64(*cb);
        let phi = if i > 0 { torsion_deg(c(i - 1), n(i), ca(i), c(i)) } else { TERMINAL_PHI };
        let psi = if i + 1 < l { torsion_deg(n(i), ca(i), c(i), n(i + 1)) } else { TERMINAL_PSI };
        let rotamers = lib.rotamers(rt, phi, psi);
        let atoms: Vec<Vec<V3>> = rotamers.iter().map(|r| side_chain(rt, n(i), ca(i), cb, &r.chis)).collect();
        // The furthest any rotamer's atom gets from the CB (turning chi1 or chi2 keeps that
        // distance, so sub-rotamers stay inside; 0.1 A to spare), plus the largest contact.
        let reach = atoms.iter().flatten().map(|&p| norm(sub(p, cb))).fold(0.0, f64::max) + MAX_CONTACT + 0.1;
        // Fixed atoms every rotamer meets: backbone and CB of residues not adjacent to its own,
        // and the CBs of the adjacent ones; the adjacent ones' backbone at a shorter contact
        // distance (ADJACENT_CONTACT), but for a proline's previous residue (its ring is
        // bonded to that residue's C through N).
        let mut fixed: Vec<(V3, Kind)> = Vec::new();
        for j in (0..l).filter(|&j| j != i) {
            let cb_j = s.cb[j].map(|p| (v64(p), CARBON));
            // A backbone N gives its hydrogen (a proline's has none), a backbone O takes one.
            let n_j = Kind { element: "N", role: if seq[j] == 'P' { 0 } else { DONOR } };
            let o_j = Kind { element: "O", role: ACCEPTOR };
            let near: Vec<(V3, Kind)> = if j.abs_diff(i) == 1 { cb_j.into_iter().collect() } else { [(n(j), n_j), (ca(j), CARBON), (c(j), CARBON), (v64(s.o[j]), o_j)].into_iter().chain(cb_j).collect() };
            fixed.extend(near.into_iter().filter(|&(q, _)| norm(sub(q, cb)) < reach));
        }
        let adjacent: Vec<V3> = [i.checked_sub(1).filter(|_| seq[i] != 'P'), Some(i + 1).filter(|&j| j < l)]
            .into_iter()
            .flatten()
            .flat_map(|j| [n(j), ca(j), c(j), v64(s.o[j])])
            .collect();
        let mut cand = Candidates { residue: i, kind: rt, elements: elements(rt), atoms: Vec::new(), penalty: Vec::new(), chis: Vec::new(), centre: cb, reach, fixed, adjacent, self_energy: Vec::new() };
        for (r, a) in rotamers.iter().zip(atoms) {
            cand.add(a, r.penalty, r.chis.clone());
        }
        residues.push(cand);
    }
    // Side-chain neighbours of each packed residue (indices into `residues`): those whose
    // reaches overlap.
    let neighbours: Vec<Vec<usize>> = (0..residues.len())
        .map(|a| (0..residues.len()).filter(|&b| b != a && norm(sub(residues[a].centre, residues[b].centre)) < residues[a].reach + residues[b].reach - MAX_CONTACT).collect())
        .collect();
    let mut choice: Vec<usize> = residues.iter().map(|r| argmin(&r.self_energy)).collect();
    settle(&residues, &neighbours, &mut choice);
    // Residues still clashing get sub-rotamers (chi1 and chi2 turned by +-SUB_STEP, the
    // parent's probability), then everything settles again.
    let clashing: Vec<usize> = (0..residues.len()).filter(|&a| single(&residues, &neighbours, a, choice[a], &choice, None) - residues[a].penalty[choice[a]] > SUB_CLASH).collect();
    if !clashing.is_empty() {
        for &a in &clashing {
            // The SUB_PARENTS rotamers of lowest energy given the others' choice.
            let mut parents: Vec<(f64, usize)> = (0..residues[a].atoms.len()).map(|r| (single(&residues, &neighbours, a, r, &choice, None), r)).collect();
            parents.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
            let cand = &mut residues[a];
            let i = cand.residue;
            let cb = cand.centre;
            for &(_, r) in parents.iter().take(SUB_PARENTS) {
                for (d1, d2) in SUB_TURNS {
                    if cand.chis[r].len() < 2 && d2 != 0.0 {
                        continue;
                    }
                    let mut chis = cand.chis[r].clone();
                    chis[0] += d1;
                    if chis.len() > 1 {
                        chis[1] += d2;
                    }
                    let atoms = side_chain(cand.kind, n(i), ca(i), cb, &chis);
                    let p = cand.penalty[r];
                    cand.add(atoms, p, chis);
                }
            }
        }
        settle(&residues, &neighbours, &mut choice);
    }
    residues.into_iter().zip(choice).map(|(mut cand, r)| (cand.residue, cand.atoms.swap_remove(r))).collect()
}

/// Repulsion between rotamer `ra` of residue `a` and rotamer `rb` of residue `b`.
fn pair(residues: &[Candidates], a: usize, ra: usize, b: usize, rb: usize) -> f64 {
    let (x, y) = (&residues[a], &residues[b]);
    x.atoms[ra].iter().zip(&x.elements).map(|(&p, &ep)| y.atoms[rb].iter().zip(&y.elements).map(|(&q, &eq)| repulsion(p, ep, q, eq)).sum::<f64>()).sum()
}

/// Energy of rotamer `r` of residue `a` with every neighbour (but `skip`) in its current choice.
fn single(residues: &[Candidates], neighbours: &[Vec<usize>], a: usize, r: usize, choice: &[usize], skip: Option<usize>) -> f64 {
    residues[a].self_energy[r] + neighbours[a].iter().filter(|&&b| Some(b) != skip).map(|&b| pair(residues, a, r, b, choice[b])).sum::<f64>()
}

/// Sweeps until no choice changes (at most MAX_SWEEPS): each residue given the others, then
/// every clashing pair together.
fn settle(residues: &[Candidates], neighbours: &[Vec<usize>], choice: &mut [usize]) {
    for _ in 0..MAX_SWEEPS {
        let mut changed = false;
        for a in 0..residues.len() {
            let energies: Vec<f64> = (0..residues[a].atoms.len()).map(|r| single(residues, neighbours, a, r, choice, None)).collect();
            let best = argmin(&energies);
            if energies[best] < energies[choice[a]] {
                choice[a] = best;
                changed = true;
            }
        }
        // Two clashing residues at once: one residue alone cannot leave a clash when its
        // other rotamers clash with the backbone and the neighbour's are blocked by it.
        for a in 0..residues.len() {
            for &b in &neighbours[a] {
                if b < a || pair(residues, a, choice[a], b, choice[b]) < PAIR_MOVE {
                    continue;
                }
                // Each one's energy with the rest, once per rotamer; then every combination.
                let alone_a: Vec<f64> = (0..residues[a].atoms.len()).map(|r| single(residues, neighbours, a, r, choice, Some(b))).collect();
                let alone_b: Vec<f64> = (0..residues[b].atoms.len()).map(|r| single(residues, neighbours, b, r, choice, Some(a))).collect();
                let joint = |ra: usize, rb: usize| alone_a[ra] + alone_b[rb] + pair(residues, a, ra, b, rb);
                let current = joint(choice[a], choice[b]);
                let mut best = (current, choice[a], choice[b]);
                for ra in 0..residues[a].atoms.len() {
                    for rb in 0..residues[b].atoms.len() {
                        let e = joint(ra, rb);
                        if e < best.0 {
                            best = (e, ra, rb);
                        }
                    }
                }
                if best.0 < current {
                    choice[a] = best.1;
                    choice[b] = best.2;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
}

fn elements(rt: &ResidueType) -> Vec<Kind> {
    rt.atoms.iter().map(|a| Kind { element: a.element, role: side_role(rt.three, a.name) }).collect()
}

/// Index of the smallest value (the first of equal ones).
fn argmin(values: &[f64]) -> usize {
    let mut best = 0;
    for (k, &v) in values.iter().enumerate() {
        if v < values[best] {
            best = k;
        }
    }
    best
}
