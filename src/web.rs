//! Browser API (wasm32 only), used by `www/worker.js` inside a Web Worker.
//!
//! The calls:
//! - [`init`]`(weights, allow_gpu)` (async): picks the device (WebGPU when allowed and an adapter
//!   exists, otherwise burn's CPU backend `flex`), loads the weights and says which backend runs
//!   and why.
//! - [`load_templates`]`(bytes)` / [`templates_unavailable`]`(reason)`: the template library
//!   (`templates/library.wftl`, fetched by the worker once the model is ready), or why there is
//!   none.
//! - [`check`]`(text, options)`: the input (every record) and the template options, validated
//!   without predicting; the records' ids and lengths.
//! - [`predict`]`(text, options, index)` (async): parses the text with the same rules as the CLI
//!   (`src/sequence.rs`) and predicts record `index` the way `webfold predict` does, with the
//!   CLI's engine choice (predict::choose_engine): on templates when they are on, the library is
//!   loaded and it has one, otherwise by fragment assembly from the library, or with the network
//!   when templates are off or the library is missing. Returns the PDB and mmCIF texts exactly
//!   as `webfold predict --format both` writes them. The page calls it once per record (a batch).
//!   For the assembly it returns early (`pending: "assembly"`, the number of trajectories):
//! - [`trajectories`]`(text, options, index, from, to)`: trajectories `from..to` of that
//!   assembly, packed (energy and CA trace each), on any worker with the library loaded: the
//!   page runs them on several Web Workers at once (www/pool.js);
//! - [`finish_assembly`]`(index, packed)`: every trajectory in order -> the model, as [`predict`]
//!   returns it (the same PDB as the CLI's).
//! - [`archive`]`(files, stamp)`: the files of a batch in one zip ([`crate::archive`]).
//!
//! Parse errors, option errors, weight and library errors and device failures come back as JS
//! `Error`s carrying the Rust message. Panics are logged to the console with their message (console_error_panic_hook) and
//! leave the instance unusable: the worker reports them and the page starts a fresh worker.

