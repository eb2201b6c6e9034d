"""Local structure from the single sequence (docs/LOCAL.md): a small dilated 1D convolution
network with per-residue heads for secondary structure (3 and 8 states), phi/psi bins and
burial. Its Rust twin is `src/local/`."""
