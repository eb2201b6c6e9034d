//! Backbone completion (O, CB), geometry checks and the restrained relaxation (D5, D8).

use webfold::geometry::atoms::{IDEAL_C, IDEAL_CA, IDEAL_N};
use webfold::geometry::{backbone_from_frames, check, complete_backbone, relax, relax_with, RelaxOptions, Structure};

type P = [f32; 3];

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}
fn norm(a: [f64; 3]) -> f64 {
    dot(a, a).sqrt()
}
fn unit(a: [f64; 3]) -> [f64; 3] {
    let n = norm(a);
    [a[0] / n, a[1] / n, a[2] / n]
}
fn f(p: P) -> [f64; 3] {
    [p[0] as f64, p[1] as f64, p[2] as f64]
}
fn d(a: P, b: P) -> f64 {
    norm(sub(f(a), f(b)))
}
/// Angle a-b-c in degrees.
fn angle(a: P, b: P, c: P) -> f64 {
    let u = unit(sub(f(a), f(b)));
    let v = unit(sub(f(c), f(b)));
    dot(u, v).clamp(-1.0, 1.0).acos().to_degrees()
}
/// Dihedral a-b-c-d in degrees.
fn dihedral(a: P, b: P, c: P, dd: P) -> f64 {
    let (a, b, c, dd) = (f(a), f(b), f(c), f(dd));
    let b0 = sub(a, b);
    let b1 = unit(sub(c, b));
    let b2 = sub(dd, c);
    let v = sub(b0, [b1[0] * dot(b0, b1), b1[1] * dot(b0, b1), b1[2] * dot(b0, b1)]);
    let w = sub(b2, [b1[0] * dot(b2, b1), b1[1] * dot(b2, b1), b1[2] * dot(b2, b1)]);
    let x = dot(v, w);
    let y = dot(cross(b1, v), w);
    y.atan2(x).to_degrees()
}

/// Deterministic generator (splitmix64) for test inputs.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn gauss(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-12);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// Uniform point in a ball of radius r around c.
    fn in_ball(&mut self, c: [f64; 3], r: f64) -> P {
        loop {
            let p = [self.uniform() * 2.0 - 1.0, self.uniform() * 2.0 - 1.0, self.uniform() * 2.0 - 1.0];
            if dot(p, p) <= 1.0 {
                return [(c[0] + r * p[0]) as f32, (c[1] + r * p[1]) as f32, (c[2] + r * p[2]) as f32];
            }
        }
    }
}

/// Place d from a, b, c with |cd| = r, angle b-c-d = theta, dihedral a-b-c-d = chi (degrees).
fn nerf(a: [f64; 3], b: [f64; 3], c: [f64; 3], r: f64, theta: f64, chi: f64) -> [f64; 3] {
    let bc = unit(sub(c, b));
    let n = unit(cross(sub(b, a), bc));
    let m = cross(n, bc);
    let (t, x) = (theta.to_radians(), chi.to_radians());
    let d2 = [-r * t.cos(), r * t.sin() * x.cos(), r * t.sin() * x.sin()];
    [
        c[0] + d2[0] * bc[0] + d2[1] * m[0] + d2[2] * n[0],
        c[1] + d2[0] * bc[1] + d2[1] * m[1] + d2[2] * n[1],
        c[2] + d2[0] * bc[2] + d2[1] * m[2] + d2[2] * n[2],
    ]
}

/// An ideal backbone (Engh & Huber bonds and angles, trans peptides) with phi/psi from `torsion`.
fn ideal_chain(l: usize, torsion: impl Fn(usize) -> (f64, f64)) -> (Vec<P>, Vec<P>, Vec<P>) {
    let mut n = vec![[-0.525f64, 1.363, 0.0]];
    let mut ca = vec![[0.0f64, 0.0, 0.0]];
    let mut c = vec![[1.526f64, 0.0, 0.0]];
    for i in 1..l {
        let (_, psi) = torsion(i - 1);
        let (phi, _) = torsion(i);
        let ni = nerf(n[i - 1], ca[i - 1], c[i - 1], 1.329, 116.2, psi);
        let cai = nerf(ca[i - 1], c[i - 1], ni, 1.458, 121.7, 180.0);
        let ci = nerf(c[i - 1], ni, cai, 1.525, 111.2, phi);
        n.push(ni);
        ca.push(cai);
        c.push(ci);
    }
    let to32 = |v: Vec<[f64; 3]>| v.into_iter().map(|p| [p[0] as f32, p[1] as f32, p[2] as f32]).collect::<Vec<P>>();
    (to32(n), to32(ca), to32(c))
}