use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::{Array, Float32Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::archive::{zip_archive, ArchiveFile, Stamp};
use crate::model::flops::flops;
use crate::page::{assembly_note, network_note, template_note, template_settings, template_source, LibraryState, TemplateInput, TemplateSettings};
use crate::assembly::{packed, AssemblyOptions, Prepared, PreparedQuery};
use crate::predict::{assembly_prediction, choose_engine, prepare_assembly, structure_from_network, Engine, MethodChoice, Prediction, Predictor};
use crate::sequence::{parse, ParseOptions, Record, MAX_LEN};
use crate::templates::Templates;

struct State {
    predictor: Rc<Predictor>,
    backend: &'static str,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
    /// The WebGPU device, initialised once per instance (burn registers the runtime globally).
    static GPU: RefCell<Option<Device>> = const { RefCell::new(None) };
    /// The template library (independent of the device: it survives a backend change).
    static LIBRARY: RefCell<Rc<LibraryState<Rc<Templates>>>> = RefCell::new(Rc::new(LibraryState::Missing));
}

#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property on a plain fresh object cannot fail.
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

fn js_error(msg: impl AsRef<str>) -> JsValue {
    js_sys::Error::new(msg.as_ref()).into()
}

/// Largest accepted sequence (residues), for the page's text.
#[wasm_bindgen]
pub fn max_len() -> usize {
    MAX_LEN
}

/// The crate version, for the page's footer.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

async fn webgpu_device() -> Result<Device, String> {
    if let Some(d) = GPU.with(|g| g.borrow().clone()) {
        return Ok(d);
    }
    let device = Device::wgpu_options().init_async().await.map_err(|e| format!("{e}"))?;
    GPU.with(|g| *g.borrow_mut() = Some(device.clone()));
    Ok(device)
}

/// Loads the weights on WebGPU (when `allow_gpu` and the browser offers an adapter) or on the
/// CPU. Returns `{backend: "WebGPU" | "CPU", reason, config}`; a JS error when the weights
/// cannot be read. `gpu_failure` (optional) is the reason a previous WebGPU attempt failed,
/// shown in `reason` when the page retries on the CPU.
#[wasm_bindgen]
pub async fn init(weights: Vec<u8>, allow_gpu: bool, gpu_failure: Option<String>) -> Result<JsValue, JsValue> {
    STATE.with(|s| *s.borrow_mut() = None);
    let mut reason;
    let mut chosen: Option<(Predictor, &'static str)> = None;
    if allow_gpu {
        match webgpu_device().await {
            Ok(device) => match Predictor::new(&weights, device) {
                Ok(p) => {
                    reason = "WebGPU adapter found".to_string();
                    chosen = Some((p, "WebGPU"));
                }
                Err(e) => return Err(js_error(e.to_string())),
            },
            Err(e) if e.contains("No adapter") || e.contains("no adapters") => {
                reason = "WebGPU unavailable: the browser offers no WebGPU adapter; running on the CPU".to_string()
            }
            Err(e) => reason = format!("WebGPU unavailable ({e}); running on the CPU"),
        }
    } else {
        reason = match gpu_failure {
            Some(f) => format!("WebGPU failed ({f}); running on the CPU"),
            None => "WebGPU not available in this browser (no adapter); running on the CPU".to_string(),
        };
    }
    let (predictor, backend) = match chosen {
        Some(c) => c,
        None => {
            let p = Predictor::new(&weights, Device::flex()).map_err(|e| js_error(e.to_string()))?;
            (p, "CPU")
        }
    };
    if backend == "CPU" && reason.is_empty() {
        reason = "CPU".to_string();
    }
    let cfg = &predictor.config;
    let config = format!(
        "c_s {} c_z {} blocks {} structure iterations {}",
        cfg.c_s, cfg.c_z, cfg.n_blocks, cfg.n_struct
    );
    STATE.with(|s| *s.borrow_mut() = Some(State { predictor: Rc::new(predictor), backend }));
    let out = Object::new();
    set(&out, "backend", backend);
    set(&out, "reason", reason);
    set(&out, "config", config);
    Ok(out.into())
}

fn wasm_memory_bytes() -> f64 {
    core::arch::wasm32::memory_size(0) as f64 * 65536.0
}

/// Reads the template library (`templates/library.wftl`) and keeps it for [`predict`]. Returns
/// `{chains, residues, source, built, ms, wasm_memory_bytes}` (`ms`: decompressing, decoding and
/// indexing), or a JS error with the reader's message (then predictions say that the library
/// could not be loaded and use the network).
#[wasm_bindgen]
pub fn load_templates(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let t0 = js_sys::Date::now();
    // The old copy is dropped first (with the assembly state that holds it): two copies would
    // double the peak memory.
    LIBRARY.with(|l| *l.borrow_mut() = Rc::new(LibraryState::Missing));
    QUERY.with(|q| *q.borrow_mut() = None);
    PENDING.with(|p| *p.borrow_mut() = None);
    let templates = match Templates::from_bytes(bytes) {
        Ok(t) => t,
        Err(e) => {
            let msg = e.to_string();
            LIBRARY.with(|l| *l.borrow_mut() = Rc::new(LibraryState::Failed(msg.clone())));
            return Err(js_error(msg));
        }
    };
    let out = Object::new();
    set(&out, "chains", templates.library.len() as f64);
    set(&out, "residues", templates.library.residues() as f64);
    set(&out, "source", templates.library.source.as_str());
    set(&out, "built", templates.library.built.as_str());
    LIBRARY.with(|l| *l.borrow_mut() = Rc::new(LibraryState::Loaded(Rc::new(templates))));
    set(&out, "ms", js_sys::Date::now() - t0);
    set(&out, "wasm_memory_bytes", wasm_memory_bytes());
    Ok(out.into())
}

/// Records why the library is not available (e.g. the download failed), for [`predict`]'s
/// sentence.
#[wasm_bindgen]
pub fn templates_unavailable(reason: String) {
    LIBRARY.with(|l| *l.borrow_mut() = Rc::new(LibraryState::Failed(reason)));
}

/// The page's template options: `{useTemplates, evalue, exclude, maxIdentity}` (strings as typed;
/// empty or missing: the CLI's defaults, templates on).
fn settings(options: JsValue) -> Result<TemplateSettings, JsValue> {
    let input: TemplateInput = if options.is_undefined() || options.is_null() {
        TemplateInput::default()
    } else {
        serde_wasm_bindgen::from_value(options).map_err(|e| js_error(format!("template options: {e}")))?
    };
    template_settings(&input).map_err(js_error)
}

/// Checks `text` and the template `options` without predicting: `{records: [{id, length}],
/// warnings}` (the warnings of every record), or a JS error with the parser's message (the same
/// message the CLI prints) or the option's.
#[wasm_bindgen]
pub fn check(text: &str, options: JsValue) -> Result<JsValue, JsValue> {
    let records = parse(text, &ParseOptions::default()).map_err(|e| js_error(e.to_string()))?;
    settings(options)?;
    let list = Array::new();
    for r in &records {
        let item = Object::new();
        set(&item, "id", r.id.as_str());
        set(&item, "length", r.len() as u32);
        list.push(&item);
    }
    let out = Object::new();
    set(&out, "records", list);
    set(&out, "warnings", warnings(records.iter()));
    Ok(out.into())
}

fn warnings<'a>(records: impl Iterator<Item = &'a crate::sequence::Record>) -> Array {
    let list = Array::new();
    for w in records.flat_map(|r| r.warnings.iter()) {
        list.push(&JsValue::from_str(w));
    }
    list
}

/// Predicts record `index` (0-based) of `text` (a bare sequence or FASTA) with the template
/// `options` (see [`check`]), the way `webfold predict` does (the engine is chosen by
/// predict::choose_engine, as in the CLI): on templates when they are on, the library is
/// loaded and it has one; otherwise by fragment assembly, or with the network when templates
/// are off or the library is missing. Returns `{index, id, file_name, cif_file_name, sequence,
/// warnings, pdb, cif, plddt: Float32Array, mean, estimated_tm, quality
/// (geometry::quality_summary), backend, method: "templates" | "assembly" | "network",
/// templates: [{pdb_id, chain, identity, coverage, query_from, query_to, template_from,
/// template_to, evalue, bits, profile_evalue, residues_used, extended_used, alignment_text}],
/// template_note, template_ms, model_ms, post_ms, gflop, wasm_memory_bytes}` where `pdb` and
/// `cif` are exactly the texts `webfold predict --format both` writes for that record and
/// `template_note` is the page's sentence when the network made the structure, the templates
/// are tentative or the structure was assembled (null otherwise). A JS error with the
/// parser's or the option's message for bad input, when `index` is past the last record, or
/// with the device's message when reading results fails.
///
/// When the choice is fragment assembly, it returns early with `{index, id, length,
/// pending: "assembly", decoys}`: the page runs trajectories 0..decoys on several workers
/// ([`trajectories`]) and hands them back in order to [`finish_assembly`], which returns the
/// object above (the same PDB as the CLI's: same trajectories, same seeds, same order).
#[wasm_bindgen]
pub async fn predict(text: String, options: JsValue, index: usize) -> Result<JsValue, JsValue> {
    let t0 = js_sys::Date::now();
    let (record, settings) = record_and_settings(&text, options, index)?;
    let (predictor, backend) = STATE
        .with(|s| s.borrow().as_ref().map(|st| (st.predictor.clone(), st.backend)))
        .ok_or_else(|| js_error("the model is not loaded yet (call init first)"))?;
    let library = LIBRARY.with(|l| l.borrow().clone());
    let source = template_source(&settings, &*library);
    let options = assembly_options(&settings);
    let templates = match &*library {
        LibraryState::Loaded(t) if settings.enabled => Some(t.clone()),
        _ => None,
    };
    let engine = choose_engine(&record, &source, MethodChoice::Auto, templates.as_deref().map(|t| (t, &options)));
    let t1 = js_sys::Date::now();
    let (prediction, note, model_ms, gflop) = match engine {
        Engine::Assembly(why) => {
            let Some(templates) = templates else {
                // Not reached: choose_engine picks the assembly only with a loaded library.
                return Err(js_error("fragment assembly needs the template library, which is not loaded"));
            };
            let decoys = crate::assembly::decoy_count(&options, record.len());
            let out = Object::new();
            set(&out, "index", index as u32);
            set(&out, "id", record.id.as_str());
            set(&out, "length", record.len() as u32);
            set(&out, "pending", "assembly");
            set(&out, "decoys", decoys as u32);
            PENDING.with(|p| *p.borrow_mut() = Some(PendingAssembly { index, record, settings, options, why, templates, decoys, backend, t0 }));
            return Ok(out.into());
        }
        Engine::Templates(p) => {
            let note = template_note(&settings, &p.templates);
            (*p, note, 0.0, 0.0)
        }
        Engine::Network(remarks) => {
            let (atoms, plddt) = predictor.network_async(&record.tokens).await.map_err(js_error)?;
            let ms = js_sys::Date::now() - t1;
            let structure = structure_from_network(&record.sequence, &atoms, &plddt);
            let p = Prediction::network(structure, remarks);
            (p, Some(network_note(&settings, &*library)), ms, flops(&predictor.config, record.len()).total() / 1e9)
        }
    };
    let timing = Timing { t0, t1, model_ms, gflop };
    result_object(index, &record, &prediction, note, backend, timing)
}

/// Record `index` of `text` and the checked template `options`.
fn record_and_settings(text: &str, options: JsValue, index: usize) -> Result<(Record, TemplateSettings), JsValue> {
    let mut records = parse(text, &ParseOptions::default()).map_err(|e| js_error(e.to_string()))?;
    let settings = settings(options)?;
    if index >= records.len() {
        return Err(js_error(format!("record {} asked for, but the input holds {} record(s)", index + 1, records.len())));
    }
    Ok((records.swap_remove(index), settings))
}

/// The assembly's options for the page's template settings: the CLI's defaults, with the
/// excluded templates left out of fragments and energy (every worker derives the same).
fn assembly_options(settings: &TemplateSettings) -> AssemblyOptions {
    AssemblyOptions { exclude: settings.search.exclude.clone(), ..Default::default() }
}

/// An assembly whose trajectories run on the page's workers, between [`predict`] and
/// [`finish_assembly`].
struct PendingAssembly {
    index: usize,
    record: Record,
    settings: TemplateSettings,
    options: AssemblyOptions,
    /// The remark lines that say why no template was used.
    why: Vec<String>,
    templates: Rc<Templates>,
    decoys: usize,
    backend: &'static str,
    /// When [`predict`] started (the search's time counts in the assembly's).
    t0: f64,
}

/// The query a worker last ran trajectories for, kept so that the next batch of its
/// trajectories skips picking the fragments again.
struct CachedQuery {
    sequence: String,
    exclude: Vec<String>,
    /// The library it was prepared on (a reloaded library prepares anew).
    library: Rc<Templates>,
    query: PreparedQuery,
}

thread_local! {
    static PENDING: RefCell<Option<PendingAssembly>> = const { RefCell::new(None) };
    static QUERY: RefCell<Option<CachedQuery>> = const { RefCell::new(None) };
}

/// Runs trajectories `from..to` (0-based, `to` excluded) of the assembly of record `index` of
/// `text` with the template `options` (as [`predict`] would run them: trajectory k has seed
/// 1 + k) and returns them packed in a Float64Array: per trajectory its energy, then its CA
/// trace (x, y, z per residue). Any worker with the template library loaded can run them (no
/// weights needed); the fragments are picked once per query and kept for the next call. A JS
/// error for bad input, a missing library or a range outside 0..decoys.
#[wasm_bindgen]
pub fn trajectories(text: &str, options: JsValue, index: usize, from: usize, to: usize) -> Result<js_sys::Float64Array, JsValue> {
    let (record, settings) = record_and_settings(text, options, index)?;
    let library = LIBRARY.with(|l| l.borrow().clone());
    let templates = match &*library {
        LibraryState::Loaded(t) => t.clone(),
        LibraryState::Failed(why) => return Err(js_error(format!("this worker could not load the template library ({why}), which the assembly needs"))),
        LibraryState::Missing => return Err(js_error("this worker has not loaded the template library, which the assembly needs")),
    };
    let options = assembly_options(&settings);
    let n = crate::assembly::decoy_count(&options, record.len());
    if from >= to || to > n {
        return Err(js_error(format!("trajectories {from}..{to} asked for, but this assembly runs 0..{n}")));
    }
    let prepared = cached_prepared(&record, &templates, &options);
    let mut out = Vec::with_capacity((to - from) * packed::per_decoy(record.len()));
    for k in from..to {
        packed::pack_into(&mut out, &prepared.decoy(k));
    }
    let query = prepared.into_query();
    QUERY.with(|q| *q.borrow_mut() = Some(CachedQuery { sequence: record.sequence.clone(), exclude: options.exclude.clone(), library: templates.clone(), query }));
    Ok(js_sys::Float64Array::from(out.as_slice()))
}

/// The prepared assembly of `record`: the cached one when it is for the same sequence,
/// exclusions and library, otherwise prepared anew (predict::prepare_assembly, as the CLI does).
fn cached_prepared<'a>(record: &Record, templates: &'a Templates, options: &AssemblyOptions) -> Prepared<'a> {
    let cached = QUERY.with(|q| q.borrow_mut().take());
    match cached {
        Some(c) if c.sequence == record.sequence && c.exclude == options.exclude && std::ptr::eq(&*c.library, templates) => {
            Prepared::from_query(crate::assembly::data(templates), &templates.library, c.query)
        }
        _ => prepare_assembly(record, templates, options),
    }
}

