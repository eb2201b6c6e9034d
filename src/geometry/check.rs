//! Stereochemistry checks of a model: bond lengths, CA-CA clashes, improbable phi/psi and
//! heavy-atom clashes.

use std::fmt;

use super::atoms::residue_atoms;
use super::peptides::{phi_psi, rama_class, Ramachandran, IMPROBABLE_ENERGY};
use super::{dist, ideal, v64, Structure};

/// Largest accepted deviation of a bond from its ideal length (Angstrom).
pub const BOND_TOLERANCE: f64 = 0.1;
/// Two CA atoms at least 3 residues apart closer than this are a clash (Angstrom).
pub const CLASH_DISTANCE: f64 = 3.0;
/// Two heavy atoms of different residues closer than this are a clash (Angstrom), as
/// `scripts/side_chain_accuracy.py` counts them (docs/SIDECHAINS.md, Measured).
pub const ATOM_CLASH_DISTANCE: f64 = 2.5;
/// Largest accepted fraction of clashing CA pairs.
pub const MAX_CLASH_FRACTION: f64 = 0.01;

/// Geometry summary of a [`Structure`]. Deviations are absolute, in Angstrom; they are NaN or
/// infinite when coordinates are not finite (and then [`GeometryReport::is_valid`] is false).
#[derive(Debug, Clone, PartialEq)]
pub struct GeometryReport {
    pub n_residues: usize,
    /// Number of atoms (N, CA, C, O, CB) with a non-finite coordinate.
    pub non_finite_atoms: usize,
    /// max |d(N_i, CA_i) - 1.458|
    pub max_dev_n_ca: f64,
    /// max |d(CA_i, C_i) - 1.525|
    pub max_dev_ca_c: f64,
    /// max |d(C_i, O_i) - 1.23|
    pub max_dev_c_o: f64,
    /// max |d(C_i, N_{i+1}) - 1.329| (0 for a single residue)
    pub max_dev_c_n: f64,
    /// Consecutive CA-CA distances (0 for a single residue).
    pub ca_ca_min: f64,
    pub ca_ca_max: f64,
    pub ca_ca_mean: f64,
    /// CA pairs with |i - j| >= 3 closer than [`CLASH_DISTANCE`].
    pub n_clashes: usize,
    /// Number of CA pairs with |i - j| >= 3.
    pub n_pairs: usize,
    /// `n_clashes / n_pairs` (0 when there are no such pairs).
    pub clash_fraction: f64,
    /// Internal residues (finite N, CA, C around them, peptide bonds on both sides within 0.5 A
    /// of ideal) whose (phi, psi) lies where the Ramachandran table of their class puts under
    /// 1/150 of uniform (geometry/peptides.rs; 0.11% of the StructureDB's residues of
    /// `tests/templates.rs`): informative, not part of [`GeometryReport::is_valid`].
    pub improbable_phi_psi: usize,
    /// Internal residues whose (phi, psi) could be measured.
    pub n_phi_psi: usize,
    /// Pairs of heavy atoms (N, CA, C, O, CB, side chains) of different residues closer than
    /// [`ATOM_CLASH_DISTANCE`], but for the pairs a chain holds that close: backbone atoms of
    /// consecutive residues, a proline's CD and the previous residue's C, two cysteines' SG:
    /// informative (what MolProbity's clashscore looks at, without hydrogens), not part of
    /// [`GeometryReport::is_valid`].
    pub atom_clashes: usize,
    /// Heavy atoms with finite coordinates (the denominator of a rate per 1000 atoms).
    pub n_atoms: usize,
}

impl GeometryReport {
    /// Largest bond deviation over N-CA, CA-C, C-O and the peptide C-N.
    pub fn max_bond_deviation(&self) -> f64 {
        let devs = [self.max_dev_n_ca, self.max_dev_ca_c, self.max_dev_c_o, self.max_dev_c_n];
        let mut m = 0.0f64;
        for d in devs {
            if d.is_nan() {
                return f64::NAN;
            }
            m = m.max(d);
        }
        m
    }

    /// [`GeometryReport::atom_clashes`] per 1000 heavy atoms.
    pub fn atom_clashes_per_1000(&self) -> f64 {
        1000.0 * self.atom_clashes as f64 / self.n_atoms.max(1) as f64
    }

    /// [`GeometryReport::improbable_phi_psi`] as a percentage of the residues measured.
    pub fn improbable_percent(&self) -> f64 {
        100.0 * self.improbable_phi_psi as f64 / self.n_phi_psi.max(1) as f64
    }

    /// All coordinates finite, every bond within [`BOND_TOLERANCE`] of ideal and fewer than
    /// [`MAX_CLASH_FRACTION`] of the non-neighbour CA pairs clashing.
    pub fn is_valid(&self) -> bool {
        let bonds = self.max_bond_deviation();
        self.non_finite_atoms == 0 && bonds <= BOND_TOLERANCE && self.clash_fraction < MAX_CLASH_FRACTION
    }
}