/// Helices (12 residues) alternating with strands (8) joined by short loops.
fn mixed_torsions(i: usize) -> (f64, f64) {
    match i % 24 {
        0..=11 => (-57.0, -47.0),
        12..=13 => (-80.0, 150.0),
        14..=21 => (-120.0, 130.0),
        _ => (70.0, 20.0),
    }
}

fn seq(l: usize) -> String {
    let alphabet = b"ARNDCQEGHILKMFPSTWYV";
    (0..l).map(|i| alphabet[(i * 7) % 20] as char).collect()
}

fn build(n: &[P], ca: &[P], c: &[P]) -> Structure {
    complete_backbone(&seq(ca.len()), n, ca, c, &vec![50.0; ca.len()])
}

fn add_noise(v: &mut [P], rng: &mut Rng, sigma: f64) {
    for p in v.iter_mut() {
        for x in p.iter_mut() {
            *x += (sigma * rng.gauss()) as f32;
        }
    }
}

// ---------------------------------------------------------------- complete_backbone

#[test]
fn ideal_frames_give_ideal_o_and_cb() {
    // Local frame (identity): CB must sit where AF2's ideal alanine CB is.
    let s = complete_backbone("A", &[IDEAL_N], &[IDEAL_CA], &[IDEAL_C], &[90.0]);
    let cb = s.cb[0].expect("alanine has a CB");
    assert!((d(cb, s.ca[0]) - 1.53).abs() < 1e-4, "CA-CB {}", d(cb, s.ca[0]));
    assert!(d(cb, [-0.529, -0.774, -1.205]) < 0.1, "CB {cb:?} far from the ideal L-alanine CB");
    let a = angle(s.n[0], s.ca[0], cb);
    assert!((a - 109.5).abs() < 2.5, "N-CA-CB angle {a}");
    // Terminal O: 1.23 A, CA-C-O 120.5 degrees.
    assert!((d(s.o[0], s.c[0]) - 1.23).abs() < 1e-4);
    assert!((angle(s.ca[0], s.c[0], s.o[0]) - 120.5).abs() < 0.05);
}

#[test]
fn o_bisects_the_peptide_and_cb_is_tetrahedral_in_a_chain() {
    let (n, ca, c) = ideal_chain(30, mixed_torsions);
    let s = complete_backbone(&seq(30).to_lowercase(), &n, &ca, &c, &[70.0; 30]);
    assert_eq!(s.sequence, seq(30));
    for i in 0..30 {
        assert!((d(s.o[i], s.c[i]) - 1.23).abs() < 1e-4, "C=O of residue {i}");
        if i + 1 < 30 {
            // In the plane of CA_i, C_i, N_{i+1}, and bisecting the external angle.
            let tors = dihedral(s.ca[i], s.n[i + 1], s.c[i], s.o[i]).abs();
            assert!(tors < 0.1 || (180.0 - tors) < 0.1, "O out of plane at {i}: {tors}");
            let a1 = angle(s.ca[i], s.c[i], s.o[i]);
            let a2 = angle(s.n[i + 1], s.c[i], s.o[i]);
            assert!((a1 - a2).abs() < 0.05, "O not on the bisector at {i}: {a1} vs {a2}");
            assert!((a1 + a2 + angle(s.ca[i], s.c[i], s.n[i + 1]) - 360.0).abs() < 0.05);
        }
        match s.cb[i] {
            None => assert_eq!(s.sequence.as_bytes()[i], b'G'),
            Some(cb) => {
                assert_ne!(s.sequence.as_bytes()[i], b'G');
                assert!((d(cb, s.ca[i]) - 1.53).abs() < 1e-4);
                for a in [angle(s.n[i], s.ca[i], cb), angle(s.c[i], s.ca[i], cb)] {
                    assert!((a - 109.5).abs() < 2.5, "tetrahedral angle {a} at {i}");
                }
                // L-amino acid (same handedness as AF2's ideal CB checked above):
                // ((N - CA) x (C - CA)) . (CB - CA) > 0, and well away from planar.
                let (ca_, n_, c_, cb_) = (f(s.ca[i]), f(s.n[i]), f(s.c[i]), f(cb));
                let vol = dot(cross(sub(n_, ca_), sub(c_, ca_)), sub(cb_, ca_));
                assert!(vol > 1.5, "wrong CB chirality at {i}: {vol}");
            }
        }
    }
    assert!(s.cb.iter().any(|x| x.is_none()), "test sequence must contain a glycine");
    let report = check(&s);
    assert!(report.is_valid(), "{report}");
    assert!(report.max_dev_c_n < 1e-3 && report.max_dev_n_ca < 5e-3, "{report}");
    assert!((report.ca_ca_mean - 3.8).abs() < 0.05, "{report}");
}

