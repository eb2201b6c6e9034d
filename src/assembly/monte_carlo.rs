//! One assembly trajectory (docs/ASSEMBLY.md, Protocol): Metropolis Monte Carlo over fragment
//! insertions from an extended chain, in stages after Rosetta's classic ab initio protocol:
//! 1. large fragments with only the clash term, until the chain has lost its extended start;
//! 2. large fragments with the whole energy and a strong compactness term;
//! 3. large fragments, the whole energy, the temperature lowered step by step;
//! 4. small fragments, the whole energy, at the lowest temperature.
//!
//! The lowest-energy conformation of the last stages is the decoy. Each trajectory has its own
//! seed, so decoys are the same whichever thread or Web Worker computes them.

use super::chain::{Chain, CodeTables};
use super::energy::{Potentials, Scratch, Terms, Weights};
use super::fragments::{Fragment, Fragments, SIZES};
use crate::geometry::portable;
use crate::geometry::V3;

/// Fragments a move draws from, best first, per size (Rosetta draws from 25 large and 200
/// small ones).
const DRAW_FROM: [usize; 2] = [25, 200];

/// Moves of each stage.
#[derive(Clone, Copy, Debug)]
pub struct Schedule {
    pub stage1: usize,
    pub stage2: usize,
    pub stage3: usize,
    pub stage4: usize,
}

impl Schedule {
    pub const DEFAULT: Schedule = Schedule { stage1: 1000, stage2: 2000, stage3: 8000, stage4: 4000 };

    pub fn total(&self) -> usize {
        self.stage1 + self.stage2 + self.stage3 + self.stage4
    }
}

/// What every trajectory of one query shares.
pub struct Setup<'a> {
    pub tables: &'a CodeTables,
    pub potentials: &'a Potentials,
    pub fragments: &'a Fragments,
    /// Residue types (energy::residue_type).
    pub types: Vec<usize>,
    /// Library codes (angle, torsion) of every library residue.
    pub library_theta: &'a [u8],
    pub library_tau: &'a [u8],
    pub schedule: Schedule,
    /// Weights of the whole energy (stages 2-4; stage 1 uses the clash term only).
    pub weights: Weights,
}

/// A finished trajectory.
#[derive(Clone, Debug)]
pub struct Decoy {
    pub chain: Chain,
    pub ca: Vec<V3>,
    pub energy: f64,
    pub terms: Terms,
}

/// SplitMix64: a small, fast generator with good statistics, identical on every platform.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 11) as u128 * n as u128) >> 53) as usize
    }

    /// Uniform in (0, 1].
    pub fn unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }
}

/// Positions whose angle and torsion are a strand's (energy.rs's pairing term).
fn strand_like(chain: &Chain, tables: &CodeTables, out: &mut Vec<bool>) {
    out.clear();
    let l = chain.len();
    for k in 0..l {
        let inner = k >= 1 && k + 2 < l;
        out.push(inner && super::fragments::ss_of(tables.theta_degrees(chain.theta[k]), tables.tau_degrees(chain.tau[k])) == super::fragments::STRAND);
    }
}

struct State<'s, 'a> {
    setup: &'s Setup<'a>,
    chain: Chain,
    ca: Vec<V3>,
    strand: Vec<bool>,
    scratch: Scratch,
    terms: Terms,
}

impl State<'_, '_> {
    fn evaluate(&mut self) -> Terms {
        self.chain.build(self.setup.tables, &mut self.ca);
        strand_like(&self.chain, self.setup.tables, &mut self.strand);
        self.setup.potentials.terms(&self.ca, &self.setup.types, &self.strand, &mut self.scratch)
    }

    /// Inserts `f` of size `n` at position `i`; returns the old codes.
    fn insert(&mut self, f: Fragment, n: usize, i: usize) -> (Vec<u8>, Vec<u8>) {
        let old = (self.chain.theta[i..i + n].to_vec(), self.chain.tau[i..i + n].to_vec());
        let g = f.library_residue as usize;
        for x in 0..n {
            // Library position g + x: angle code of residue g+x+1, torsion code of g+x+2.
            self.chain.theta[i + x] = self.setup.library_theta[g + x + 1];
            self.chain.tau[i + x] = self.setup.library_tau[g + x + 2];
        }
        old
    }

    fn restore(&mut self, i: usize, old: (Vec<u8>, Vec<u8>)) {
        let n = old.0.len();
        self.chain.theta[i..i + n].copy_from_slice(&old.0);
        self.chain.tau[i..i + n].copy_from_slice(&old.1);
    }

    /// `moves` Metropolis steps with fragments of size index `size` at temperature `kt`;
    /// keeps the lowest-energy conformation in `best` when given.
    fn run(&mut self, rng: &mut Rng, size: usize, moves: usize, w: &Weights, kt: f64, mut best: Option<&mut (f64, Chain, Terms)>) {
        let frags = &self.setup.fragments.by_size[size];
        let n = SIZES[size];
        let positions: Vec<usize> = (0..frags.len()).filter(|&i| !frags[i].is_empty()).collect();
        if positions.is_empty() {
            return;
        }
        let mut energy = self.terms.total(w);
        for _ in 0..moves {
            let i = positions[rng.below(positions.len())];
            let list = &frags[i];
            let f = list[rng.below(list.len().min(DRAW_FROM[size]))];
            let old = self.insert(f, n, i);
            let terms = self.evaluate();
            let e = terms.total(w);
            let de = e - energy;
            if de <= 0.0 || portable::ln(rng.unit()) < -de / kt {
                energy = e;
                self.terms = terms;
                if let Some(b) = best.as_deref_mut() {
                    if e < b.0 {
                        *b = (e, self.chain.clone(), terms);
                    }
                }
            } else {
                self.restore(i, old);
            }
        }
        // The coordinates follow the chain kept (the last trial may have been rejected).
        self.terms = self.evaluate();
    }
}

/// One trajectory from the extended chain with `seed`.
pub fn trajectory(setup: &Setup, seed: u64) -> Decoy {
    let l = setup.types.len();
    let mut rng = Rng::new(seed);
    let mut state = State { setup, chain: Chain::extended(l, setup.tables), ca: Vec::new(), strand: Vec::new(), scratch: Scratch::default(), terms: Terms::default() };
    state.terms = state.evaluate();
    let s = setup.schedule;
    let w = setup.weights;
    let clash_only = Weights { pair: 0.0, burial: 0.0, clash: w.clash, rg: 0.0, pairing: 0.0 };
    state.run(&mut rng, 0, s.stage1, &clash_only, 2.0, None);
    let compact = Weights { rg: w.rg * 3.0, ..w };
    state.run(&mut rng, 0, s.stage2, &compact, 2.0, None);
    let mut best = (f64::INFINITY, state.chain.clone(), state.terms);
    let steps = 4;
    for k in 0..steps {
        let kt = 2.0 - (k as f64) * 0.25;
        state.run(&mut rng, 0, s.stage3 / steps, &w, kt, Some(&mut best));
    }
    // Stage 4 starts from the best conformation so far.
    state.chain = best.1.clone();
    state.terms = state.evaluate();
    state.run(&mut rng, 1, s.stage4, &w, 1.0, Some(&mut best));
    let chain = best.1;
    let mut ca = Vec::new();
    chain.build(setup.tables, &mut ca);
    Decoy { chain, ca, energy: best.0, terms: best.2 }
}
