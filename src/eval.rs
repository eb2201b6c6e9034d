//! Evaluation against experimental structures (native only: runs the `TMscore` program).
//!
//! - lDDT-CA (computed here): 15 A inclusion radius on the native, thresholds 0.5/1/2/4 A,
//!   over all ordered residue pairs i != j (AlphaFold's `lddt`, pair-weighted), 0-100.
//! - TM-score and GDT-TS: from the `TMscore` program (Debian/Ubuntu package `tm-align`; or set
//!   `WEBFOLD_TMSCORE` to the binary), normalised by the native length. GDT-TS is reported on the
//!   0-100 scale (TMscore prints a 0-1 fraction).
//!
//! Residues are matched by index: the i-th CA of the prediction's first chain with the i-th CA
//! of the native's first chain (CASP natives may be numbered from anything and have gaps; both
//! traces are renumbered 1..L in temporary CA-only files before TMscore sees them).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::pdb::{read_ca_trace, PdbError};
use crate::sequence::three_letter;

/// Scores of one prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// TM-score (0-1), normalised by the native length.
    pub tm: f64,
    /// GDT-TS (0-100).
    pub gdt_ts: f64,
    /// lDDT-CA (0-100).
    pub lddt: f64,
    /// Number of residues compared.
    pub length: usize,
    /// Positions where the prediction's residue name differs from the native's.
    pub seq_mismatches: usize,
}

/// Why a prediction could not be scored.
#[derive(Debug)]
pub enum EvalError {
    Io { path: PathBuf, error: std::io::Error },
    Pdb { path: PathBuf, error: PdbError },
    /// Different numbers of CA atoms.
    LengthMismatch { pred: usize, native: usize },
    /// The TMscore program is missing, failed, or printed something unexpected.
    TmScore(String),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            EvalError::Pdb { path, error } => write!(f, "{}: {error}", path.display()),
            EvalError::LengthMismatch { pred, native } => {
                write!(f, "the prediction has {pred} CA atoms but the native has {native}: residues are matched by index")
            }
            EvalError::TmScore(m) => write!(f, "TMscore: {m}"),
        }
    }
}

impl std::error::Error for EvalError {}

/// lDDT-CA thresholds (Angstrom).
pub const LDDT_THRESHOLDS: [f64; 4] = [0.5, 1.0, 2.0, 4.0];
/// lDDT inclusion radius on the native (Angstrom).
pub const LDDT_RADIUS: f64 = 15.0;

fn d(a: [f32; 3], b: [f32; 3]) -> f64 {
    let (x, y, z) = (a[0] as f64 - b[0] as f64, a[1] as f64 - b[1] as f64, a[2] as f64 - b[2] as f64);
    (x * x + y * y + z * z).sqrt()
}

/// Per-residue lDDT-CA (0-100) and the pair counts behind it: `(scores, preserved, pairs)` where
/// `preserved[i]` sums, over the native neighbours j of i, the fraction of thresholds met.
fn lddt_parts(pred: &[[f32; 3]], native: &[[f32; 3]]) -> (Vec<f64>, Vec<f64>, Vec<usize>) {
    let l = pred.len().min(native.len());
    let mut preserved = vec![0.0; l];
    let mut pairs = vec![0usize; l];
    for i in 0..l {
        for j in 0..l {
            if i == j {
                continue;
            }
            let dn = d(native[i], native[j]);
            if dn >= LDDT_RADIUS || dn.is_nan() {
                continue;
            }
            let diff = (d(pred[i], pred[j]) - dn).abs();
            let ok = LDDT_THRESHOLDS.iter().filter(|&&t| diff < t).count();
            preserved[i] += ok as f64 / LDDT_THRESHOLDS.len() as f64;
            pairs[i] += 1;
        }
    }
    let scores = (0..l).map(|i| if pairs[i] == 0 { 100.0 } else { 100.0 * preserved[i] / pairs[i] as f64 }).collect();
    (scores, preserved, pairs)
}

