//! `webfold` command line: predict structures, evaluate them, build the training data.
//!
//! Arguments are parsed by clap (derive): `webfold --help`, `webfold --version` and
//! `webfold SUBCOMMAND --help` print their text and exit with status 0; a usage error (an
//! unknown option, a missing argument) prints clap's message and exits with status 2; any other
//! error (a refused input, a bad option value, an unreadable file) prints `error: ...` and exits
//! with status 1.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use webfold::predict::{Predictor, TemplateSource};
use webfold::sequence::{parse_bytes, ParseOptions};
use webfold::templates::{SearchOptions, TemplateUse, Templates};

/// The committed weights, built into the binary so `webfold predict` needs no other file.
const DEFAULT_WEIGHTS: &[u8] = include_bytes!("../weights/webfold.safetensors");
/// The committed template library (docs/TEMPLATES.md), built in likewise.
const DEFAULT_LIBRARY: &[u8] = include_bytes!("../templates/library.wftl");

/// Protein structure prediction from the amino-acid sequence: full-atom models built on
/// templates of known structure where the library has one, by the network otherwise.
#[derive(Parser)]
#[command(name = "webfold", version, arg_required_else_help = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Predict(PredictArgs),
    Eval(EvalArgs),
    Bench(BenchArgs),
    Search(SearchArgs),
    TemplatesBenchmark(TemplatesBenchmarkArgs),
    Sidechains(SidechainsArgs),
    Check(CheckArgs),
    Data(DataArgs),
}

/// The template search's options, shared by `predict` and `search` (checked by
/// SearchOptions::from_text, as the page checks its Template options).
#[derive(Args)]
struct TemplateSearchArgs {
    /// A template is a hit with E-value <= X (sequence or profile alignment) [default: 1e-3]
    #[arg(long, value_name = "X")]
    template_evalue: Option<String>,
    /// Without a hit at X, the hits up to E-value Y are used as tentative templates (0: never)
    /// [default: 0.1]
    #[arg(long, value_name = "Y")]
    tentative_evalue: Option<String>,
    /// PDB ids (all their chains) or ids + chain (1ABCA) never used, comma-separated
    #[arg(long, value_name = "ID,...")]
    exclude_templates: Option<String>,
    /// Templates above this identity (0-1) are dropped
    #[arg(long, value_name = "F")]
    max_template_identity: Option<String>,
    /// Another template library (.wftl) instead of the built-in one
    #[arg(long, value_name = "FILE")]
    template_library: Option<PathBuf>,
}

/// Predict a structure for every FASTA record: DIR/<id>.pdb (and/or DIR/<id>.cif).
///
/// Writes DIR/<id>.pdb (and/or DIR/<id>.cif, ModelCIF with per-residue pLDDT, with --format
/// cif|both) for every FASTA record (id = the header's first word); '-' reads standard input.
/// B-factor column = pLDDT (0-100). Each record is first searched against the template library
/// (known structures deposited before mid-2018); with a template (E-value <= X, default 1e-3)
/// the model is built on it. Without one, the hits up to E-value Y (default 0.1; 0: never) are
/// used as tentative templates, a low-confidence guess at the fold, said so in the output; with
/// none either, the network predicts it. The templates used are printed and named in REMARK 3
/// lines. Every record is checked before any model work starts. On a terminal, stderr also
/// shows the records done of the total and the time elapsed.
#[derive(Args)]
struct PredictArgs {
    /// FASTA file (or a bare sequence), '-' for standard input
    #[arg(value_name = "INPUT.fasta|-")]
    input: String,
    /// Output directory (created when missing)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Files to write: pdb, cif (ModelCIF) or both
    #[arg(long, value_name = "pdb|cif|both", default_value = "pdb")]
    format: String,
    /// Search the template library first (on) or predict with the network alone (off)
    #[arg(long, value_name = "on|off", default_value = "on")]
    templates: String,
    #[command(flatten)]
    search: TemplateSearchArgs,
    /// Where the network runs: cpu, or wgpu (the GPU; a binary built with --features wgpu)
    #[arg(long, value_name = "cpu|wgpu", default_value = "cpu")]
    device: String,
    /// Network weights (.safetensors) instead of the built-in ones
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// Engines to use: auto (templates, else fragment assembly from the library, else the
    /// network), assembly (fragment assembly without a template search; it reads the library
    /// even with --templates off), network (templates when on, else the network)
    #[arg(long, value_name = "auto|assembly|network", default_value = "auto")]
    method: String,
    #[command(flatten)]
    assembly: AssemblyArgs,
}

