//! Browser API (wasm32 only), used by `www/worker.js` inside a Web Worker.
//!
//! Two calls, both async:
//! - [`init`]`(weights, allow_gpu)`: picks the device (WebGPU when allowed and an adapter exists,
//!   otherwise burn's CPU backend `flex`), loads the weights and says which backend runs and why.
//! - [`predict`]`(text)`: parses the text with the same rules as the CLI (`src/sequence.rs`),
//!   predicts the first record and returns its PDB text exactly as `webfold predict` writes it.
//!
//! Parse errors, weight errors and device failures come back as JS `Error`s carrying the Rust
//! message. Panics are logged to the console with their message (console_error_panic_hook) and
//! leave the instance unusable: the worker reports them and the page starts a fresh worker.

use std::cell::RefCell;
use std::rc::Rc;

use burn::tensor::Device;
use js_sys::{Array, Float32Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::pdb::write_pdb;
use crate::model::flops::flops;
use crate::predict::{structure_from_network, Predictor};
use crate::sequence::{parse, ParseOptions, MAX_LEN};

struct State {
    predictor: Rc<Predictor>,
    backend: &'static str,
}

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
    /// The WebGPU device, initialised once per instance (burn registers the runtime globally).
    static GPU: RefCell<Option<Device>> = const { RefCell::new(None) };
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

/// Checks `text` without predicting: `{id, length, warnings, records}` or a JS error with the
/// parser's message (the same message the CLI prints).
#[wasm_bindgen]
pub fn check(text: &str) -> Result<JsValue, JsValue> {
    let records = parse(text, &ParseOptions::default()).map_err(|e| js_error(e.to_string()))?;
    let first = &records[0];
    let out = Object::new();
    set(&out, "id", first.id.as_str());
    set(&out, "length", first.len() as u32);
    set(&out, "records", records.len() as u32);
    set(&out, "warnings", warnings(&records));
    Ok(out.into())
}

fn warnings(records: &[crate::sequence::Record]) -> Array {
    let first = &records[0];
    let list = Array::new();
    for w in &first.warnings {
        list.push(&JsValue::from_str(w));
    }
    if records.len() > 1 {
        list.push(&JsValue::from_str(&format!(
            "the input holds {} FASTA records; only the first ('{}') is predicted here (the CLI predicts all)",
            records.len(),
            first.id
        )));
    }
    list
}

/// Predicts the first record of `text` (a bare sequence or FASTA). Returns
/// `{id, file_name, sequence, warnings, pdb, plddt: Float32Array, mean, backend, model_ms,
/// post_ms, gflop, wasm_memory_bytes}` where `pdb` is
/// exactly the text `webfold predict` writes for that record. A JS error with the parser's
/// message for bad input, or with the device's message when reading results fails.
#[wasm_bindgen]
pub async fn predict(text: String) -> Result<JsValue, JsValue> {
    let records = parse(&text, &ParseOptions::default()).map_err(|e| js_error(e.to_string()))?;
    let (predictor, backend) = STATE
        .with(|s| s.borrow().as_ref().map(|st| (st.predictor.clone(), st.backend)))
        .ok_or_else(|| js_error("the model is not loaded yet (call init first)"))?;
    let record = &records[0];
    let t0 = js_sys::Date::now();
    let (atoms, plddt) = predictor.network_async(&record.tokens).await.map_err(js_error)?;
    let t1 = js_sys::Date::now();
    let structure = structure_from_network(&record.sequence, &atoms, &plddt);
    let pdb = write_pdb(&structure, &record.id);
    let t2 = js_sys::Date::now();
    let out = Object::new();
    set(&out, "id", record.id.as_str());
    set(&out, "file_name", format!("{}.pdb", record.file_stem()));
    set(&out, "sequence", record.sequence.as_str());
    set(&out, "warnings", warnings(&records));
    set(&out, "pdb", pdb);
    set(&out, "plddt", Float32Array::from(structure.plddt.as_slice()));
    set(&out, "mean", structure.mean_plddt());
    set(&out, "backend", backend);
    // For the browser benchmark (tests/browser/bench.mjs): network time (results read back),
    // post-processing time (relax, O/CB, PDB text), the network's analytic GFLOP and the wasm
    // linear memory, which only grows, so it is the peak of the CPU backend's host memory.
    set(&out, "model_ms", t1 - t0);
    set(&out, "post_ms", t2 - t1);
    set(&out, "gflop", flops(&predictor.config, record.len()).total() / 1e9);
    set(&out, "wasm_memory_bytes", (core::arch::wasm32::memory_size(0) * 65536) as f64);
    Ok(out.into())
}
