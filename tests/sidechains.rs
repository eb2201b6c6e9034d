//! Side-chain modelling (src/sidechains, docs/SIDECHAINS.md): the data files, the portable
//! maths, the construction from chi angles, the packing on native backbones and the atoms in
//! the written files.

mod common;

use webfold::geometry::portable::{atan2, ln, sin_cos};
use webfold::geometry::Structure;
use webfold::pdb::{read_pdb, residue_atoms, structure_from_residues, write_pdb};
use webfold::sidechains::build::side_chain;
use webfold::sidechains::library::ResidueType;
use webfold::sidechains::pack::torsion_deg;
use webfold::sidechains::{add_side_chains, SideChainLibrary};

const ROTAMERS: &str = include_str!("../src/sidechains/rotamers.json");
const GEOMETRY: &str = include_str!("../src/sidechains/geometry.json");

fn v(p: [f32; 3]) -> [f64; 3] {
    [p[0] as f64, p[1] as f64, p[2] as f64]
}

fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// The first chain of a CASP13 native (all atoms).
fn native(id: &str) -> Structure {
    common::casp13_native(id)
}

fn position(s: &Structure, i: usize, name: &str) -> Option<[f64; 3]> {
    match name {
        "N" => Some(v(s.n[i])),
        "CA" => Some(v(s.ca[i])),
        "C" => Some(v(s.c[i])),
        "O" => Some(v(s.o[i])),
        "CB" => s.cb[i].map(v),
        _ => s.side[i].iter().find(|a| a.name == name).map(|a| v(a.pos)),
    }
}

/// Chi k (1-based) of residue i: the torsion of the atom that defines it (offset 0) over its
/// parents.
fn chi(s: &Structure, rt: &ResidueType, i: usize, k: usize) -> Option<f64> {
    let spec = rt.atoms.iter().find(|a| a.chi == k && a.torsion_deg == 0.0)?;
    let [a, b, c] = spec.parents.map(|p| position(s, i, p));
    Some(torsion_deg(a?, b?, c?, position(s, i, spec.name)?))
}

#[test]
fn portable_maths_agrees_with_the_platform() {
    let mut x = -20.0;
    while x < 20.0 {
        let (s, c) = sin_cos(x);
        assert!((s - x.sin()).abs() < 1e-14 && (c - x.cos()).abs() < 1e-14, "sin/cos({x}): {s} {c}");
        x += 0.0137;
    }
    for i in -50..=50 {
        for j in -50..=50 {
            let (y, x) = (i as f64 * 0.37, j as f64 * 0.41);
            assert!((atan2(y, x) - y.atan2(x)).abs() < 1e-14, "atan2({y}, {x})");
        }
    }
    assert_eq!(atan2(0.0, -1.0), std::f64::consts::PI);
    let mut x = 1e-300;
    while x < 1e300 {
        assert!((ln(x) - x.ln()).abs() <= 1e-14 * x.ln().abs().max(1.0), "ln({x})");
        x *= 1.7;
    }
    assert!(ln(0.0).is_nan() && ln(-1.0).is_nan());
}

#[test]
fn data_files_cover_every_residue_with_its_heavy_atoms() {
    let lib = SideChainLibrary::get();
    // Heavy atoms beyond CB (chemistry, not the data file).
    let expected = [('R', 6), ('N', 3), ('D', 3), ('C', 1), ('Q', 4), ('E', 4), ('H', 5), ('I', 3), ('L', 3), ('K', 4), ('M', 3), ('F', 6), ('P', 2), ('S', 1), ('T', 2), ('W', 9), ('Y', 7), ('V', 2)];
    assert_eq!(lib.residues.len(), expected.len());
    for (aa, n) in expected {
        let rt = &lib.residues[&aa];
        assert_eq!(rt.atoms.len(), n, "{aa}: side-chain atoms");
        assert_eq!(rt.cells.len(), lib.bins * lib.bins, "{aa}: cells");
        for (k, cell) in rt.cells.iter().enumerate() {
            let total: f64 = cell.iter().map(|r| r.probability).sum();
            // 99.5% of the mass, or the 30 most probable rotamers (GLN keeps 74% in its
            // flattest cell); probabilities are rounded to 1/1000.
            assert!((0.7..=1.01).contains(&total), "{aa} cell {k}: probabilities sum to {total}");
            assert!(cell.len() <= 30, "{aa} cell {k}: {} rotamers", cell.len());
            assert!(cell.windows(2).all(|w| w[0].probability >= w[1].probability), "{aa} cell {k}: most probable first");
            assert_eq!(cell[0].penalty, 0.0);
            assert!(cell.iter().all(|r| r.chis.len() == rt.library_chis && r.chis.iter().all(|c| (-180.0..=180.0).contains(c))));
        }
    }
    assert!(!lib.residues.contains_key(&'G') && !lib.residues.contains_key(&'A'));
}