/// Options of the fragment assembly (docs/ASSEMBLY.md).
#[derive(Args)]
struct AssemblyArgs {
    /// Monte Carlo trajectories per protein (fewer above 200 residues) [default: 40]
    #[arg(long, value_name = "N")]
    decoys: Option<String>,
    /// Seed of the first trajectory [default: 1]
    #[arg(long = "assembly-seed", value_name = "S")]
    assembly_seed: Option<String>,
    /// Threads that run trajectories [default: the machine's]
    #[arg(long, value_name = "N")]
    threads: Option<String>,
}

/// Score predictions against native structures (TMscore, GDT-TS, CA-lDDT).
///
/// Scores DIR/<id>.pdb against the native structures with TMscore, GDT-TS and CA-lDDT; prints
/// a markdown table per id list (per target and mean).
#[derive(Args)]
struct EvalArgs {
    /// Predictions: DIR/<id>.pdb
    #[arg(long, value_name = "DIR")]
    pred: PathBuf,
    /// Native structures: DIR/<id>.pdb
    #[arg(long, value_name = "DIR")]
    native: PathBuf,
    /// A list of target ids, one per line (repeat for several tables)
    #[arg(long, value_name = "FILE", required = true)]
    ids: Vec<String>,
}

/// Time the network and the template path; print markdown tables.
///
/// Times the network (median of N forwards after a warm-up) on each native backend compiled in
/// (wgpu: build with --features wgpu), with peak host memory and analytic FLOPs; then the
/// template path (library load, search, templated prediction of a library chain of each length
/// with its own entry excluded).
#[derive(Args)]
struct BenchArgs {
    /// Sequence lengths, comma-separated
    #[arg(long, value_name = "L,...", default_value = "50,100,300,1000")]
    lengths: String,
    /// Timed runs per length (after one warm-up)
    #[arg(long, value_name = "N", default_value = "5")]
    repeats: String,
    /// Backends to time, comma-separated (flex: the CPU; wgpu when compiled in) [default: all]
    #[arg(long, value_name = "flex,wgpu")]
    backends: Option<String>,
    /// Network weights (.safetensors) instead of the built-in ones
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// Time the template path too (on) or not (off)
    #[arg(long, value_name = "on|off", default_value = "on")]
    templates: String,
    /// Another template library (.wftl) instead of the built-in one
    #[arg(long, value_name = "FILE")]
    template_library: Option<PathBuf>,
    /// Lengths at which the fragment assembly is timed (one run each, on every hardware
    /// thread), comma-separated; off: not timed. Needs the template library (--templates on)
    #[arg(long, value_name = "L,...|off", default_value = "150,300")]
    assembly_lengths: String,
}

/// Search every record against the template library; print the hits as TSV.
///
/// Columns: query, template, E-value, bits, identity, query/template ranges (1-based), profile
/// E-value, then the alignment as qaln/taln (both aligned ranges with '-' for gaps). E-value and
/// bits are the BLOSUM62 alignment's; identity, ranges and alignment those of the alignment to
/// the template's profile that the model is built on. Last, tentative: yes for the weak hits
/// listed when none reaches the cutoff.
#[derive(Args)]
struct SearchArgs {
    /// FASTA file (or a bare sequence), '-' for standard input
    #[arg(value_name = "INPUT.fasta|-")]
    input: String,
    #[command(flatten)]
    search: TemplateSearchArgs,
    /// Also write the library's sequences as FASTA to FILE (for other tools)
    #[arg(long, value_name = "FILE")]
    library_fasta: Option<PathBuf>,
}

/// Leave-own-entry-out benchmark of the template path on library chains.
///
/// N library chains (seeded sample) predicted with their own PDB entry excluded (the network
/// predicts those without a template), scored with TMscore and CA-lDDT against their own
/// structure, with the estimated TM-score's calibration; writes DIR/chains.tsv,
/// DIR/residues.tsv and DIR/summary.md, and prints the markdown tables. Needs TMscore.
#[derive(Args)]
struct TemplatesBenchmarkArgs {
    /// Output directory
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Number of library chains
    #[arg(long, value_name = "N", default_value = "300")]
    n: String,
    /// Seed of the sample
    #[arg(long, value_name = "S", default_value = "0")]
    seed: String,
    /// A template is a hit with E-value <= X [default: 1e-3]
    #[arg(long, value_name = "X")]
    template_evalue: Option<String>,
    /// Without a hit at X, the hits up to E-value Y are tentative templates (0: never)
    /// [default: 0.1]
    #[arg(long, value_name = "Y")]
    tentative_evalue: Option<String>,
    /// Another template library (.wftl) instead of the built-in one
    #[arg(long, value_name = "FILE")]
    template_library: Option<PathBuf>,
    /// Network weights (.safetensors) instead of the built-in ones
    #[arg(long, value_name = "FILE")]
    weights: Option<PathBuf>,
    /// What predicts the chains without a template: auto (fragment assembly, as `predict`
    /// does) or network
    #[arg(long, value_name = "auto|network", default_value = "auto")]
    method: String,
    /// Benchmark exactly these library chains (names, comma-separated) instead of a sample
    #[arg(long, value_name = "NAME,...")]
    chains: Option<String>,
    #[command(flatten)]
    assembly: AssemblyArgs,
}

