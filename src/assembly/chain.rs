//! The chain the assembly moves: a CA trace held as internal coordinates (docs/ASSEMBLY.md,
//! Representation).
//!
//! Every CA-CA step is 3.8 A; the shape is given by the virtual bond angle at each CA and the
//! virtual torsion about each CA-CA bond, stored as the template library's own codes (so a
//! fragment insertion is a copy of bytes) and decoded through sine/cosine tables computed with
//! `geometry::portable`: the CLI and the page build the same coordinates bit for bit, so the
//! same seed gives the same trajectory in both.

use crate::geometry::portable;
use crate::geometry::{place_sin_cos, V3};
use crate::templates::library::CodeSteps;

/// Every CA-CA step of an assembled chain (A).
pub const CA_CA: f64 = 3.8;

/// (sin, cos) of every angle and torsion code.
#[derive(Clone)]
pub struct CodeTables {
    pub theta: Vec<(f64, f64)>,
    pub tau: Vec<(f64, f64)>,
    pub steps: CodeSteps,
}

impl CodeTables {
    pub fn new(steps: CodeSteps) -> Self {
        let theta = (0..256).map(|c| portable::sin_cos(steps.theta_step * c as f64)).collect();
        let tau = (0..256).map(|c| portable::sin_cos(steps.tau_step * c as f64 - std::f64::consts::PI)).collect();
        CodeTables { theta, tau, steps }
    }

    /// The angle code nearest `degrees`.
    pub fn theta_code(&self, degrees: f64) -> u8 {
        (degrees.to_radians() / self.steps.theta_step).round().clamp(0.0, 255.0) as u8
    }

    /// The torsion code nearest `degrees` (-180..180).
    pub fn tau_code(&self, degrees: f64) -> u8 {
        let c = ((degrees.to_radians() + std::f64::consts::PI) / self.steps.tau_step).round() as i64;
        c.rem_euclid(256) as u8
    }

    /// Decoded angle in degrees (for the secondary-structure test of a code pair).
    pub fn theta_degrees(&self, code: u8) -> f64 {
        (self.steps.theta_step * code as f64).to_degrees()
    }

    /// Decoded torsion in degrees (-180..180).
    pub fn tau_degrees(&self, code: u8) -> f64 {
        (self.steps.tau_step * code as f64 - std::f64::consts::PI).to_degrees()
    }
}

/// Internal coordinates of a chain of `len` residues: `theta[k]` is the angle at CA k (used for
/// k in 1..len-1), `tau[k]` the torsion CA(k-1) CA(k) CA(k+1) CA(k+2) (used for k in 1..len-2).
/// Position k of a fragment sets both.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    pub theta: Vec<u8>,
    pub tau: Vec<u8>,
}

impl Chain {
    /// A fully extended chain (angles 120 degrees, torsions 180), the start of every trajectory.
    pub fn extended(len: usize, tables: &CodeTables) -> Self {
        Chain { theta: vec![tables.theta_code(120.0); len], tau: vec![tables.tau_code(180.0); len] }
    }

    pub fn len(&self) -> usize {
        self.theta.len()
    }

    pub fn is_empty(&self) -> bool {
        self.theta.is_empty()
    }

    /// The CA trace: CA 0 at the origin, CA 1 on +x, CA 2 in the xy-plane.
    pub fn build(&self, tables: &CodeTables, out: &mut Vec<V3>) {
        let l = self.len();
        out.clear();
        if l == 0 {
            return;
        }
        out.push([0.0; 3]);
        if l == 1 {
            return;
        }
        out.push([CA_CA, 0.0, 0.0]);
        if l == 2 {
            return;
        }
        let (s, c) = tables.theta[self.theta[1] as usize];
        out.push([CA_CA - CA_CA * c, CA_CA * s, 0.0]);
        for k in 1..l - 2 {
            let p = place_sin_cos(out[k - 1], out[k], out[k + 1], CA_CA, tables.theta[self.theta[k + 1] as usize], tables.tau[self.tau[k] as usize]);
            out.push(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geometry::dist;

    fn tables() -> CodeTables {
        CodeTables::new(CodeSteps { d_min: 2.0, d_step: 0.02, theta_step: std::f64::consts::PI / 255.0, tau_step: 2.0 * std::f64::consts::PI / 256.0 })
    }

    #[test]
    fn built_chain_has_its_angles_and_torsions() {
        let t = tables();
        let mut chain = Chain::extended(12, &t);
        for k in 1..11 {
            chain.theta[k] = t.theta_code(91.0);
            chain.tau[k] = t.tau_code(50.0);
        }
        let mut ca = Vec::new();
        chain.build(&t, &mut ca);
        assert_eq!(ca.len(), 12);
        for k in 1..11 {
            assert!((dist(ca[k], ca[k + 1]) - CA_CA).abs() < 1e-9);
            let u = crate::geometry::sub(ca[k - 1], ca[k]);
            let w = crate::geometry::sub(ca[k + 1], ca[k]);
            let angle = (crate::geometry::dot(u, w) / (CA_CA * CA_CA)).acos().to_degrees();
            assert!((angle - t.theta_degrees(chain.theta[k])).abs() < 1e-6, "angle {angle} at {k}");
        }
        for k in 1..10 {
            let tau = crate::templates::library::dihedral(ca[k - 1], ca[k], ca[k + 1], ca[k + 2]).to_degrees();
            assert!((tau - t.tau_degrees(chain.tau[k])).abs() < 1e-6, "torsion {tau} at {k}");
        }
        // An alpha-helix-like trace: CA(i)..CA(i+3) about 5 A apart, not extended.
        assert!(dist(ca[2], ca[5]) < 6.0);
    }
}
