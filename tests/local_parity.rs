//! Parity: the burn local-structure network, loaded from the committed weights, reproduces the
//! PyTorch probabilities stored in tests/fixtures/local_parity.safetensors (written by
//! `python -m webfold_train.local.export`). Never skipped: a missing file is a failure.

mod common;

use common::{fixture_floats as floats, fixture_tokens as tokens};
use safetensors::SafeTensors;
use webfold::local::LocalPredictor;

const WEIGHTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/weights/local.safetensors");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/local_parity.safetensors");

fn flat<const N: usize>(rows: &[[f32; N]]) -> Vec<f32> {
    rows.iter().flatten().copied().collect()
}

#[test]
fn burn_matches_pytorch_probabilities() {
    let weights = std::fs::read(WEIGHTS).expect("weights/local.safetensors must exist");
    let predictor = LocalPredictor::from_bytes(&weights).expect("local weights load");
    let bytes = std::fs::read(FIXTURES).expect("local parity fixture must exist");
    let st = SafeTensors::deserialize(&bytes).expect("fixture is safetensors");
    let n = st.names().iter().filter(|k| k.ends_with(".tokens")).count();
    assert!(n >= 3, "need at least three fixture sequences, found {n}");
    for i in 0..n {
        let toks = tokens(&st, &format!("{i}.tokens"));
        let out = predictor.predict(&toks);
        assert_eq!(out.len(), toks.len());
        let checks = [
            ("ss3", flat(&out.ss3)),
            ("ss8", flat(&out.ss8)),
            ("phi", flat(&out.phi)),
            ("psi", flat(&out.psi)),
            ("burial", flat(&out.burial)),
        ];
        for (name, got) in checks {
            let want = floats(&st, &format!("{i}.{name}"));
            assert_eq!(got.len(), want.len(), "sequence {i} {name}: length");
            let err = got.iter().zip(&want).map(|(g, w)| (g - w).abs()).fold(0.0f32, f32::max);
            println!("sequence {i} (L={}) {name}: max |p_burn - p_torch| {err:.2e}", toks.len());
            assert!(err < 1e-4, "sequence {i} {name}: probability differs by {err} >= 1e-4");
        }
    }
}