/// Repack the side chains of a structure on its backbone.
///
/// Repacks the side chains of the first chain of INPUT.pdb on its backbone (N, CA, C, O, CB as
/// given; residues without CB keep none) with webfold's rotamer packing (docs/SIDECHAINS.md),
/// as predictions get them; writes OUTPUT.pdb.
#[derive(Args)]
struct SidechainsArgs {
    /// The structure whose first chain is repacked
    #[arg(value_name = "INPUT.pdb")]
    input: String,
    /// The repacked structure
    #[arg(long, value_name = "OUTPUT.pdb")]
    out: String,
}

/// Geometry report of PDB files, as a markdown table.
///
/// Bond deviations, CA pairs closer than 3 A, the share of residues whose phi/psi are
/// improbable by the Ramachandran table of docs/TEMPLATES.md, peptide planes, and heavy-atom
/// pairs closer than 2.5 A per 1000 atoms.
#[derive(Args)]
struct CheckArgs {
    /// PDB files, or directories (their *.pdb files)
    #[arg(value_name = "DIR|FILE.pdb", required = true)]
    paths: Vec<PathBuf>,
}

/// Build the training set from Debian's promod3-data.
///
/// Runs scripts/build_data.py under /usr/bin/python3 (apt-get install python3-promod3
/// mmseqs2); ARGS are passed on (`webfold data -- --help` shows the script's own options).
#[derive(Args)]
struct DataArgs {
    /// Arguments for scripts/build_data.py
    #[arg(value_name = "ARGS", trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

fn main() -> ExitCode {
    // As before clap, an option given twice takes its last value, and an option's value is the
    // next argument whatever it looks like (`--tentative-evalue -1` is refused by its own check
    // with its own message, not taken for an unknown option).
    let command = Cli::command().mut_subcommands(|sub| {
        sub.args_override_self(true).mut_args(|a| if a.get_action().takes_values() && !a.is_positional() { a.allow_hyphen_values(true) } else { a })
    });
    let cli = Cli::from_arg_matches(&command.get_matches()).unwrap_or_else(|e| e.exit());
    let result = match cli.command {
        Command::Predict(a) => predict(a),
        Command::Eval(a) => eval(a),
        Command::Bench(a) => bench(a),
        Command::Search(a) => search(a),
        Command::TemplatesBenchmark(a) => templates_benchmark(a),
        Command::Sidechains(a) => sidechains(a),
        Command::Check(a) => check(a),
        Command::Data(a) => data(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// `on` or `off` for `--templates`.
fn on_off(value: &str) -> Result<bool, String> {
    match value {
        "on" => Ok(true),
        "off" => Ok(false),
        other => Err(format!("--templates: '{other}' is not one of on, off")),
    }
}

/// Progress of a batch on stderr, only when stderr is a terminal: a line with the records done
/// of the total and the time elapsed, redrawn before each record and erased before its
/// summary line. Redirected to a file or a pipe, stderr gets the summary lines alone.
struct Progress {
    total: usize,
    start: Instant,
    shown: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress { total, start: Instant::now(), shown: std::io::stderr().is_terminal() }
    }

    /// Before the record after the first `done` starts.
    fn before(&self, done: usize, id: &str, residues: usize) {
        if self.shown {
            eprint!("\r\x1b[K{}", progress_line(done, self.total, self.start.elapsed(), id, residues));
            let _ = std::io::stderr().flush();
        }
    }

    /// During a fragment assembly: `k` of `n` trajectories done.
    fn decoys(&self, done: usize, id: &str, residues: usize, k: usize, n: usize) {
        if self.shown {
            eprint!("\r\x1b[K{}, assembling: trajectory {k} of {n}", progress_line(done, self.total, self.start.elapsed(), id, residues));
            let _ = std::io::stderr().flush();
        }
    }

    /// Erases the progress line (before a record's summary, or a message).
    fn clear(&self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }

    /// After the last record.
    fn finish(&self) {
        if self.shown {
            eprintln!("{} of {} records done in {}", self.total, self.total, elapsed_text(self.start.elapsed()));
        }
    }
}

/// The progress line: `[2/20 records, 1 min 05 s] predicting T0951 (266 residues)`.
fn progress_line(done: usize, total: usize, elapsed: Duration, id: &str, residues: usize) -> String {
    format!("[{done}/{total} records, {}] predicting {id} ({residues} residues)", elapsed_text(elapsed))
}

/// `4.2 s`, `1 min 05 s`, `2 h 03 min`.
fn elapsed_text(d: Duration) -> String {
    let s = d.as_secs();
    if s < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else if s < 3600 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{} h {:02} min", s / 3600, s % 3600 / 60)
    }
}

fn predict(args: PredictArgs) -> Result<(), String> {
    // Every record is validated (lengths included) before any model work starts.
    let records = read_records(&args.input)?;
    let (write_pdb, write_cif) = match args.format.as_str() {
        "pdb" => (true, false),
        "cif" => (false, true),
        "both" => (true, true),
        other => return Err(format!("--format: '{other}' is not one of pdb, cif, both")),
    };
    let search = template_options(&args.search)?;
    let templates = if on_off(&args.templates)? { Some(read_templates(args.search.template_library.as_deref())?) } else { None };
    let source = match &templates {
        Some(t) => TemplateSource::Library(t, &search),
        None => TemplateSource::Off("templates switched off"),
    };
    let weights = read_weights(args.weights.as_deref())?;
    let device = match args.device.as_str() {
        "cpu" => burn::tensor::Device::flex(),
        #[cfg(feature = "wgpu")]
        "wgpu" => burn::tensor::Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        #[cfg(not(feature = "wgpu"))]
        "wgpu" => return Err("--device wgpu: this binary was built without the wgpu feature (cargo build --release --features wgpu)".into()),
        other => return Err(format!("--device: '{other}' is not one of cpu, wgpu")),
    };
    let predictor = Predictor::new(&weights, device).map_err(|e| e.to_string())?;
    let choice = webfold::predict::MethodChoice::parse(&args.method).map_err(|e| format!("--method: {e}"))?;
    let assembly_options = assembly_options(&args.assembly, &search)?;
    // Fragment assembly reads the library: with --templates off only when asked for by name.
    let assembly_library = match (&templates, choice) {
        (None, webfold::predict::MethodChoice::Assembly) => Some(read_templates(args.search.template_library.as_deref())?),
        _ => None,
    };
    let assembly_templates = templates.as_ref().or(assembly_library.as_ref());
    let out = &args.out;
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create '{}': {e}", out.display()))?;
    let progress = Progress::new(records.len());
    for (done, record) in records.iter().enumerate() {
        for w in &record.warnings {
            eprintln!("warning: {}: {w}", record.id);
        }
        progress.before(done, &record.id, record.len());
        // Unique: the parser rejects ids that give the same file name.
        let stem = record.file_stem();
        let mut decoys = |k: usize, n: usize| progress.decoys(done, &record.id, record.len(), k, n);
        let prediction = predictor.predict_choosing(record, &source, choice, assembly_templates.map(|t| (t, &assembly_options)), &mut decoys);
        let mut written = Vec::new();
        for (want, ext) in [(write_pdb, "pdb"), (write_cif, "cif")] {
            if !want {
                continue;
            }
            let path = out.join(format!("{stem}.{ext}"));
            let text = if ext == "pdb" { prediction.pdb(&record.id) } else { prediction.modelcif(&record.id) };
            if let Err(e) = std::fs::write(&path, text) {
                progress.clear();
                return Err(format!("cannot write '{}': {e}", path.display()));
            }
            written.push(path.display().to_string());
        }
        let quality = webfold::geometry::quality_summary(&webfold::geometry::check(&prediction.structure));
        progress.clear();
        eprintln!("{}: {} residues, mean pLDDT {:.1}, estimated TM-score {:.2}, {quality} -> {}", record.id, record.len(), prediction.structure.mean_plddt(), prediction.estimated_tm, written.join(", "));
        eprint!("{}", template_summary(&prediction.templates, templates.is_some(), search.max_evalue, prediction.method));
    }
    progress.finish();
    Ok(())
}

/// Fragment-assembly options from `--decoys`, `--assembly-seed`, `--threads` (the template
/// exclusions apply to fragments and energy counts too).
fn assembly_options(a: &AssemblyArgs, search: &SearchOptions) -> Result<webfold::assembly::AssemblyOptions, String> {
    let mut o = webfold::assembly::AssemblyOptions { exclude: search.exclude.clone(), threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1), ..Default::default() };
    if let Some(v) = &a.decoys {
        o.decoys = v.parse().ok().filter(|&n: &usize| (1..=10_000).contains(&n)).ok_or_else(|| format!("--decoys: '{v}' is not a whole number from 1 to 10000"))?;
    }
    if let Some(v) = &a.assembly_seed {
        o.seed = v.parse().map_err(|_| format!("--assembly-seed: '{v}' is not a whole number from 0 to 18446744073709551615"))?;
    }
    if let Some(v) = &a.threads {
        o.threads = v.parse().ok().filter(|&n: &usize| (1..=1024).contains(&n)).ok_or_else(|| format!("--threads: '{v}' is not a whole number from 1 to 1024"))?;
    }
    Ok(o)
}

/// Reads and parses a FASTA file, or standard input for '-'; errors name the source.
fn read_records(input: &str) -> Result<Vec<webfold::sequence::Record>, String> {
    let bytes = if input == "-" {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b).map_err(|e| format!("reading standard input: {e}"))?;
        b
    } else {
        std::fs::read(input).map_err(|e| format!("cannot read '{input}': {e}"))?
    };
    let source = if input == "-" { "standard input" } else { input };
    parse_bytes(&bytes, &ParseOptions::default()).map_err(|e| format!("{source}: {e}"))
}

