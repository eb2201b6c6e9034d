//! O and CB in the relaxation (src/geometry/relax_o_cb.rs): they must push apart what would
//! overlap, and leave a good backbone where it is.

mod common;

use webfold::geometry::relax::{relax_with, RelaxOptions};
use webfold::geometry::{complete_backbone, Structure};
use webfold::pdb::{first_chain, read_pdb};

/// Sequence, then N, CA and C of every residue.
type Backbone = (String, Vec<[f32; 3]>, Vec<[f32; 3]>, Vec<[f32; 3]>);

/// N, CA, C and sequence of a CASP13 native's first chain.
fn native(id: &str) -> Backbone {
    let text = std::fs::read_to_string(common::casp13_dir().join(format!("{id}.pdb"))).expect("CASP13 native (tests/common)");
    let residues = read_pdb(&text).unwrap();
    let chain = first_chain(&residues);
    let pick = |name: &str| chain.iter().map(|r| r.atom(name).unwrap().pos).collect::<Vec<_>>();
    (chain.iter().map(|r| r.one_letter()).collect(), pick("N"), pick("CA"), pick("C"))
}

/// Pairs of backbone or CB atoms (N, CA, C, O, CB) of residues at least two apart closer than
/// 2.5 A, and how many of them involve an O or a CB.
fn clashes(s: &Structure) -> (usize, usize) {
    let mut atoms: Vec<(usize, [f32; 3], bool)> = Vec::new();
    for i in 0..s.len() {
        atoms.extend([(i, s.n[i], false), (i, s.ca[i], false), (i, s.c[i], false), (i, s.o[i], true)]);
        if let Some(cb) = s.cb[i] {
            atoms.push((i, cb, true));
        }
    }
    let (mut all, mut o_cb) = (0, 0);
    for (k, a) in atoms.iter().enumerate() {
        for b in &atoms[k + 1..] {
            let d = ((a.1[0] - b.1[0]).powi(2) + (a.1[1] - b.1[1]).powi(2) + (a.1[2] - b.1[2]).powi(2)).sqrt();
            if a.0.abs_diff(b.0) >= 2 && d < 2.5 {
                all += 1;
                o_cb += usize::from(a.2 || b.2);
            }
        }
    }
    (all, o_cb)
}

fn relaxed(seq: &str, n: &[[f32; 3]], ca: &[[f32; 3]], c: &[[f32; 3]], o_cb: bool) -> Structure {
    let (mut n, mut ca, mut c) = (n.to_vec(), ca.to_vec(), c.to_vec());
    relax_with(&mut n, &mut ca, &mut c, &RelaxOptions { coil_ca_ca: 0.0, o_cb_repulsion: o_cb, ..RelaxOptions::default() });
    complete_backbone(seq, &n, &ca, &c, &vec![50.0; seq.len()])
}

fn ca_rmsd(a: &[[f32; 3]], b: &[[f32; 3]]) -> f64 {
    let ss: f64 = a.iter().zip(b).map(|(p, q)| (0..3).map(|t| ((p[t] - q[t]) as f64).powi(2)).sum::<f64>()).sum();
    (ss / a.len() as f64).sqrt()
}

#[test]
fn o_and_cb_repulsion_leaves_a_native_backbone_in_place() {
    for id in ["T1016", "T0955"] {
        let (seq, n, ca, c) = native(id);
        let s = relaxed(&seq, &n, &ca, &c, true);
        let moved = ca_rmsd(&s.ca, &ca);
        assert!(moved < 0.3, "{id}: CA moved by {moved:.3} A RMSD");
        let before = clashes(&complete_backbone(&seq, &n, &ca, &c, &vec![50.0; seq.len()]));
        assert!(clashes(&s).0 <= before.0, "{id}: {:?} clashes after, {before:?} before", clashes(&s));
    }
}

#[test]
fn o_and_cb_repulsion_separates_segments_pushed_into_each_other() {
    // Every 25th residue starts a 10-residue segment that is moved 1.6 A towards the nearest
    // residue of the rest of the chain: the kind of overlap two templates, or a shifted
    // alignment, leave behind. The N/CA/C repulsion alone leaves O and CB overlaps; with O and
    // CB in the repulsion most must go.
    let (seq, n, ca, c) = native("T1016");
    let (mut n2, mut ca2, mut c2) = (n.clone(), ca.clone(), c.clone());
    let l = seq.len();
    for start in (5..l.saturating_sub(15)).step_by(25) {
        let seg = start..start + 10;
        let centre = seg.clone().map(|i| ca[i]).fold([0.0f32; 3], |acc, p| [acc[0] + p[0] / 10.0, acc[1] + p[1] / 10.0, acc[2] + p[2] / 10.0]);
        let nearest = (0..l)
            .filter(|j| *j + 3 < start || *j > start + 12)
            .min_by(|&a, &b| ca_rmsd(&[ca[a]], &[centre]).total_cmp(&ca_rmsd(&[ca[b]], &[centre])))
            .unwrap();
        let dir = [ca[nearest][0] - centre[0], ca[nearest][1] - centre[1], ca[nearest][2] - centre[2]];
        let len = (dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]).sqrt();
        let shift = dir.map(|v| 1.6 * v / len);
        for i in seg {
            for p in [&mut n2[i], &mut ca2[i], &mut c2[i]] {
                for t in 0..3 {
                    p[t] += shift[t];
                }
            }
        }
    }
    let without = clashes(&relaxed(&seq, &n2, &ca2, &c2, false));
    let with = clashes(&relaxed(&seq, &n2, &ca2, &c2, true));
    assert!(without.1 >= 10, "the shifted segments should leave O/CB overlaps without the sites: {without:?}");
    assert!(2 * with.1 <= without.1, "O/CB overlaps: {} with the sites, {} without", with.1, without.1);
    assert!(with.0 < without.0, "all overlaps: {} with, {} without", with.0, without.0);
}
