//! Sanity of the committed local-structure weights on real sequences (docs/LOCAL.md): proper
//! probability distributions, and the secondary structure of two well-known proteins. This is a
//! smoke test, not the measurement: ubiquitin may well be in the training set; the held-out
//! accuracy is measured by `python -m webfold_train.local.evaluate`.

use webfold::local::{LocalPredictor, ANGLE_BINS, BURIAL_BINS};
use webfold::sequence::{parse, ParseOptions};

const WEIGHTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/weights/local.safetensors");

fn predictor() -> LocalPredictor {
    LocalPredictor::from_bytes(&std::fs::read(WEIGHTS).expect("weights/local.safetensors must exist"))
        .expect("local weights load")
}

fn tokens(seq: &str) -> Vec<u8> {
    parse(seq, &ParseOptions::default()).expect("valid sequence").remove(0).tokens
}

fn assert_distributions<const N: usize>(rows: &[[f32; N]], what: &str) {
    for (i, r) in rows.iter().enumerate() {
        assert!(r.iter().all(|p| p.is_finite() && *p >= 0.0 && *p <= 1.0), "{what} row {i}: {r:?}");
        let s: f32 = r.iter().sum();
        assert!((s - 1.0).abs() < 1e-4, "{what} row {i} sums to {s}");
    }
}

fn argmax(r: &[f32]) -> usize {
    (0..r.len()).max_by(|&a, &b| r[a].total_cmp(&r[b])).expect("non-empty")
}

/// alpha3D, a designed three-helix bundle (PDB 2A3D).
const ALPHA3D: &str = "MGSWAEFKQRLAAIKTRLQALGGSEAELAAFEKEIAAFESELQAYKGKGNPEVEALRKEAAAIRDELQAYRHN";
/// Human ubiquitin (PDB 1UBQ).
const UBIQUITIN: &str = "MQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG";

#[test]
fn outputs_are_probability_distributions_per_residue() {
    let p = predictor();
    for seq in [ALPHA3D, UBIQUITIN, "W", "XXXXXXXX"] {
        let out = p.predict(&tokens(seq));
        assert_eq!(out.len(), seq.len());
        for n in [out.ss8.len(), out.phi.len(), out.psi.len(), out.burial.len()] {
            assert_eq!(n, seq.len());
        }
        assert_distributions(&out.ss3, "ss3");
        assert_distributions(&out.ss8, "ss8");
        assert_distributions::<ANGLE_BINS>(&out.phi, "phi");
        assert_distributions::<ANGLE_BINS>(&out.psi, "psi");
        assert_distributions::<BURIAL_BINS>(&out.burial, "burial");
    }
    assert!(p.predict(&[]).is_empty());
}

#[test]
fn helical_bundle_is_predicted_helical() {
    let out = predictor().predict(&tokens(ALPHA3D));
    let helix = out.ss3.iter().filter(|r| argmax(&r[..]) == 0).count();
    let frac = helix as f32 / out.len() as f32;
    // three helices joined by short loops: most of the chain is helix
    assert!(frac > 0.7, "only {helix} of {} residues predicted H", out.len());
    // helical residues sit in the alpha region: phi bin of -60 degrees (bins 11..13 are
    // -70..-40), psi near -40 (bins 13..15)
    let mid = &out.phi[10..20];
    assert!(mid.iter().all(|r| (11..=13).contains(&argmax(&r[..]))), "phi of helix 1 not alpha");
    let mid = &out.psi[10..20];
    assert!(mid.iter().all(|r| (12..=15).contains(&argmax(&r[..]))), "psi of helix 1 not alpha");
}

#[test]
fn ubiquitin_strands_and_helix() {
    let out = predictor().predict(&tokens(UBIQUITIN));
    let ss: String = out.ss3.iter().map(|r| b"HEC"[argmax(&r[..])] as char).collect();
    // 1UBQ's DSSP: strands at residues 2-7 and 12-17, the helix at 23-34 (1-based)
    let count = |range: std::ops::RangeInclusive<usize>, c: char| {
        range.clone().filter(|&i| ss.as_bytes()[i - 1] as char == c).count() as f32 / range.count() as f32
    };
    println!("{ss}");
    assert!(count(2..=7, 'E') >= 0.6, "strand 1: {ss}");
    assert!(count(12..=17, 'E') >= 0.6, "strand 2: {ss}");
    assert!(count(23..=34, 'H') >= 0.6, "helix: {ss}");
}

#[test]
fn wrong_files_are_refused() {
    assert!(LocalPredictor::from_bytes(b"not a safetensors file").is_err());
    let trunk = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/weights/webfold.safetensors")).unwrap();
    let e = LocalPredictor::from_bytes(&trunk).err().expect("the trunk's weights are not local weights");
    assert!(e.contains("local"), "{e}");
}
