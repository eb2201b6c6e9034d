//! Template model, ProMod3-style as named steps on the CA trace:
//! 1. [`raw_model`]: aligned query residues take their template's CA; further templates are
//!    superposed on the residues they share with the model, or, sharing too few, through
//!    another hit that spans both (a bridge), or, with none, set beside the model as a separate
//!    domain; residues no template aligns take the CA their alignment's extension (extend.rs)
//!    pairs them with;
//!    then (average.rs) each templated residue moves to the weighted mean of its position and
//!    the other best-ranked hits' positions for it, where they lie within 4 A;
//! 2. [`open_gaps`]: every gap (insertion, deletion, template junction) must be closable by a
//!    chain of 3.8 A steps; where it is not, the gap grows by one residue on alternating sides;
//! 3. gaps of up to 12 residues are closed with a fragment of a known structure (loops.rs);
//!    [`fill`]: residues in the other gaps follow an arc between the anchors that bulges away
//!    from the protein, with 3.8 A steps; termini leave the protein as an ideal helix.
//!
//! The relaxation (D8) then makes bonds, angles and clashes right.

use super::choose::Scored;
use super::confidence::Features;
use super::library::Library;
use crate::geometry::superpose::superpose;
use crate::geometry::{add, any_perpendicular, centroid, cross, dist, dot, norm, scale, sub, unit, V3};

/// Residues sharing fewer positions with the model than this are placed as a separate domain.
const MIN_OVERLAP: usize = 8;
/// Largest CA-CA distance per residue step a filled gap may have to span (below 3.8 A, so that
/// the filled chain is not stretched tight).
const MAX_SPAN_PER_STEP: f64 = 3.6;
/// Consecutive templated residues closer or further apart than this are a break.
const BOND_RANGE: (f64, f64) = (2.6, 4.3);
const CA_CA: f64 = 3.8;

/// The CA trace of a model and where each residue came from.
#[derive(Debug, Clone)]
pub struct TraceModel {
    pub ca: Vec<V3>,
    /// Index into the chosen templates for residues copied from one; `None` for filled ones.
    pub source: Vec<Option<usize>>,
    /// Expected lDDT (0..100) of templated residues (from their alignment); 0 for filled ones.
    pub plddt: Vec<f64>,
    /// Confidence features of templated residues.
    pub features: Vec<Option<Features>>,
    /// Residues (not templated) placed by a fragment (loops.rs); the fill leaves them.
    pub closed: Vec<bool>,
    /// Per chosen template: set beside the model as a separate domain, its orientation
    /// unknown (no shared residues, no bridge).
    pub unoriented: Vec<bool>,
}

/// Step 1: template CAs on the query positions they align to; then, where no template aligns,
/// on the positions their extensions reach (in template order). `ranked` are all the hits
/// (choose.rs), in rank order: the bridges that orient a further template sharing too few
/// residues with the model.
pub fn raw_model(lib: &Library, query_len: usize, chosen: &[Scored], ranked: &[Scored]) -> TraceModel {
    let mut ca: Vec<Option<V3>> = vec![None; query_len];
    let mut source = vec![None; query_len];
    let mut plddt = vec![0.0; query_len];
    let mut features = vec![None; query_len];
    // Each template's decoded trace and its transform into the model, for the extensions.
    let mut placed = Vec::with_capacity(chosen.len());
    let mut unoriented = vec![false; chosen.len()];
    for (t, s) in chosen.iter().enumerate() {
        let tca = lib.ca(s.hit.chain);
        let shared: Vec<(V3, V3)> = s.hit.pairs.iter().filter_map(|&(q, j)| ca[q].map(|m| (tca[j], m))).collect();
        let transform = if t == 0 {
            crate::geometry::superpose::Transform::IDENTITY
        } else if shared.len() >= MIN_OVERLAP {
            let (mobile, fixed): (Vec<V3>, Vec<V3>) = shared.into_iter().unzip();
            superpose(&mobile, &fixed)
        } else if let Some(transform) = bridge(lib, &ca, s, &tca, ranked) {
            transform
        } else {
            // A separate domain: no shared residues tell its orientation. It keeps its own and
            // is set beside the model, on the side where its chain connects.
            unoriented[t] = true;
            let placed: Vec<V3> = ca.iter().flatten().copied().collect();
            let new: Vec<V3> = s.hit.pairs.iter().filter(|p| ca[p.0].is_none()).map(|p| tca[p.1]).collect();
            let (cm, cn) = (centroid(&placed), centroid(&new));
            let first_new = s.hit.pairs.iter().find(|p| ca[p.0].is_none()).map_or(0, |p| p.0);
            let neighbour = (0..query_len).filter(|&i| ca[i].is_some()).min_by_key(|&i| i.abs_diff(first_new));
            let dir = neighbour.and_then(|i| unit(sub(ca[i].unwrap_or(cm), cm))).unwrap_or([1.0, 0.0, 0.0]);
            let gap = crate::geometry::radius_of_gyration(&placed) + crate::geometry::radius_of_gyration(&new) + 4.0;
            crate::geometry::superpose::Transform { rot: crate::geometry::superpose::Transform::IDENTITY.rot, shift: sub(add(cm, scale(dir, gap)), cn) }
        };
        for (k, &(q, j)) in s.hit.pairs.iter().enumerate() {
            if ca[q].is_none() {
                ca[q] = Some(transform.apply(tca[j]));
                source[q] = Some(t);
                plddt[q] = s.plddt[k];
                features[q] = Some(s.features[k]);
            }
        }
        placed.push((tca, transform));
    }
    for (t, (s, (tca, transform))) in chosen.iter().zip(&placed).enumerate() {
        let n = s.hit.pairs.len();
        for (k, &(q, j)) in s.extension.iter().enumerate() {
            if ca[q].is_none() {
                ca[q] = Some(transform.apply(tca[j]));
                source[q] = Some(t);
                plddt[q] = s.plddt[n + k];
                features[q] = Some(s.features[n + k]);
            }
        }
    }
    let centre = centroid(&ca.iter().flatten().copied().collect::<Vec<_>>());
    TraceModel { ca: ca.iter().map(|p| p.unwrap_or(centre)).collect(), source, plddt, features, closed: vec![false; query_len], unoriented }
}

