//! Local structure from the single sequence (docs/LOCAL.md): per residue, probabilities of
//! secondary structure (3 and 8 DSSP states), phi and psi in 10-degree bins, and burial.
//! A small dilated 1D convolution network trained by `train/webfold_train/local/`, run on
//! burn's flex CPU backend (native and wasm alike). Meant for the fragment picker
//! (`src/assembly/`), which scores fragments against these profiles.

pub mod config;
pub mod model;

use burn::store::{ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Int, Tensor, TensorData};

use model::LocalNet;

pub use config::{LocalConfig, ANGLE_BINS, BURIAL_BINS, BURIAL_EDGES, SS3_ORDER, SS8_ORDER};

/// Per-residue probabilities (each row sums to 1), one row per input token.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalStructure {
    /// `[H, E, C]` ([`SS3_ORDER`]).
    pub ss3: Vec<[f32; 3]>,
    /// `[H, G, I, E, B, T, S, C]` ([`SS8_ORDER`]).
    pub ss8: Vec<[f32; 8]>,
    /// phi over [`ANGLE_BINS`] 10-degree bins from -180 degrees. The first residue's phi is
    /// undefined and was never trained: its row is a guess.
    pub phi: Vec<[f32; ANGLE_BINS]>,
    /// psi, binned like phi. The last residue's psi was never trained either.
    pub psi: Vec<[f32; ANGLE_BINS]>,
    /// Burial bins ([`BURIAL_EDGES`]), from exposed to buried.
    pub burial: Vec<[f32; BURIAL_BINS]>,
}

impl LocalStructure {
    /// Number of residues.
    pub fn len(&self) -> usize {
        self.ss3.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ss3.is_empty()
    }
}

/// The shipped weights (`weights/local.safetensors`), built into the CLI and the wasm module.
pub const BUILT_IN: &[u8] = include_bytes!("../../weights/local.safetensors");

/// The network with the shipped weights. They are checked by `tests/local_parity.rs` (every
/// tensor read, labels as documented), so failing to read them is a broken build, not input.
pub fn built_in() -> LocalPredictor {
    LocalPredictor::from_bytes(BUILT_IN).expect("the built-in local-structure weights load (tests/local_parity.rs)")
}

/// The loaded network, ready to predict.
pub struct LocalPredictor {
    net: LocalNet,
    config: LocalConfig,
    device: Device,
}

fn header_metadata(bytes: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    if bytes.len() < 8 {
        return Err("local weights: file too short to be safetensors".into());
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header = bytes
        .get(8..8usize.saturating_add(n))
        .ok_or("local weights: truncated safetensors header")?;
    let header: serde_json::Value =
        serde_json::from_slice(header).map_err(|e| format!("local weights: header is not JSON: {e}"))?;
    match header.get("__metadata__") {
        Some(serde_json::Value::Object(m)) => Ok(m.clone()),
        _ => Err("local weights: no metadata (not a webfold local export?)".into()),
    }
}

fn meta_str<'a>(meta: &'a serde_json::Map<String, serde_json::Value>, key: &str) -> Result<&'a str, String> {
    meta.get(key).and_then(|v| v.as_str()).ok_or_else(|| format!("local weights: metadata lacks '{key}'"))
}

/// Reads the network sizes and checks that the file's label definitions are the ones this code
/// documents (a retrained model with other bins must not be read with the wrong meaning).
pub fn read_config(bytes: &[u8]) -> Result<LocalConfig, String> {
    let meta = header_metadata(bytes)?;
    let cfg: serde_json::Value = serde_json::from_str(meta_str(&meta, "local_config")?)
        .map_err(|e| format!("local weights: local_config is not JSON: {e}"))?;
    let int = |v: &serde_json::Value, name: &str| {
        v.as_u64().map(|x| x as usize).ok_or_else(|| format!("local weights: '{name}' is not an integer"))
    };
    let channels = int(&cfg["channels"], "channels")?;
    let kernel = int(&cfg["kernel"], "kernel")?;
    let dilations = cfg["dilations"]
        .as_array()
        .ok_or("local weights: 'dilations' is not a list")?
        .iter()
        .map(|d| int(d, "dilations"))
        .collect::<Result<Vec<_>, _>>()?;
    if kernel % 2 == 0 || channels == 0 || dilations.contains(&0) {
        return Err(format!("local weights: unsupported sizes {cfg}"));
    }
    let expect = |key: &str, want: String| -> Result<(), String> {
        let got = meta_str(&meta, key)?;
        if got == want {
            Ok(())
        } else {
            Err(format!("local weights: {key} is {got}, this build expects {want}"))
        }
    };
    expect("ss3_order", SS3_ORDER.into())?;
    expect("ss8_order", SS8_ORDER.into())?;
    expect("angle_bins", ANGLE_BINS.to_string())?;
    expect("burial_edges", serde_json::to_string(&BURIAL_EDGES).expect("json"))?;
    Ok(LocalConfig { channels, kernel, dilations })
}

/// `[1, L, N]` logits -> L rows of N probabilities.
fn rows<const N: usize>(logits: Tensor<3>) -> Vec<[f32; N]> {
    let p = softmax(logits, 2).into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 probabilities");
    p.chunks_exact(N).map(|c| c.try_into().expect("N columns")).collect()
}

impl LocalPredictor {
    /// Loads `weights/local.safetensors` (or another export of the same kind) from its bytes:
    /// every tensor must be used and none may be missing.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let config = read_config(bytes)?;
        let device = Device::flex();
        let mut net = LocalNet::new(&config, &device);
        let mut store = SafetensorsStore::from_bytes(Some(bytes.to_vec()))
            .with_from_adapter(PyTorchToBurnAdapter)
            .allow_partial(false);
        let result = net.load_from(&mut store).map_err(|e| format!("local weights: {e}"))?;
        if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
            return Err(format!(
                "local weights: tensor mismatch: errors {:?}, missing {:?}, unused {:?}",
                result.errors, result.missing, result.unused
            ));
        }
        Ok(Self { net, config, device })
    }

    pub fn config(&self) -> &LocalConfig {
        &self.config
    }

    /// Predicts every residue of one sequence of D1 tokens (0..=19 the amino acids in
    /// `ARNDCQEGHILKMFPSTWYV` order, 20 = X; larger values are read as X). An empty sequence
    /// gives an empty result.
    pub fn predict(&self, tokens: &[u8]) -> LocalStructure {
        if tokens.is_empty() {
            return LocalStructure { ss3: vec![], ss8: vec![], phi: vec![], psi: vec![], burial: vec![] };
        }
        let ids: Vec<i32> = tokens.iter().map(|&t| t.min(20) as i32).collect();
        let t = Tensor::<2, Int>::from_data(TensorData::new(ids, [1, tokens.len()]), &self.device);
        let out = self.net.forward(t);
        LocalStructure {
            ss3: rows(out.ss3),
            ss8: rows(out.ss8),
            phi: rows(out.phi),
            psi: rows(out.psi),
            burial: rows(out.burial),
        }
    }
}
