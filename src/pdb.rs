//! PDB output (AlphaFold-style: pLDDT in the B-factor column) and a minimal ATOM reader.

use std::fmt;
use std::fmt::Write as _;

pub use crate::geometry::atoms::residue_atoms;
use crate::geometry::atoms::SideAtom;
use crate::geometry::Structure;
use crate::sequence::{one_letter, three_letter};

/// Chain id written by [`write_pdb`].
pub const CHAIN_ID: char = 'A';

/// Range of the 8.3f coordinate columns.
pub const COORD_MIN: f64 = -999.999;
pub const COORD_MAX: f64 = 9999.999;

/// Keep a coordinate (after the translation `shift`) inside the 8.3f column; NaN becomes 0.
fn coord(v: f32, shift: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        (v as f64 + shift).clamp(COORD_MIN, COORD_MAX)
    }
}

/// Per-axis translation (whole Angstroms) written to the file: zero on every axis where the
/// finite coordinates of `s` fit the columns; otherwise the one that centres their range in
/// [`COORD_MIN`, `COORD_MAX`]. A rigid translation, so the geometry survives whenever the
/// structure spans less than 10999 A on each axis.
pub fn coordinate_shift(s: &Structure) -> [f64; 3] {
    let mut lo = [f64::INFINITY; 3];
    let mut hi = [f64::NEG_INFINITY; 3];
    for p in s.n.iter().chain(&s.ca).chain(&s.c).chain(&s.o).chain(s.cb.iter().flatten()) {
        for t in 0..3 {
            let v = p[t] as f64;
            if v.is_finite() {
                lo[t] = lo[t].min(v);
                hi[t] = hi[t].max(v);
            }
        }
    }
    let mut shift = [0.0; 3];
    for t in 0..3 {
        if lo[t] <= hi[t] && (lo[t] < COORD_MIN || hi[t] > COORD_MAX) {
            shift[t] = (0.5 * (COORD_MIN + COORD_MAX) - 0.5 * (lo[t] + hi[t])).round();
        }
    }
    shift
}

/// Printable ASCII only, no more than `max` characters.
fn clean_text(s: &str, max: usize) -> String {
    s.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).take(max).collect::<String>().trim().to_string()
}

/// One ATOM record (80 columns, PDB v3.3).
#[allow(clippy::too_many_arguments)]
fn atom_line(out: &mut String, serial: usize, name: &str, res_name: &str, chain: char, res_seq: usize, p: [f32; 3], shift: [f64; 3], b: f32, element: &str) {
    // Atom names of one-letter elements start in column 14.
    let name_field = if name.len() < 4 { format!(" {name:<3}") } else { name.to_string() };
    let bf = if b.is_nan() { 0.0 } else { (b as f64).clamp(0.0, 999.99) };
    let _ = writeln!(
        out,
        "ATOM  {:>5} {:<4} {:>3} {}{:>4}    {:>8.3}{:>8.3}{:>8.3}{:>6.2}{:>6.2}          {:>2}{:>2}",
        serial % 100_000,
        name_field,
        res_name,
        chain,
        res_seq % 10_000,
        coord(p[0], shift[0]),
        coord(p[1], shift[1]),
        coord(p[2], shift[2]),
        1.0,
        bf,
        element,
        ""
    );
}

/// Write `s` as a PDB file: REMARK lines (webfold; the B-factor column holds pLDDT), MODEL 1,
/// ATOM records N, CA, C, O, CB and the side chain per residue (chain A, residues numbered from 1, UNK for X,
/// occupancy 1.00, B-factor = pLDDT), TER, ENDMDL, END. Every line is exactly 80 columns.
/// A structure that does not fit the coordinate columns (-999.999 ..= 9999.999) is first
/// translated on the offending axes by [`coordinate_shift`] (noted in a REMARK); coordinates
/// still outside are clamped (NaN -> 0). B-factors are clamped to 0 ..= 999.99 (NaN -> 0).
/// Serial and residue numbers wrap at 100000 / 10000.
pub fn write_pdb(s: &Structure, title: &str) -> String {
    write_pdb_with_remarks(s, title, &[])
}

