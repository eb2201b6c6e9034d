//! Trunk block: pair-biased sequence attention, outer product, triangle multiplicative updates
//! and transitions (docs/DESIGN.md D3; AF2 Alg. 7, 10, 11, 12;
//! `train/webfold_train/model/trunk.py`).

use burn::module::Module;
use burn::nn::{LayerNorm, Linear};
use burn::tensor::activation::{relu, sigmoid, softmax};
use burn::tensor::{Device, Tensor};

use super::config::Config;
use super::layers::{layer_norm, linear};

/// D3.1: gated multi-head self-attention on s with a bias from the pair track.
#[derive(Module, Debug)]
pub struct SeqAttention {
    heads: usize,
    ln: LayerNorm,
    ln_z: LayerNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    pair_bias: Linear,
    gate: Linear,
    out: Linear,
}

impl SeqAttention {
    fn new(cfg: &Config, device: &Device) -> Self {
        let c = cfg.c_s;
        Self {
            heads: cfg.heads,
            ln: layer_norm(c, device),
            ln_z: layer_norm(cfg.c_z, device),
            q: linear(c, c, false, device),
            k: linear(c, c, false, device),
            v: linear(c, c, false, device),
            pair_bias: linear(cfg.c_z, cfg.heads, false, device),
            gate: linear(c, c, true, device),
            out: linear(c, c, true, device),
        }
    }

    fn forward(&self, s: Tensor<3>, z: Tensor<4>) -> Tensor<3> {
        let [b, l, c] = s.dims();
        let h = self.heads;
        let d = c / h;
        let x = self.ln.forward(s.clone());
        let split = |t: Tensor<3>| t.reshape([b, l, h, d]).swap_dims(1, 2);
        let q = split(self.q.forward(x.clone()));
        let k = split(self.k.forward(x.clone()));
        let v = split(self.v.forward(x.clone()));
        let bias = self.pair_bias.forward(self.ln_z.forward(z)).permute([0, 3, 1, 2]);
        let logits = q.matmul(k.swap_dims(2, 3)).div_scalar((d as f64).sqrt()) + bias;
        let o = softmax(logits, 3).matmul(v).swap_dims(1, 2).reshape([b, l, c]);
        s + self.out.forward(sigmoid(self.gate.forward(x)) * o)
    }
}

/// D3.2 / D3.5: pre-LayerNorm two-layer MLP residual.
#[derive(Module, Debug)]
pub struct Transition {
    ln: LayerNorm,
    lin1: Linear,
    lin2: Linear,
}

impl Transition {
    fn new(c: usize, factor: usize, device: &Device) -> Self {
        Self {
            ln: layer_norm(c, device),
            lin1: linear(c, factor * c, true, device),
            lin2: linear(factor * c, c, true, device),
        }
    }

    fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        x.clone() + self.lin2.forward(relu(self.lin1.forward(self.ln.forward(x))))
    }

    /// The same on the pair `[B, L, L, c]`, a block of rows at a time, so that the hidden
    /// `[rows, L, factor c]` tensor stays within `PAIR_CHUNK_BYTES` (at L = 1000 the whole
    /// hidden tensor is 256 MB, twice WebGPU's usual 128 MiB limit per storage binding).
    /// Every element is computed exactly as in one piece: the transition acts on each pair
    /// (i, j) alone.
    fn forward_pair(&self, z: Tensor<4>) -> Tensor<4> {
        let [b, _, l2, _] = z.dims();
        let hidden_row = b * l2 * self.lin1.weight.dims()[1] * std::mem::size_of::<f32>();
        self.forward_rows(z, (PAIR_CHUNK_BYTES / hidden_row.max(1)).max(1))
    }

    /// [`forward`](Self::forward) on the pair, `rows` rows (first pair index) at a time.
    fn forward_rows(&self, z: Tensor<4>, rows: usize) -> Tensor<4> {
        let [b, l, l2, c] = z.dims();
        if rows >= l {
            return self.forward(z);
        }
        let chunks: Vec<Tensor<4>> = (0..l)
            .step_by(rows)
            .map(|r0| self.forward(z.clone().slice([0..b, r0..(r0 + rows).min(l), 0..l2, 0..c])))
            .collect();
        Tensor::cat(chunks, 1)
    }
}

/// Largest intermediate the pair operations may create at once: half of the 128 MiB that
/// WebGPU adapters commonly allow per storage buffer binding (and Mesa lavapipe enforces).
pub const PAIR_CHUNK_BYTES: usize = 64 << 20;

/// D3.3: `z_ij += out(a_i (x) b_j)` without materialising the `[L, L, c_o^2]` tensor.
#[derive(Module, Debug)]
pub struct OuterProduct {
    c_o: usize,
    ln: LayerNorm,
    left: Linear,
    right: Linear,
    out: Linear,
}

