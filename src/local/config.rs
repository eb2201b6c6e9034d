//! The local-structure network's sizes and output bins, shared by the loader (mod.rs) and the
//! layers (model.rs).

/// 3-state order of `LocalStructure::ss3`: helix (DSSP H, G, I), strand (E, B), coil (rest).
pub const SS3_ORDER: &str = "HEC";
/// 8-state order of `LocalStructure::ss8` (DSSP codes; `C` is every other code: coil).
pub const SS8_ORDER: &str = "HGIEBTSC";
/// Bins of phi and psi: bin k covers `[-180 + 10k, -170 + 10k)` degrees.
pub const ANGLE_BINS: usize = 36;
/// Burial bins: the number of other residues of the chain whose virtual CB lies within 10 A
/// of this residue's virtual CB; bin k holds counts in `[BURIAL_EDGES[k-1], BURIAL_EDGES[k])`
/// (bin 0: below 11, bin 4: 23 or more). Higher bins are more buried.
pub const BURIAL_EDGES: [u32; 4] = [11, 15, 19, 23];
/// Number of burial bins.
pub const BURIAL_BINS: usize = BURIAL_EDGES.len() + 1;

/// Network sizes, read from the weights' `local_config` metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalConfig {
    pub channels: usize,
    pub kernel: usize,
    pub dilations: Vec<usize>,
}
