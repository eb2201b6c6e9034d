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
//!   (`src/sequence.rs`) and predicts record `index` the way `webfold predict` does: on
//!   templates when they are on, the library is loaded and it has one ([`template_model`]),
//!   otherwise by fragment assembly from the library ([`assembly_model`]), or with the network
//!   when templates are off or the library is missing. Returns the PDB and mmCIF texts exactly as `webfold predict
//!   --format both` writes them. The page calls it once per record (a batch).
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
use crate::predict::{model_before_network, structure_from_network, Method, MethodChoice, Prediction, Predictor};
use crate::sequence::{parse, ParseOptions, MAX_LEN};
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
    // The old copy is dropped first: two copies would double the peak memory.
    LIBRARY.with(|l| *l.borrow_mut() = Rc::new(LibraryState::Missing));
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
/// `options` (see [`check`]), the way `webfold predict` does: [`template_model`] first when
/// templates are on and the library is loaded, otherwise (or without a template) the network.
/// Returns `{index, id, file_name, cif_file_name, sequence, warnings, pdb, cif, plddt:
/// Float32Array, mean, estimated_tm, quality (geometry::quality_summary), backend, method: "templates" | "assembly" | "network", templates: [{pdb_id, chain,
/// identity, coverage, query_from, query_to, template_from, template_to, evalue, bits, profile_evalue,
/// residues_used, extended_used}], template_note, template_ms, model_ms, post_ms, gflop, wasm_memory_bytes}`
/// where `pdb` and `cif` are exactly the texts `webfold predict --format both` writes for that
/// record and `template_note` is the page's sentence when the network made the structure or the
/// templates are tentative (null
/// otherwise). A JS error with the parser's or the option's message for bad input, when
/// `index` is past the last record, or with the device's message when reading results fails.
///
/// Without a template (templates on, the library loaded), the structure is assembled from
/// fragments (src/assembly) the way the CLI does it, and `progress` (a function, optional) is
/// called with (decoys done, decoys in all) after each trajectory.
#[wasm_bindgen]
pub async fn predict(text: String, options: JsValue, index: usize, progress: JsValue) -> Result<JsValue, JsValue> {
    let records = parse(&text, &ParseOptions::default()).map_err(|e| js_error(e.to_string()))?;
    let settings = settings(options)?;
    let (predictor, backend) = STATE
        .with(|s| s.borrow().as_ref().map(|st| (st.predictor.clone(), st.backend)))
        .ok_or_else(|| js_error("the model is not loaded yet (call init first)"))?;
    let library = LIBRARY.with(|l| l.borrow().clone());
    let record = records.get(index).ok_or_else(|| {
        js_error(format!("record {} asked for, but the input holds {} record(s)", index + 1, records.len()))
    })?;
    let t0 = js_sys::Date::now();
    let source = template_source(&settings, &*library);
    let options = crate::assembly::AssemblyOptions { exclude: settings.search.exclude.clone(), ..Default::default() };
    let assembly = match &*library {
        LibraryState::Loaded(t) if settings.enabled => Some((&**t, &options)),
        _ => None,
    };
    let callback = progress.dyn_ref::<js_sys::Function>().cloned();
    let mut report = |done: usize, total: usize| {
        if let Some(f) = &callback {
            let _ = f.call2(&JsValue::NULL, &JsValue::from(done as u32), &JsValue::from(total as u32));
        }
    };
    let templated = model_before_network(record, &source, MethodChoice::Auto, assembly, &mut report);
    let t1 = js_sys::Date::now();
    let (prediction, note, model_ms, gflop) = match templated {
        // An assembled model's time (search and assembly) is in template_ms.
        Ok(p) if p.method == Method::Assembly => (p, Some(assembly_note(&settings)), 0.0, 0.0),
        Ok(p) => {
            let note = template_note(&settings, &p.templates);
            (p, note, 0.0, 0.0)
        }
        Err(remarks) => {
            let (atoms, plddt) = predictor.network_async(&record.tokens).await.map_err(js_error)?;
            let ms = js_sys::Date::now() - t1;
            let structure = structure_from_network(&record.sequence, &atoms, &plddt);
            let p = Prediction::network(structure, remarks);
            (p, Some(network_note(&settings, &*library)), ms, flops(&predictor.config, record.len()).total() / 1e9)
        }
    };
    let t2 = js_sys::Date::now();
    let pdb = prediction.pdb(&record.id);
    let cif = prediction.modelcif(&record.id);
    let t3 = js_sys::Date::now();
    let structure = &prediction.structure;
    let method = prediction.method.name();
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
    set(&out, "method", method);
    set(&out, "templates", templates);
    set(&out, "template_note", note.map_or(JsValue::NULL, JsValue::from));
    // For the browser benchmark (tests/browser/bench.mjs): template search + model time (also
    // spent when nothing is found; with the fragment assembly when it made the model), network time (results read back; 0 on templates),
    // post-processing time (relax, O/CB, PDB text; the template model's relax is in
    // template_ms), the network's analytic GFLOP and the wasm linear memory, which only grows,
    // so it is the peak of the CPU backend's host memory.
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