#[test]
fn damaged_data_files_give_errors_naming_what_is_wrong() {
    let err = |r: &str, g: &str| SideChainLibrary::parse(r, g).unwrap_err();
    assert!(err("{", GEOMETRY).contains("rotamers.json"));
    assert!(err(ROTAMERS, "[]").contains("geometry.json"));
    assert!(err(&ROTAMERS.replacen("\"step_deg\":20", "\"step_deg\":7", 1), GEOMETRY).contains("does not divide 360"));
    // One residue's rotamers missing.
    let without_w = {
        let mut j: serde_json::Value = serde_json::from_str(ROTAMERS).unwrap();
        j["residues"].as_object_mut().unwrap().remove("W");
        j.to_string()
    };
    assert!(err(&without_w, GEOMETRY).contains("no rotamers for W"));
    // An empty cell.
    let empty_cell = {
        let mut j: serde_json::Value = serde_json::from_str(ROTAMERS).unwrap();
        j["residues"]["L"]["cells"][5] = serde_json::json!([]);
        j.to_string()
    };
    assert!(err(&empty_cell, GEOMETRY).contains("L cell 5 is empty"));
    // An atom whose parent is placed after it.
    let order = {
        let mut j: serde_json::Value = serde_json::from_str(GEOMETRY).unwrap();
        j["residues"]["K"]["atoms"].as_array_mut().unwrap().swap(0, 1);
        j.to_string()
    };
    assert!(err(ROTAMERS, &order).contains("K atom CD needs CG"));
    assert!(SideChainLibrary::parse(ROTAMERS, GEOMETRY).is_ok());
}

#[test]
fn side_chains_are_built_with_the_chosen_chis_and_ideal_bonds() {
    let lib = SideChainLibrary::get();
    let s = native("T1016");
    for (&aa, rt) in &lib.residues {
        let i = s.sequence.chars().position(|c| c == aa).unwrap_or_else(|| panic!("T1016 has no {aa}"));
        let (n, ca, cb) = (v(s.n[i]), v(s.ca[i]), v(s.cb[i].unwrap()));
        for cell in rt.cells.iter().step_by(37) {
            for r in cell {
                let atoms = side_chain(rt, n, ca, cb, &r.chis);
                let mut built = s.clone();
                built.side[i] = rt.atoms.iter().zip(&atoms).map(|(a, p)| webfold::geometry::atoms::SideAtom { name: a.name, element: a.element, pos: [p[0] as f32, p[1] as f32, p[2] as f32] }).collect();
                for (spec, p) in rt.atoms.iter().zip(&atoms) {
                    let parent = position(&built, i, spec.parents[2]).unwrap();
                    assert!((dist(*p, parent) - spec.bond).abs() < 1e-4, "{aa} {}: bond", spec.name);
                }
                for (k, want) in r.chis.iter().enumerate() {
                    let got = chi(&built, rt, i, k + 1).unwrap();
                    let d = (got - want + 540.0).rem_euclid(360.0) - 180.0;
                    assert!(d.abs() < 1e-3, "{aa} chi{}: built {got}, asked {want}", k + 1);
                }
                if aa == 'P' {
                    let cd = position(&built, i, "CD").unwrap();
                    assert!((dist(cd, n) - 1.473).abs() < 0.06, "PRO ring: N-CD {}", dist(cd, n));
                }
            }
        }
    }
}

