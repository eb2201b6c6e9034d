//! Frames -> backbone atoms (D5): N, CA, C from the ideal local positions, then O and CB from
//! ideal geometry.

use super::{add, any_perpendicular, cross, ideal, scale, sub, unit, v32, v64, V3};

/// Ideal local position of N in the residue frame (D5): origin CA, x along CA->C, N in the
/// xy-plane with y > 0.
pub const IDEAL_N: [f32; 3] = crate::rigid::IDEAL_BACKBONE[0];
/// Ideal local position of CA (the frame origin).
pub const IDEAL_CA: [f32; 3] = crate::rigid::IDEAL_BACKBONE[1];
/// Ideal local position of C.
pub const IDEAL_C: [f32; 3] = crate::rigid::IDEAL_BACKBONE[2];

/// cos / sin of the CA-C-O angle (120.5 degrees) used for the terminal O.
const COS_CA_C_O: f64 = -0.5075383629607043;
const SIN_CA_C_O: f64 = 0.8616291604415257;
/// 1/sqrt(3) and sqrt(2/3): CB direction = cos(54.74) bisector + sin(54.74) normal (tetrahedral).
const TET_BIS: f64 = 0.5773502691896258;
const TET_NRM: f64 = 0.816496580927726;

/// A predicted backbone (all atoms in Angstrom).
#[derive(Debug, Clone, PartialEq)]
pub struct Structure {
    /// Upper-case one-letter sequence (one character per residue).
    pub sequence: String,
    pub n: Vec<[f32; 3]>,
    pub ca: Vec<[f32; 3]>,
    pub c: Vec<[f32; 3]>,
    pub o: Vec<[f32; 3]>,
    /// `None` for glycine.
    pub cb: Vec<Option<[f32; 3]>>,
    /// Side-chain atoms beyond CB of each residue (src/sidechains); empty where none were built.
    pub side: Vec<Vec<SideAtom>>,
    /// Per-residue pLDDT, 0..100.
    pub plddt: Vec<f32>,
}

impl Structure {
    /// Number of residues.
    pub fn len(&self) -> usize {
        self.ca.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ca.is_empty()
    }

    /// Whether any residue has side-chain atoms beyond CB (a full-atom model).
    pub fn has_side_chains(&self) -> bool {
        self.side.iter().any(|a| !a.is_empty())
    }

    /// Mean pLDDT (0 for an empty structure).
    pub fn mean_plddt(&self) -> f32 {
        if self.plddt.is_empty() {
            return 0.0;
        }
        let s: f64 = self.plddt.iter().map(|&p| p as f64).sum();
        (s / self.plddt.len() as f64) as f32
    }
}

/// One side-chain atom beyond CB (names and elements as in the PDB's chemical components).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SideAtom {
    pub name: &'static str,
    pub element: &'static str,
    pub pos: [f32; 3],
}

/// The atoms of residue `i` as the files list them: (name, position, element) for N, CA, C, O,
/// CB (glycine has none) and the side chain beyond CB, skipping any the structure lacks.
/// Shared by the PDB and ModelCIF writers and the clash count (check.rs).
pub fn residue_atoms(s: &Structure, i: usize) -> Vec<(&'static str, [f32; 3], &'static str)> {
    let mut atoms = Vec::with_capacity(5);
    if let Some(p) = s.n.get(i) {
        atoms.push(("N", *p, "N"));
    }
    atoms.push(("CA", s.ca[i], "C"));
    if let Some(p) = s.c.get(i) {
        atoms.push(("C", *p, "C"));
    }
    if let Some(p) = s.o.get(i) {
        atoms.push(("O", *p, "O"));
    }
    if let Some(Some(p)) = s.cb.get(i) {
        atoms.push(("CB", *p, "C"));
    }
    if let Some(side) = s.side.get(i) {
        atoms.extend(side.iter().map(|a| (a.name, a.pos, a.element)));
    }
    atoms
}

/// N, CA and C coordinates of a chain.
pub type Backbone = (Vec<[f32; 3]>, Vec<[f32; 3]>, Vec<[f32; 3]>);

/// Apply frames to the ideal local N, CA, C positions (D5).
///
/// `rotations[i]` is row-major (`R[row][col]`) and maps local to global coordinates:
/// `x_global = R x_local + t`. Returns `(n, ca, c)`. Extra entries of the longer slice are ignored.
pub fn backbone_from_frames(
    rotations: &[[[f32; 3]; 3]],
    translations: &[[f32; 3]],
) -> Backbone {
    let l = rotations.len().min(translations.len());
    let mut n = Vec::with_capacity(l);
    let mut ca = Vec::with_capacity(l);
    let mut c = Vec::with_capacity(l);
    for i in 0..l {
        let r = rotations[i];
        let t = v64(translations[i]);
        let apply = |p: [f32; 3]| -> [f32; 3] {
            let mut g = [0.0f64; 3];
            for (row, gr) in g.iter_mut().enumerate() {
                *gr = r[row][0] as f64 * p[0] as f64 + r[row][1] as f64 * p[1] as f64 + r[row][2] as f64 * p[2] as f64 + t[row];
            }
            v32(g)
        };
        n.push(apply(IDEAL_N));
        ca.push(apply(IDEAL_CA));
        c.push(apply(IDEAL_C));
    }
    (n, ca, c)
}