/// Finishes the assembly [`predict`] left pending for record `index` from every trajectory,
/// packed as [`trajectories`] returns them and concatenated in trajectory order (0..decoys):
/// the decoys' consensus picks the model, which is made full-atom. Returns [`predict`]'s
/// result object. A JS error when no assembly of that record is pending or `decoys` does not
/// hold exactly as many trajectories as that assembly runs, all finite numbers.
#[wasm_bindgen]
pub fn finish_assembly(index: usize, decoys: &[f64]) -> Result<JsValue, JsValue> {
    let pending = PENDING.with(|p| p.borrow_mut().take()).ok_or_else(|| js_error("no assembly is waiting for its trajectories (call predict first)"))?;
    if pending.index != index {
        let msg = format!("the trajectories are for record {}, but the assembly of record {} is waiting", index + 1, pending.index + 1);
        PENDING.with(|p| *p.borrow_mut() = Some(pending));
        return Err(js_error(msg));
    }
    let decoys = packed::unpack(decoys, pending.decoys, pending.record.len()).map_err(js_error)?;
    let t1 = js_sys::Date::now();
    let model = crate::assembly::finish(&pending.templates.library, &pending.record.sequence, &decoys.trace_refs(), &decoys.energies);
    let prediction = assembly_prediction(model, &pending.options, pending.why);
    let note = Some(assembly_note(&pending.settings));
    // An assembled model's time (search, trajectories on every worker, finish) is in template_ms.
    let timing = Timing { t0: pending.t0, t1: js_sys::Date::now().max(t1), model_ms: 0.0, gflop: 0.0 };
    result_object(index, &pending.record, &prediction, note, pending.backend, timing)
}