/// The template search options from `--template-evalue`, `--exclude-templates`,
/// `--max-template-identity` and `--tentative-evalue`.
fn template_options(a: &TemplateSearchArgs) -> Result<SearchOptions, String> {
    search_options(a.template_evalue.as_deref(), a.exclude_templates.as_deref(), a.max_template_identity.as_deref(), a.tentative_evalue.as_deref())
}

/// SearchOptions from the options' texts (missing: the default).
fn search_options(evalue: Option<&str>, exclude: Option<&str>, identity: Option<&str>, tentative: Option<&str>) -> Result<SearchOptions, String> {
    SearchOptions::from_text(
        evalue.unwrap_or(""),
        exclude.unwrap_or(""),
        identity.unwrap_or(""),
        tentative.unwrap_or(""),
        ["--template-evalue", "--exclude-templates", "--max-template-identity", "--tentative-evalue"],
    )
}

/// The built-in template library, or `--template-library FILE`.
fn read_templates(library: Option<&Path>) -> Result<Templates, String> {
    let (bytes, what) = match library {
        Some(p) => (std::fs::read(p).map_err(|e| format!("cannot read template library '{}': {e}", p.display()))?, p.display().to_string()),
        None => (DEFAULT_LIBRARY.to_vec(), "built-in".to_string()),
    };
    Templates::from_bytes(&bytes).map_err(|e| format!("{e} ({what})"))
}
/// What `webfold predict` prints about the templates of one record.
fn template_summary(used: &[TemplateUse], searched: bool, max_evalue: f64, method: webfold::predict::Method) -> String {
    let made = if method == webfold::predict::Method::Assembly { "assembled from fragments of known structures (low confidence)" } else { "the network's own prediction (low confidence)" };
    if !searched {
        return format!("  templates switched off: {made}\n");
    }
    if used.is_empty() {
        return format!("  no template found (E-value <= {max_evalue:.0e}): {made}\n");
    }
    let mut s = String::new();
    if webfold::templates::are_tentative(used) {
        s.push_str(&format!("  no template at E-value <= {max_evalue:.0e}: built on tentative templates, a low-confidence guess at the fold\n"));
    }
    s.push_str("  template  identity  coverage  E-value   profile E  bits    query      template\n");
    for t in used {
        // Padded columns need whole strings: name and query range are built first.
        let name = t.pdb_id.clone() + " " + &t.chain;
        let query = format!("{}-{}", t.query_from, t.query_to);
        s.push_str(&format!(
            "  {:<8}  {:>7.1}%  {:>7.0}%  {:<8.1e}  {:<9.1e}  {:>6.1}  {:<9}  {}-{}\n",
            name,
            t.identity,
            100.0 * t.coverage,
            t.evalue,
            t.profile_evalue,
            t.bits,
            query,
            t.template_from,
            t.template_to
        ));
    }
    if let Some(note) = webfold::page::unoriented_note(used) {
        s.push_str(&format!("  {note}\n"));
    }
    s
}

