//! Fragment assembly (docs/ASSEMBLY.md): a structure for a protein that has no template, from
//! pieces of known structures, after Rosetta's ab initio protocol and QUARK.
//!
//! Pipeline (one named step per module):
//! [`fragments`] (pick the library windows whose profile and local structure fit each query
//! position) -> [`energy`] (a low-resolution energy counted on the library) ->
//! [`monte_carlo`] (independent trajectories of fragment insertions on a CA trace held as
//! internal coordinates, [`chain`]) -> [`select`] (the centre of the lowest-energy decoys;
//! their agreement is the confidence) -> the full-atom steps every CA trace goes through
//! (templates::full_atom_from_trace: N and C, relaxation, peptide planes, side chains, clash
//! relief).
//!
//! Deterministic: the same sequence, options and library give the same model, natively with any
//! number of threads and in the page.

pub mod chain;
pub mod energy;
pub mod fragments;
pub mod monte_carlo;
pub mod packed;
pub mod select;

use crate::geometry::atoms::Structure;
use crate::templates::library::Library;
use chain::CodeTables;
use energy::{Potentials, Weights};
use fragments::FragmentLibrary;
use monte_carlo::{Decoy, Schedule, Setup};

/// Residues below this are not assembled (the network predicts them).
pub const MIN_LENGTH: usize = 12;
/// Longest chain assembled: every move re-scores all residue pairs, so the time grows with the
/// square of the length (docs/ASSEMBLY.md, Speed); longer chains get the network's prediction.
pub const MAX_LENGTH: usize = 500;
/// Up to this length every prediction runs [`DECOYS`] trajectories; longer chains run fewer,
/// so that the number of pair evaluations stays that of this length (at least [`MIN_DECOYS`]).
pub const FULL_DECOYS_UP_TO: usize = 200;
pub const MIN_DECOYS: usize = 10;

/// Whether a chain of `len` residues is assembled (rather than left to the network).
pub fn can_assemble(len: usize) -> bool {
    (MIN_LENGTH..=MAX_LENGTH).contains(&len)
}

/// Trajectories for a chain of `len` residues when `decoys` are asked for at most.
pub fn decoys_for_length(decoys: usize, len: usize) -> usize {
    if len <= FULL_DECOYS_UP_TO {
        return decoys;
    }
    let scale = (FULL_DECOYS_UP_TO as f64 / len as f64).powi(2);
    ((decoys as f64 * scale).round() as usize).max(MIN_DECOYS.min(decoys))
}

/// How many trajectories an assembly of `len` residues with `options` runs.
pub fn decoy_count(options: &AssemblyOptions, len: usize) -> usize {
    decoys_for_length(options.decoys, len).max(1)
}

/// The library-wide data every assembly uses, built once per library.
pub struct AssemblyData {
    pub tables: CodeTables,
    pub fragment_library: FragmentLibrary,
    /// The energy's counts on the whole library (energy.rs).
    pub counts: energy::Counts,
}

impl AssemblyData {
    pub fn new(lib: &Library) -> Self {
        let tables = CodeTables::new(lib.code_steps());
        let fragment_library = FragmentLibrary::new(lib, &tables);
        let counts = energy::Counts::library(lib, &tables);
        AssemblyData { tables, fragment_library, counts }
    }
}

/// The assembly's data for a loaded library, built on first use and kept with it.
pub fn data(t: &crate::templates::Templates) -> &AssemblyData {
    t.derived()
        .get_or_init(|| Box::new(AssemblyData::new(&t.library)))
        .downcast_ref::<AssemblyData>()
        .expect("the library's derived slot holds the assembly's data (its only user)")
}

/// Options of one assembly.
#[derive(Clone, Debug)]
pub struct AssemblyOptions {
    /// Independent trajectories.
    pub decoys: usize,
    /// Seed of the first trajectory (trajectory k uses seed + k).
    pub seed: u64,
    pub schedule: Schedule,
    pub weights: Weights,
    /// Library entries or chains left out of fragments and energy counts.
    pub exclude: Vec<String>,
    /// Native threads (1 in the page: Web Workers split the decoys instead).
    pub threads: usize,
}

/// The energy weights of stages 2-4.
pub const WEIGHTS: Weights = Weights { pair: 1.0, burial: 1.0, clash: 3.0, rg: 1.0, pairing: 0.5 };
/// Trajectories per prediction.
pub const DECOYS: usize = 40;