/// Orients a further template that shares too few residues with the model through a third
/// hit (a bridge) that shares at least [`MIN_OVERLAP`] residues with both: the bridge is
/// superposed on the model, and the template on the bridge's placed positions. The first
/// such hit in rank order is used; `None` when no hit spans both.
/// `tca` is the further template's decoded CA trace.
fn bridge(lib: &Library, ca: &[Option<V3>], s: &Scored, tca: &[V3], ranked: &[Scored]) -> Option<crate::geometry::superpose::Transform> {
    let mut new_at: Vec<Option<usize>> = vec![None; ca.len()];
    for &(q, j) in &s.hit.pairs {
        if ca[q].is_none() {
            new_at[q] = Some(j);
        }
    }
    for b in ranked {
        let with_model = b.hit.pairs.iter().filter(|p| ca[p.0].is_some()).count();
        let with_new = b.hit.pairs.iter().filter(|p| new_at[p.0].is_some()).count();
        if with_model < MIN_OVERLAP || with_new < MIN_OVERLAP {
            continue;
        }
        let bca = lib.ca(b.hit.chain);
        let (mobile, fixed): (Vec<V3>, Vec<V3>) = b.hit.pairs.iter().filter_map(|&(q, j)| ca[q].map(|m| (bca[j], m))).unzip();
        let onto_model = superpose(&mobile, &fixed);
        let (mobile, fixed): (Vec<V3>, Vec<V3>) = b.hit.pairs.iter().filter_map(|&(q, j)| new_at[q].map(|k| (tca[k], onto_model.apply(bca[j])))).unzip();
        return Some(superpose(&mobile, &fixed));
    }
    None
}

/// Step 2: un-assigns templated residues next to gaps until every gap can be closed: between
/// known residues `a < b`, |CA_a - CA_b| <= 3.6 A per step; consecutive known residues must be
/// 2.6-4.3 A apart.
pub fn open_gaps(m: &mut TraceModel) {
    let l = m.ca.len();
    loop {
        let known: Vec<usize> = (0..l).filter(|&i| m.source[i].is_some()).collect();
        let mut changed = false;
        for w in known.windows(2) {
            let (a, b) = (w[0], w[1]);
            let d = dist(m.ca[a], m.ca[b]);
            let steps = (b - a) as f64;
            let ok = if b == a + 1 { d >= BOND_RANGE.0 && d <= BOND_RANGE.1 } else { d <= MAX_SPAN_PER_STEP * steps };
            if !ok {
                // Grow the gap on the side with more templated residues behind it, so that
                // small fragments go first.
                let left = known.iter().filter(|&&i| i <= a).count();
                let right = known.iter().filter(|&&i| i >= b).count();
                let drop = if left <= right { a } else { b };
                m.source[drop] = None;
                m.plddt[drop] = 0.0;
                m.features[drop] = None;
                changed = true;
                break;
            }
        }
        if !changed {
            break;
        }
    }
}

/// The unit vector perpendicular to `axis` pointing from `centre` towards `at` (any
/// perpendicular when they line up).
fn outward(at: V3, centre: V3, axis: V3) -> V3 {
    let v = sub(at, centre);
    unit(sub(v, scale(axis, dot(v, axis)))).unwrap_or_else(|| any_perpendicular(axis))
}

/// Segments per residue of the polyline that measures an arc.
const ARC_SAMPLES: usize = 16;