fn read_weights(weights: Option<&Path>) -> Result<Vec<u8>, String> {
    match weights {
        Some(p) => std::fs::read(p).map_err(|e| format!("cannot read weights '{}': {e}", p.display())),
        None => Ok(DEFAULT_WEIGHTS.to_vec()),
    }
}

fn eval(args: EvalArgs) -> Result<(), String> {
    for list in &args.ids {
        let text = std::fs::read_to_string(list).map_err(|e| format!("cannot read '{list}': {e}"))?;
        let ids = webfold::eval::read_id_list(&text);
        let rows = webfold::eval::eval_dir(&args.pred, &args.native, &ids);
        println!("### {list}\n\n{}", webfold::eval::markdown_table(&rows));
    }
    Ok(())
}

fn data(args: DataArgs) -> Result<(), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build_data.py");
    let status = std::process::Command::new("/usr/bin/python3")
        .arg(&script)
        .args(&args.args)
        .status()
        .map_err(|e| format!("cannot run /usr/bin/python3 {}: {e} (apt-get install python3-promod3 mmseqs2)", script.display()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", script.display()))
    }
}

// ---- `webfold bench` ------------------------------------------------------------------------

/// Global allocator that counts live heap bytes and their peak, for `webfold bench`
/// (two relaxed atomic operations per allocation; everything else is the system allocator).
mod counting {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    pub struct Counting;
    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);
    static BASE: AtomicUsize = AtomicUsize::new(0);

    fn grew(by: usize) {
        let now = LIVE.fetch_add(by, Relaxed) + by;
        PEAK.fetch_max(now, Relaxed);
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(layout) };
            if !p.is_null() {
                grew(layout.size());
            }
            p
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(layout) };
            if !p.is_null() {
                grew(layout.size());
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) };
            LIVE.fetch_sub(layout.size(), Relaxed);
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if !p.is_null() {
                if new_size >= layout.size() {
                    grew(new_size - layout.size());
                } else {
                    LIVE.fetch_sub(layout.size() - new_size, Relaxed);
                }
            }
            p
        }
    }

    /// [`webfold::bench::HostMemory`] over the counters.
    pub struct Probe;
    impl webfold::bench::HostMemory for Probe {
        fn reset_peak(&self) {
            let now = LIVE.load(Relaxed);
            BASE.store(now, Relaxed);
            PEAK.store(now, Relaxed);
        }
        fn peak_above_reset(&self) -> usize {
            PEAK.load(Relaxed).saturating_sub(BASE.load(Relaxed))
        }
    }
}

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