impl fmt::Display for GeometryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} residues: max bond deviation N-CA {:.3}, CA-C {:.3}, C-O {:.3}, C-N {:.3} A; \
             CA-CA min/mean/max {:.2}/{:.2}/{:.2} A; clashes {}/{} ({:.2}%); improbable phi/psi {}/{}; \
             heavy-atom clashes {} ({:.1} per 1000 atoms){}; {}",
            self.n_residues,
            self.max_dev_n_ca,
            self.max_dev_ca_c,
            self.max_dev_c_o,
            self.max_dev_c_n,
            self.ca_ca_min,
            self.ca_ca_mean,
            self.ca_ca_max,
            self.n_clashes,
            self.n_pairs,
            100.0 * self.clash_fraction,
            self.improbable_phi_psi,
            self.n_phi_psi,
            self.atom_clashes,
            self.atom_clashes_per_1000(),
            if self.non_finite_atoms > 0 { format!("; {} non-finite atoms", self.non_finite_atoms) } else { String::new() },
            if self.is_valid() { "valid" } else { "INVALID" }
        )
    }
}

/// Max of `acc` and `|d - ideal|`, propagating NaN.
fn worst(acc: f64, d: f64, ideal: f64) -> f64 {
    let dev = (d - ideal).abs();
    if dev.is_nan() || acc.is_nan() {
        f64::NAN
    } else {
        acc.max(dev)
    }
}

/// Check bond lengths, CA-CA distances and clashes of `s`. The residue count is `s.ca.len()`;
/// N, C or O lists shorter than that make the corresponding deviations NaN (invalid), never a
/// panic.
pub fn check(s: &Structure) -> GeometryReport {
    let l = s.ca.len();
    let finite = |p: &[f32; 3]| p.iter().all(|x| x.is_finite());
    let mut non_finite = 0usize;
    for v in [&s.n, &s.ca, &s.c, &s.o] {
        non_finite += v.iter().filter(|p| !finite(p)).count();
    }
    non_finite += s.cb.iter().flatten().filter(|p| !finite(p)).count();

    // An atom missing from a list shorter than `ca` counts as NaN (the report is then invalid).
    let at = |v: &[[f32; 3]], i: usize| v64(v.get(i).copied().unwrap_or([f32::NAN; 3]));
    let (mut n_ca, mut ca_c, mut c_o, mut c_n) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for i in 0..l {
        let (n, ca, c) = (at(&s.n, i), v64(s.ca[i]), at(&s.c, i));
        n_ca = worst(n_ca, dist(n, ca), ideal::N_CA);
        ca_c = worst(ca_c, dist(ca, c), ideal::CA_C);
        if let Some(o) = s.o.get(i) {
            c_o = worst(c_o, dist(c, v64(*o)), ideal::C_O);
        }
        if i + 1 < l {
            c_n = worst(c_n, dist(c, at(&s.n, i + 1)), ideal::C_N);
        }
    }
    if s.o.len() != l {
        c_o = f64::NAN;
    }

    let (mut mn, mut mx, mut sum) = (f64::INFINITY, 0.0f64, 0.0f64);
    for i in 1..l {
        let d = dist(v64(s.ca[i - 1]), v64(s.ca[i]));
        mn = if d.is_nan() { f64::NAN } else { mn.min(d) };
        mx = if d.is_nan() { f64::NAN } else { mx.max(d) };
        sum += d;
    }
    let (ca_ca_min, ca_ca_max, ca_ca_mean) = if l >= 2 { (mn, mx, sum / (l - 1) as f64) } else { (0.0, 0.0, 0.0) };

    let ca: Vec<[f64; 3]> = s.ca.iter().map(|p| v64(*p)).collect();
    let lim2 = CLASH_DISTANCE * CLASH_DISTANCE;
    let mut n_clashes = 0usize;
    let mut n_pairs = 0usize;
    for i in 0..l {
        let a = ca[i];
        for b in ca.iter().skip(i + 3) {
            let (dx, dy, dz) = (a[0] - b[0], a[1] - b[1], a[2] - b[2]);
            // NaN distances count as clashes.
            let d2 = dx * dx + dy * dy + dz * dz;
            if d2 < lim2 || d2.is_nan() {
                n_clashes += 1;
            }
        }
        n_pairs += l.saturating_sub(i + 3);
    }
    let clash_fraction = if n_pairs > 0 { n_clashes as f64 / n_pairs as f64 } else { 0.0 };

    let (atom_clashes, n_atoms) = heavy_atom_clashes(s);
    let rama = Ramachandran::get();
    let seq = s.sequence.as_bytes();
    let (mut improbable_phi_psi, mut n_phi_psi) = (0usize, 0usize);
    // Across a chain break (a peptide bond far from ideal) the angles mean nothing.
    let joined = |a: [f64; 3], b: [f64; 3]| (dist(a, b) - ideal::C_N).abs() < 0.5;
    let residues = if seq.len() == l { 1..l.saturating_sub(1) } else { 0..0 };
    for i in residues {
        let atoms = [at(&s.c, i - 1), at(&s.n, i), v64(s.ca[i]), at(&s.c, i), at(&s.n, i + 1)];
        if !atoms.iter().flatten().all(|x| x.is_finite()) || !joined(atoms[0], atoms[1]) || !joined(atoms[3], atoms[4]) {
            continue;
        }
        let (phi, psi) = phi_psi(atoms);
        n_phi_psi += 1;
        improbable_phi_psi += (rama.energy(rama_class(seq, i), phi, psi) > IMPROBABLE_ENERGY) as usize;
    }

    GeometryReport {
        n_residues: l,
        non_finite_atoms: non_finite,
        max_dev_n_ca: n_ca,
        max_dev_ca_c: ca_c,
        max_dev_c_o: c_o,
        max_dev_c_n: c_n,
        ca_ca_min,
        ca_ca_max,
        ca_ca_mean,
        n_clashes,
        n_pairs,
        clash_fraction,
        improbable_phi_psi,
        n_phi_psi,
        atom_clashes,
        n_atoms,
    }
}