impl OuterProduct {
    fn new(cfg: &Config, device: &Device) -> Self {
        Self {
            c_o: cfg.c_o,
            ln: layer_norm(cfg.c_s, device),
            left: linear(cfg.c_s, cfg.c_o, true, device),
            right: linear(cfg.c_s, cfg.c_o, true, device),
            out: linear(cfg.c_o * cfg.c_o, cfg.c_z, true, device),
        }
    }

    fn forward(&self, s: Tensor<3>, z: Tensor<4>) -> Tensor<4> {
        let [b, l, _] = s.dims();
        let co = self.c_o;
        let x = self.ln.forward(s);
        let a = self.left.forward(x.clone());
        let bb = self.right.forward(x);
        // burn keeps Linear weights as [in, out]; input index = c_a * c_o + c_b.
        let w = self.out.weight.val();
        let cz = w.dims()[1];
        let w = w.reshape([1, co, co * cz]);
        // p[b, i, d, e] = sum_c a[b, i, c] w[c, d, e]
        let p = a.matmul(w).reshape([b, l, co, cz]).swap_dims(2, 3).reshape([b, l * cz, co]);
        let o = p.matmul(bb.swap_dims(1, 2)).reshape([b, l, cz, l]).swap_dims(2, 3);
        let bias = self.out.bias.as_ref().expect("outer product has a bias").val();
        z + o + bias.reshape([1, 1, 1, cz])
    }
}

/// D3.4: gated triangle multiplicative update, outgoing (`sum_k a_ik b_jk`) or incoming
/// (`sum_k a_ki b_kj`).
#[derive(Module, Debug)]
pub struct TriangleMultiplication {
    outgoing: bool,
    ln: LayerNorm,
    a_proj: Linear,
    a_gate: Linear,
    b_proj: Linear,
    b_gate: Linear,
    gate: Linear,
    ln_out: LayerNorm,
    out: Linear,
}

impl TriangleMultiplication {
    fn new(cfg: &Config, outgoing: bool, device: &Device) -> Self {
        let (cz, ct) = (cfg.c_z, cfg.c_t);
        Self {
            outgoing,
            ln: layer_norm(cz, device),
            a_proj: linear(cz, ct, true, device),
            a_gate: linear(cz, ct, true, device),
            b_proj: linear(cz, ct, true, device),
            b_gate: linear(cz, ct, true, device),
            gate: linear(cz, cz, true, device),
            ln_out: layer_norm(ct, device),
            out: linear(ct, cz, true, device),
        }
    }

    fn forward(&self, z: Tensor<4>) -> Tensor<4> {
        let x = self.ln.forward(z.clone());
        let a = sigmoid(self.a_gate.forward(x.clone())) * self.a_proj.forward(x.clone());
        let b = sigmoid(self.b_gate.forward(x.clone())) * self.b_proj.forward(x.clone());
        // Both as [B, c, i, k] @ [B, c, k, j].
        let t = if self.outgoing {
            a.permute([0, 3, 1, 2]).matmul(b.permute([0, 3, 2, 1]))
        } else {
            a.permute([0, 3, 2, 1]).matmul(b.permute([0, 3, 1, 2]))
        };
        let t = t.permute([0, 2, 3, 1]);
        z + sigmoid(self.gate.forward(x)) * self.out.forward(self.ln_out.forward(t))
    }
}

/// One trunk block: D3 steps 1-5 in order.
#[derive(Module, Debug)]
pub struct TrunkBlock {
    seq_attn: SeqAttention,
    seq_trans: Transition,
    outer: OuterProduct,
    tri_out: TriangleMultiplication,
    tri_in: TriangleMultiplication,
    pair_trans: Transition,
}

impl TrunkBlock {
    pub fn new(cfg: &Config, device: &Device) -> Self {
        Self {
            seq_attn: SeqAttention::new(cfg, device),
            seq_trans: Transition::new(cfg.c_s, 4, device),
            outer: OuterProduct::new(cfg, device),
            tri_out: TriangleMultiplication::new(cfg, true, device),
            tri_in: TriangleMultiplication::new(cfg, false, device),
            pair_trans: Transition::new(cfg.c_z, 2, device),
        }
    }

    pub fn forward(&self, s: Tensor<3>, z: Tensor<4>) -> (Tensor<3>, Tensor<4>) {
        let s = self.seq_attn.forward(s, z.clone());
        let s = self.seq_trans.forward(s);
        let z = self.outer.forward(s.clone(), z);
        let z = self.tri_out.forward(z);
        let z = self.tri_in.forward(z);
        let z = self.pair_trans.forward_pair(z);
        (s, z)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    #[test]
    fn pair_transition_in_row_blocks_equals_one_piece() {
        let device = Device::flex();
        let t = Transition::new(8, 2, &device);
        let z = Tensor::<4>::random([1, 7, 7, 8], Distribution::Normal(0.0, 1.0), &device);
        let whole = t.forward(z.clone()).into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
        for rows in [1, 3, 6] {
            let parts = t.forward_rows(z.clone(), rows).into_data().convert::<f32>().try_to_vec::<f32>().unwrap();
            let worst = whole.iter().zip(&parts).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-6, "rows {rows}: max difference {worst}");
        }
    }
}