#[test]
fn frames_are_applied_as_rotation_then_translation() {
    // 90 degrees around z: x -> y.
    let r = [[0.0f32, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]];
    let (n, ca, c) = backbone_from_frames(&[r], &[[10.0, 0.0, 0.0]]);
    assert_eq!(ca[0], [10.0, 0.0, 0.0]);
    assert!(d(c[0], [10.0, 1.526, 0.0]) < 1e-6);
    assert!(d(n[0], [10.0 - 1.363, -0.525, 0.0]) < 1e-6);
}

#[test]
fn degenerate_input_gives_finite_atoms() {
    let z = [[0.0f32; 3]; 3];
    let s = complete_backbone("AGA", &z, &z, &z, &[0.0; 3]);
    for p in s.o.iter().chain(s.cb.iter().flatten()) {
        assert!(p.iter().all(|x| x.is_finite()));
    }
}

// ---------------------------------------------------------------- check

#[test]
fn check_flags_broken_structures() {
    let (n, ca, c) = ideal_chain(40, mixed_torsions);
    assert!(check(&build(&n, &ca, &c)).is_valid());

    // Chain break: shift residues 20.. by 2 A.
    let (mut n2, mut ca2, mut c2) = (n.clone(), ca.clone(), c.clone());
    for v in [&mut n2, &mut ca2, &mut c2] {
        for p in v[20..].iter_mut() {
            p[0] += 2.0;
        }
    }
    let r = check(&build(&n2, &ca2, &c2));
    assert!(!r.is_valid(), "chain break not flagged: {r}");
    assert!(r.max_dev_c_n > 0.5 && r.ca_ca_max > 4.5, "{r}");

    // Stretched N-CA bond in one residue.
    let mut n3 = n.clone();
    let u = unit(sub(f(n[5]), f(ca[5])));
    for t in 0..3 {
        n3[5][t] = ca[5][t] + (1.458 + 0.15) as f32 * u[t] as f32;
    }
    let r = check(&build(&n3, &ca, &c));
    assert!(!r.is_valid() && r.max_dev_n_ca > 0.1, "{r}");

    // Bad C=O.
    let mut s = build(&n, &ca, &c);
    s.o[3][0] += 0.5;
    assert!(!check(&s).is_valid());

    // Everything collapsed onto one point: bonds and clashes both fail.
    let z = vec![[1.0f32; 3]; 40];
    let r = check(&build(&z, &z, &z));
    assert!(!r.is_valid());
    assert_eq!(r.clash_fraction, 1.0);
    assert_eq!(r.n_pairs, 37 * 38 / 2);

    // Non-finite coordinates.
    let mut ca4 = ca.clone();
    ca4[7][1] = f32::NAN;
    let r = check(&build(&n, &ca4, &c));
    assert!(!r.is_valid() && r.non_finite_atoms >= 1, "{r}");
}

