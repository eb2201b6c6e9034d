//! Clash relief (src/geometry/refine.rs), the last step of a template model: on a native
//! backbone whose side chains are put in their most probable rotamers without packing (about
//! 100 clashes per 1000 atoms), and on a packed native (about 1).

mod common;

use webfold::geometry::check::heavy_atom_clashes;
use webfold::geometry::refine::relieve_clashes;
use webfold::geometry::{check, Structure};
use webfold::sidechains::build::side_chain;
use webfold::sidechains::pack::torsion_deg;
use webfold::sidechains::{add_side_chains, SideChainLibrary};

fn v(p: [f32; 3]) -> [f64; 3] {
    [p[0] as f64, p[1] as f64, p[2] as f64]
}

fn dist(a: [f32; 3], b: [f32; 3]) -> f64 {
    let (a, b) = (v(a), v(b));
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

/// The first chain of a CASP13 native, side chains removed.
fn native_backbone(id: &str) -> Structure {
    let mut s = common::casp13_native(id);
    s.side = vec![Vec::new(); s.len()];
    s
}

/// Every side chain in the most probable rotamer of its phi/psi cell, whatever it meets.
fn unpacked(mut s: Structure) -> Structure {
    let lib = SideChainLibrary::get();
    let seq: Vec<char> = s.sequence.chars().collect();
    for (i, aa) in seq.iter().enumerate().take(s.len() - 1).skip(1) {
        let (Some(rt), Some(cb)) = (lib.residues.get(aa), s.cb[i]) else { continue };
        let phi = torsion_deg(v(s.c[i - 1]), v(s.n[i]), v(s.ca[i]), v(s.c[i]));
        let psi = torsion_deg(v(s.n[i]), v(s.ca[i]), v(s.c[i]), v(s.n[i + 1]));
        let best = lib.rotamers(rt, phi, psi).iter().min_by(|a, b| a.penalty.total_cmp(&b.penalty)).unwrap();
        let atoms = side_chain(rt, v(s.n[i]), v(s.ca[i]), v(cb), &best.chis);
        s.side[i] = rt.atoms.iter().zip(atoms).map(|(spec, p)| webfold::geometry::atoms::SideAtom { name: spec.name, element: spec.element, pos: [p[0] as f32, p[1] as f32, p[2] as f32] }).collect();
    }
    s
}

/// Every atom of `s` in file order (the same order before and after the relief).
fn all_atoms(s: &Structure) -> Vec<[f32; 3]> {
    (0..s.len()).flat_map(|i| webfold::pdb::residue_atoms(s, i).into_iter().map(|(_, p, _)| p)).collect()
}

fn per_1000(s: &Structure) -> f64 {
    let (clashes, atoms) = heavy_atom_clashes(s);
    1000.0 * clashes as f64 / atoms as f64
}

#[test]
fn relief_removes_the_clashes_of_unpacked_side_chains_and_keeps_the_geometry() {
    for id in ["T1016", "T0957s1"] {
        let before = unpacked(native_backbone(id));
        let mut after = before.clone();
        relieve_clashes(&mut after);
        let (c0, c1) = (per_1000(&before), per_1000(&after));
        eprintln!("{id}: heavy-atom clashes {c0:.1} -> {c1:.1} per 1000 atoms");
        assert!(c0 > 30.0, "{id}: the unpacked side chains should clash ({c0:.1} per 1000 atoms)");
        assert!(c1 < 3.0, "{id}: {c1:.1} clashes per 1000 atoms left");
        let report = check(&after);
        assert!(report.is_valid(), "{id}: {report}");
        // Bonds (atoms of one residue under 1.9 A apart) keep their lengths.
        let mut worst = 0.0f64;
        for i in 0..before.len() {
            let (a, b) = (webfold::pdb::residue_atoms(&before, i), webfold::pdb::residue_atoms(&after, i));
            for x in 0..a.len() {
                for y in x + 1..a.len() {
                    let d0 = dist(a[x].1, a[y].1);
                    if d0 < 1.9 {
                        let d1 = dist(b[x].1, b[y].1);
                        worst = worst.max((d1 - d0).abs());
                    }
                }
            }
        }
        eprintln!("{id}: largest bond change {worst:.3} A");
        assert!(worst < 0.05, "{id}: a bond changed by {worst:.3} A");
        // Small moves: the backbone stays where it was.
        let ca_rms = (before.ca.iter().zip(&after.ca).map(|(p, q)| dist(*p, *q).powi(2)).sum::<f64>() / before.len() as f64).sqrt();
        eprintln!("{id}: CA moved by {ca_rms:.3} A RMS");
        assert!(ca_rms < 0.3, "{id}: CA moved by {ca_rms:.3} A RMS");
    }
}

#[test]
fn relief_barely_moves_a_packed_native() {
    let mut before = native_backbone("T1016");
    add_side_chains(&mut before);
    let mut after = before.clone();
    relieve_clashes(&mut after);
    let moves: Vec<f64> = all_atoms(&before).iter().zip(all_atoms(&after)).map(|(p, q)| dist(*p, q)).collect();
    let mean = moves.iter().sum::<f64>() / moves.len() as f64;
    let ca_max = before.ca.iter().zip(&after.ca).map(|(p, q)| dist(*p, *q)).fold(0.0, f64::max);
    eprintln!("T1016 packed: clashes {:.1} -> {:.1} per 1000 atoms, mean atom move {mean:.3} A, largest CA move {ca_max:.3} A", per_1000(&before), per_1000(&after));
    assert!(mean < 0.05, "mean atom move {mean:.3} A");
    assert!(ca_max < 0.2, "largest CA move {ca_max:.3} A");
    assert!(per_1000(&after) <= per_1000(&before));
}
