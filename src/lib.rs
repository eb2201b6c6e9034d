//! webfold: protein backbone structure prediction from sequence, run with burn.
//!
//! Data flow (see docs/DESIGN.md): [`sequence`] (text -> tokens) -> [`model`] (trunk -> frames)
//! -> [`geometry`] (frames -> atoms, relax, checks) -> [`pdb`] (file).