/// Global lDDT-CA (0-100) of `pred` against `native`, residues matched by index (the shorter
/// length is used). 100 when no pair is within the inclusion radius.
pub fn lddt_ca(pred: &[[f32; 3]], native: &[[f32; 3]]) -> f64 {
    let (_, preserved, pairs) = lddt_parts(pred, native);
    let n: usize = pairs.iter().sum();
    if n == 0 {
        100.0
    } else {
        100.0 * preserved.iter().sum::<f64>() / n as f64
    }
}

/// Per-residue lDDT-CA (0-100): what pLDDT predicts.
pub fn lddt_ca_per_residue(pred: &[[f32; 3]], native: &[[f32; 3]]) -> Vec<f64> {
    lddt_parts(pred, native).0
}

/// The TMscore binary: `$WEBFOLD_TMSCORE`, else `TMscore` on the PATH.
pub fn tmscore_program() -> PathBuf {
    std::env::var_os("WEBFOLD_TMSCORE").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("TMscore"))
}

/// Whether the TMscore binary can be started.
pub fn tmscore_available() -> bool {
    Command::new(tmscore_program()).output().is_ok()
}

/// CA-only PDB text with residues renumbered 1..L.
fn ca_only_pdb(seq: &str, ca: &[[f32; 3]]) -> String {
    let mut out = String::new();
    let letters: Vec<char> = seq.chars().collect();
    for (i, p) in ca.iter().enumerate() {
        let res = three_letter(letters.get(i).copied().unwrap_or('X'));
        out.push_str(&format!(
            "ATOM  {:>5}  CA  {:>3} A{:>4}    {:>8.3}{:>8.3}{:>8.3}{:>6.2}{:>6.2}           C\n",
            (i + 1) % 100_000,
            res,
            (i + 1) % 10_000,
            p[0],
            p[1],
            p[2],
            1.0,
            0.0
        ));
    }
    out.push_str("TER\nEND\n");
    out
}

/// Value after `key` on the first line of `text` containing it.
fn value_after(text: &str, key: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.contains(key))?;
    let rest = &line[line.find(key)? + key.len()..];
    let rest = rest.trim_start_matches(|c: char| c == '=' || c.is_whitespace());
    rest.split(|c: char| c.is_whitespace() || c == '%').next()?.parse().ok()
}

static TMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Run TMscore on two CA traces (matched by index). Returns `(tm, gdt_ts 0-100)`.
pub fn tmscore_ca(pred_seq: &str, pred: &[[f32; 3]], native_seq: &str, native: &[[f32; 3]]) -> Result<(f64, f64), EvalError> {
    let dir = std::env::temp_dir().join(format!(
        "webfold-eval-{}-{}-{}",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|t| t.as_nanos()).unwrap_or(0)
    ));
    let io = |path: &Path, error: std::io::Error| EvalError::Io { path: path.to_path_buf(), error };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let (pp, np) = (dir.join("pred.pdb"), dir.join("native.pdb"));
    let result = (|| {
        std::fs::write(&pp, ca_only_pdb(pred_seq, pred)).map_err(|e| io(&pp, e))?;
        std::fs::write(&np, ca_only_pdb(native_seq, native)).map_err(|e| io(&np, e))?;
        let prog = tmscore_program();
        let out = Command::new(&prog).arg(&pp).arg(&np).output().map_err(|e| {
            EvalError::TmScore(format!(
                "cannot run {}: {e} (install the tm-align package, or set WEBFOLD_TMSCORE)",
                prog.display()
            ))
        })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let tm = value_after(&text, "TM-score    =");
        let gdt = value_after(&text, "GDT-TS-score=");
        match (tm, gdt) {
            (Some(tm), Some(gdt)) => Ok((tm, 100.0 * gdt)),
            _ => {
                let tail: String = text.lines().rev().take(5).collect::<Vec<_>>().join(" | ");
                Err(EvalError::TmScore(format!(
                    "no scores in the output (exit status {}): {tail} {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("")
                )))
            }
        }
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn read_trace(path: &Path) -> Result<(String, Vec<[f32; 3]>), EvalError> {
    let text = std::fs::read(path).map_err(|error| EvalError::Io { path: path.to_path_buf(), error })?;
    let text = String::from_utf8_lossy(&text);
    read_ca_trace(&text).map_err(|error| EvalError::Pdb { path: path.to_path_buf(), error })
}

/// Score a predicted PDB against a native PDB (first chain of each, CA atoms matched by index).
pub fn score(pred_pdb: &Path, native_pdb: &Path) -> Result<Scores, EvalError> {
    let (pseq, pca) = read_trace(pred_pdb)?;
    let (nseq, nca) = read_trace(native_pdb)?;
    if pca.len() != nca.len() {
        return Err(EvalError::LengthMismatch { pred: pca.len(), native: nca.len() });
    }
    let seq_mismatches = pseq.chars().zip(nseq.chars()).filter(|(a, b)| a != b).count();
    let lddt = lddt_ca(&pca, &nca);
    let (tm, gdt_ts) = tmscore_ca(&pseq, &pca, &nseq, &nca)?;
    Ok(Scores { tm, gdt_ts, lddt, length: nca.len(), seq_mismatches })
}

/// One line of an evaluation table.
#[derive(Debug)]
pub struct EvalRow {
    pub id: String,
    pub result: Result<Scores, EvalError>,
}

/// Score `<pred_dir>/<id>.pdb` against `<native_dir>/<id>.pdb` for every id.
pub fn eval_dir(pred_dir: &Path, native_dir: &Path, ids: &[String]) -> Vec<EvalRow> {
    ids.iter()
        .map(|id| EvalRow { id: id.clone(), result: score(&pred_dir.join(format!("{id}.pdb")), &native_dir.join(format!("{id}.pdb"))) })
        .collect()
}

/// Ids from a list file (one per line; blank lines and `#` comments skipped; first word only).
pub fn read_id_list(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// Mean TM-score, GDT-TS and lDDT over the rows that scored (None when none did).
pub fn mean_scores(rows: &[EvalRow]) -> Option<(f64, f64, f64, usize)> {
    let ok: Vec<&Scores> = rows.iter().filter_map(|r| r.result.as_ref().ok()).collect();
    if ok.is_empty() {
        return None;
    }
    let n = ok.len() as f64;
    Some((
        ok.iter().map(|s| s.tm).sum::<f64>() / n,
        ok.iter().map(|s| s.gdt_ts).sum::<f64>() / n,
        ok.iter().map(|s| s.lddt).sum::<f64>() / n,
        ok.len(),
    ))
}

/// Markdown table: one row per target, then the mean over the scored targets.
pub fn markdown_table(rows: &[EvalRow]) -> String {
    let mut out = String::from("| target | length | TM-score | GDT-TS | lDDT-CA |\n|---|---:|---:|---:|---:|\n");
    for r in rows {
        match &r.result {
            Ok(s) => out.push_str(&format!("| {} | {} | {:.3} | {:.2} | {:.2} |\n", r.id, s.length, s.tm, s.gdt_ts, s.lddt)),
            Err(e) => out.push_str(&format!("| {} | - | error: {} | | |\n", r.id, e.to_string().replace('|', "/"))),
        }
    }
    let failed = rows.iter().filter(|r| r.result.is_err()).count();
    match mean_scores(rows) {
        Some((tm, gdt, lddt, n)) => out.push_str(&format!(
            "| **mean ({n} target{}{})** | | {tm:.3} | {gdt:.2} | {lddt:.2} |\n",
            if n == 1 { "" } else { "s" },
            if failed > 0 { format!(", {failed} failed") } else { String::new() }
        )),
        None => out.push_str(&format!("| **mean (no target scored, {failed} failed)** | | - | - | - |\n")),
    }
    out
}