fn bench(args: BenchArgs) -> Result<(), String> {
    use webfold::bench::{BenchOptions, HostMemory};
    let lengths = args
        .lengths
        .split(',')
        .map(|x| x.trim().parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| format!("--lengths: '{x}' is not a positive integer")))
        .collect::<Result<_, _>>()?;
    let r = &args.repeats;
    let repeats = r.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| format!("--repeats: '{r}' is not a positive integer"))?;
    let options = BenchOptions { lengths, repeats };
    let time_templates = on_off(&args.templates)?;
    let assembly_lengths: Option<Vec<usize>> = match args.assembly_lengths.trim() {
        "off" => None,
        list => Some(
            list.split(',')
                .map(|x| x.trim().parse::<usize>().ok().filter(|&n| webfold::assembly::can_assemble(n)).ok_or_else(|| {
                    format!("--assembly-lengths: '{x}' is not a length the assembly runs at ({}-{} residues) nor 'off'", webfold::assembly::MIN_LENGTH, webfold::assembly::MAX_LENGTH)
                }))
                .collect::<Result<_, _>>()?,
        ),
    };
    let weights = read_weights(args.weights.as_deref())?;
    #[allow(unused_mut)]
    let mut backends: Vec<(&str, burn::tensor::Device)> = vec![("flex (CPU)", burn::tensor::Device::flex())];
    #[cfg(feature = "wgpu")]
    backends.push(("wgpu", burn::tensor::Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)));
    if let Some(list) = &args.backends {
        let wanted: Vec<&str> = list.split(',').map(str::trim).collect();
        let known: Vec<&str> = backends.iter().map(|(n, _)| n.split(' ').next().unwrap_or(n)).collect();
        if let Some(bad) = wanted.iter().find(|w| !known.contains(w)) {
            return Err(format!("--backends: '{bad}' is not available in this build (available: {})", known.join(", ")));
        }
        backends.retain(|(n, _)| wanted.contains(&n.split(' ').next().unwrap_or(n)));
    }
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    eprintln!("webfold bench: lengths {:?}, {} timed runs after 1 warm-up, {threads} hardware threads", options.lengths, options.repeats);
    let mut rows = Vec::new();
    for (name, device) in backends {
        let predictor = Predictor::new(&weights, device).map_err(|e| e.to_string())?;
        let probe = counting::Probe;
        let host: &dyn HostMemory = &probe;
        rows.extend(webfold::bench::run(&predictor, name, &options, Some(host), |r| {
            eprintln!("  {name} L={}: median {:.1} ms", r.length, r.median().as_secs_f64() * 1e3)
        }));
    }
    print!("{}", webfold::bench::markdown(&rows));
    if time_templates {
        let load_start = std::time::Instant::now();
        let t = read_templates(args.template_library.as_deref())?;
        let load = load_start.elapsed();
        let bytes = match &args.template_library {
            Some(p) => std::fs::metadata(p).map(|m| m.len() as usize).unwrap_or(0),
            None => DEFAULT_LIBRARY.len(),
        };
        let probe = counting::Probe;
        let rows = webfold::bench::template_rows(&t, &options.lengths, options.repeats, Some(&probe));
        print!("\n{}", webfold::bench::template_markdown(&rows, load, bytes));
        if let Some(lengths) = assembly_lengths {
            let s = std::time::Instant::now();
            webfold::assembly::data(&t);
            let tables = s.elapsed();
            let rows = webfold::bench::assembly_rows(&t, &lengths, threads, Some(&probe));
            print!("\n{}", webfold::bench::assembly_markdown(&rows, tables));
        }
    }
    Ok(())
}