#[test]
fn clash_fraction_threshold() {
    // A straight line of CAs (valid bonds aside) folded back onto itself: residues 0..20 and
    // 20..40 superposed -> many clashes.
    let (n, ca, c) = ideal_chain(40, |_| (-120.0, 130.0));
    let mut s = build(&n, &ca, &c);
    let before = check(&s);
    assert_eq!(before.n_clashes, 0, "{before}");
    for i in 20..40 {
        s.ca[i] = [s.ca[39 - i][0], s.ca[39 - i][1] + 0.5, s.ca[39 - i][2]];
    }
    let after = check(&s);
    assert!(after.clash_fraction >= 0.01 && !after.is_valid(), "{after}");
    assert!(after.n_clashes >= 15 && after.n_pairs == 37 * 38 / 2, "{after}");

    // The clash criterion alone decides validity when the bonds are fine.
    let mut r = before.clone();
    assert!(r.is_valid());
    r.clash_fraction = 0.0101;
    assert!(!r.is_valid());
    r.clash_fraction = 0.0099;
    assert!(r.is_valid());
}

#[test]
fn single_residue_and_empty() {
    let s = complete_backbone("G", &[IDEAL_N], &[IDEAL_CA], &[IDEAL_C], &[10.0]);
    let r = check(&s);
    assert!(r.is_valid(), "{r}");
    assert_eq!(r.n_pairs, 0);
    let e = complete_backbone("", &[], &[], &[], &[]);
    assert!(check(&e).is_valid());
}

// ---------------------------------------------------------------- relax

fn relax_and_check(name: &str, n: Vec<P>, ca: Vec<P>, c: Vec<P>) -> Structure {
    relax_and_check_stats(name, n, ca, c).0
}

fn relax_and_check_stats(name: &str, mut n: Vec<P>, mut ca: Vec<P>, mut c: Vec<P>) -> (Structure, webfold::geometry::relax::RelaxStats) {
    let before = check(&build(&n, &ca, &c));
    let stats = relax(&mut n, &mut ca, &mut c);
    let s = build(&n, &ca, &c);
    let r = check(&s);
    eprintln!("{name}: before {before}\n{name}: after  {r}\n{name}: {stats:?}");
    assert!(r.is_valid(), "{name}: not valid after relax: {r}");
    assert!(stats.energy_end < stats.energy_start, "{name}: energy did not decrease");
    (s, stats)
}

#[test]
fn relax_fixes_noisy_ideal_frames() {
    let (n0, ca0, c0) = ideal_chain(80, mixed_torsions);
    let mut rng = Rng(7);
    let (mut n, mut ca, mut c) = (n0.clone(), ca0.clone(), c0.clone());
    add_noise(&mut n, &mut rng, 0.5);
    add_noise(&mut ca, &mut rng, 0.5);
    add_noise(&mut c, &mut rng, 0.5);
    assert!(!check(&build(&n, &ca, &c)).is_valid(), "the noisy input should start invalid");
    let s = relax_and_check("noisy", n, ca, c);
    // Stays close to the truth: CA RMSD (no superposition needed) well under the noise.
    let msd: f64 = s.ca.iter().zip(&ca0).map(|(a, b)| d(*a, *b).powi(2)).sum::<f64>() / 80.0;
    assert!(msd.sqrt() < 0.6, "CA RMSD to the ideal chain {}", msd.sqrt());
}

#[test]
fn relax_fixes_noisy_frames_from_rotations() {
    // Ideal frames (exact N/CA/C in each residue), noisy placement: like a network output.
    let (n0, ca0, c0) = ideal_chain(60, mixed_torsions);
    let mut rng = Rng(11);
    let mut n = n0.clone();
    let mut ca = ca0.clone();
    let mut c = c0.clone();
    for i in 0..60 {
        let shift = [(0.5 * rng.gauss()) as f32, (0.5 * rng.gauss()) as f32, (0.5 * rng.gauss()) as f32];
        for v in [&mut n, &mut ca, &mut c] {
            for t in 0..3 {
                v[i][t] += shift[t];
            }
        }
    }
    relax_and_check("rigid-noisy", n, ca, c);
}

