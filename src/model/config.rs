//! The network's sizes, shared by every part of it and by the weights reader.

/// Model sizes (D9); read from the weights file's `webfold_config` metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    pub c_s: usize,
    pub c_z: usize,
    pub heads: usize,
    pub c_o: usize,
    pub c_t: usize,
    pub n_blocks: usize,
    pub n_struct: usize,
    pub ipa_heads: usize,
    pub ipa_c: usize,
    pub ipa_pq: usize,
    pub ipa_pv: usize,
}
