//! Parity: the burn model, loaded from the committed weights, reproduces the PyTorch outputs
//! stored in tests/fixtures/parity.safetensors (written by `python -m webfold_train.export`).
//! Never skipped: a missing file is a failure.

mod common;

use burn::tensor::{Device, Tensor};
use common::{fixture_floats as floats, fixture_tokens as tokens};
use safetensors::SafeTensors;

const WEIGHTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/weights/webfold.safetensors");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/parity.safetensors");

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 data")
}

/// Largest |a - b| / (|b| + scale), with `scale` the mean magnitude of the expected values so
/// that entries near zero are judged against the tensor's size, not against themselves.
fn max_rel_err(got: &[f32], want: &[f32]) -> f32 {
    assert_eq!(got.len(), want.len(), "length mismatch");
    let scale = want.iter().map(|x| x.abs()).sum::<f32>() / want.len() as f32;
    got.iter().zip(want).map(|(g, w)| (g - w).abs() / (w.abs() + scale)).fold(0.0, f32::max)
}

#[test]
fn burn_matches_pytorch_on_fixture_sequences() {
    let device = Device::flex();
    let weights = std::fs::read(WEIGHTS).expect("weights/webfold.safetensors must exist");
    let (model, _cfg) = webfold::weights::load(&weights, &device).expect("weights load");
    let fixture_bytes = std::fs::read(FIXTURES).expect("parity fixtures must exist");
    let st = SafeTensors::deserialize(&fixture_bytes).expect("fixture is safetensors");
    let n = st.names().iter().filter(|k| k.ends_with(".tokens")).count();
    assert!(n >= 2, "need at least two fixture sequences, found {n}");
    for i in 0..n {
        let toks = tokens(&st, &format!("{i}.tokens"));
        let out = model.forward_tokens_with_distogram(&toks, &device);
        let checks = [
            ("rotations", values(out.rotations)),
            ("translations", values(out.translations)),
            ("atoms", values(out.atoms)),
            ("plddt", values(out.plddt)),
            ("distogram", values(out.distogram.expect("distogram requested"))),
        ];
        for (name, got) in checks {
            let want = floats(&st, &format!("{i}.{name}"));
            let err = max_rel_err(&got, &want);
            println!("sequence {i} (L={}) {name}: max relative error {err:.2e}", toks.len());
            assert!(err < 1e-3, "sequence {i} {name}: relative error {err} >= 1e-3");
        }
    }
}