/// [`write_pdb`] with extra `REMARK   3` lines (how the model was made: the templates used, or
/// that none was found), each cut to 80 columns.
pub fn write_pdb_with_remarks(s: &Structure, title: &str, remarks: &[String]) -> String {
    let l = s.ca.len();
    let mut out = String::with_capacity(81 * (5 * l + 8));
    let mut header = |text: String| {
        let text: String = text.chars().take(80).collect();
        let _ = writeln!(out, "{:<80}", text);
    };
    let title = clean_text(title, 70);
    header(format!("TITLE     {}", if title.is_empty() { "webfold prediction".to_string() } else { title }));
    if s.has_side_chains() {
        header("REMARK   1 PREDICTED BY WEBFOLD (FULL-ATOM MODEL: BACKBONE, THEN SIDE CHAINS".to_string());
        header("REMARK   1 FROM PROMOD3'S BACKBONE-DEPENDENT ROTAMER LIBRARY, PACKED AGAINST CLASHES)".to_string());
    } else {
        header("REMARK   1 PREDICTED BY WEBFOLD (BACKBONE MODEL: N CA C O CB)".to_string());
    }
    header("REMARK   1 B-FACTOR COLUMN = PLDDT (PREDICTED LDDT-CA, 0-100, HIGHER IS BETTER)".to_string());
    header(format!("REMARK   1 MEAN PLDDT {:.2}", if l > 0 { s.mean_plddt() } else { 0.0 }));
    let shift = coordinate_shift(s);
    if shift != [0.0; 3] {
        header(format!("REMARK   1 COORDINATES TRANSLATED BY {:.0} {:.0} {:.0} A TO FIT THE PDB COLUMNS", shift[0], shift[1], shift[2]));
    }
    for r in remarks {
        header(format!("REMARK   3 {}", clean_text(r, 69)));
    }
    header("MODEL        1".to_string());
    let mut serial = 0usize;
    let seq: Vec<char> = s.sequence.chars().collect();
    let mut last = (String::from("UNK"), 0usize);
    for i in 0..l {
        let aa = seq.get(i).copied().unwrap_or('X');
        let res = three_letter(aa);
        let b = s.plddt.get(i).copied().unwrap_or(0.0);
        let num = i + 1;
        for (name, p, el) in residue_atoms(s, i) {
            serial += 1;
            atom_line(&mut out, serial, name, res, CHAIN_ID, num, p, shift, b, el);
        }
        last = (res.to_string(), num);
    }
    if l > 0 {
        serial += 1;
        let ter = format!("TER   {:>5}      {:>3} {}{:>4}", serial % 100_000, last.0, CHAIN_ID, last.1 % 10_000);
        let _ = writeln!(out, "{:<80}", ter);
    }
    let _ = writeln!(out, "{:<80}", "ENDMDL");
    let _ = writeln!(out, "{:<80}", "END");
    out
}

/// One atom read from a PDB file.
#[derive(Debug, Clone, PartialEq)]
pub struct PdbAtom {
    /// Atom name without padding ("CA").
    pub name: String,
    pub pos: [f32; 3],
    pub b_factor: f32,
    /// Element symbol (columns 77-78; empty when absent).
    pub element: String,
}

/// One residue read from a PDB file (consecutive ATOM records sharing chain, number and
/// insertion code).
#[derive(Debug, Clone, PartialEq)]
pub struct PdbResidue {
    pub chain: char,
    pub number: i32,
    pub insertion: char,
    /// Three-letter residue name ("ALA").
    pub name: String,
    pub atoms: Vec<PdbAtom>,
}

impl PdbResidue {
    /// The atom called `name`, if present.
    pub fn atom(&self, name: &str) -> Option<&PdbAtom> {
        self.atoms.iter().find(|a| a.name == name)
    }

    /// One-letter code of the residue name (`X` when unknown).
    pub fn one_letter(&self) -> char {
        one_letter(&self.name)
    }
}

/// A malformed PDB line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdbError {
    /// 1-based line number (0 when the problem is not tied to one line).
    pub line: usize,
    pub message: String,
}

impl fmt::Display for PdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "PDB line {}: {}", self.line, self.message)
        } else {
            write!(f, "PDB: {}", self.message)
        }
    }
}

impl std::error::Error for PdbError {}

fn field(line: &str, from: usize, to: usize) -> &str {
    // Byte columns; ATOM lines are ASCII (checked by the caller), shorter lines give "".
    let to = to.min(line.len());
    if from >= to {
        ""
    } else {
        line.get(from..to).unwrap_or("")
    }
}

fn parse_field<T: std::str::FromStr>(line: &str, from: usize, to: usize, what: &str, line_no: usize) -> Result<T, PdbError> {
    let f = field(line, from, to).trim();
    f.parse::<T>().map_err(|_| PdbError { line: line_no, message: format!("bad {what} {f:?} in columns {}-{}", from + 1, to) })
}

