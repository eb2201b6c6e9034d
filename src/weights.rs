//! Loading the exported PyTorch weights (docs/DESIGN.md D9) through burn-store.

use burn::store::{ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};
use burn::tensor::Device;

use crate::model::{Config, WebFold};

/// Why a weights file could not be used.
#[derive(Debug)]
pub struct WeightsError(pub String);

impl std::fmt::Display for WeightsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "weights: {}", self.0)
    }
}

impl std::error::Error for WeightsError {}

fn err(msg: impl Into<String>) -> WeightsError {
    WeightsError(msg.into())
}

/// Reads the `webfold_config` JSON from a safetensors file's header metadata.
pub fn read_config(bytes: &[u8]) -> Result<Config, WeightsError> {
    if bytes.len() < 8 {
        return Err(err("file too short to be safetensors"));
    }
    let n = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
    let header = bytes.get(8..8usize.saturating_add(n)).ok_or_else(|| err("truncated safetensors header"))?;
    let header: serde_json::Value =
        serde_json::from_slice(header).map_err(|e| err(format!("safetensors header is not JSON: {e}")))?;
    let cfg_text = header
        .get("__metadata__")
        .and_then(|m| m.get("webfold_config"))
        .and_then(|c| c.as_str())
        .ok_or_else(|| err("no webfold_config in the metadata (not a webfold export?)"))?;
    let cfg: serde_json::Value =
        serde_json::from_str(cfg_text).map_err(|e| err(format!("webfold_config is not JSON: {e}")))?;
    let field = |name: &str| {
        cfg.get(name)
            .and_then(|v| v.as_u64())
            .map(|v| v as usize)
            .ok_or_else(|| err(format!("webfold_config lacks the integer '{name}'")))
    };
    Ok(Config {
        c_s: field("c_s")?,
        c_z: field("c_z")?,
        heads: field("heads")?,
        c_o: field("c_o")?,
        c_t: field("c_t")?,
        n_blocks: field("n_blocks")?,
        n_struct: field("n_struct")?,
        ipa_heads: field("ipa_heads")?,
        ipa_c: field("ipa_c")?,
        ipa_pq: field("ipa_pq")?,
        ipa_pv: field("ipa_pv")?,
    })
}

/// Builds the model from safetensors bytes: every tensor must be used and none may be missing.
pub fn load(bytes: &[u8], device: &Device) -> Result<(WebFold, Config), WeightsError> {
    let cfg = read_config(bytes)?;
    let mut model = WebFold::new(&cfg, device);
    let mut store = SafetensorsStore::from_bytes(Some(bytes.to_vec()))
        .with_from_adapter(PyTorchToBurnAdapter)
        .allow_partial(false);
    let result = model.load_from(&mut store).map_err(|e| err(format!("{e}")))?;
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        return Err(err(format!(
            "tensor mismatch: errors {:?}, missing {:?}, unused {:?}",
            result.errors, result.missing, result.unused
        )));
    }
    Ok((model, cfg))
}
