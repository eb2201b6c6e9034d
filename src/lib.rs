//! webfold: protein backbone structure prediction from sequence, run with burn.
//!
//! Data flow (see docs/DESIGN.md): [`sequence`] (text -> tokens) -> [`model`] (trunk -> frames)
//! -> [`geometry`] (frames -> atoms, relax, checks) -> [`pdb`] (file); [`templates`] builds on
//! known structures instead of the network where the library has a relative, and [`assembly`]
//! puts fragments of them together where it has none.

pub mod model;
pub mod local;
pub mod rigid;
pub mod weights;
pub mod predict;

pub mod geometry;
pub mod page;
pub mod pdb;
pub mod modelcif;
pub mod archive;
pub mod sequence;
pub mod sidechains;
pub mod templates;
pub mod assembly;
#[cfg(not(target_arch = "wasm32"))]
pub mod eval;
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
#[cfg(target_arch = "wasm32")]
pub mod web;
