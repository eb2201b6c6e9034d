//! `webfold bench`: model time, peak memory and FLOPs per sequence length (native only).
//!
//! Timing: one warm-up forward, then `repeats` timed forwards; each timed run is
//! [`Predictor::network`], what [`Predictor::predict`] does before post-processing: tokens ->
//! network -> N/CA/C and pLDDT read back to host memory (so lazy/asynchronous backends are
//! synchronised). The median and the
//! minimum are reported; the relaxation, O/CB placement and side-chain packing (D8,
//! [`structure_from_network`]) are timed once separately.
//!
//! Memory: the binary's global allocator counts live bytes ([`HostMemory`]); the reported peak is
//! the largest number of bytes live at once during one forward (results read back included),
//! above what was live before it (weights and model excluded). A GPU backend's device memory
//! does not go through that allocator: for those, [`device_memory_note`] reports what burn's
//! memory pool says after the forward (burn exposes current pool usage, not a peak).
//!
//! FLOPs ([`flops`], in `model/flops.rs` so that the browser build reports them too): an
//! analytic count of the matrix products of one forward pass from the
//! [`Config`](crate::model::Config): 2 FLOPs per multiply-add, for every Linear layer and every
//! batched matmul, including the pair-track contractions (triangle updates, attention, IPA). Biases, LayerNorm,
//! softmax, sigmoid/ReLU, residual additions and frame algebra on 3x3 matrices are not counted:
//! they are O(L^2 c_z) per layer against O(L^2 c_z c) for the products, a few per cent at these
//! sizes. See [`Flops`] for the formula of each component.

use std::time::{Duration, Instant};

pub use crate::model::flops::{flops, Flops};
#[cfg(test)]
use crate::model::Config;
use crate::predict::{structure_from_network, Predictor};
use crate::sequence::ALPHABET;

/// Host memory accounting supplied by the binary (its global allocator).
pub trait HostMemory {
    /// Starts a new peak measurement from the bytes live now.
    fn reset_peak(&self);
    /// Largest number of bytes live since [`HostMemory::reset_peak`], minus those live then.
    fn peak_above_reset(&self) -> usize;
}

/// Options of [`run`].
#[derive(Debug, Clone)]
pub struct BenchOptions {
    pub lengths: Vec<usize>,
    /// Timed forwards per length (after one warm-up).
    pub repeats: usize,
}

impl Default for BenchOptions {
    fn default() -> Self {
        BenchOptions { lengths: vec![50, 100, 300, 1000], repeats: 5 }
    }
}

/// One benchmarked (backend, length).
#[derive(Debug, Clone)]
pub struct BenchRow {
    pub backend: String,
    pub length: usize,
    pub flops: Flops,
    /// Timed forwards, sorted.
    pub times: Vec<Duration>,
    /// Relaxation + O/CB placement (one run).
    pub post: Duration,
    /// Peak host bytes above the baseline during one forward (None: not measured).
    pub peak_host_bytes: Option<usize>,
    /// Device memory remark (GPU backends).
    pub device_memory: Option<String>,
}

impl BenchRow {
    pub fn median(&self) -> Duration {
        let n = self.times.len();
        if n == 0 {
            return Duration::ZERO;
        }
        if n % 2 == 1 {
            self.times[n / 2]
        } else {
            (self.times[n / 2 - 1] + self.times[n / 2]) / 2
        }
    }

    pub fn min(&self) -> Duration {
        self.times.first().copied().unwrap_or(Duration::ZERO)
    }

    /// Achieved GFLOP/s at the median time.
    pub fn gflops_per_s(&self) -> f64 {
        self.flops.total() / self.median().as_secs_f64().max(1e-12) / 1e9
    }
}

/// A deterministic, protein-like sequence of `len` residues (composition does not change the
/// cost; the same text every run).
pub fn bench_sequence(len: usize) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            ALPHABET[(x % 20) as usize] as char
        })
        .collect()
}

/// What burn's memory pool reports for `device` (GPU backends), or `None` when the backend
/// reports nothing (flex).
pub fn device_memory_note(device: &burn::tensor::Device) -> Option<String> {
    device.memory_pool_usage().map(|u| {
        format!(
            "device pool after the forward: {:.1} MiB in use, {:.1} MiB reserved (burn reports current pool usage, not a peak)",
            u.bytes_in_use as f64 / (1 << 20) as f64,
            u.bytes_reserved as f64 / (1 << 20) as f64
        )
    })
}

