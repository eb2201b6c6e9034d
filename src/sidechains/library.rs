//! The two data files of side-chain modelling (docs/SIDECHAINS.md), compiled into the program:
//! `rotamers.json` (ProMod3's backbone-dependent rotamer library on a phi/psi grid, written by
//! scripts/build_rotamers.py) and `geometry.json` (ideal bond lengths, angles and torsions of
//! every side-chain atom, measured on the wwPDB Chemical Component Dictionary by
//! scripts/build_sidechain_geometry.py).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::geometry::portable::ln;

/// One rotamer of a phi/psi cell: its probability and chi angles (degrees).
#[derive(Debug, Clone)]
pub struct Rotamer {
    pub probability: f64,
    /// -ln(probability / probability of the cell's most probable rotamer): 0 for the best.
    pub penalty: f64,
    pub chis: Vec<f64>,
}

/// One side-chain atom: placed from its parents a, b, c (bonded to c) by bond length, angle
/// (b, c, atom) and torsion (a, b, c, atom), the torsion added to chi `chi` (1-based) or fixed
/// (`chi` 0).
#[derive(Debug, Clone)]
pub struct AtomSpec {
    pub name: &'static str,
    pub element: &'static str,
    pub parents: [&'static str; 3],
    pub bond: f64,
    pub angle_deg: f64,
    pub torsion_deg: f64,
    pub chi: usize,
}

/// Everything known about one residue type.
#[derive(Debug, Clone)]
pub struct ResidueType {
    pub three: &'static str,
    /// Chi angles the library gives (PRO: 1; its chi2 closes the ring, build.rs).
    pub library_chis: usize,
    pub atoms: Vec<AtomSpec>,
    /// phi-major, psi-minor cells of `step_deg` degrees, most probable rotamer first.
    pub cells: Vec<Vec<Rotamer>>,
}

/// The side-chain library: the residue types by one-letter code, and the grid step.
#[derive(Debug)]
pub struct SideChainLibrary {
    pub step_deg: f64,
    pub bins: usize,
    pub residues: HashMap<char, ResidueType>,
}

#[derive(Deserialize)]
struct RotamerFile {
    step_deg: u32,
    residues: HashMap<String, RotamerResidue>,
}

#[derive(Deserialize)]
struct RotamerResidue {
    chis: usize,
    cells: Vec<Vec<Vec<i32>>>,
}

#[derive(Deserialize)]
struct GeometryFile {
    residues: HashMap<String, GeometryResidue>,
}

/// One atom as geometry.json writes it: name, element, parents a, b, c, bond, angle,
/// torsion, chi.
type AtomRow = (String, String, String, String, String, f64, f64, f64, usize);

#[derive(Deserialize)]
struct GeometryResidue {
    name: String,
    atoms: Vec<AtomRow>,
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

impl SideChainLibrary {
    /// Reads both files; every inconsistency is an error naming the residue and what is wrong.
    pub fn parse(rotamers: &str, geometry: &str) -> Result<Self, String> {
        let r: RotamerFile = serde_json::from_str(rotamers).map_err(|e| format!("rotamers.json: {e}"))?;
        let g: GeometryFile = serde_json::from_str(geometry).map_err(|e| format!("geometry.json: {e}"))?;
        if r.step_deg == 0 || 360 % r.step_deg != 0 {
            return Err(format!("rotamers.json: step {} does not divide 360", r.step_deg));
        }
        let bins = (360 / r.step_deg) as usize;
        let mut residues = HashMap::new();
        for (key, geo) in g.residues {
            let letter = single_letter(&key).ok_or_else(|| format!("geometry.json: residue key {key:?} is not one letter"))?;
            let rot = r.residues.get(&key).ok_or_else(|| format!("rotamers.json: no rotamers for {key}"))?;
            if rot.cells.len() != bins * bins {
                return Err(format!("rotamers.json: {key} has {} cells, expected {}", rot.cells.len(), bins * bins));
            }
            let max_chi = geo.atoms.iter().map(|a| a.8).max().unwrap_or(0);
            // PRO's chi2 is not in the library (the ring closure sets it).
            let ring_chis = usize::from(letter == 'P');
            if max_chi != rot.chis + ring_chis {
                return Err(format!("{key}: geometry uses {max_chi} chi angles, the library gives {}", rot.chis));
            }
            let mut cells = Vec::with_capacity(rot.cells.len());
            for (k, cell) in rot.cells.iter().enumerate() {
                if cell.is_empty() {
                    return Err(format!("rotamers.json: {key} cell {k} is empty"));
                }
                let mut out = Vec::with_capacity(cell.len());
                for rotamer in cell {
                    if rotamer.len() != 1 + rot.chis || rotamer[0] <= 0 {
                        return Err(format!("rotamers.json: {key} cell {k}: rotamer {rotamer:?} is not [probability > 0, {} chi]", rot.chis));
                    }
                    out.push(Rotamer { probability: rotamer[0] as f64 / 1000.0, penalty: 0.0, chis: rotamer[1..].iter().map(|&c| c as f64).collect() });
                }
                let best = out.iter().map(|r| r.probability).fold(0.0, f64::max);
                for r in &mut out {
                    r.penalty = ln(best) - ln(r.probability);
                }
                cells.push(out);
            }
            let mut seen: Vec<&str> = vec!["N", "CA", "C", "O", "CB"];
            let mut atoms = Vec::with_capacity(geo.atoms.len());
            for (name, element, a, b, c, bond, angle, torsion, chi) in geo.atoms {
                for p in [&a, &b, &c] {
                    if !seen.contains(&p.as_str()) {
                        return Err(format!("geometry.json: {key} atom {name} needs {p}, which is not placed before it"));
                    }
                }
                if !(0.9..=2.0).contains(&bond) || !(90.0..=135.0).contains(&angle) {
                    return Err(format!("geometry.json: {key} atom {name}: bond {bond} A or angle {angle} deg out of range"));
                }
                let name = leak(name);
                seen.push(name);
                atoms.push(AtomSpec { name, element: leak(element), parents: [leak(a), leak(b), leak(c)], bond, angle_deg: angle, torsion_deg: torsion, chi });
            }
            residues.insert(letter, ResidueType { three: leak(geo.name), library_chis: rot.chis, atoms, cells });
        }
        if let Some(extra) = r.residues.keys().find(|k| !residues.contains_key(&single_letter(k).unwrap_or(' '))) {
            return Err(format!("rotamers.json: {extra} has rotamers but no geometry"));
        }
        Ok(SideChainLibrary { step_deg: r.step_deg as f64, bins, residues })
    }

    /// The library compiled into the program (checked by the tests, so it cannot fail).
    pub fn get() -> &'static SideChainLibrary {
        static LIB: OnceLock<SideChainLibrary> = OnceLock::new();
        LIB.get_or_init(|| SideChainLibrary::parse(include_str!("rotamers.json"), include_str!("geometry.json")).expect("side-chain data files are valid (tested)"))
    }

    /// The rotamers of residue type `letter` for backbone torsions phi, psi (degrees).
    pub fn rotamers<'a>(&self, residue: &'a ResidueType, phi: f64, psi: f64) -> &'a [Rotamer] {
        let bin = |angle: f64| (((angle + 180.0) / self.step_deg).floor().max(0.0) as usize).min(self.bins - 1);
        &residue.cells[bin(phi) * self.bins + bin(psi)]
    }
}

fn single_letter(key: &str) -> Option<char> {
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}
