//! Analytic FLOP count of one forward pass (docs/DESIGN.md), for `webfold bench` and the
//! browser benchmark: 2 FLOPs per multiply-add, for every Linear layer and every batched
//! matmul. Biases, LayerNorm, softmax, activations, residual additions and 3x3 frame algebra are
//! not counted (a few per cent at these sizes).

use super::heads::PLDDT_BINS;
use super::config::Config;

/// Matrix-product FLOPs of one forward pass, per component (2 per multiply-add).
///
/// With L residues and the [`Config`] sizes (c_s, c_z, H = heads, c_o, c_t, n_blocks,
/// n_struct, H' = ipa_heads, c = ipa_c, p_q = ipa_pq, p_v = ipa_pv):
/// - `embed`: left/right Linear c_s -> c_z: `2 * 2 L c_s c_z` (the tables are lookups).
/// - per trunk block (times `n_blocks`):
///   - `attention` (D3.1): q, k, v, gate, out Linear c_s -> c_s: `5 * 2 L c_s^2`; pair bias
///     Linear c_z -> H on every pair: `2 L^2 c_z H`; q.k^T and a.v: `2 * 2 L^2 c_s`.
///   - `transitions` (D3.2, D3.5): sequence `2 * 2 L c_s (4 c_s)`, pair `2 * 2 L^2 c_z (2 c_z)`.
///   - `outer` (D3.3), as implemented (the `[L, L, c_o^2]` tensor is never built): left/right
///     `2 * 2 L c_s c_o`, a.W `2 L c_o (c_o c_z)`, then the contraction with b `2 L^2 c_z c_o`
///     (the naive form would be `2 L^2 c_o^2 c_z`).
///   - `triangle` (D3.4, outgoing + incoming): per update the projections a, a-gate, b,
///     b-gate `4 * 2 L^2 c_z c_t`, gate `2 L^2 c_z^2`, out `2 L^2 c_t c_z`, and the triangle
///     contraction `2 L^3 c_t`; times 2.
/// - `structure` (D4): s_in `2 L c_s^2`; per iteration (times `n_struct`): q, k, v
///   `3 * 2 L c_s H' c`, query/key points `2 * 2 L c_s H' p_q 3`, value points
///   `2 L c_s H' p_v 3`, pair bias on the pairs `2 L^2 c_z H'`, logits `2 H' L^2 (c + 3 p_q)`,
///   outputs `2 H' L^2 (c + 3 p_v + c_z)`, out Linear `2 L H' (c + 4 p_v + c_z) c_s`,
///   transition `3 * 2 L c_s^2`, backbone update `2 L c_s 6`.
/// - `heads` (D6): pLDDT `2 L (c_s 128 + 128 * 50)` (the distogram head is not run when
///   predicting).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Flops {
    pub embed: f64,
    pub attention: f64,
    pub transitions: f64,
    pub outer: f64,
    pub triangle: f64,
    pub structure: f64,
    pub heads: f64,
}

impl Flops {
    pub fn total(&self) -> f64 {
        self.embed + self.attention + self.transitions + self.outer + self.triangle + self.structure + self.heads
    }

    /// The trunk part (attention, transitions, outer product and triangle updates).
    pub fn trunk(&self) -> f64 {
        self.attention + self.transitions + self.outer + self.triangle
    }
}

/// Analytic FLOP count of one forward pass on `l` residues (see [`Flops`]).
pub fn flops(cfg: &Config, l: usize) -> Flops {
    let f = |x: usize| x as f64;
    let (l, cs, cz, h, co, ct) = (f(l), f(cfg.c_s), f(cfg.c_z), f(cfg.heads), f(cfg.c_o), f(cfg.c_t));
    let (nb, ns) = (f(cfg.n_blocks), f(cfg.n_struct));
    let (ih, ic, pq, pv) = (f(cfg.ipa_heads), f(cfg.ipa_c), f(cfg.ipa_pq), f(cfg.ipa_pv));
    let l2 = l * l;

    let embed = 2.0 * 2.0 * l * cs * cz;
    let attention = nb * (5.0 * 2.0 * l * cs * cs + 2.0 * l2 * cz * h + 2.0 * 2.0 * l2 * cs);
    let transitions = nb * (2.0 * 2.0 * l * cs * 4.0 * cs + 2.0 * 2.0 * l2 * cz * 2.0 * cz);
    let outer = nb * (2.0 * 2.0 * l * cs * co + 2.0 * l * co * co * cz + 2.0 * l2 * cz * co);
    let one_triangle = 4.0 * 2.0 * l2 * cz * ct + 2.0 * l2 * cz * cz + 2.0 * l2 * ct * cz + 2.0 * l2 * l * ct;
    let triangle = nb * 2.0 * one_triangle;
    let ipa = 3.0 * 2.0 * l * cs * ih * ic
        + 2.0 * 2.0 * l * cs * ih * pq * 3.0
        + 2.0 * l * cs * ih * pv * 3.0
        + 2.0 * l2 * cz * ih
        + 2.0 * ih * l2 * (ic + 3.0 * pq)
        + 2.0 * ih * l2 * (ic + 3.0 * pv + cz)
        + 2.0 * l * ih * (ic + 4.0 * pv + cz) * cs;
    let structure = 2.0 * l * cs * cs + ns * (ipa + 3.0 * 2.0 * l * cs * cs + 2.0 * l * cs * 6.0);
    // Prediction skips the distogram head (it is for training and the parity test).
    let heads = 2.0 * l * (cs * 128.0 + 128.0 * f(PLDDT_BINS));
    Flops { embed, attention, transitions, outer, triangle, structure, heads }
}
