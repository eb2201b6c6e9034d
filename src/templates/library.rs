//! The template library: every chain of the promod3 StructureDB as a name, a sequence and a CA
//! trace, read from one `.wftl` file (format: docs/TEMPLATES.md, written by
//! `scripts/build_templates.py`).
//!
//! CA traces are stored as quantised internal coordinates (CA-CA distance, virtual bond angle,
//! virtual torsion) and decoded on demand: the search needs only the sequences, and a prediction
//! only the traces of the few templates it uses. Each residue also carries its profile class:
//! the StructureDB's sequence profile column, quantised to one of a few classes per amino acid
//! whose frequencies are in the metadata (profile.rs aligns to them).

use std::fmt;

use crate::geometry::{add, V3};

/// First bytes of every library file.
pub const MAGIC: &[u8; 4] = b"WFTL";
/// The only format version this build reads.
pub const VERSION: u32 = 2;
/// Decompressed payloads larger than this are refused (a corrupt or hostile file must not make
/// the page allocate without bound).
const MAX_PAYLOAD: usize = 512 << 20;
/// Order of the 20 frequencies of a profile column in the file (and of the score rows built
/// from them, profile.rs).
pub const AA_ORDER: &[u8; 20] = b"ACDEFGHIKLMNPQRSTVWY";
/// Bins per virtual-torsion axis of the N/C rebuilding table (15 degrees each) plus one marginal.
pub const BB_BINS: usize = 24;

/// Why a library file could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct LibraryError(pub String);

impl fmt::Display for LibraryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "template library: {}", self.0)
    }
}

impl std::error::Error for LibraryError {}

fn err<T>(msg: impl Into<String>) -> Result<T, LibraryError> {
    Err(LibraryError(msg.into()))
}

/// The decoding of internal-coordinate codes ([`Library::code_steps`]).
#[derive(Debug, Clone, Copy)]
pub struct CodeSteps {
    pub d_min: f64,
    pub d_step: f64,
    pub theta_step: f64,
    pub tau_step: f64,
}

/// The decoded library (sequences and codes; CA traces are decoded by [`Library::ca`]).
pub struct Library {
    /// Where the chains come from (e.g. "promod3-data 3.2.1 StructureDB").
    pub source: String,
    /// When the file was built (UTC date).
    pub built: String,
    names: Vec<String>,
    /// Residue offset of each chain, plus the total at the end.
    starts: Vec<usize>,
    sequences: Vec<u8>,
    d: Vec<u8>,
    theta: Vec<u8>,
    tau: Vec<u8>,
    /// Profile class of every residue (< profile_classes).
    profile: Vec<u8>,
    profile_classes: usize,
    /// Frequencies ([`AA_ORDER`]) of class c of amino acid a at index a * classes + c.
    profile_frequencies: Vec<[f64; 20]>,
    d_min: f64,
    d_step: f64,
    theta_step: f64,
    tau_step: f64,
    /// N and C offsets from CA in the local frame of each residue, by virtual-torsion bins
    /// ([`BB_BINS`] + 1 per axis; see [`crate::templates::backbone`]).
    pub backbone_table: Vec<[f64; 6]>,
}

/// The profile classes from the metadata: their number per amino acid and their frequencies,
/// checked (the amino-acid order, a finite non-negative distribution per class).
fn profile_metadata(meta: &serde_json::Value) -> Result<(usize, Vec<[f64; 20]>), LibraryError> {
    let order = meta.get("profile_order").and_then(|v| v.as_str()).unwrap_or("");
    if order.as_bytes() != AA_ORDER {
        return err(format!("metadata's profile_order is '{order}', expected 'ACDEFGHIKLMNPQRSTVWY'"));
    }
    let classes = meta.get("profile_classes").and_then(|v| v.as_u64()).filter(|&k| (1..=256).contains(&k)).ok_or_else(|| LibraryError("metadata lacks 'profile_classes' (1 to 256)".into()))? as usize;
    let values = meta.get("profile_frequencies").and_then(|v| v.as_array()).ok_or_else(|| LibraryError("metadata lacks 'profile_frequencies'".into()))?;
    if values.len() != 20 * classes * 20 {
        return err(format!("profile_frequencies has {} numbers, expected {}", values.len(), 20 * classes * 20));
    }
    let mut rows = Vec::with_capacity(20 * classes);
    for (k, cell) in values.chunks(20).enumerate() {
        let mut row = [0.0; 20];
        for (a, x) in cell.iter().enumerate() {
            row[a] = x.as_f64().filter(|x| x.is_finite() && (0.0..=1.0).contains(x)).ok_or_else(|| LibraryError(format!("profile class {k} holds a frequency outside 0..1")))?;
        }
        let total: f64 = row.iter().sum();
        if (total - 1.0).abs() > 1e-3 {
            return err(format!("the frequencies of profile class {k} add up to {total:.4}, not 1"));
        }
        rows.push(row);
    }
    Ok((classes, rows))
}

