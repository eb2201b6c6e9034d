//! O and CB in the relaxation (D8), as virtual sites.
//!
//! The relaxation moves N, CA and C only; O and CB are placed afterwards from them
//! (atoms.rs). Where a template model puts two stretches too close (a shifted alignment, two
//! templates meeting), the N/CA/C repulsion can be satisfied while the O or CB that will sit on
//! those atoms still overlap something: on the CASP13 has_homolog models, 48% of the heavy-atom
//! pairs under 2.5 A involved an O and 29% a CB. Here every sweep places O and CB exactly as
//! atoms.rs will (same functions), and a pair of them, or one of them and an N/CA/C atom, of
//! residues at least two apart (or an O and the next residue's CB) that is closer than
//! [`O_CB_REPULSION`] (an O and an N, or an O and the next CB: [`O_N_REPULSION`], which keeps
//! hydrogen bonds, N..O 2.8-3.1 A) gets the same soft repulsion
//! step as the other pairs. The step moves the atoms the site is built on: a CB its residue's
//! N, CA and C, an O its C and the next residue's N (the peptide it belongs to); the bond
//! projections then restore the geometry. The same `+ - * / sqrt` arithmetic as the rest of
//! the relaxation, so it stays bit-identical natively and in wasm.

use super::atoms::{place_cb, place_o_peptide, place_o_terminal};
use super::pairs::{grid_pairs, moved_beyond, repulsion_push};
use super::V3;

/// Repulsion distance (A) of a pair involving an O or a CB (residues at least two apart).
pub const O_CB_REPULSION: f64 = 2.9;
/// Repulsion distance (A) of an O and an N (residues at least two apart).
pub const O_N_REPULSION: f64 = 2.7;
/// Verlet-list skin (A) of the site pairs; the list is rebuilt when a real atom has moved more
/// than a quarter of it (a site moves with the atoms it is built on, by at most about twice as
/// much when its residue turns).
const SKIN: f64 = 2.0;

/// Virtual-site pairs of a relaxation: indices into [N, CA, C of every residue][O, CB of every
/// residue] (3l + 2r + {0: O, 1: CB}).
pub struct Sites {
    l: usize,
    pairs: Vec<(u32, u32)>,
    built_at: Vec<V3>,
}

impl Sites {
    pub fn new(x: &[V3]) -> Self {
        let mut s = Sites { l: x.len() / 3, pairs: Vec::new(), built_at: Vec::new() };
        s.rebuild(x);
        s
    }

    /// O and CB of every residue, from the current N/CA/C.
    fn place(&self, x: &[V3]) -> Vec<V3> {
        let l = self.l;
        let mut v = Vec::with_capacity(2 * l);
        for i in 0..l {
            let (n, ca, c) = (x[3 * i], x[3 * i + 1], x[3 * i + 2]);
            let o = if i + 1 < l { place_o_peptide(ca, c, x[3 * i + 3]) } else { None };
            v.push(o.unwrap_or_else(|| place_o_terminal(n, ca, c)));
            v.push(place_cb(n, ca, c));
        }
        v
    }

    fn residue(&self, a: u32) -> usize {
        let a = a as usize;
        if a < 3 * self.l {
            a / 3
        } else {
            (a - 3 * self.l) / 2
        }
    }

    fn is_o(&self, a: u32) -> bool {
        let a = a as usize;
        a >= 3 * self.l && (a - 3 * self.l).is_multiple_of(2)
    }

    fn is_cb(&self, a: u32) -> bool {
        let a = a as usize;
        a >= 3 * self.l && (a - 3 * self.l) % 2 == 1
    }

    fn is_n(&self, a: u32) -> bool {
        (a as usize) < 3 * self.l && a.is_multiple_of(3)
    }

    fn distance(&self, a: u32, b: u32) -> f64 {
        if (self.is_o(a) && self.is_n(b)) || (self.is_o(b) && self.is_n(a)) || self.residue(a).abs_diff(self.residue(b)) < 2 {
            O_N_REPULSION
        } else {
            O_CB_REPULSION
        }
    }

    /// Lists every pair with a site, of residues at least two apart (or an O and the next
    /// residue's CB, whose distance its phi angle sets), within the repulsion distance plus the
    /// skin.
    fn rebuild(&mut self, x: &[V3]) {
        let mut all = x.to_vec();
        all.extend(self.place(x));
        let cut = O_CB_REPULSION + SKIN;
        let real = 3 * self.l as u32;
        let points: Vec<(u32, V3)> = all.iter().enumerate().map(|(i, p)| (i as u32, *p)).collect();
        let mut pairs = Vec::new();
        grid_pairs(&points, cut, |a, b| {
            if a < real && b < real {
                return;
            }
            let (ra, rb) = (self.residue(a), self.residue(b));
            let o_next_cb = |o: u32, cb: u32, ro: usize, rcb: usize| self.is_o(o) && self.is_cb(cb) && rcb == ro + 1;
            if ra.abs_diff(rb) < 2 && !o_next_cb(a, b, ra, rb) && !o_next_cb(b, a, rb, ra) {
                return;
            }
            let (pa, pb) = (all[a as usize], all[b as usize]);
            let d = [pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]];
            if d[0] * d[0] + d[1] * d[1] + d[2] * d[2] < cut * cut {
                pairs.push((a.min(b), a.max(b)));
            }
        });
        self.pairs = pairs;
        self.built_at = x.to_vec();
    }

    /// The real atoms a point is built on: itself, a CB's N, CA and C, an O's C and next N
    /// (the last residue's O: its C).
    fn parents(&self, a: u32) -> ([usize; 3], usize) {
        let (a, l) = (a as usize, self.l);
        if a < 3 * l {
            return ([a, 0, 0], 1);
        }
        let i = (a - 3 * l) / 2;
        if (a - 3 * l) % 2 == 1 {
            ([3 * i, 3 * i + 1, 3 * i + 2], 3)
        } else if i + 1 < l {
            ([3 * i + 2, 3 * i + 3, 0], 2)
        } else {
            ([3 * i + 2, 0, 0], 1)
        }
    }

    /// One repulsion step (the soft penalty of relax.rs, `stiffness` as there) on every listed
    /// pair closer than its repulsion distance, the sites placed from `x` as it is now.
    pub fn repel(&mut self, x: &mut [V3], stiffness: f64) {
        if moved_beyond(x, &self.built_at, SKIN / 4.0) {
            self.rebuild(x);
        }
        let sites = self.place(x);
        let real = 3 * self.l;
        let at = |a: u32| if (a as usize) < real { x[a as usize] } else { sites[a as usize - real] };
        let mut moves: Vec<(u32, V3)> = Vec::new();
        for &(a, b) in &self.pairs {
            if let Some(m) = repulsion_push(at(a), at(b), self.distance(a, b), stiffness) {
                moves.push((a, m));
                moves.push((b, [-m[0], -m[1], -m[2]]));
            }
        }
        for (a, m) in moves {
            let (atoms, count) = self.parents(a);
            for &k in &atoms[..count] {
                for t in 0..3 {
                    x[k][t] += m[t];
                }
            }
        }
    }
}
