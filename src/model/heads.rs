//! Output heads (docs/DESIGN.md D6; `train/webfold_train/model/heads.py`).

use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Device, Int, Tensor};

use super::config::Config;

/// Distogram bins over CB-CB distance 2..22 A; the last is "> 22 A".
pub const DIST_BINS: usize = 64;
/// pLDDT bins of width 2 over 0..100.
pub const PLDDT_BINS: usize = 50;

#[derive(Module, Debug)]
pub struct DistogramHead {
    lin: Linear,
}

impl DistogramHead {
    pub fn new(cfg: &Config, device: &Device) -> Self {
        Self { lin: LinearConfig::new(cfg.c_z, DIST_BINS).init(device) }
    }

    /// Symmetric logits `[B, L, L, 64]`.
    pub fn forward(&self, z: Tensor<4>) -> Tensor<4> {
        self.lin.forward(z.clone() + z.swap_dims(1, 2))
    }
}

#[derive(Module, Debug)]
pub struct PlddtHead {
    ln: LayerNorm,
    lin1: Linear,
    lin2: Linear,
}

impl PlddtHead {
    pub fn new(cfg: &Config, device: &Device) -> Self {
        Self {
            ln: LayerNormConfig::new(cfg.c_s).init(device),
            lin1: LinearConfig::new(cfg.c_s, 128).init(device),
            lin2: LinearConfig::new(128, PLDDT_BINS).init(device),
        }
    }

    /// pLDDT `[B, L]` on 0..100: the expectation over bin centres 1, 3, ..., 99.
    pub fn forward(&self, s: Tensor<3>) -> Tensor<2> {
        let [b, l, _] = s.dims();
        let logits = self.lin2.forward(relu(self.lin1.forward(self.ln.forward(s))));
        let centres = Tensor::<1, Int>::arange(0..PLDDT_BINS as i64, &logits.device())
            .float()
            .add_scalar(0.5)
            .mul_scalar(100.0 / PLDDT_BINS as f64)
            .reshape([1, 1, PLDDT_BINS]);
        (softmax(logits, 2) * centres).sum_dim(2).reshape([b, l])
    }
}
