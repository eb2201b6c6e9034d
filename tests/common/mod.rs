//! Shared test helpers.

use std::path::PathBuf;

/// The CASP13 evaluation set: `$WEBFOLD_SHARED/eval/casp13`, else next to the repository
/// (`../shared/eval/casp13`), else the workplace copy `/work/shared/eval/casp13`. Tests that
/// need it fail (never skip) when none exists.
#[allow(dead_code)]
pub fn casp13_dir() -> PathBuf {
    let candidates = [
        std::env::var("WEBFOLD_SHARED").map(PathBuf::from).unwrap_or_default().join("eval/casp13"),
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/eval/casp13"),
        PathBuf::from("/work/shared/eval/casp13"),
    ];
    candidates.iter().find(|p| p.join("casp13.fasta").exists()).cloned().unwrap_or_else(|| candidates[1].clone())
}

/// The first chain of a CASP13 native, all atoms as the file has them.
#[allow(dead_code)]
pub fn casp13_native(id: &str) -> webfold::geometry::Structure {
    let text = std::fs::read_to_string(casp13_dir().join(format!("{id}.pdb"))).expect("CASP13 native");
    let residues = webfold::pdb::read_pdb(&text).unwrap();
    let first: Vec<_> = webfold::pdb::first_chain(&residues).into_iter().cloned().collect();
    webfold::pdb::structure_from_residues(&first).unwrap()
}

/// xorshift64* (Vigna): small, seeded, good enough for test inputs.
#[allow(dead_code)]
pub struct XorShift(pub u64);
#[allow(dead_code)]
impl XorShift {
    pub fn new(seed: u64) -> Self {
        XorShift(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }
    pub fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    /// A random sequence of the 20 standard residues.
    pub fn protein(&mut self, len: usize) -> String {
        (0..len).map(|_| webfold::sequence::ALPHABET[self.below(20)] as char).collect()
    }
}

/// A float32 tensor of a parity fixture (tests/fixtures/*.safetensors), flattened.
#[allow(dead_code)]
pub fn fixture_floats(st: &safetensors::SafeTensors, name: &str) -> Vec<f32> {
    let view = st.tensor(name).unwrap_or_else(|e| panic!("fixture lacks {name}: {e}"));
    assert_eq!(view.dtype(), safetensors::Dtype::F32, "{name} must be f32");
    view.data().chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())).collect()
}

/// The int32 token tensor of a parity fixture, as D1 tokens.
#[allow(dead_code)]
pub fn fixture_tokens(st: &safetensors::SafeTensors, name: &str) -> Vec<u8> {
    let view = st.tensor(name).unwrap_or_else(|e| panic!("fixture lacks {name}: {e}"));
    view.data().chunks_exact(4).map(|b| i32::from_le_bytes(b.try_into().unwrap()) as u8).collect()
}
