"""webfold training package: the PyTorch twin of the Rust/burn model (docs/DESIGN.md)."""