// ---- `webfold search` -------------------------------------------------------------------------

fn search(args: SearchArgs) -> Result<(), String> {
    let records = read_records(&args.input)?;
    let options = template_options(&args.search)?;
    let t = read_templates(args.search.template_library.as_deref())?;
    if let Some(path) = &args.library_fasta {
        let mut fasta = String::with_capacity(t.library.residues() + 12 * t.library.len());
        for i in 0..t.library.len() {
            fasta.push('>');
            fasta.push_str(t.library.name(i));
            fasta.push('\n');
            fasta.push_str(&String::from_utf8_lossy(t.library.sequence(i)));
            fasta.push('\n');
        }
        std::fs::write(path, fasta).map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
    }
    println!("query\ttemplate\tevalue\tbits\tidentity\tqstart\tqend\ttstart\ttend\tprofile_evalue\tqaln\ttaln\ttentative");
    for r in &records {
        let hits = webfold::templates::search::search(&t.library, &t.index, r.sequence.as_bytes(), &options);
        // Hits above the cutoff are listed only when none reached it: then all are tentative.
        let tentative = hits.first().is_some_and(|h| h.best_evalue() > options.max_evalue);
        if tentative {
            eprintln!("{}: no hit at E-value <= {:.0e}; the tentative hits (E-value <= {:.0e}) are listed", r.id, options.max_evalue, options.tentative_evalue);
        }
        let tentative = if tentative { "yes" } else { "no" };
        for h in hits {
            let (qa, qb) = h.query_range();
            let (ta, tb) = h.template_range();
            let (qaln, taln) = h.aligned(r.sequence.as_bytes(), t.library.sequence(h.chain));
            println!("{}\t{}\t{:.3e}\t{:.1}\t{:.3}\t{}\t{}\t{}\t{}\t{:.3e}\t{qaln}\t{taln}\t{tentative}", r.id, h.name, h.evalue, h.bits, h.identity, qa + 1, qb + 1, ta + 1, tb + 1, h.profile_evalue);
        }
    }
    Ok(())
}

// ---- `webfold templates-benchmark` ------------------------------------------------------------