/// Benchmarks `predictor` on every length of `options`; `progress` gets one line per row.
pub fn run(
    predictor: &Predictor,
    backend: &str,
    options: &BenchOptions,
    host: Option<&dyn HostMemory>,
    mut progress: impl FnMut(&BenchRow),
) -> Vec<BenchRow> {
    let mut rows = Vec::new();
    for &length in &options.lengths {
        let sequence = bench_sequence(length);
        let tokens = crate::sequence::tokens(&sequence);
        // Warm-up (kernel compilation, autotuning, allocator pools), also the memory run.
        if let Some(h) = host {
            h.reset_peak();
        }
        let (atoms, plddt) = predictor.network(&tokens);
        let peak_host_bytes = host.map(|h| h.peak_above_reset());
        let device_memory = device_memory_note(&predictor.device);
        let t = Instant::now();
        let _ = structure_from_network(&sequence, &atoms, &plddt);
        let post = t.elapsed();
        let mut times: Vec<Duration> = (0..options.repeats.max(1))
            .map(|_| {
                let t = Instant::now();
                let out = predictor.network(&tokens);
                let d = t.elapsed();
                drop(out);
                d
            })
            .collect();
        times.sort();
        let row = BenchRow { backend: backend.to_string(), length, flops: flops(&predictor.config, length), times, post, peak_host_bytes, device_memory };
        progress(&row);
        rows.push(row);
    }
    rows
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// The results as markdown: timing/memory table, then the FLOPs per component.
pub fn markdown(rows: &[BenchRow]) -> String {
    let mut out = String::new();
    out.push_str("| backend | L | model GFLOP | median ms | min ms | GFLOP/s | peak host MiB | relax+O/CB+side chains ms |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let mem = match r.peak_host_bytes {
            Some(b) => format!("{:.1}", b as f64 / (1 << 20) as f64),
            None => "n/a".to_string(),
        };
        out.push_str(&format!(
            "| {} | {} | {:.2} | {} | {} | {:.1} | {} | {} |\n",
            r.backend,
            r.length,
            r.flops.total() / 1e9,
            ms(r.median()),
            ms(r.min()),
            r.gflops_per_s(),
            mem,
            ms(r.post)
        ));
    }
    let notes: Vec<String> = rows.iter().filter_map(|r| r.device_memory.as_ref().map(|m| format!("- {} L={}: {m}", r.backend, r.length))).collect();
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes.join("\n"));
        out.push('\n');
    }
    out.push_str("\nModel FLOPs per component (GFLOP, matrix products only, 2 per multiply-add):\n\n");
    out.push_str("| L | embed | attention | transitions | outer | triangle | structure | heads | total |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let mut seen = std::collections::BTreeSet::new();
    for r in rows {
        if !seen.insert(r.length) {
            continue;
        }
        let f = r.flops;
        let g = |x: f64| format!("{:.3}", x / 1e9);
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            r.length,
            g(f.embed),
            g(f.attention),
            g(f.transitions),
            g(f.outer),
            g(f.triangle),
            g(f.structure),
            g(f.heads),
            g(f.total())
        ));
    }
    out
}

/// One templated-prediction timing row of `webfold bench --templates`.
#[derive(Debug, Clone)]
pub struct TemplateBenchRow {
    /// Library chain used as the query (its own PDB entry excluded), and its length.
    pub query: String,
    pub length: usize,
    /// Median of the scan pass alone (search.rs step 1), of the whole search and of the whole
    /// templated prediction (search, choice, model, relax, confidence).
    pub scan: Duration,
    pub search: Duration,
    pub predict: Duration,
    /// Median of the side-chain packing alone (src/sidechains; part of `predict`).
    pub side_chains: Duration,
    pub peak_host_bytes: Option<usize>,
}

/// Library chains, nearest to `len` residues first (ties: library order): the candidates for a
/// benchmark query of that length.
fn chains_by_length(lib: &crate::templates::Library, len: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..lib.len()).collect();
    order.sort_by_key(|&i| (lib.sequence(i).len().abs_diff(len), i));
    order
}