/// O of residue i from CA_i, C_i and N_{i+1}: in their plane, 1.23 A from C, along the bisector
/// of the external angle at C. `None` when the three atoms are degenerate (coincident or with a
/// straight CA-C-N angle).
pub(crate) fn place_o_peptide(ca: V3, c: V3, n_next: V3) -> Option<V3> {
    let u1 = unit(sub(c, ca))?;
    let u2 = unit(sub(c, n_next))?;
    let b = unit(add(u1, u2))?;
    Some(add(c, scale(b, ideal::C_O)))
}

/// O of a residue without a successor: internal coordinates from N, CA, C with C=O 1.23 A,
/// CA-C-O 120.5 degrees and dihedral N-CA-C-O 180 degrees (psi = 0 convention, the O pointing
/// away from N). Robust to degenerate input.
pub(crate) fn place_o_terminal(n: V3, ca: V3, c: V3) -> V3 {
    let bc = unit(sub(c, ca)).unwrap_or([1.0, 0.0, 0.0]);
    let nrm = unit(cross(sub(ca, n), bc)).unwrap_or_else(|| any_perpendicular(bc));
    let m = cross(nrm, bc);
    // Dihedral 180 degrees: cos = -1, sin = 0.
    let r = ideal::C_O;
    let d_bc = -r * COS_CA_C_O;
    let d_m = -r * SIN_CA_C_O;
    add(c, add(scale(bc, d_bc), scale(m, d_m)))
}

/// CB of an L-amino acid from N, CA, C: tetrahedral direction (54.74 degrees between the
/// external bisector of N-CA-C and the CB bond, out of the N-CA-C plane on the L side),
/// |CA-CB| = 1.53 A.
pub(crate) fn place_cb(n: V3, ca: V3, c: V3) -> V3 {
    let un = unit(sub(n, ca)).unwrap_or([-1.0, 0.0, 0.0]);
    let uc = unit(sub(c, ca)).unwrap_or([1.0, 0.0, 0.0]);
    let bis = unit(scale(add(un, uc), -1.0)).unwrap_or_else(|| any_perpendicular(uc));
    let nrm = unit(cross(un, uc)).unwrap_or_else(|| unit(cross(bis, uc)).unwrap_or_else(|| any_perpendicular(bis)));
    let d = add(scale(bis, TET_BIS), scale(nrm, TET_NRM));
    add(ca, scale(d, ideal::CA_CB))
}

/// Add O and CB (non-glycine) to N/CA/C (D5) and bundle everything into a [`Structure`]
/// (without side chains beyond CB: sidechains::add_side_chains adds them).
///
/// The residue count is `ca.len()`; `sequence` (one letter per residue, case-insensitive),
/// `n`, `c` and `plddt` must have the same length: that is an internal invariant of the
/// pipeline (the caller builds them from one parsed record), so a mismatch panics.
pub fn complete_backbone(sequence: &str, n: &[[f32; 3]], ca: &[[f32; 3]], c: &[[f32; 3]], plddt: &[f32]) -> Structure {
    let l = ca.len();
    let seq: String = sequence.chars().map(|ch| ch.to_ascii_uppercase()).collect();
    assert_eq!(seq.chars().count(), l, "complete_backbone: sequence length != number of CA atoms");
    assert_eq!(n.len(), l, "complete_backbone: N and CA counts differ");
    assert_eq!(c.len(), l, "complete_backbone: C and CA counts differ");
    assert_eq!(plddt.len(), l, "complete_backbone: pLDDT and CA counts differ");
    let mut o = Vec::with_capacity(l);
    let mut cb = Vec::with_capacity(l);
    for (i, aa) in seq.chars().enumerate() {
        let (ni, cai, ci) = (v64(n[i]), v64(ca[i]), v64(c[i]));
        let oi = if i + 1 < l { place_o_peptide(cai, ci, v64(n[i + 1])) } else { None };
        o.push(v32(oi.unwrap_or_else(|| place_o_terminal(ni, cai, ci))));
        cb.push(if aa == 'G' { None } else { Some(v32(place_cb(ni, cai, ci))) });
    }
    Structure { sequence: seq, n: n.to_vec(), ca: ca.to_vec(), c: c.to_vec(), o, cb, side: vec![Vec::new(); l], plddt: plddt.to_vec() }
}
