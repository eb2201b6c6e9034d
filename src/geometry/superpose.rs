//! Least-squares superposition of point sets (Horn's quaternion method: the optimal rotation is
//! the eigenvector of the largest eigenvalue of a symmetric 4x4 matrix built from the
//! correlation of the centred sets; found here by cyclic Jacobi rotations, deterministic).

use super::{add, centroid, dot, sub, V3};

/// A rigid transform x -> R x + t.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform {
    pub rot: [[f64; 3]; 3],
    pub shift: V3,
}

impl Transform {
    pub const IDENTITY: Transform = Transform { rot: [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], shift: [0.0; 3] };

    pub fn apply(&self, p: V3) -> V3 {
        let r = &self.rot;
        add([dot(r[0], p), dot(r[1], p), dot(r[2], p)], self.shift)
    }
}

/// Eigen-decomposition of a symmetric 4x4 matrix by cyclic Jacobi: (eigenvalues, eigenvectors as
/// columns of the returned matrix).
fn jacobi4(mut a: [[f64; 4]; 4]) -> ([f64; 4], [[f64; 4]; 4]) {
    let mut v = [[0.0; 4]; 4];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _ in 0..50 {
        let off: f64 = (0..4).flat_map(|i| (0..4).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i][j] * a[i][j]).sum();
        if off < 1e-24 {
            break;
        }
        for p in 0..3 {
            for q in p + 1..4 {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for row in a.iter_mut() {
                    let (akp, akq) = (row[p], row[q]);
                    row[p] = c * akp - s * akq;
                    row[q] = s * akp + c * akq;
                }
                let (rp, rq) = (a[p], a[q]);
                for k in 0..4 {
                    a[p][k] = c * rp[k] - s * rq[k];
                    a[q][k] = s * rp[k] + c * rq[k];
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ([a[0][0], a[1][1], a[2][2], a[3][3]], v)
}

/// The rigid transform that moves `mobile` onto `fixed` with the least RMSD (pairs by index).
/// Fewer than three pairs give the translation of centroids only.
pub fn superpose(mobile: &[V3], fixed: &[V3]) -> Transform {
    let n = mobile.len().min(fixed.len());
    let (cm, cf) = (centroid(&mobile[..n]), centroid(&fixed[..n]));
    if n < 3 {
        return Transform { rot: Transform::IDENTITY.rot, shift: sub(cf, cm) };
    }
    let mut s = [[0.0; 3]; 3];
    for k in 0..n {
        let (a, b) = (sub(mobile[k], cm), sub(fixed[k], cf));
        for i in 0..3 {
            for j in 0..3 {
                s[i][j] += a[i] * b[j];
            }
        }
    }
    let [[sxx, sxy, sxz], [syx, syy, syz], [szx, szy, szz]] = s;
    let m = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    let (vals, vecs) = jacobi4(m);
    let best = (0..4).fold(0, |b, i| if vals[i] > vals[b] { i } else { b });
    let (q0, q1, q2, q3) = (vecs[0][best], vecs[1][best], vecs[2][best], vecs[3][best]);
    let rot = [
        [q0 * q0 + q1 * q1 - q2 * q2 - q3 * q3, 2.0 * (q1 * q2 - q0 * q3), 2.0 * (q1 * q3 + q0 * q2)],
        [2.0 * (q1 * q2 + q0 * q3), q0 * q0 - q1 * q1 + q2 * q2 - q3 * q3, 2.0 * (q2 * q3 - q0 * q1)],
        [2.0 * (q1 * q3 - q0 * q2), 2.0 * (q2 * q3 + q0 * q1), q0 * q0 - q1 * q1 - q2 * q2 + q3 * q3],
    ];
    let t = Transform { rot, shift: [0.0; 3] };
    let shift = sub(cf, t.apply(cm));
    Transform { rot, shift }
}

/// RMSD of `mobile` on `fixed` after `t`.
pub fn rmsd(t: &Transform, mobile: &[V3], fixed: &[V3]) -> f64 {
    let n = mobile.len().min(fixed.len());
    if n == 0 {
        return 0.0;
    }
    let s: f64 = (0..n).map(|k| {
        let d = sub(t.apply(mobile[k]), fixed[k]);
        dot(d, d)
    }).sum();
    (s / n as f64).sqrt()
}

/// Superposes the mobile points of `pairs` (mobile, fixed) on the fixed ones, then again on the
/// pairs that came within `trim` A, up to three times: stretches where the two structures (or
/// their alignments) differ do not pull the superposition. Stops early once a round keeps every
/// pair or would keep fewer than `min_kept`.
pub fn superpose_trimmed(mut pairs: Vec<(V3, V3)>, trim: f64, min_kept: usize) -> Transform {
    let mut transform = Transform::IDENTITY;
    for _ in 0..3 {
        let (mobile, fixed): (Vec<V3>, Vec<V3>) = pairs.iter().copied().unzip();
        transform = superpose(&mobile, &fixed);
        let close: Vec<(V3, V3)> = pairs.iter().copied().filter(|&(a, b)| super::dist(transform.apply(a), b) < trim).collect();
        if close.len() < min_kept || close.len() == pairs.len() {
            break;
        }
        pairs = close;
    }
    transform
}
