//! Layer constructors shared by every part of the network (embed, trunk, structure, heads).

use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::Device;

/// A Linear layer (weights are loaded over this random initialisation).
pub(crate) fn linear(d_in: usize, d_out: usize, bias: bool, device: &Device) -> Linear {
    LinearConfig::new(d_in, d_out).with_bias(bias).init(device)
}

/// A LayerNorm with PyTorch's defaults (eps 1e-5, affine).
pub(crate) fn layer_norm(d: usize, device: &Device) -> LayerNorm {
    LayerNormConfig::new(d).init(device)
}