/// Fraction of residues whose chi1 (and, where there is one, chi2) is within 40 degrees of
/// the native's after repacking the native backbone; clashes per 1000 atoms.
fn repack_accuracy(id: &str) -> (usize, f64, f64, f64) {
    let lib = SideChainLibrary::get();
    let nat = native(id);
    let mut model = nat.clone();
    add_side_chains(&mut model);
    let (mut n1, mut ok1, mut n2, mut ok2) = (0, 0, 0, 0);
    for (i, aa) in nat.sequence.chars().enumerate() {
        let Some(rt) = lib.residues.get(&aa) else { continue };
        let close = |k: usize| -> Option<bool> {
            let (a, b) = (chi(&model, rt, i, k)?, chi(&nat, rt, i, k)?);
            let period = if matches!((aa, k), ('D', 2) | ('F', 2) | ('Y', 2) | ('E', 3)) { 180.0 } else { 360.0 };
            let d = (a - b).rem_euclid(period);
            Some(d.min(period - d) <= 40.0)
        };
        let Some(c1) = close(1) else { continue };
        n1 += 1;
        ok1 += c1 as usize;
        if let Some(c2) = close(2) {
            n2 += 1;
            ok2 += (c1 && c2) as usize;
        }
    }
    // Clashes: a side-chain atom and any atom of another residue closer than 2.5 A (proline's
    // CD and the previous residue's C are bonded through N; disulfides allowed).
    let atoms: Vec<(usize, &str, [f64; 3], bool)> =
        (0..model.len()).flat_map(|i| residue_atoms(&model, i).into_iter().map(move |(n, p, _)| (i, n, v(p), !matches!(n, "N" | "CA" | "C" | "O" | "CB")))).collect();
    let mut clashes = 0;
    for (x, a) in atoms.iter().enumerate() {
        for b in &atoms[x + 1..] {
            if a.0 == b.0 || !(a.3 || b.3) || dist(a.2, b.2) >= 2.5 || (a.1 == "SG" && b.1 == "SG") {
                continue;
            }
            if a.0.abs_diff(b.0) == 1 && ((a.1 == "CD" && b.1 == "C") || (a.1 == "C" && b.1 == "CD")) {
                continue;
            }
            clashes += 1;
        }
    }
    (n1, ok1 as f64 / n1 as f64, ok2 as f64 / n2.max(1) as f64, 1000.0 * clashes as f64 / atoms.len() as f64)
}

#[test]
fn packing_on_native_backbones_recovers_most_side_chains_without_clashes() {
    // The most probable rotamer alone gets about 70% chi1 and 100+ clashes per 1000 atoms on
    // these backbones (docs/SIDECHAINS.md); the packing 78-83%, clashes 0.6-0.8.
    let mut all = (0, 0.0);
    for id in ["T1016", "T0960", "T0957s1"] {
        let (n, chi1, chi12, clashes) = repack_accuracy(id);
        eprintln!("{id}: {n} residues, chi1 {chi1:.3}, chi1+2 {chi12:.3}, clashes {clashes:.2} per 1000 atoms");
        assert!(chi1 > 0.72, "{id}: chi1 {chi1}");
        assert!(chi12 > 0.5, "{id}: chi1+2 {chi12}");
        assert!(clashes < 3.0, "{id}: {clashes} side-chain clashes per 1000 atoms");
        all = (all.0 + n, all.1 + chi1 * n as f64);
    }
    assert!(all.1 / all.0 as f64 > 0.75, "chi1 over all {}", all.1 / all.0 as f64);
}