fn templates_benchmark(args: TemplatesBenchmarkArgs) -> Result<(), String> {
    let out = &args.out;
    let n = &args.n;
    let n = n.parse::<usize>().ok().filter(|&x| x > 0).ok_or_else(|| format!("--n: '{n}' is not a positive integer"))?;
    let seed = &args.seed;
    let seed = seed.parse::<u64>().map_err(|_| format!("--seed: '{seed}' is not a non-negative integer"))?;
    let options = search_options(args.template_evalue.as_deref(), None, None, args.tentative_evalue.as_deref())?;
    let (max_evalue, tentative_evalue) = (options.max_evalue, options.tentative_evalue);
    if !webfold::eval::tmscore_available() {
        return Err("TMscore is needed (apt-get install tm-align, or set WEBFOLD_TMSCORE)".into());
    }
    let t = read_templates(args.template_library.as_deref())?;
    // Chains without a template get what `webfold predict` gives them (--method).
    let predictor = Predictor::new(&read_weights(args.weights.as_deref())?, burn::tensor::Device::flex()).map_err(|e| e.to_string())?;
    // --chains NAME,... benchmarks exactly those library chains (e.g. a tuning set).
    let chains = match &args.chains {
        Some(list) => list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|name| t.library.find(name.trim()).ok_or_else(|| format!("--chains: '{}' is not a library chain", name.trim())))
            .collect::<Result<Vec<usize>, String>>()?,
        None => webfold::templates::benchmark::sample(&t, n, seed),
    };
    eprintln!("templates-benchmark: {} chains (seed {seed}), own PDB entry excluded, E <= {max_evalue:e} (tentative <= {tentative_evalue:e})", chains.len());
    let mut done = 0;
    let assembly = assembly_options(&args.assembly, &options)?;
    let use_assembly = match args.method.as_str() {
        "auto" => true,
        "network" => false,
        other => return Err(format!("--method: '{other}' is not one of auto, network")),
    };
    let no_template = |sequence: &str, exclude: &[String]| {
        if use_assembly && webfold::assembly::can_assemble(sequence.len()) {
            let o = webfold::assembly::AssemblyOptions { exclude: exclude.to_vec(), ..assembly.clone() };
            let m = webfold::assembly::assemble(webfold::assembly::data(&t), &t.library, sequence, Some(&webfold::assembly::predicted_ss3(sequence)), &o, &mut |_, _| {});
            (m.structure, m.estimated_tm)
        } else {
            (predictor.predict_sequence(sequence, &webfold::sequence::tokens(sequence)), webfold::templates::confidence::network_estimated_tm())
        }
    };
    let (results, residues) = webfold::templates::benchmark::run(&t, &chains, &options, out, no_template, |r| {
        done += 1;
        eprintln!("  [{done}/{}] {} L={} templates {} TM {:.3} lDDT {:.1} pLDDT {:.1} ({:.2} s)", chains.len(), r.name, r.length, r.templates, r.tm, r.lddt, r.mean_plddt, r.seconds);
    })?;
    let summary = webfold::templates::benchmark::summary(&results, &residues);
    std::fs::write(out.join("summary.md"), &summary).map_err(|e| e.to_string())?;
    print!("{summary}");
    Ok(())
}

// ---- `webfold sidechains`, `webfold check` ----------------------------------------------------

fn sidechains(args: SidechainsArgs) -> Result<(), String> {
    let (input, out) = (&args.input, &args.out);
    let text = std::fs::read_to_string(input).map_err(|e| format!("cannot read '{input}': {e}"))?;
    let residues = webfold::pdb::read_pdb(&text).map_err(|e| format!("{input}: {e}"))?;
    let first: Vec<_> = webfold::pdb::first_chain(&residues).into_iter().cloned().collect();
    let mut s = webfold::pdb::structure_from_residues(&first).map_err(|e| format!("{input}: {e}"))?;
    webfold::sidechains::add_side_chains(&mut s);
    let title = format!("side chains repacked on the backbone of {}", Path::new(input).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default());
    std::fs::write(out, webfold::pdb::write_pdb(&s, &title)).map_err(|e| format!("cannot write '{out}': {e}"))?;
    let placed = s.side.iter().filter(|a| !a.is_empty()).count();
    eprintln!("{out}: {} residues, side chains placed on {placed}", s.len());
    Ok(())
}

fn check(args: CheckArgs) -> Result<(), String> {
    let mut files = Vec::new();
    for path in args.paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(&path).map_err(|e| format!("cannot read '{}': {e}", path.display()))?;
            let mut found: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|f| f.extension().is_some_and(|x| x == "pdb")).collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path);
        }
    }
    let mut rows = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).map_err(|e| format!("cannot read '{}': {e}", f.display()))?;
        let residues = webfold::pdb::read_pdb(&text).map_err(|e| format!("{}: {e}", f.display()))?;
        let s = webfold::pdb::structure_from_residues(&residues).map_err(|e| format!("{}: {e}", f.display()))?;
        let id = f.file_stem().map(|x| x.to_string_lossy().into_owned()).unwrap_or_default();
        rows.push((id, webfold::geometry::check(&s)));
    }
    print!("{}", webfold::geometry::check::markdown_table(&rows));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn bench_defaults_are_the_library_defaults() {
        let Ok(Cli { command: Command::Bench(args) }) = Cli::try_parse_from(["webfold", "bench"]) else { panic!("webfold bench parses") };
        let d = webfold::bench::BenchOptions::default();
        assert_eq!(args.lengths, d.lengths.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(","));
        assert_eq!(args.repeats, d.repeats.to_string());
    }

    #[test]
    fn progress_line_says_records_done_of_total_and_the_time() {
        assert_eq!(progress_line(2, 20, Duration::from_millis(65_400), "T0951", 266), "[2/20 records, 1 min 05 s] predicting T0951 (266 residues)");
        assert_eq!(elapsed_text(Duration::from_millis(4_240)), "4.2 s");
        assert_eq!(elapsed_text(Duration::from_secs(2 * 3600 + 3 * 60 + 59)), "2 h 03 min");
    }
}
