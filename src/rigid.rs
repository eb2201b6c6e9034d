//! Rigid-frame maths on burn tensors, in one place (docs/DESIGN.md D4, D5).
//!
//! A frame is (R, t): R `[B, L, 3, 3]` maps local to global coordinates, t `[B, L, 3]` is the
//! origin (the CA atom). Mirrors `train/webfold_train/rigid.py`.

use burn::tensor::{Device, Tensor};

/// Ideal backbone positions in the residue frame (D5), Angstrom: N, CA, C.
pub const IDEAL_BACKBONE: [[f32; 3]; 3] = [[-0.525, 1.363, 0.0], [0.0, 0.0, 0.0], [1.526, 0.0, 0.0]];

/// Identity frames for `b` x `l` residues.
pub fn identity(b: usize, l: usize, device: &Device) -> (Tensor<4>, Tensor<3>) {
    let eye = Tensor::<2>::from_floats([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], device);
    let r = eye.reshape([1, 1, 3, 3]).expand([b, l, 3, 3]);
    (r, Tensor::zeros([b, l, 3], device))
}

/// Rotation from the non-normalised quaternion (1, b, c, d); each input `[B, L, 1]` (AF2 Alg. 23).
pub fn quat_to_rot(b: Tensor<3>, c: Tensor<3>, d: Tensor<3>) -> Tensor<4> {
    let norm = (b.clone().powi_scalar(2) + c.clone().powi_scalar(2) + d.clone().powi_scalar(2))
        .add_scalar(1.0)
        .sqrt();
    let a = norm.clone().recip();
    let (b, c, d) = (b / norm.clone(), c / norm.clone(), d / norm);
    let sq = |x: &Tensor<3>| x.clone() * x.clone();
    let two = |x: Tensor<3>| x.mul_scalar(2.0);
    let m = |x: &Tensor<3>, y: &Tensor<3>| x.clone() * y.clone();
    let entries = vec![
        sq(&a) + sq(&b) - sq(&c) - sq(&d),
        two(m(&b, &c) - m(&a, &d)),
        two(m(&b, &d) + m(&a, &c)),
        two(m(&b, &c) + m(&a, &d)),
        sq(&a) - sq(&b) + sq(&c) - sq(&d),
        two(m(&c, &d) - m(&a, &b)),
        two(m(&b, &d) - m(&a, &c)),
        two(m(&c, &d) + m(&a, &b)),
        sq(&a) - sq(&b) - sq(&c) + sq(&d),
    ];
    let [bs, l, _] = a.dims();
    Tensor::cat(entries, 2).reshape([bs, l, 3, 3])
}

/// Local -> global: `R x + t` for points x `[B, L, P, 3]`.
pub fn apply(r: Tensor<4>, t: Tensor<3>, x: Tensor<4>) -> Tensor<4> {
    x.matmul(r.swap_dims(2, 3)) + t.unsqueeze_dim(2)
}

/// Global -> local: `R^T (x - t)` for points x `[B, L, P, 3]`.
pub fn invert_apply(r: Tensor<4>, t: Tensor<3>, x: Tensor<4>) -> Tensor<4> {
    (x - t.unsqueeze_dim(2)).matmul(r)
}

/// `T o T_u`: the update (r_u, t_u) is expressed in the local frame of T.
pub fn compose(r: Tensor<4>, t: Tensor<3>, r_u: Tensor<4>, t_u: Tensor<3>) -> (Tensor<4>, Tensor<3>) {
    let [b, l, _] = t.dims();
    let moved = t_u.unsqueeze_dim::<4>(2).matmul(r.clone().swap_dims(2, 3)).reshape([b, l, 3]);
    (r.matmul(r_u), t + moved)
}

/// Frames -> N, CA, C positions `[B, L, 3, 3]` from the ideal local geometry.
pub fn backbone_atoms(r: Tensor<4>, t: Tensor<3>) -> Tensor<4> {
    let [b, l, _] = t.dims();
    let local = Tensor::<2>::from_floats(IDEAL_BACKBONE, &t.device());
    apply(r, t, local.reshape([1, 1, 3, 3]).expand([b, l, 3, 3]))
}