/// Points 1..n of a path from `p` (point 0) to `q` (point n) whose consecutive points are
/// 3.8 A apart along it: a sine arc bulging along `up`, its height found by bisection so that
/// it is 3.8 A x n long, the points spread evenly along its length. (Spreading them evenly in
/// the sine's parameter instead put the points of a long, high arc 5 A apart on its flanks and
/// 0.4 A apart at its top; the relaxation, holding each residue near its point, then left the
/// flanks' bonds stretched: T1009's 41-residue gap.) Sines from `portable`, so the page and the
/// CLI place the same points.
fn arc(p: V3, q: V3, n: usize, up: V3) -> Vec<V3> {
    let m = ARC_SAMPLES * n;
    let polyline = |h: f64| -> Vec<V3> {
        (0..=m)
            .map(|k| {
                let t = k as f64 / m as f64;
                let (sin, _) = crate::geometry::portable::sin_cos(std::f64::consts::PI * t);
                add(add(p, scale(sub(q, p), t)), scale(up, h * sin))
            })
            .collect()
    };
    let length = |pts: &[V3]| pts.windows(2).map(|w| dist(w[0], w[1])).sum::<f64>();
    let want = CA_CA * n as f64;
    let (mut lo, mut hi) = (0.0, CA_CA * n as f64);
    if length(&polyline(0.0)) < want {
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if length(&polyline(mid)) < want {
                lo = mid;
            } else {
                hi = mid;
            }
        }
    }
    let pts = polyline(lo);
    let seg: Vec<f64> = pts.windows(2).map(|w| dist(w[0], w[1])).collect();
    let total = seg.iter().sum::<f64>();
    // Walk the polyline, emitting a point every total / n of its length.
    let mut out = Vec::with_capacity(n.saturating_sub(1));
    let (mut k, mut walked) = (0usize, 0.0f64);
    for j in 1..n {
        let at = total * j as f64 / n as f64;
        while k + 1 < m && walked + seg[k] < at {
            walked += seg[k];
            k += 1;
        }
        let f = if seg[k] > 0.0 { ((at - walked) / seg[k]).clamp(0.0, 1.0) } else { 0.0 };
        out.push(add(pts[k], scale(sub(pts[k + 1], pts[k]), f)));
    }
    out
}

/// `n` residues leaving `anchor` along `dir` as an ideal alpha helix (1.5 A rise, 100 degrees a
/// residue, 2.3 A radius: consecutive CAs 3.8 A apart), first residue next to the anchor.
fn helix_from(anchor: V3, dir: V3, n: usize) -> Vec<V3> {
    let u = any_perpendicular(dir);
    let v = cross(dir, u);
    let r = 2.3;
    (1..=n)
        .map(|j| {
            let a = (100.0f64 * j as f64).to_radians();
            add(anchor, add(scale(dir, 1.5 * j as f64), add(scale(u, r * (a.cos() - 1.0)), scale(v, r * a.sin()))))
        })
        .collect()
}

/// Step 3: positions for every residue without a template, except gaps a fragment closed
/// (loops.rs).
pub fn fill(m: &mut TraceModel) {
    let l = m.ca.len();
    let known: Vec<usize> = (0..l).filter(|&i| m.source[i].is_some()).collect();
    let Some((&first, &last)) = known.first().zip(known.last()) else {
        return;
    };
    let centre = centroid(&known.iter().map(|&i| m.ca[i]).collect::<Vec<_>>());
    for w in known.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b > a + 1 && !m.closed[a + 1..b].iter().all(|&c| c) {
            let axis = unit(sub(m.ca[b], m.ca[a])).unwrap_or([1.0, 0.0, 0.0]);
            let up = outward(scale(add(m.ca[a], m.ca[b]), 0.5), centre, axis);
            for (k, p) in arc(m.ca[a], m.ca[b], b - a, up).into_iter().enumerate() {
                m.ca[a + 1 + k] = p;
            }
        }
    }
    // Termini: away from the protein, turning gradually from the chain's own direction.
    let away = |ca: &[V3], anchor: usize, inner: usize| -> V3 {
        let from_centre = unit(sub(ca[anchor], centre)).unwrap_or([1.0, 0.0, 0.0]);
        let along = unit(sub(ca[anchor], ca[inner])).unwrap_or(from_centre);
        unit(add(from_centre, along)).unwrap_or(from_centre)
    };
    if first > 0 {
        let inner = if first + 1 < l && m.source[first + 1].is_some() { first + 1 } else { first };
        let dir = away(&m.ca, first, inner);
        for (k, p) in helix_from(m.ca[first], dir, first).into_iter().enumerate() {
            m.ca[first - 1 - k] = p;
        }
    }
    if last + 1 < l {
        let inner = if last > 0 && m.source[last - 1].is_some() { last - 1 } else { last };
        let dir = away(&m.ca, last, inner);
        for (k, p) in helix_from(m.ca[last], dir, l - 1 - last).into_iter().enumerate() {
            m.ca[last + 1 + k] = p;
        }
    }
    debug_assert!(m.ca.iter().all(|p| norm(*p).is_finite()));
}