/// One heavy atom for [`heavy_atom_clashes`]: residue, position, and its name (what the
/// exceptions need: backbone N/CA/C/O, proline CD, cysteine SG).
struct Heavy {
    residue: usize,
    pos: [f64; 3],
    name: &'static str,
}

impl Heavy {
    fn backbone(&self) -> bool {
        matches!(self.name, "N" | "CA" | "C" | "O")
    }
}

/// Heavy-atom clashes of `s` ([`GeometryReport::atom_clashes`]) and its heavy atoms with
/// finite coordinates: the pairs come from the relaxation's spatial grid
/// ([`super::pairs::grid_pairs`], cells of [`ATOM_CLASH_DISTANCE`]).
pub fn heavy_atom_clashes(s: &Structure) -> (usize, usize) {
    let atoms: Vec<Heavy> = (0..s.ca.len())
        .flat_map(|i| residue_atoms(s, i).into_iter().map(move |(name, p, _)| Heavy { residue: i, pos: v64(p), name }))
        .filter(|a| a.pos.iter().all(|x| x.is_finite()))
        .collect();
    let seq = s.sequence.as_bytes();
    // A proline's CD and the previous residue's C (bonded through the proline's N).
    let proline_ring = |cd: &Heavy, c: &Heavy| cd.name == "CD" && seq.get(cd.residue) == Some(&b'P') && c.name == "C" && c.residue + 1 == cd.residue;
    let allowed = |a: &Heavy, b: &Heavy| {
        (a.residue.abs_diff(b.residue) == 1 && a.backbone() && b.backbone()) || proline_ring(a, b) || proline_ring(b, a) || (a.name == "SG" && b.name == "SG")
    };
    let points: Vec<(u32, [f64; 3])> = atoms.iter().enumerate().map(|(k, a)| (k as u32, a.pos)).collect();
    let mut clashes = 0;
    super::pairs::grid_pairs(&points, ATOM_CLASH_DISTANCE, |k, m| {
        let (a, b) = (&atoms[k as usize], &atoms[m as usize]);
        if a.residue != b.residue && dist(a.pos, b.pos) < ATOM_CLASH_DISTANCE && !allowed(a, b) {
            clashes += 1;
        }
    });
    (clashes, atoms.len())
}

/// The model's stereochemistry in one phrase, as `webfold predict` and the page print it
/// after each prediction: the share of residues with improbable phi/psi and the heavy-atom
/// clashes per 1000 atoms (both informative; deposited structures: under 0.5% and under 5).
pub fn quality_summary(r: &GeometryReport) -> String {
    format!(
        "improbable phi/psi {:.1}% of residues, heavy-atom clashes {:.1} per 1000 atoms",
        r.improbable_percent(),
        r.atom_clashes_per_1000()
    )
}

/// Markdown table of named reports (`webfold check`): bond deviations, CA-CA range and the
/// fraction of CA pairs at least 3 residues apart closer than [`CLASH_DISTANCE`].
pub fn markdown_table(rows: &[(String, GeometryReport)]) -> String {
    let mut out = String::from(
        "| id | L | max dev N-CA | CA-C | C-O | C-N (A) | CA-CA min / max (A) | CA pairs < 3 A | fraction | valid | improbable phi/psi | heavy-atom clashes / 1000 atoms |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|\n",
    );
    for (id, r) in rows {
        out.push_str(&format!(
            "| {id} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.2} / {:.2} | {} / {} | {:.4} | {} | {:.1}% | {:.1} |\n",
            r.n_residues,
            r.max_dev_n_ca,
            r.max_dev_ca_c,
            r.max_dev_c_o,
            r.max_dev_c_n,
            r.ca_ca_min,
            r.ca_ca_max,
            r.n_clashes,
            r.n_pairs,
            r.clash_fraction,
            if r.is_valid() { "yes" } else { "NO" },
            r.improbable_percent(),
            r.atom_clashes_per_1000()
        ));
    }
    out
}