/// Read the ATOM records of the first model (HETATM, other records and alternate locations
/// other than the first are skipped). Errors name the line of a malformed ATOM record.
pub fn read_pdb(text: &str) -> Result<Vec<PdbResidue>, PdbError> {
    let mut residues: Vec<PdbResidue> = Vec::new();
    for (idx, raw) in text.lines().enumerate() {
        let line_no = idx + 1;
        let line = raw.trim_end_matches('\r');
        if line.starts_with("ENDMDL") {
            break;
        }
        if !line.starts_with("ATOM  ") {
            continue;
        }
        if !line.is_ascii() {
            return Err(PdbError { line: line_no, message: "non-ASCII characters in an ATOM record".into() });
        }
        if line.len() < 54 {
            return Err(PdbError { line: line_no, message: format!("ATOM record too short ({} columns, need 54)", line.len()) });
        }
        let name = field(line, 12, 16).trim().to_string();
        let alt = field(line, 16, 17).chars().next().unwrap_or(' ');
        let res_name = field(line, 17, 20).trim().to_string();
        let chain = field(line, 21, 22).chars().next().unwrap_or(' ');
        let number: i32 = parse_field(line, 22, 26, "residue number", line_no)?;
        let insertion = field(line, 26, 27).chars().next().unwrap_or(' ');
        let x: f32 = parse_field(line, 30, 38, "x coordinate", line_no)?;
        let y: f32 = parse_field(line, 38, 46, "y coordinate", line_no)?;
        let z: f32 = parse_field(line, 46, 54, "z coordinate", line_no)?;
        let b_factor: f32 = if field(line, 60, 66).trim().is_empty() { 0.0 } else { parse_field(line, 60, 66, "B-factor", line_no)? };
        if !(x.is_finite() && y.is_finite() && z.is_finite() && b_factor.is_finite()) {
            return Err(PdbError { line: line_no, message: "non-finite coordinate or B-factor".into() });
        }
        let element = field(line, 76, 78).trim().to_string();
        if name.is_empty() {
            return Err(PdbError { line: line_no, message: "empty atom name".into() });
        }
        let same = matches!(residues.last(), Some(r) if r.chain == chain && r.number == number && r.insertion == insertion);
        if !same {
            residues.push(PdbResidue { chain, number, insertion, name: res_name, atoms: Vec::new() });
        }
        let res = residues.last_mut().expect("pushed above");
        if alt != ' ' && res.atom(&name).is_some() {
            continue; // a second alternate location
        }
        res.atoms.push(PdbAtom { name, pos: [x, y, z], b_factor, element });
    }
    Ok(residues)
}

/// CA trace of the first chain: one-letter sequence and CA coordinates of the residues that
/// have a CA, in file order.
pub fn first_chain_ca(residues: &[PdbResidue]) -> (String, Vec<[f32; 3]>) {
    let mut seq = String::new();
    let mut ca = Vec::new();
    for r in first_chain(residues) {
        if let Some(a) = r.atom("CA") {
            seq.push(r.one_letter());
            ca.push(a.pos);
        }
    }
    (seq, ca)
}

/// The residues of the first residue's chain, in file order.
pub fn first_chain(residues: &[PdbResidue]) -> Vec<&PdbResidue> {
    let chain = residues.first().map(|r| r.chain);
    residues.iter().filter(|r| Some(r.chain) == chain).collect()
}

/// [`read_pdb`] then [`first_chain_ca`]; an error when there is no CA atom.
pub fn read_ca_trace(text: &str) -> Result<(String, Vec<[f32; 3]>), PdbError> {
    let residues = read_pdb(text)?;
    let (seq, ca) = first_chain_ca(&residues);
    if ca.is_empty() {
        return Err(PdbError { line: 0, message: "no CA atoms in ATOM records".into() });
    }
    Ok((seq, ca))
}

/// The side-chain atoms beyond CB that webfold models for this residue type
/// (src/sidechains), in its order, as far as the residue has them.
fn side_atoms(r: &PdbResidue) -> Vec<SideAtom> {
    let lib = crate::sidechains::SideChainLibrary::get();
    let Some(rt) = lib.residues.get(&r.one_letter()) else { return Vec::new() };
    rt.atoms.iter().filter_map(|spec| r.atom(spec.name).map(|a| SideAtom { name: spec.name, element: spec.element, pos: a.pos })).collect()
}

/// Rebuild a [`Structure`] from residues with N, CA, C and O (CB and the side-chain atoms
/// webfold models when present, other atoms such as hydrogens and OXT not read; pLDDT from
/// the CA B-factor). A residue without N, CA, C or O is an error.
pub fn structure_from_residues(residues: &[PdbResidue]) -> Result<Structure, PdbError> {
    let mut s = Structure { sequence: String::new(), n: vec![], ca: vec![], c: vec![], o: vec![], cb: vec![], side: vec![], plddt: vec![] };
    for r in residues {
        let get = |name: &str| {
            r.atom(name).map(|a| a.pos).ok_or_else(|| PdbError {
                line: 0,
                message: format!("residue {} {}{} has no {name} atom", r.name, r.number, r.insertion.to_string().trim()),
            })
        };
        s.sequence.push(r.one_letter());
        s.n.push(get("N")?);
        s.ca.push(get("CA")?);
        s.c.push(get("C")?);
        s.o.push(get("O")?);
        s.cb.push(r.atom("CB").map(|a| a.pos));
        s.side.push(side_atoms(r));
        s.plddt.push(r.atom("CA").map(|a| a.b_factor).unwrap_or(0.0));
    }
    Ok(s)
}