/// Times the template path: for each length, the library chain of nearest length that has a
/// template once its own entry is excluded is the query; `repeats` timed runs, median.
pub fn template_rows(t: &crate::templates::Templates, lengths: &[usize], repeats: usize, memory: Option<&dyn HostMemory>) -> Vec<TemplateBenchRow> {
    use crate::templates::{predict, search::{candidates, search}, SearchOptions};
    let lib = &t.library;
    let mut rows = Vec::new();
    for &len in lengths {
        let order = chains_by_length(lib, len);
        for &k in order.iter().take(50) {
            let seq = String::from_utf8_lossy(lib.sequence(k)).into_owned();
            let options = SearchOptions { exclude: vec![lib.entry(k).to_string()], ..SearchOptions::default() };
            // `predict` finds a template exactly when the search has a hit.
            if search(lib, &t.index, seq.as_bytes(), &options).is_empty() {
                continue;
            }
            let median = |f: &dyn Fn()| {
                let mut v: Vec<Duration> = (0..repeats.max(1)).map(|_| {
                    let s = Instant::now();
                    f();
                    s.elapsed()
                }).collect();
                v.sort();
                v[v.len() / 2]
            };
            let scan_time = median(&|| {
                std::hint::black_box(candidates(lib, &t.index, seq.as_bytes(), &options));
            });
            let search_time = median(&|| {
                std::hint::black_box(search(lib, &t.index, seq.as_bytes(), &options));
            });
            if let Some(m) = memory {
                m.reset_peak();
            }
            // The last prediction is kept to time its side chains alone.
            let model = std::cell::RefCell::new(None);
            let predict_time = median(&|| {
                *model.borrow_mut() = std::hint::black_box(predict(t, &seq, &options));
            });
            let peak_host_bytes = memory.map(|m| m.peak_above_reset());
            let side_chains = match model.into_inner() {
                Some(model) => median(&|| {
                    let mut s = model.structure.clone();
                    crate::sidechains::add_side_chains(&mut s);
                    std::hint::black_box(s);
                }),
                None => Duration::ZERO,
            };
            rows.push(TemplateBenchRow { query: lib.name(k).to_string(), length: seq.len(), scan: scan_time, search: search_time, predict: predict_time, side_chains, peak_host_bytes });
            break;
        }
    }
    rows
}

/// The template rows as markdown.
pub fn template_markdown(rows: &[TemplateBenchRow], load: Duration, library_bytes: usize) -> String {
    let mut out = format!("Template library: {:.1} MB file, loaded and indexed in {} ms.\n\n", library_bytes as f64 / 1e6, ms(load));
    out.push_str("| query (own entry excluded) | L | scan ms | search ms | templated prediction ms | of which side chains ms | peak host MiB |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let mem = r.peak_host_bytes.map_or("n/a".to_string(), |b| format!("{:.1}", b as f64 / (1 << 20) as f64));
        out.push_str(&format!("| {} | {} | {} | {} | {} | {} | {} |\n", r.query, r.length, ms(r.scan), ms(r.search), ms(r.predict), ms(r.side_chains), mem));
    }
    out
}

/// One fragment-assembly timing row of `webfold bench` (one run: an assembly takes seconds to
/// minutes and is deterministic, so repeats would measure the same work again).
#[derive(Debug, Clone)]
pub struct AssemblyBenchRow {
    /// Library chain used as the query (one without any hit once its own entry is excluded), and
    /// its length.
    pub query: String,
    pub length: usize,
    pub decoys: usize,
    pub threads: usize,
    /// The template search that finds nothing (what a prediction spends before assembling).
    pub search: Duration,
    /// Local-structure prediction, fragment picking and energy tables.
    pub prepare: Duration,
    /// The Monte Carlo trajectories.
    pub trajectories: Duration,
    /// Choice of the model and the full-atom steps.
    pub finish: Duration,
    pub peak_host_bytes: Option<usize>,
}

impl AssemblyBenchRow {
    pub fn total(&self) -> Duration {
        self.search + self.prepare + self.trajectories + self.finish
    }
}