#[test]
fn relax_fixes_a_straight_line() {
    let l = 50;
    let rot = [[1.0f32, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let trans: Vec<P> = (0..l).map(|i| [3.8 * i as f32, 0.0, 0.0]).collect();
    let (n, ca, c) = backbone_from_frames(&vec![rot; l], &trans);
    assert!(!check(&build(&n, &ca, &c)).is_valid());
    relax_and_check("line", n, ca, c);
}

#[test]
fn relax_fixes_a_collapsed_blob() {
    // Random atoms within 5 A. At 40 residues this is relaxed in place (not "collapsed" by the
    // radius-of-gyration rule); from 100 residues on it restarts from a random coil.
    for (l, seed, expect_collapsed) in [(20, 1, false), (40, 3, false), (40, 4, false), (100, 5, true)] {
        let mut rng = Rng(seed);
        let mut gen = || (0..l).map(|_| rng.in_ball([0.0; 3], 5.0)).collect::<Vec<P>>();
        let (n, ca, c) = (gen(), gen(), gen());
        assert!(!check(&build(&n, &ca, &c)).is_valid());
        let (_, stats) = relax_and_check_stats(&format!("blob{l}"), n, ca, c);
        assert_eq!(stats.collapsed, expect_collapsed);
    }
}

#[test]
fn relax_fixes_a_dense_ball() {
    // 100 residues of random atoms within 6 A: dense, but above the collapse threshold.
    let l = 100;
    let mut rng = Rng(100);
    let mut gen = || (0..l).map(|_| rng.in_ball([0.0; 3], 6.0)).collect::<Vec<P>>();
    let (n, ca, c) = (gen(), gen(), gen());
    let (_, stats) = relax_and_check_stats("dense", n, ca, c);
    assert!(!stats.collapsed);
}

#[test]
fn relax_fixes_identical_frames() {
    // An untrained network: every frame is the identity, all residues on top of each other.
    for l in [5, 60, 300] {
        let rot = [[1.0f32, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
        let (n, ca, c) = backbone_from_frames(&vec![rot; l], &vec![[0.0; 3]; l]);
        let (_, stats) = relax_and_check_stats(&format!("identical{l}"), n, ca, c);
        assert!(stats.collapsed);
    }
}

#[test]
fn relax_keeps_a_good_structure() {
    // An ideal chain hardly moves and stays valid.
    let (n, ca, c) = ideal_chain(120, mixed_torsions);
    let (s, stats) = relax_and_check_stats("ideal", n, ca.clone(), c);
    assert!(!stats.collapsed);
    let msd: f64 = s.ca.iter().zip(&ca).map(|(a, b)| d(*a, *b).powi(2)).sum::<f64>() / 120.0;
    assert!(msd.sqrt() < 0.2 && stats.max_shift < 0.6, "moved too much: rmsd {} max {}", msd.sqrt(), stats.max_shift);
}

#[test]
fn relax_handles_non_finite_input() {
    let (mut n, mut ca, mut c) = ideal_chain(20, mixed_torsions);
    ca[4] = [f32::NAN, 0.0, 0.0];
    n[9] = [f32::INFINITY, f32::NEG_INFINITY, 1.0];
    c[19] = [1e30, 0.0, 0.0];
    let stats = relax(&mut n, &mut ca, &mut c);
    assert_eq!(stats.replaced_atoms, 2);
    let r = check(&build(&n, &ca, &c));
    assert_eq!(r.non_finite_atoms, 0, "{r}");
}

#[test]
fn relax_single_residue_and_empty() {
    let (mut n, mut ca, mut c) = (vec![[0.3f32, 1.0, 0.0]], vec![[0.0f32; 3]], vec![[1.0f32, 0.2, 0.1]]);
    relax(&mut n, &mut ca, &mut c);
    let r = check(&build(&n, &ca, &c));
    assert!(r.is_valid(), "{r}");
    let (mut e1, mut e2, mut e3): (Vec<P>, Vec<P>, Vec<P>) = (vec![], vec![], vec![]);
    relax(&mut e1, &mut e2, &mut e3);
}

#[test]
fn relax_is_deterministic() {
    let (mut n, mut ca, mut c) = ideal_chain(100, mixed_torsions);
    let mut rng = Rng(5);
    add_noise(&mut n, &mut rng, 0.5);
    add_noise(&mut ca, &mut rng, 0.5);
    add_noise(&mut c, &mut rng, 0.5);
    let run = || {
        let (mut a, mut b, mut cc) = (n.clone(), ca.clone(), c.clone());
        relax(&mut a, &mut b, &mut cc);
        let s = build(&a, &b, &cc);
        let mut bits = Vec::new();
        for v in [&s.n, &s.ca, &s.c, &s.o] {
            bits.extend(v.iter().flat_map(|p| p.iter().map(|x| x.to_bits())));
        }
        bits
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b, "two runs differ");
    // And it actually moved something.
    assert_ne!(a[..9], n.iter().chain(&ca).chain(&c).flat_map(|p| p.iter().map(|x| x.to_bits())).collect::<Vec<_>>()[..9]);
}

#[test]
fn relax_zero_iterations_is_identity() {
    let (mut n, mut ca, mut c) = ideal_chain(10, mixed_torsions);
    let before = (n.clone(), ca.clone(), c.clone());
    relax_with(&mut n, &mut ca, &mut c, &RelaxOptions { iterations: 0, ..RelaxOptions::default() });
    assert_eq!((n, ca, c), before);
}

#[test]
fn relax_long_chain() {
    // 1000 residues (the input limit): must finish and be valid.
    let l = 1000;
    let (mut n, mut ca, mut c) = ideal_chain(l, mixed_torsions);
    let mut rng = Rng(99);
    add_noise(&mut n, &mut rng, 0.3);
    add_noise(&mut ca, &mut rng, 0.3);
    add_noise(&mut c, &mut rng, 0.3);
    let t = std::time::Instant::now();
    relax(&mut n, &mut ca, &mut c);
    eprintln!("relax of {l} residues: {:?}", t.elapsed());
    let r = check(&build(&n, &ca, &c));
    assert!(r.is_valid(), "{r}");
}

#[test]
fn the_check_counts_improbable_phi_psi() {
    // Helices and strands: nothing improbable (the loop's (70, 20) is a left-handed turn, rare
    // but allowed). The same chain with phi and psi mirrored puts its strands at (120, -130),
    // where no residue but glycine goes.
    // All alanine: the mixed sequence's prolines have their own table (a proline at a
    // strand's phi of -120 is improbable, and the check says so).
    let l = 96;
    let alanines = |n: &[P], ca: &[P], c: &[P]| complete_backbone(&"A".repeat(ca.len()), n, ca, c, &vec![50.0; ca.len()]);
    let (gn, gca, gc) = ideal_chain(l, mixed_torsions);
    let good = check(&alanines(&gn, &gca, &gc));
    assert_eq!(good.n_phi_psi, l - 2);
    assert_eq!(good.improbable_phi_psi, 0, "{good}");
    let (n, ca, c) = ideal_chain(l, |i| {
        let (phi, psi) = mixed_torsions(i);
        (-phi, -psi)
    });
    let mirrored = check(&alanines(&n, &ca, &c));
    let strands = (1..l - 1).filter(|i| (14..=21).contains(&(i % 24))).count();
    assert!(mirrored.improbable_phi_psi >= strands, "{mirrored} ({strands} strand residues)");
    // Improbable angles are reported, not a reason to call the model invalid.
    assert!(mirrored.is_valid());
    // The mixed sequence's prolines in strands are counted.
    let with_prolines = check(&build(&gn, &gca, &gc));
    assert!(with_prolines.improbable_phi_psi >= 1, "{with_prolines}");
}
