//! Shared test helpers.

use std::path::PathBuf;

/// The CASP13 evaluation set: `$WEBFOLD_SHARED/eval/casp13`, else next to the repository
/// (`../shared/eval/casp13`), else the workplace copy `/work/shared/eval/casp13`. Tests that
/// need it fail (never skip) when none exists.
pub fn casp13_dir() -> PathBuf {
    let candidates = [
        std::env::var("WEBFOLD_SHARED").map(PathBuf::from).unwrap_or_default().join("eval/casp13"),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/casp13"),
        PathBuf::from("/work/shared/eval/casp13"),
    ];
    candidates.iter().find(|p| p.join("casp13.fasta").exists()).cloned().unwrap_or_else(|| candidates[1].clone())
}
