//! sin, cos, atan2 and ln from `+ - * /` and `sqrt` only (module note in geometry/mod.rs):
//! the platform's `f64::sin` and friends are not correctly rounded and differ in the last bit
//! between glibc (the CLI) and the libm compiled into wasm32 (the page), and a last bit can
//! decide which rotamer a residue gets, so the page's file would differ from the CLI's.
//! Accuracy: within a few units in the last place over the ranges used (tests/sidechains.rs).

use std::f64::consts::{FRAC_PI_2, LN_2, PI};

/// (sin x, cos x), x in radians (any finite value; NaN gives NaN).
pub fn sin_cos(x: f64) -> (f64, f64) {
    // Reduce to [-pi/4, pi/4] and a quadrant.
    let q = (x / FRAC_PI_2).round();
    let r = x - q * FRAC_PI_2;
    let (s, c) = (sin_series(r), cos_series(r));
    match (q.rem_euclid(4.0)) as i64 {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    }
}

/// Taylor series of sin on |r| <= pi/4 (terms to r^21: error below 1e-19).
fn sin_series(r: f64) -> f64 {
    alternating_series(r * r, r, 1.0, 10)
}

/// Taylor series of cos on |r| <= pi/4 (terms to r^22).
fn cos_series(r: f64) -> f64 {
    alternating_series(r * r, 1.0, 0.0, 11)
}

/// first - first r2 / ((k+1)(k+2)) + ...: each term the previous one times -r2 / ((k+1)(k+2)),
/// k growing by 2, `terms` terms after the first.
fn alternating_series(r2: f64, first: f64, k: f64, terms: usize) -> f64 {
    let (mut term, mut sum, mut k) = (first, first, k);
    for _ in 0..terms {
        term = -term * r2 / ((k + 1.0) * (k + 2.0));
        sum += term;
        k += 2.0;
    }
    sum
}

/// atan2(y, x) in (-pi, pi]; (0, 0) gives 0.
pub fn atan2(y: f64, x: f64) -> f64 {
    let (ax, ay) = (x.abs(), y.abs());
    if ax == 0.0 && ay == 0.0 {
        return 0.0;
    }
    // atan of the smaller over the larger (in [0, 1]), then the octant.
    let (small, large) = if ay <= ax { (ay, ax) } else { (ax, ay) };
    let mut a = atan_unit(small / large);
    if ay > ax {
        a = FRAC_PI_2 - a;
    }
    if x < 0.0 {
        a = PI - a;
    }
    if y < 0.0 {
        -a
    } else {
        a
    }
}

/// atan z for z in [0, 1]: two half-angle steps (atan z = 2 atan(z / (1 + sqrt(1 + z^2))))
/// bring z below tan(pi/16) ~ 0.2, where the series converges fast (terms to z^41).
fn atan_unit(z: f64) -> f64 {
    let mut z = z;
    for _ in 0..2 {
        z /= 1.0 + (1.0 + z * z).sqrt();
    }
    let z2 = z * z;
    let mut power = z;
    let mut sum = z;
    for k in 1..=20 {
        power = -power * z2;
        sum += power / (2 * k + 1) as f64;
    }
    4.0 * sum
}

/// Natural logarithm of x > 0 (NaN for x <= 0 or NaN).
pub fn ln(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 {
        return f64::NAN;
    }
    if x.is_infinite() {
        return x;
    }
    // x = m 2^e with m in [1, 2) (subnormals first scaled into the normal range).
    let (x, shift) = if x < f64::MIN_POSITIVE { (x * 2f64.powi(64), -64) } else { (x, 0) };
    let bits = x.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023 + shift;
    let m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    // ln m = 2 atanh s, s = (m - 1) / (m + 1) in [0, 1/3) (terms to s^41).
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut power = s;
    let mut sum = s;
    for k in 1..=20 {
        power *= s2;
        sum += power / (2 * k + 1) as f64;
    }
    e as f64 * LN_2 + 2.0 * sum
}