/// Times the fragment assembly (src/assembly) with its default options on `threads` threads:
/// for each length, the library chain of nearest length that has no hit at all (not even a
/// tentative one) once its own entry is excluded is the query, assembled with that entry
/// excluded. The library's assembly tables are built before the first row (once per library,
/// reported by the caller as part of loading).
pub fn assembly_rows(t: &crate::templates::Templates, lengths: &[usize], threads: usize, memory: Option<&dyn HostMemory>) -> Vec<AssemblyBenchRow> {
    use crate::assembly::{data, decoys_for_length, predicted_ss3, prepare, AssemblyOptions};
    use crate::templates::{search::search, SearchOptions};
    let lib = &t.library;
    let tables = data(t);
    let mut rows = Vec::new();
    for &len in lengths {
        let order = chains_by_length(lib, len);
        for &k in order.iter().take(200) {
            let seq = String::from_utf8_lossy(lib.sequence(k)).into_owned();
            let exclude = vec![lib.entry(k).to_string()];
            let search_options = SearchOptions { exclude: exclude.clone(), ..SearchOptions::default() };
            let s = Instant::now();
            let hits = search(lib, &t.index, seq.as_bytes(), &search_options);
            let search_time = s.elapsed();
            if !hits.is_empty() || !crate::assembly::can_assemble(seq.len()) {
                continue;
            }
            let options = AssemblyOptions { exclude, threads, ..AssemblyOptions::default() };
            if let Some(m) = memory {
                m.reset_peak();
            }
            let s = Instant::now();
            let ss3 = predicted_ss3(&seq);
            let prepared = prepare(tables, lib, &seq, Some(&ss3), &options);
            let prepare_time = s.elapsed();
            let s = Instant::now();
            let decoys = prepared.decoys(&mut |_, _| {});
            let trajectories = s.elapsed();
            let s = Instant::now();
            std::hint::black_box(prepared.finish(&decoys));
            let finish = s.elapsed();
            let peak_host_bytes = memory.map(|m| m.peak_above_reset());
            rows.push(AssemblyBenchRow {
                query: lib.name(k).to_string(),
                length: seq.len(),
                decoys: decoys_for_length(options.decoys, seq.len()),
                threads,
                search: search_time,
                prepare: prepare_time,
                trajectories,
                finish,
                peak_host_bytes,
            });
            break;
        }
    }
    rows
}

/// The assembly rows as markdown.
pub fn assembly_markdown(rows: &[AssemblyBenchRow], tables: Duration) -> String {
    let mut out = format!("Fragment assembly (default options; the library's assembly tables built once in {} ms):\n\n", ms(tables));
    out.push_str("| query (own entry excluded, no hit) | L | trajectories | threads | search ms | fragments and energy ms | trajectories ms | model ms | total s | peak host MiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for r in rows {
        let mem = r.peak_host_bytes.map_or("n/a".to_string(), |b| format!("{:.1}", b as f64 / (1 << 20) as f64));
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |\n",
            r.query, r.length, r.decoys, r.threads, ms(r.search), ms(r.prepare), ms(r.trajectories), ms(r.finish), r.total().as_secs_f64(), mem
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> Config {
        Config { c_s: 64, c_z: 32, heads: 4, c_o: 16, c_t: 32, n_blocks: 4, n_struct: 4, ipa_heads: 4, ipa_c: 16, ipa_pq: 4, ipa_pv: 6 }
    }

    #[test]
    fn flops_scale_with_the_config() {
        let c = cfg();
        let f1 = flops(&c, 100);
        let f2 = flops(&c, 200);
        // The triangle contraction is cubic: doubling L multiplies it by between 4 and 8.
        assert!(f2.triangle / f1.triangle > 4.0 && f2.triangle / f1.triangle < 8.0);
        // Twice the blocks: trunk doubles, embed/structure/heads unchanged.
        let f3 = flops(&Config { n_blocks: 8, ..c }, 100);
        assert!((f3.trunk() / f1.trunk() - 2.0).abs() < 1e-12);
        assert_eq!((f3.embed, f3.structure, f3.heads), (f1.embed, f1.structure, f1.heads));
        // Hand count of one term: L=1 triangle = 2 * (8 c_z c_t + 2 c_z^2 + 2 c_t c_z + 2 c_t) per block.
        let one = flops(&c, 1);
        let want = 4.0 * 2.0 * (8.0 * 32.0 * 32.0 + 2.0 * 32.0 * 32.0 + 2.0 * 32.0 * 32.0 + 2.0 * 32.0);
        assert_eq!(one.triangle, want);
    }

    #[test]
    fn median_and_sequence() {
        let row = |ms: &[u64]| BenchRow {
            backend: "x".into(),
            length: 1,
            flops: flops(&cfg(), 1),
            times: ms.iter().map(|&m| Duration::from_millis(m)).collect(),
            post: Duration::ZERO,
            peak_host_bytes: None,
            device_memory: None,
        };
        assert_eq!(row(&[1, 2, 9]).median(), Duration::from_millis(2));
        assert_eq!(row(&[1, 3, 5, 9]).median(), Duration::from_millis(4));
        assert_eq!(row(&[1, 3, 5, 9]).min(), Duration::from_millis(1));
        let s = bench_sequence(500);
        assert_eq!(s.len(), 500);
        assert_eq!(s, bench_sequence(500));
        assert!(s.bytes().all(|b| ALPHABET.contains(&b)));
        assert!(ALPHABET.iter().all(|a| s.as_bytes().contains(a)));
    }
}