/// Little-endian reader over the payload that names what is missing when it runs out.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], LibraryError> {
        match self.at.checked_add(n) {
            Some(end) if end <= self.bytes.len() => {
                let s = &self.bytes[self.at..end];
                self.at = end;
                Ok(s)
            }
            _ => err(format!("file is truncated: {what} needs {n} bytes at offset {}, {} left", self.at, self.bytes.len() - self.at)),
        }
    }
    fn u32(&mut self, what: &str) -> Result<u32, LibraryError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Library {
    /// Reads a `.wftl` file. Every failure (empty, wrong magic, other version, corrupt
    /// compression, inconsistent counts, letters outside A-Z) is an error naming what is wrong.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LibraryError> {
        if bytes.is_empty() {
            return err("the file is empty");
        }
        if bytes.len() < 8 || &bytes[..4] != MAGIC {
            return err("not a webfold template library (the file does not start with 'WFTL')");
        }
        let version = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if version != VERSION {
            return err(format!("format version {version}, but this build reads version {VERSION}"));
        }
        let payload = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&bytes[8..], MAX_PAYLOAD)
            .map_err(|e| LibraryError(format!("the compressed data is corrupt or truncated ({:?})", e.status)))?;
        Self::from_payload(&payload)
    }

    fn from_payload(payload: &[u8]) -> Result<Self, LibraryError> {
        let mut r = Reader { bytes: payload, at: 0 };
        let n_chains = r.u32("the chain count")? as usize;
        let n_res = r.u32("the residue count")? as usize;
        let name_bytes = r.u32("the name block size")? as usize;
        let meta_bytes = r.u32("the metadata size")? as usize;
        let meta: serde_json::Value = serde_json::from_slice(r.take(meta_bytes, "the metadata")?)
            .map_err(|e| LibraryError(format!("metadata is not valid JSON: {e}")))?;
        let names_text = std::str::from_utf8(r.take(name_bytes, "the chain names")?)
            .map_err(|_| LibraryError("chain names are not UTF-8".into()))?;
        let names: Vec<String> = if n_chains == 0 { Vec::new() } else { names_text.split('\n').map(str::to_string).collect() };
        if names.len() != n_chains {
            return err(format!("{} chain names for {n_chains} chains", names.len()));
        }
        let lengths = r.take(2 * n_chains, "the chain lengths")?;
        let mut starts = Vec::with_capacity(n_chains + 1);
        let mut total = 0usize;
        for k in 0..n_chains {
            starts.push(total);
            let len = u16::from_le_bytes([lengths[2 * k], lengths[2 * k + 1]]) as usize;
            if len == 0 {
                return err(format!("chain {} ({}) has no residues", k + 1, names[k]));
            }
            total += len;
        }
        starts.push(total);
        if total != n_res {
            return err(format!("chain lengths add up to {total} residues, the header says {n_res}"));
        }
        let sequences = r.take(n_res, "the sequences")?.to_vec();
        if let Some(p) = sequences.iter().position(|b| !b.is_ascii_uppercase()) {
            let chain = starts.partition_point(|&s| s <= p) - 1;
            return err(format!("byte {} in the sequence of chain {} is not a letter A-Z", sequences[p], names[chain]));
        }
        let d = r.take(n_res, "the CA distance codes")?.to_vec();
        let theta = r.take(n_res, "the CA angle codes")?.to_vec();
        let tau = r.take(n_res, "the CA torsion codes")?.to_vec();
        let profile = r.take(n_res, "the profile classes")?.to_vec();
        if r.at != payload.len() {
            return err(format!("{} unexpected bytes after the profile classes", payload.len() - r.at));
        }
        let num = |key: &str| -> Result<f64, LibraryError> {
            meta.get(key).and_then(|v| v.as_f64()).filter(|v| v.is_finite()).ok_or_else(|| LibraryError(format!("metadata lacks the number '{key}'")))
        };
        let text = |key: &str| meta.get(key).and_then(|v| v.as_str()).unwrap_or("unknown").to_string();
        let table = meta.get("backbone_table").and_then(|v| v.as_array()).ok_or_else(|| LibraryError("metadata lacks 'backbone_table'".into()))?;
        let cells = (BB_BINS + 1) * (BB_BINS + 1);
        if table.len() != cells * 6 {
            return err(format!("backbone_table has {} numbers, expected {}", table.len(), cells * 6));
        }
        let mut backbone_table = Vec::with_capacity(cells);
        for cell in table.chunks(6) {
            let mut v = [0.0; 6];
            for (k, x) in cell.iter().enumerate() {
                v[k] = x.as_f64().filter(|x| x.is_finite() && x.abs() < 10.0).ok_or_else(|| LibraryError("backbone_table holds a value that is not a small finite number".into()))?;
            }
            backbone_table.push(v);
        }
        let (profile_classes, profile_frequencies) = profile_metadata(&meta)?;
        if let Some(p) = profile.iter().position(|&c| c as usize >= profile_classes) {
            let chain = starts.partition_point(|&s| s <= p) - 1;
            return err(format!("residue {} of chain {} has profile class {}, but there are {profile_classes}", p - starts[chain] + 1, names[chain], profile[p]));
        }
        let lib = Library {
            source: text("source"),
            built: text("built"),
            names,
            starts,
            sequences,
            d,
            theta,
            tau,
            profile,
            profile_classes,
            profile_frequencies,
            d_min: num("d_min")?,
            d_step: num("d_step")?,
            theta_step: num("theta_step_deg")?.to_radians(),
            tau_step: num("tau_step_deg")?.to_radians(),
            backbone_table,
        };
        if !(lib.d_step > 0.0 && lib.theta_step > 0.0 && lib.tau_step > 0.0) {
            return err("metadata has a non-positive quantisation step");
        }
        Ok(lib)
    }

    /// Number of chains.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Total number of residues.
    pub fn residues(&self) -> usize {
        self.sequences.len()
    }

    /// Chain name: PDB id + chain id, e.g. `1CRNA`.
    pub fn name(&self, chain: usize) -> &str {
        &self.names[chain]
    }

    /// The chain's PDB entry (the first four characters of its name, upper case).
    pub fn entry(&self, chain: usize) -> &str {
        let n = &self.names[chain];
        &n[..n.len().min(4)]
    }

    /// One-letter sequence (ASCII upper case).
    pub fn sequence(&self, chain: usize) -> &[u8] {
        &self.sequences[self.starts[chain]..self.starts[chain + 1]]
    }

    /// Number of profile classes per amino acid.
    pub fn profile_classes(&self) -> usize {
        self.profile_classes
    }

    /// Frequencies ([`AA_ORDER`]) of profile class `class` of amino acid `aa` (index in
    /// [`AA_ORDER`]).
    pub fn class_frequencies(&self, aa: usize, class: usize) -> &[f64; 20] {
        &self.profile_frequencies[aa * self.profile_classes + class]
    }

    /// The profile class of every residue of a chain.
    pub fn chain_profile_classes(&self, chain: usize) -> &[u8] {
        &self.profile[self.starts[chain]..self.starts[chain + 1]]
    }

    /// The residue offset of chain `chain` in the library's concatenated residue arrays.
    pub fn chain_start(&self, chain: usize) -> usize {
        self.starts[chain]
    }

    /// The raw internal-coordinate codes of every residue (concatenated over chains, as
    /// [`Library::chain_start`] indexes them): CA-CA distance, virtual bond angle and virtual
    /// torsion. Residue k of a chain holds |CA(k-1) CA(k)|, the angle CA(k-2) CA(k-1) CA(k) and
    /// the torsion CA(k-3) CA(k-2) CA(k-1) CA(k) (codes of the first residues are unused).
    pub fn internal_codes(&self) -> (&[u8], &[u8], &[u8]) {
        (&self.d, &self.theta, &self.tau)
    }

    /// How codes decode: distance = d_min + d_step * code (A), angle = theta_step * code,
    /// torsion = tau_step * code - pi (radians).
    pub fn code_steps(&self) -> CodeSteps {
        CodeSteps { d_min: self.d_min, d_step: self.d_step, theta_step: self.theta_step, tau_step: self.tau_step }
    }

    /// Every residue's one-letter code and profile class, concatenated over chains.
    pub fn all_residues(&self) -> (&[u8], &[u8]) {
        (&self.sequences, &self.profile)
    }

    /// The index of the chain called `name` (exact, case-insensitive).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n.eq_ignore_ascii_case(name))
    }

    /// The CA trace of a chain, decoded from its internal coordinates into the library's
    /// canonical frame (CA 0 at the origin, CA 1 on +x, CA 2 in the xy-plane).
    pub fn ca(&self, chain: usize) -> Vec<V3> {
        let (s, e) = (self.starts[chain], self.starts[chain + 1]);
        let mut out: Vec<V3> = Vec::with_capacity(e - s);
        for k in 0..e - s {
            let i = s + k;
            let d = self.d_min + self.d_step * self.d[i] as f64;
            let theta = self.theta_step * self.theta[i] as f64;
            let tau = self.tau_step * self.tau[i] as f64 - std::f64::consts::PI;
            let p = match k {
                0 => [0.0; 3],
                1 => [d, 0.0, 0.0],
                2 => add(out[1], [-d * theta.cos(), d * theta.sin(), 0.0]),
                _ => place(out[k - 3], out[k - 2], out[k - 1], d, theta, tau),
            };
            out.push(p);
        }
        out
    }
}

/// The point at distance `d` from `c`, with angle `theta` (b, c, new) and dihedral `tau`
/// (a, b, c, new), IUPAC sign convention (natural extension reference frame).
pub fn place(a: V3, b: V3, c: V3, d: f64, theta: f64, tau: f64) -> V3 {
    crate::geometry::place_sin_cos(a, b, c, d, (theta.sin(), theta.cos()), (tau.sin(), tau.cos()))
}

/// Dihedral angle (radians, IUPAC sign: positive when, looking along p1 -> p2, p3 is turned
/// clockwise from p0), the inverse of [`place`].
pub fn dihedral(p0: V3, p1: V3, p2: V3, p3: V3) -> f64 {
    let (y, x) = crate::geometry::torsion_y_x(p0, p1, p2, p3);
    y.atan2(x)
}
