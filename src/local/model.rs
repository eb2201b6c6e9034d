//! The local-structure network in burn, layer by layer the twin of
//! `train/webfold_train/local/model.py` (same tensor names, so the PyTorch state dict loads
//! through burn-store's PyTorch adapter).

use burn::module::Module;
use burn::nn::conv::{Conv1d, Conv1dConfig};
use burn::nn::{Embedding, EmbeddingConfig, LayerNorm, LayerNormConfig, Linear, LinearConfig, PaddingConfig1d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor};

use super::config::{LocalConfig, ANGLE_BINS, BURIAL_BINS};

/// Token classes: 20 amino acids and X (D1).
const N_TOKENS: usize = 21;

fn conv(c: usize, k: usize, dilation: usize, device: &Device) -> Conv1d {
    // PyTorch's padding = dilation * (k - 1) / 2 on both sides keeps the length (odd k).
    let p = dilation * (k - 1) / 2;
    Conv1dConfig::new(c, c, k)
        .with_dilation(dilation)
        .with_padding(PaddingConfig1d::Explicit(p, p))
        .init(device)
}

/// `x + conv2(relu(ln2(conv1(relu(ln1(x))))))` on `[B, C, L]`; LayerNorm acts on channels.
/// PyTorch multiplies by the padding mask before each convolution; one unpadded sequence has
/// no padding, so there is nothing to mask here.
#[derive(Module, Debug)]
pub struct Block {
    ln1: LayerNorm,
    conv1: Conv1d,
    ln2: LayerNorm,
    conv2: Conv1d,
}

/// LayerNorm over the channel axis of `[B, C, L]`.
fn channel_norm(ln: &LayerNorm, x: Tensor<3>) -> Tensor<3> {
    ln.forward(x.swap_dims(1, 2)).swap_dims(1, 2)
}

impl Block {
    fn new(c: usize, k: usize, dilation: usize, device: &Device) -> Self {
        Self {
            ln1: LayerNormConfig::new(c).init(device),
            conv1: conv(c, k, dilation, device),
            ln2: LayerNormConfig::new(c).init(device),
            conv2: conv(c, k, 1, device),
        }
    }

    fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let h = self.conv1.forward(relu(channel_norm(&self.ln1, x.clone())));
        let h = self.conv2.forward(relu(channel_norm(&self.ln2, h)));
        x + h
    }
}

/// One Linear per output (PyTorch's `nn.ModuleDict` keys).
#[derive(Module, Debug)]
pub struct Heads {
    pub ss3: Linear,
    pub ss8: Linear,
    pub phi: Linear,
    pub psi: Linear,
    pub burial: Linear,
}

/// Logits `[B, L, n]` of every head.
pub struct Logits {
    pub ss3: Tensor<3>,
    pub ss8: Tensor<3>,
    pub phi: Tensor<3>,
    pub psi: Tensor<3>,
    pub burial: Tensor<3>,
}

#[derive(Module, Debug)]
pub struct LocalNet {
    embed: Embedding,
    blocks: Vec<Block>,
    ln: LayerNorm,
    heads: Heads,
}

impl LocalNet {
    /// A randomly initialised network of the given size (weights are then loaded over it).
    pub fn new(cfg: &LocalConfig, device: &Device) -> Self {
        let c = cfg.channels;
        let lin = |n: usize| LinearConfig::new(c, n).init(device);
        Self {
            embed: EmbeddingConfig::new(N_TOKENS, c).init(device),
            blocks: cfg.dilations.iter().map(|&d| Block::new(c, cfg.kernel, d, device)).collect(),
            ln: LayerNormConfig::new(c).init(device),
            heads: Heads {
                ss3: lin(3),
                ss8: lin(8),
                phi: lin(ANGLE_BINS),
                psi: lin(ANGLE_BINS),
                burial: lin(BURIAL_BINS),
            },
        }
    }

    /// tokens `[B, L]` (every position a residue) -> logits of every head.
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Logits {
        let mut x = self.embed.forward(tokens).swap_dims(1, 2); // [B, C, L]
        for block in &self.blocks {
            x = block.forward(x);
        }
        let s = self.ln.forward(x.swap_dims(1, 2)); // [B, L, C]
        Logits {
            ss3: self.heads.ss3.forward(s.clone()),
            ss8: self.heads.ss8.forward(s.clone()),
            phi: self.heads.phi.forward(s.clone()),
            psi: self.heads.psi.forward(s.clone()),
            burial: self.heads.burial.forward(s),
        }
    }
}