impl Default for AssemblyOptions {
    fn default() -> Self {
        AssemblyOptions { decoys: DECOYS, seed: 1, schedule: Schedule::DEFAULT, weights: WEIGHTS, exclude: Vec::new(), threads: 1 }
    }
}

/// What one query's trajectories share (fragments and energy tables), prepared once.
pub struct Prepared<'a> {
    pub data: &'a AssemblyData,
    pub lib: &'a Library,
    pub potentials: Potentials,
    pub fragments: fragments::Fragments,
    pub sequence: String,
    pub options: AssemblyOptions,
}

/// Secondary structure (helix, strand, other) predicted for `sequence` by the local-structure
/// network (src/local): the fragment picker's secondary-structure term.
pub fn predicted_ss3(sequence: &str) -> Vec<[f32; 3]> {
    crate::local::built_in().predict(&crate::sequence::tokens(sequence)).ss3
}

/// Picks the fragments and counts the energy for `sequence` (upper case).
pub fn prepare<'a>(data: &'a AssemblyData, lib: &'a Library, sequence: &str, ss3: Option<&[[f32; 3]]>, options: &AssemblyOptions) -> Prepared<'a> {
    let fragments = fragments::pick(lib, &data.fragment_library, sequence.as_bytes(), ss3, &options.exclude);
    let potentials = Potentials::from_counts(&data.counts.without(lib, &data.tables, &options.exclude));
    Prepared { data, lib, potentials, fragments, sequence: sequence.to_string(), options: options.clone() }
}

impl<'a> Prepared<'a> {
    fn setup(&self) -> Setup<'_> {
        let (_, theta, tau) = self.lib.internal_codes();
        Setup {
            tables: &self.data.tables,
            potentials: &self.potentials,
            fragments: &self.fragments,
            types: self.sequence.bytes().map(energy::residue_type).collect(),
            library_theta: theta,
            library_tau: tau,
            schedule: self.options.schedule,
            weights: self.options.weights,
        }
    }

    /// Trajectory `k` (0-based) of this query.
    pub fn decoy(&self, k: usize) -> Decoy {
        monte_carlo::trajectory(&self.setup(), self.options.seed.wrapping_add(k as u64))
    }

    /// How many trajectories this query runs ([`decoy_count`]).
    pub fn decoy_count(&self) -> usize {
        decoy_count(&self.options, self.sequence.len())
    }

    /// Every trajectory ([`Prepared::decoy_count`]), on `options.threads` native threads;
    /// `progress(done, total)` after each.
    pub fn decoys(&self, progress: &mut dyn FnMut(usize, usize)) -> Vec<Decoy> {
        let n = self.decoy_count();
        let threads = self.options.threads.clamp(1, n);
        if threads == 1 || cfg!(target_arch = "wasm32") {
            let mut out = Vec::with_capacity(n);
            for k in 0..n {
                out.push(self.decoy(k));
                progress(k + 1, n);
            }
            return out;
        }
        let results: Vec<std::sync::Mutex<Option<Decoy>>> = (0..n).map(|_| std::sync::Mutex::new(None)).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::scope(|s| {
            for _ in 0..threads {
                let tx = tx.clone();
                let (results, next) = (&results, &next);
                s.spawn(move || loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if k >= n {
                        break;
                    }
                    let d = self.decoy(k);
                    *results[k].lock().unwrap() = Some(d);
                    let _ = tx.send(());
                });
            }
            drop(tx);
            let mut done = 0;
            while rx.recv().is_ok() {
                done += 1;
                progress(done, n);
            }
        });
        results.into_iter().map(|m| m.into_inner().unwrap().expect("every trajectory ran")).collect()
    }

    /// The model from the decoys: the chosen trace made full-atom, with its confidence.
    pub fn finish(&self, decoys: &[Decoy]) -> AssemblyModel {
        let traces: Vec<&[crate::geometry::V3]> = decoys.iter().map(|d| d.ca.as_slice()).collect();
        let energies: Vec<f64> = decoys.iter().map(|d| d.energy).collect();
        finish(self.lib, &self.sequence, &traces, &energies)
    }

    /// The query's own part (fragments, energy tables), owned: the page keeps it between calls
    /// that run a few trajectories each (src/web.rs), where the library is borrowed anew.
    pub fn into_query(self) -> PreparedQuery {
        PreparedQuery { potentials: self.potentials, fragments: self.fragments, sequence: self.sequence, options: self.options }
    }

    /// [`prepare`]'s result again from its owned part and the library it was prepared on.
    pub fn from_query(data: &'a AssemblyData, lib: &'a Library, q: PreparedQuery) -> Self {
        Prepared { data, lib, potentials: q.potentials, fragments: q.fragments, sequence: q.sequence, options: q.options }
    }
}

