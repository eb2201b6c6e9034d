//! Sequence and pair embedder (docs/DESIGN.md D2; `train/webfold_train/model/embed.py`).

use burn::module::Module;
use burn::nn::{Embedding, EmbeddingConfig, Linear, LinearConfig};
use burn::tensor::{Device, Int, Tensor};

use super::config::Config;

/// Number of token classes: 20 amino acids and X (D1).
pub const N_TOKENS: usize = 21;
/// Relative positions are clipped to +-32 (65 classes).
pub const RELPOS_CLIP: i64 = 32;

#[derive(Module, Debug)]
pub struct Embedder {
    aa: Embedding,
    left: Linear,
    right: Linear,
    relpos: Embedding,
}

impl Embedder {
    pub fn new(cfg: &Config, device: &Device) -> Self {
        Self {
            aa: EmbeddingConfig::new(N_TOKENS, cfg.c_s).init(device),
            left: LinearConfig::new(cfg.c_s, cfg.c_z).init(device),
            right: LinearConfig::new(cfg.c_s, cfg.c_z).init(device),
            relpos: EmbeddingConfig::new(2 * RELPOS_CLIP as usize + 1, cfg.c_z).init(device),
        }
    }

    /// tokens `[B, L]` -> s `[B, L, c_s]`, z `[B, L, L, c_z]`.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> (Tensor<3>, Tensor<4>) {
        let l = tokens.dims()[1];
        let device = tokens.device();
        let s = self.aa.forward(tokens);
        let pos = Tensor::<1, Int>::arange(0..l as i64, &device);
        // rel[i][j] = j - i, clipped, shifted to 0..=64
        let rel = pos.clone().unsqueeze_dim::<2>(0) - pos.unsqueeze_dim::<2>(1);
        let rel = rel.clamp(-RELPOS_CLIP, RELPOS_CLIP).add_scalar(RELPOS_CLIP);
        let rp = self.relpos.forward(rel).unsqueeze_dim::<4>(0);
        let z = self.left.forward(s.clone()).unsqueeze_dim::<4>(2)
            + self.right.forward(s.clone()).unsqueeze_dim::<4>(1)
            + rp;
        (s, z)
    }
}
