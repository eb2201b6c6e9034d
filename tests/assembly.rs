//! Fragment assembly (issue 27, src/assembly) on the committed template library.

mod common;

use std::sync::OnceLock;

use webfold::assembly::chain::{Chain, CodeTables};
use webfold::assembly::energy::{Counts, Potentials, Scratch};
use webfold::assembly::fragments::{pick, SIZES};
use webfold::assembly::monte_carlo::Schedule;
use webfold::assembly::{self, AssemblyOptions};
use webfold::geometry::check;
use webfold::templates::Templates;

const LIBRARY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/library.wftl");

fn templates() -> &'static Templates {
    static T: OnceLock<Templates> = OnceLock::new();
    T.get_or_init(|| Templates::from_bytes(&std::fs::read(LIBRARY).expect("templates/library.wftl")).expect("the committed library reads"))
}

/// A short run: few decoys and moves (the tests check behaviour, the benchmark accuracy).
fn quick(threads: usize) -> AssemblyOptions {
    AssemblyOptions { decoys: 4, schedule: Schedule { stage1: 200, stage2: 300, stage3: 800, stage4: 400 }, threads, ..Default::default() }
}

/// A library chain's sequence (predicted with its own entry excluded).
fn library_chain(name: &str) -> (String, String) {
    let lib = &templates().library;
    let chain = lib.find(name).unwrap_or_else(|| panic!("{name} in the library"));
    (String::from_utf8(lib.sequence(chain).to_vec()).unwrap(), lib.entry(chain).to_string())
}

#[test]
fn fragments_come_from_allowed_chains_and_fit_the_query() {
    let t = templates();
    let lib = &t.library;
    // The first chain of the library with 60-120 residues.
    let chain = (0..lib.len()).find(|&c| (60..=120).contains(&lib.sequence(c).len())).unwrap();
    let seq = lib.sequence(chain).to_vec();
    let entry = lib.entry(chain).to_string();
    let free = pick(lib, &assembly::data(t).fragment_library, &seq, None, &[]);
    let excluded = pick(lib, &assembly::data(t).fragment_library, &seq, None, std::slice::from_ref(&entry));
    let start = lib.chain_start(chain) as u32;
    let end = start + seq.len() as u32;
    let own = |f: &webfold::assembly::fragments::Fragment| (start..end).contains(&f.library_residue);
    // Without exclusion the query's own chain gives the best 9-residue fragment at most
    // positions (identical sequence); with its entry excluded it gives none.
    let positions = free.by_size[0].iter().filter(|v| !v.is_empty()).count();
    assert!(positions + 12 >= seq.len(), "{positions} positions with fragments for {} residues", seq.len());
    let own_best = free.by_size[0].iter().filter(|v| v.first().is_some_and(own)).count();
    assert!(own_best * 2 > positions, "own chain best at {own_best} of {positions} positions");
    for (s, &n) in SIZES.iter().enumerate() {
        for (i, v) in excluded.by_size[s].iter().enumerate() {
            assert!(v.iter().all(|f| !own(f)), "size {n} position {i}: a fragment of the excluded entry");
            assert!(v.windows(2).all(|w| w[0].score >= w[1].score), "best first");
            if !v.is_empty() {
                assert!(i >= 1 && i + n < seq.len(), "size {n} fragment at {i} does not fit {} residues", seq.len());
            }
        }
    }
}

#[test]
fn the_energy_prefers_native_traces_to_shuffled_ones() {
    // Counted with the chains' entries excluded, the energy still ranks a native CA trace
    // below the same residues on a compact but wrong trace (another protein's of the same
    // length), for most library chains tested.
    let t = templates();
    let lib = &t.library;
    let tables = CodeTables::new(lib.code_steps());
    let chains: Vec<usize> = (0..lib.len()).filter(|&c| (80..=150).contains(&lib.sequence(c).len())).step_by(97).take(12).collect();
    let exclude: Vec<String> = chains.iter().map(|&c| lib.entry(c).to_string()).collect();
    let potentials = Potentials::from_counts(&Counts::library(lib, &tables).without(lib, &tables, &exclude));
    let mut wins = 0;
    for w in chains.windows(2) {
        let (a, b) = (w[0], w[1]);
        let types: Vec<usize> = lib.sequence(a).iter().map(|&c| assembly::energy::residue_type(c)).collect();
        let l = types.len().min(lib.sequence(b).len());
        let native = lib.ca(a)[..l].to_vec();
        let decoy = lib.ca(b)[..l].to_vec();
        let strand = vec![false; l];
        let mut scratch = Scratch::default();
        let weights = assembly::WEIGHTS;
        let e_native = potentials.terms(&native, &types[..l], &strand, &mut scratch).total(&weights);
        let e_decoy = potentials.terms(&decoy, &types[..l], &strand, &mut scratch).total(&weights);
        assert!(e_native.is_finite() && e_decoy.is_finite());
        if e_native < e_decoy {
            wins += 1;
        }
    }
    assert!(wins * 4 >= (chains.len() - 1) * 3, "native below the decoy in {wins} of {} pairs", chains.len() - 1);
}

#[test]
fn an_extended_chain_builds_with_3_8_a_steps() {
    let lib = &templates().library;
    let tables = CodeTables::new(lib.code_steps());
    let chain = Chain::extended(30, &tables);
    let mut ca = Vec::new();
    chain.build(&tables, &mut ca);
    for w in ca.windows(2) {
        assert!((webfold::geometry::distance(w[0].map(|x| x as f32), w[1].map(|x| x as f32)) - 3.8).abs() < 1e-4);
    }
    // Extended: end to end close to 29 steps of 3.8 A * sin(60 degrees).
    let end = webfold::geometry::distance(ca[0].map(|x| x as f32), ca[29].map(|x| x as f32));
    assert!(end > 29.0 * 3.8 * 0.85, "end-to-end {end}");
}