/// The owned part of a [`Prepared`] (see [`Prepared::into_query`]).
pub struct PreparedQuery {
    pub potentials: Potentials,
    pub fragments: fragments::Fragments,
    pub sequence: String,
    pub options: AssemblyOptions,
}

/// The model from the decoys' CA traces and energies (trajectory k at index k: the choice
/// breaks ties by order): the chosen trace made full-atom, with its confidence. Needs only the
/// library, not the query's fragments, so the page finishes wherever the decoys were run.
pub fn finish(lib: &Library, sequence: &str, traces: &[&[crate::geometry::V3]], energies: &[f64]) -> AssemblyModel {
    let choice = select::choose(traces, energies);
    let plddt: Vec<f32> = choice.residue_agreement.iter().map(|&a| confidence_plddt(a) as f32).collect();
    let structure = crate::templates::full_atom_from_trace(lib, sequence, traces[choice.chosen], &plddt);
    AssemblyModel { structure, estimated_tm: estimated_tm(choice.agreement), agreement: choice.agreement, decoys: traces.len(), energy: energies[choice.chosen] }
}

/// pLDDT of a residue from the decoys' agreement there (mean CA-lDDT of the voters against the
/// chosen decoy, 0..1).
pub fn confidence_plddt(agreement: f64) -> f64 {
    (PLDDT_FIT.0 + PLDDT_FIT.1 * agreement).clamp(0.0, 100.0)
}

/// The whole model's estimated TM-score from the voters' mean similarity to it.
pub fn estimated_tm(agreement: f64) -> f64 {
    (TM_FIT.0 + TM_FIT.1 * agreement).clamp(0.0, 1.0)
}

/// (intercept, slope) of [`confidence_plddt`]: least squares of the true CA-lDDT of whole
/// models on their mean agreement, over the 18 assembled chains of the tuning sample
/// (templates-benchmark seed 1: its 10 first chains without any hit and its 8 with tentative
/// hits only, assembled with their own entry excluded; r = 0.85). docs/ASSEMBLY.md, Confidence.
pub const PLDDT_FIT: (f64, f64) = (-6.1, 109.5);
/// (intercept, slope) of [`estimated_tm`]: least squares of the true TM-score on the agreement
/// over the same 18 chains (r = 0.46).
pub const TM_FIT: (f64, f64) = (0.172, 0.272);

/// An assembled model.
pub struct AssemblyModel {
    pub structure: Structure,
    pub estimated_tm: f64,
    /// Mean similarity of the voters to the chosen decoy.
    pub agreement: f64,
    pub decoys: usize,
    pub energy: f64,
}

/// The whole assembly for one sequence.
pub fn assemble(data: &AssemblyData, lib: &Library, sequence: &str, ss3: Option<&[[f32; 3]]>, options: &AssemblyOptions, progress: &mut dyn FnMut(usize, usize)) -> AssemblyModel {
    let prepared = prepare(data, lib, sequence, ss3, options);
    let decoys = prepared.decoys(progress);
    prepared.finish(&decoys)
}

/// PDB REMARK 3 lines (without the prefix) that say how an assembled model was made.
pub fn remarks(m: &AssemblyModel, options: &AssemblyOptions) -> Vec<String> {
    vec![
        "STRUCTURE BY FRAGMENT ASSEMBLY FROM THE TEMPLATE LIBRARY (NO TEMPLATE)".to_string(),
        format!("{} MONTE CARLO TRAJECTORIES FROM SEED {}; MODEL: THE CENTRE", m.decoys, options.seed),
        format!("OF THE LOWEST-ENERGY HALF, DECOY AGREEMENT {:.2}", m.agreement),
        "A LOW-CONFIDENCE MODEL OF THE FOLD: SEE PLDDT AND ESTIMATED TM-SCORE".to_string(),
        "N, C AND O PLACED BY RAMACHANDRAN-SCORED PEPTIDE PLANES".to_string(),
        "HEAVY-ATOM CLASHES RELIEVED BY SMALL MOVES OF ALL ATOMS".to_string(),
    ]
}
