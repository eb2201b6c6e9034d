//! Non-bonded pairs, shared by the relaxation ([`super::relax`]), its O/CB sites
//! ([`super::relax_o_cb`]), the clash relief ([`super::refine`]), the geometry check
//! ([`super::check`]) and the templates' consistency votes: the cell grid that lists candidate
//! pairs, the test for rebuilding a Verlet list, and the soft repulsion step.
//!
//! Plain sequential f64 `+ - * /` (no hashing, no threads), so every caller stays
//! bit-identical natively and in wasm32.

use super::V3;

/// The move of `pa` (`pb` moves by the opposite) in one repulsion step of a pair closer than
/// `d0`, `None` when it is not: a gradient step of the soft penalty (d0^2 - r^2)^2 scaled by
/// `stiffness`, polynomial in the coordinates, no direction to normalise, so its curvature
/// stays bounded even for coincident atoms, and the strong restraint keeps the whole update a
/// smooth, well-conditioned map of the input.
pub(crate) fn repulsion_push(pa: V3, pb: V3, d0: f64, stiffness: f64) -> Option<V3> {
    let d = [pa[0] - pb[0], pa[1] - pb[1], pa[2] - pb[2]];
    let r2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    (r2 < d0 * d0).then(|| {
        let f = 0.5 * stiffness / (d0 * d0) * (d0 * d0 - r2);
        [f * d[0], f * d[1], f * d[2]]
    })
}

/// Whether some atom of `x` is more than `limit` from where it was when a Verlet list was
/// built (`built`): the list must then be rebuilt.
pub(crate) fn moved_beyond(x: &[V3], built: &[V3], limit: f64) -> bool {
    x.iter().zip(built).any(|(p, q)| {
        let d = [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
        d[0] * d[0] + d[1] * d[1] + d[2] * d[2] > limit * limit
    })
}

/// Calls `visit` once for every pair of `points` (index, position) in the same or neighbouring
/// cells of a grid of `cell` A: every pair closer than `cell`, and some further apart. The order
/// is fixed by the cells and the indices (no hash map), so results built from it are the same
/// on every platform.
pub(crate) fn grid_pairs(points: &[(u32, V3)], cell: f64, mut visit: impl FnMut(u32, u32)) {
    let key = |p: &V3| -> [i32; 3] {
        let k = |v: f64| (v / cell).floor().clamp(-1.0e9, 1.0e9) as i32;
        [k(p[0]), k(p[1]), k(p[2])]
    };
    let mut order: Vec<([i32; 3], u32)> = points.iter().map(|(i, p)| (key(p), *i)).collect();
    order.sort_unstable();
    // Unique occupied cells with their [start, end) range in `order`.
    let mut cells: Vec<([i32; 3], usize, usize)> = Vec::new();
    for (s, &(k, _)) in order.iter().enumerate() {
        match cells.last_mut() {
            Some(last) if last.0 == k => last.2 = s + 1,
            _ => cells.push((k, s, s + 1)),
        }
    }
    for &(k, s0, s1) in &cells {
        // Pairs inside the cell.
        for s in s0..s1 {
            for t in s + 1..s1 {
                visit(order[s].1, order[t].1);
            }
        }
        // Half of the 26 neighbouring cells (the lexicographically larger ones).
        for dx in -1i32..=1 {
            for dy in -1i32..=1 {
                for dz in -1i32..=1 {
                    if (dx, dy, dz) <= (0, 0, 0) {
                        continue;
                    }
                    let nk = [k[0].saturating_add(dx), k[1].saturating_add(dy), k[2].saturating_add(dz)];
                    if let Ok(c) = cells.binary_search_by(|e| e.0.cmp(&nk)) {
                        let (t0, t1) = (cells[c].1, cells[c].2);
                        for s in s0..s1 {
                            for t in t0..t1 {
                                visit(order[s].1, order[t].1);
                            }
                        }
                    }
                }
            }
        }
    }
}