#[test]
fn assembly_is_deterministic_and_independent_of_threads() {
    let t = templates();
    let (seq, entry) = library_chain(t.library.name((0..t.library.len()).find(|&c| (50..=70).contains(&t.library.sequence(c).len())).unwrap()));
    let run = |threads: usize| {
        let options = AssemblyOptions { exclude: vec![entry.clone()], ..quick(threads) };
        let mut calls = Vec::new();
        let m = assembly::assemble(assembly::data(t), &t.library, &seq, None, &options, &mut |d, n| calls.push((d, n)));
        (m, calls)
    };
    let (one, calls) = run(1);
    let (two, _) = run(2);
    assert_eq!(calls, vec![(1, 4), (2, 4), (3, 4), (4, 4)], "progress after every decoy");
    assert_eq!(one.structure.ca, two.structure.ca, "same model on 1 and 2 threads");
    assert_eq!(one.structure.plddt, two.structure.plddt);
    assert_eq!(one.structure.sequence, seq);
    assert!((0.0..=1.0).contains(&one.estimated_tm));
    assert!(one.structure.plddt.iter().all(|p| (0.0..=100.0).contains(p)));
    let other_seed = assembly::assemble(assembly::data(t), &t.library, &seq, None, &AssemblyOptions { seed: 99, exclude: vec![entry.clone()], ..quick(2) }, &mut |_, _| {});
    assert_ne!(one.structure.ca, other_seed.structure.ca, "the seed matters");
}

#[test]
fn assembled_models_are_physically_sane() {
    // The protocol's own run length on a 70-residue CASP13 target without a template
    // (T0953s1): every heavy atom, few clashes, backbone torsions in allowed regions
    // (the bounds: <= 10 clashes per 1000 atoms, <= 5% improbable phi/psi).
    let fasta = std::fs::read_to_string(common::casp13_dir().join("casp13.fasta")).unwrap();
    let records = webfold::sequence::parse(&fasta, &webfold::sequence::ParseOptions::default()).unwrap();
    let record = records.iter().find(|r| r.id == "T0953s1").expect("T0953s1 in casp13.fasta");
    let t = templates();
    let options = AssemblyOptions { decoys: 4, threads: 2, ..Default::default() };
    let m = assembly::assemble(assembly::data(t), &t.library, &record.sequence, None, &options, &mut |_, _| {});
    let r = check(&m.structure);
    assert!(r.is_valid(), "{r:?}");
    assert!(m.structure.has_side_chains());
    assert!(r.atom_clashes_per_1000() <= 10.0, "{:.1} clashes per 1000 atoms", r.atom_clashes_per_1000());
    assert!(r.improbable_percent() <= 5.0, "{:.1}% improbable phi/psi", r.improbable_percent());
}

/// The page's way (src/web.rs, www/pool.js): each trajectory run on its own (in any order, on
/// any worker), packed as flat numbers, put back in trajectory order and finished elsewhere,
/// gives the model `assemble` gives in one go; the query's prepared part survives being kept
/// between calls.
#[test]
fn trajectories_run_apart_and_packed_give_the_same_model() {
    let t = templates();
    let (seq, entry) = library_chain(t.library.name((0..t.library.len()).find(|&c| (50..=70).contains(&t.library.sequence(c).len())).unwrap()));
    let options = AssemblyOptions { exclude: vec![entry], ..quick(1) };
    let whole = assembly::assemble(assembly::data(t), &t.library, &seq, None, &options, &mut |_, _| {});
    let prepared = assembly::prepare(assembly::data(t), &t.library, &seq, None, &options);
    let n = prepared.decoy_count();
    assert_eq!(n, assembly::decoy_count(&options, seq.len()));
    // Kept between calls as the page's workers keep it.
    let prepared = assembly::Prepared::from_query(assembly::data(t), &t.library, prepared.into_query());
    let mut parts: Vec<(usize, Vec<f64>)> = (0..n).rev().map(|k| {
        let mut out = Vec::new();
        assembly::packed::pack_into(&mut out, &prepared.decoy(k));
        (k, out)
    }).collect();
    parts.sort_by_key(|(k, _)| *k);
    let all: Vec<f64> = parts.into_iter().flat_map(|(_, p)| p).collect();
    let decoys = assembly::packed::unpack(&all, n, seq.len()).expect("well-formed");
    let apart = assembly::finish(&t.library, &seq, &decoys.trace_refs(), &decoys.energies);
    assert_eq!(apart.structure.ca, whole.structure.ca, "same model as in one go");
    assert_eq!(apart.structure.plddt, whole.structure.plddt);
    assert_eq!(apart.agreement, whole.agreement);
}

/// Packed decoys from JS are checked: a wrong length or a number that is not finite is an
/// error naming what is wrong, never a panic.
#[test]
fn malformed_packed_decoys_are_refused_with_a_message() {
    let per = assembly::packed::per_decoy(10);
    assert_eq!(per, 31);
    let good = vec![1.0; 2 * per];
    assert!(assembly::packed::unpack(&good, 2, 10).is_ok());
    let short = assembly::packed::unpack(&good[1..], 2, 10).err().expect("one number short");
    assert!(short.contains("61 numbers") && short.contains("62"), "{short}");
    assert!(assembly::packed::unpack(&good, 3, 10).is_err(), "fewer trajectories than asked");
    assert!(assembly::packed::unpack(&[], 0, 10).is_err(), "no trajectory at all");
    let mut nan = good.clone();
    nan[per + 4] = f64::NAN;
    let msg = assembly::packed::unpack(&nan, 2, 10).err().expect("NaN refused");
    assert!(msg.starts_with("trajectory 2 holds"), "{msg}");
}
