//! The training code's export path end to end: a few PyTorch training steps of the tiny config,
//! an export, then burn loads it and must reproduce the exported fixtures. Needs Python with
//! torch (installed by .ci/run); a missing interpreter fails the test rather than skipping it.

use std::path::Path;
use std::process::Command;

use burn::tensor::Device;
use safetensors::SafeTensors;

fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

fn run(args: &[&str], cwd: &Path) {
    let out = Command::new(python()).args(args).current_dir(cwd).output().expect("python3 runs");
    assert!(out.status.success(), "python {:?} failed:\n{}", args, String::from_utf8_lossy(&out.stderr));
}

#[test]
fn fresh_tiny_export_loads_in_burn_and_matches() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("webfold-fresh-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let data = root.join("tests/fixtures/mini.wfd");
    assert!(data.exists(), "tests/fixtures/mini.wfd must be committed");
    run(
        &["-m", "webfold_train.train", "--data", data.to_str().unwrap(), "--out", &d("run"), "--config", "tiny",
          "--steps", "2", "--batch", "2", "--crop", "32", "--print-every", "1"],
        &root.join("train"),
    );
    let ckpt = d("run/checkpoint.pt");
    run(
        &["-m", "webfold_train.export", "--ckpt", &ckpt, "--weights", &d("w.safetensors"), "--fixtures", &d("f.safetensors")],
        &root.join("train"),
    );
    let device = Device::flex();
    let weights = std::fs::read(dir.join("w.safetensors")).unwrap();
    let (model, cfg) = webfold::weights::load(&weights, &device).expect("fresh export loads");
    assert_eq!(cfg.n_blocks, 1, "tiny config expected");
    let fixture = std::fs::read(dir.join("f.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&fixture).unwrap();
    let tokens: Vec<u8> = st.tensor("1.tokens").unwrap().data().chunks_exact(4)
        .map(|b| i32::from_le_bytes(b.try_into().unwrap()) as u8).collect();
    let want: Vec<f32> = st.tensor("1.atoms").unwrap().data().chunks_exact(4)
        .map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect();
    let got: Vec<f32> = model.forward_tokens(&tokens, &device).atoms.into_data().try_to_vec::<f32>().unwrap();
    let max_abs = got.iter().zip(&want).map(|(g, w)| (g - w).abs()).fold(0.0f32, f32::max);
    assert_eq!(got.len(), want.len());
    assert!(max_abs < 1e-3, "fresh export: atoms differ by up to {max_abs} A");
    std::fs::remove_dir_all(&dir).ok();
}