/// The wasm linear memory in bytes (it only grows: the peak), for the benchmark's helper rows.
#[wasm_bindgen]
pub fn memory_bytes() -> f64 {
    wasm_memory_bytes()
}

/// When a prediction started (`t0`) and its model was made (`t1`), the network's own time and
/// GFLOP (0 without the network).
struct Timing {
    t0: f64,
    t1: f64,
    model_ms: f64,
    gflop: f64,
}

/// [`predict`]'s result object for `prediction` of `record`.
fn result_object(index: usize, record: &Record, prediction: &Prediction, note: Option<String>, backend: &str, timing: Timing) -> Result<JsValue, JsValue> {
    let t2 = js_sys::Date::now();
    let pdb = prediction.pdb(&record.id);
    let cif = prediction.modelcif(&record.id);
    let t3 = js_sys::Date::now();
    let structure = &prediction.structure;
    let templates = serde_wasm_bindgen::to_value(&prediction.templates).map_err(|e| js_error(format!("templates: {e}")))?;
    // Each template's alignment as the page shows it (formatted here: JS stays thin).
    for (k, t) in prediction.templates.iter().enumerate() {
        let item: Object = Reflect::get_u32(&templates, k as u32)?.unchecked_into();
        set(&item, "alignment_text", t.alignment_text());
    }
    let out = Object::new();
    set(&out, "index", index as u32);
    set(&out, "id", record.id.as_str());
    let stem = record.file_stem();
    set(&out, "file_name", format!("{stem}.pdb"));
    set(&out, "cif_file_name", format!("{stem}.cif"));
    set(&out, "sequence", record.sequence.as_str());
    set(&out, "warnings", warnings(std::iter::once(record)));
    set(&out, "pdb", pdb);
    set(&out, "cif", cif);
    set(&out, "plddt", Float32Array::from(structure.plddt.as_slice()));
    set(&out, "mean", structure.mean_plddt());
    set(&out, "estimated_tm", prediction.estimated_tm);
    set(&out, "quality", crate::geometry::quality_summary(&crate::geometry::check(structure)));
    set(&out, "backend", backend);
    set(&out, "method", prediction.method.name());
    set(&out, "templates", templates);
    set(&out, "template_note", note.map_or(JsValue::NULL, JsValue::from));
    // For the browser benchmark (tests/browser/bench.mjs): template search + model time (also
    // spent when nothing is found; with the fragment assembly on every worker when it made the
    // model), network time (results read back; 0 on templates), post-processing time (relax,
    // O/CB, PDB text; the template model's relax is in template_ms), the network's analytic
    // GFLOP and the wasm linear memory, which only grows, so it is the peak of the CPU
    // backend's host memory.
    let Timing { t0, t1, model_ms, gflop } = timing;
    set(&out, "template_ms", t1 - t0);
    set(&out, "model_ms", model_ms);
    set(&out, "post_ms", (t2 - t1 - model_ms) + (t3 - t2));
    set(&out, "gflop", gflop);
    set(&out, "wasm_memory_bytes", wasm_memory_bytes());
    Ok(out.into())
}

/// The zip archive of `files` (`[{name, text}]`, in that order) as bytes, each entry dated
/// `stamp` (`[year, month, day, hour, minute, second]`, the page's local time; optional). A JS
/// error names a file whose name cannot be used.
#[wasm_bindgen]
pub fn archive(files: JsValue, stamp: JsValue) -> Result<Vec<u8>, JsValue> {
    let files: Vec<ArchiveFile> = serde_wasm_bindgen::from_value(files).map_err(|e| js_error(format!("archive files: {e}")))?;
    let stamp: Option<Stamp> = if stamp.is_undefined() || stamp.is_null() {
        None
    } else {
        Some(serde_wasm_bindgen::from_value(stamp).map_err(|e| js_error(format!("archive date: {e}")))?)
    };
    zip_archive(&files, stamp).map_err(js_error)
}