#[test]
fn predicted_files_carry_every_side_chain_and_read_back() {
    let lib = SideChainLibrary::get();
    let t = webfold::templates::Templates::from_bytes(&std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/library.wftl")).unwrap()).unwrap();
    let seq = native("T1016").sequence;
    let model = webfold::templates::predict(&t, &seq, &webfold::templates::SearchOptions::default()).expect("T1016 has a template");
    let s = &model.structure;
    for (i, aa) in seq.chars().enumerate() {
        let want: Vec<&str> = lib.residues.get(&aa).map_or(Vec::new(), |rt| rt.atoms.iter().map(|a| a.name).collect());
        let got: Vec<&str> = s.side[i].iter().map(|a| a.name).collect();
        assert_eq!(got, want, "residue {} ({aa})", i + 1);
    }
    let pdb = write_pdb(s, "T1016");
    assert!(pdb.contains("FULL-ATOM MODEL"));
    let back = structure_from_residues(&read_pdb(&pdb).unwrap()).unwrap();
    assert_eq!(back.side.len(), s.len());
    for (a, b) in back.side.iter().zip(&s.side) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert_eq!((x.name, x.element), (y.name, y.element));
            assert!(dist(v(x.pos), v(y.pos)) < 2e-3);
        }
    }
    // Packing is deterministic: the same backbone gives the same atoms. (The model's own side
    // chains are not the packing of its final backbone: the clash relief moved both after it.)
    let (mut once, mut again) = (s.clone(), s.clone());
    add_side_chains(&mut once);
    add_side_chains(&mut again);
    assert_eq!(again.side, once.side);
}

#[test]
fn heavy_atom_clashes_agree_with_a_count_over_every_pair() {
    // `webfold check`'s heavy-atom clashes (geometry/check.rs, a grid) against every pair, with
    // the same exceptions: on a native, on its repacked side chains, and on the repacked model
    // with a stretch of residues moved onto the rest of the chain (many clashes).
    let mut repacked = native("T1016");
    add_side_chains(&mut repacked);
    let mut moved = repacked.clone();
    let shift = [v(moved.ca[40])[0] - v(moved.ca[10])[0], v(moved.ca[40])[1] - v(moved.ca[10])[1], v(moved.ca[40])[2] - v(moved.ca[10])[2]];
    let mv = |p: &mut [f32; 3]| (0..3).for_each(|t| p[t] -= shift[t] as f32 * 0.9);
    for i in 35..46 {
        mv(&mut moved.n[i]);
        mv(&mut moved.ca[i]);
        mv(&mut moved.c[i]);
        mv(&mut moved.o[i]);
        if let Some(cb) = moved.cb[i].as_mut() {
            mv(cb);
        }
        moved.side[i].iter_mut().for_each(|a| mv(&mut a.pos));
    }
    let mut counts = Vec::new();
    for s in [native("T1016"), repacked, moved] {
        let atoms: Vec<(usize, &str, [f64; 3])> = (0..s.len()).flat_map(|i| residue_atoms(&s, i).into_iter().map(move |(n, p, _)| (i, n, v(p)))).collect();
        let seq: Vec<char> = s.sequence.chars().collect();
        let backbone = |n: &str| matches!(n, "N" | "CA" | "C" | "O");
        let mut expected = 0;
        for (x, a) in atoms.iter().enumerate() {
            for b in &atoms[x + 1..] {
                if a.0 == b.0 || dist(a.2, b.2) >= 2.5 || (a.1 == "SG" && b.1 == "SG") {
                    continue;
                }
                let next = a.0.abs_diff(b.0) == 1;
                let pro_cd_c = |p: &(usize, &str, [f64; 3]), q: &(usize, &str, [f64; 3])| p.1 == "CD" && seq[p.0] == 'P' && q.1 == "C" && q.0 + 1 == p.0;
                if next && ((backbone(a.1) && backbone(b.1)) || pro_cd_c(a, b) || pro_cd_c(b, a)) {
                    continue;
                }
                expected += 1;
            }
        }
        let report = webfold::geometry::check(&s);
        assert_eq!(report.atom_clashes, expected, "grid {} against every pair {expected}", report.atom_clashes);
        assert_eq!(report.n_atoms, atoms.len());
        counts.push(expected);
    }
    eprintln!("heavy-atom clashes: native {}, repacked {}, moved {}", counts[0], counts[1], counts[2]);
    assert!(counts[2] > counts[1] + 50, "moving a stretch onto the chain made {} clashes", counts[2]);
}
