//! Structure module: invariant point attention and backbone frame updates
//! (docs/DESIGN.md D4; AF2 Alg. 20, 22, 23; `train/webfold_train/model/structure.py`).

use burn::module::{Module, Param};
use burn::nn::{LayerNorm, Linear};
use burn::tensor::activation::{relu, softmax, softplus};
use burn::tensor::{Device, Tensor};

use super::config::Config;
use super::layers::{layer_norm, linear};
use crate::rigid;

/// Backbone-update translations are predicted in nm.
const TRANS_SCALE: f64 = 10.0;

/// AF2 Alg. 22 (D4), without masking: inference always sees whole sequences.
#[derive(Module, Debug)]
pub struct InvariantPointAttention {
    heads: usize,
    c: usize,
    pq: usize,
    pv: usize,
    q: Linear,
    k: Linear,
    v: Linear,
    q_pts: Linear,
    k_pts: Linear,
    v_pts: Linear,
    pair_bias: Linear,
    head_weights: Param<Tensor<1>>,
    out: Linear,
}

impl InvariantPointAttention {
    fn new(cfg: &Config, device: &Device) -> Self {
        let (h, c, pq, pv) = (cfg.ipa_heads, cfg.ipa_c, cfg.ipa_pq, cfg.ipa_pv);
        Self {
            heads: h,
            c,
            pq,
            pv,
            q: linear(cfg.c_s, h * c, true, device),
            k: linear(cfg.c_s, h * c, true, device),
            v: linear(cfg.c_s, h * c, true, device),
            q_pts: linear(cfg.c_s, h * pq * 3, true, device),
            k_pts: linear(cfg.c_s, h * pq * 3, true, device),
            v_pts: linear(cfg.c_s, h * pv * 3, true, device),
            pair_bias: linear(cfg.c_z, h, false, device),
            head_weights: Param::from_tensor(Tensor::zeros([h], device)),
            out: linear(h * (c + pv * 4 + cfg.c_z), cfg.c_s, true, device),
        }
    }

    fn forward(&self, s: Tensor<3>, z: Tensor<4>, r: Tensor<4>, t: Tensor<3>) -> Tensor<3> {
        let [b, l, _] = s.dims();
        let (h, c, pq, pv) = (self.heads, self.c, self.pq, self.pv);
        let heads = |x: Tensor<3>, d: usize| x.reshape([b, l, h, d]).swap_dims(1, 2);
        let q = heads(self.q.forward(s.clone()), c);
        let k = heads(self.k.forward(s.clone()), c);
        let v = heads(self.v.forward(s.clone()), c);
        // Local points -> global, laid out [B, H, L, p * 3].
        let points = |lin: &Linear, p: usize| {
            let x = lin.forward(s.clone()).reshape([b, l, h * p, 3]);
            rigid::apply(r.clone(), t.clone(), x).reshape([b, l, h, p * 3]).swap_dims(1, 2)
        };
        let qp = points(&self.q_pts, pq);
        let kp = points(&self.k_pts, pq);
        let vp = points(&self.v_pts, pv);
        // sum_p |qp_i - kp_j|^2 = |qp_i|^2 + |kp_j|^2 - 2 qp_i . kp_j
        let qn = (qp.clone() * qp.clone()).sum_dim(3);
        let kn = (kp.clone() * kp.clone()).sum_dim(3).swap_dims(2, 3);
        let d2 = qn + kn - qp.matmul(kp.swap_dims(2, 3)).mul_scalar(2.0);
        let gamma = softplus(self.head_weights.val(), 1.0).reshape([1, h, 1, 1]);
        let w_c = (2.0 / (9.0 * pq as f64)).sqrt();
        let w_l = (1.0 / 3.0f64).sqrt();
        let logits = q.matmul(k.swap_dims(2, 3)).div_scalar((c as f64).sqrt())
            + self.pair_bias.forward(z.clone()).permute([0, 3, 1, 2])
            - (gamma * d2).mul_scalar(w_c / 2.0);
        let a = softmax(logits.mul_scalar(w_l), 3);

        let o = a.clone().matmul(v).swap_dims(1, 2).reshape([b, l, h * c]);
        let o_pt = a.clone().matmul(vp).swap_dims(1, 2).reshape([b, l, h * pv, 3]);
        let o_pt = rigid::invert_apply(r, t, o_pt);
        let o_norm = (o_pt.clone() * o_pt.clone()).sum_dim(3).add_scalar(1e-8).sqrt().reshape([b, l, h * pv]);
        let cz = z.dims()[3];
        let o_pair = a.permute([0, 2, 1, 3]).matmul(z).reshape([b, l, h * cz]);
        let feats = Tensor::cat(vec![o, o_pt.reshape([b, l, h * pv * 3]), o_norm, o_pair], 2);
        self.out.forward(feats)
    }
}

/// Per-iteration output of the structure module: final frames after the last iteration.
pub struct Frames {
    pub rotations: Tensor<4>,
    pub translations: Tensor<3>,
}

/// D4: `n_struct` shared-weight iterations of IPA, transition and backbone update.
#[derive(Module, Debug)]
pub struct StructureModule {
    n_struct: usize,
    ln_s: LayerNorm,
    ln_z: LayerNorm,
    s_in: Linear,
    ipa: InvariantPointAttention,
    ln_ipa: LayerNorm,
    trans1: Linear,
    trans2: Linear,
    trans3: Linear,
    ln_trans: LayerNorm,
    bb_update: Linear,
}

impl StructureModule {
    pub fn new(cfg: &Config, device: &Device) -> Self {
        let c = cfg.c_s;
        Self {
            n_struct: cfg.n_struct,
            ln_s: layer_norm(c, device),
            ln_z: layer_norm(cfg.c_z, device),
            s_in: linear(c, c, true, device),
            ipa: InvariantPointAttention::new(cfg, device),
            ln_ipa: layer_norm(c, device),
            trans1: linear(c, c, true, device),
            trans2: linear(c, c, true, device),
            trans3: linear(c, c, true, device),
            ln_trans: layer_norm(c, device),
            bb_update: linear(c, 6, true, device),
        }
    }

    /// Returns the final single representation and the final frames.
    pub fn forward(&self, s: Tensor<3>, z: Tensor<4>) -> (Tensor<3>, Frames) {
        let [b, l, _] = s.dims();
        let mut s = self.s_in.forward(self.ln_s.forward(s));
        let z = self.ln_z.forward(z);
        let (mut r, mut t) = rigid::identity(b, l, &s.device());
        for _ in 0..self.n_struct {
            s = self.ln_ipa.forward(s.clone() + self.ipa.forward(s, z.clone(), r.clone(), t.clone()));
            let hidden = relu(self.trans2.forward(relu(self.trans1.forward(s.clone()))));
            s = self.ln_trans.forward(s.clone() + self.trans3.forward(hidden));
            let u = self.bb_update.forward(s.clone());
            let r_u = rigid::quat_to_rot(u.clone().narrow(2, 0, 1), u.clone().narrow(2, 1, 1), u.clone().narrow(2, 2, 1));
            let t_u = u.narrow(2, 3, 3).mul_scalar(TRANS_SCALE);
            (r, t) = rigid::compose(r, t, r_u, t_u);
        }
        (s, Frames { rotations: r, translations: t })
    }
}
