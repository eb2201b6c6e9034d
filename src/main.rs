//! `webfold` command line: predict structures, evaluate them, build the training data.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use webfold::predict::{Predictor, TemplateSource};
use webfold::sequence::{parse_bytes, ParseOptions};
use webfold::templates::{SearchOptions, TemplateUse, Templates};

/// The committed weights, built into the binary so `webfold predict` needs no other file.
const DEFAULT_WEIGHTS: &[u8] = include_bytes!("../weights/webfold.safetensors");
/// The committed template library (docs/TEMPLATES.md), built in likewise.
const DEFAULT_LIBRARY: &[u8] = include_bytes!("../templates/library.wftl");

const USAGE: &str = "\
webfold: protein backbone structure prediction from sequence

USAGE:
  webfold predict INPUT.fasta|- --out DIR [--format pdb|cif|both] [--templates on|off] [--template-evalue X]
          [--tentative-evalue Y] [--exclude-templates ID,...] [--max-template-identity F]
          [--template-library FILE] [--device cpu|wgpu] [--weights FILE]
      Writes DIR/<id>.pdb (and/or DIR/<id>.cif, ModelCIF with per-residue pLDDT, with
      --format cif|both) for every FASTA record (id = the header's first word);
      '-' reads standard input. B-factor column = pLDDT (0-100). Each record is first
      searched against the template library (known structures deposited before mid-2018);
      with a template (E-value <= X, default 1e-3) the model is built on it. Without one,
      the hits up to E-value Y (default 0.1; 0: never) are used as tentative templates, a
      low-confidence guess at the fold, said so in the output; with none either, the
      network predicts it. --exclude-templates takes PDB ids (all chains) or ids + chain
      (1ABCA); --max-template-identity drops templates above that identity (0-1). The
      templates used are printed and named in REMARK 3 lines. --device wgpu runs the
      network on the GPU (builds with --features wgpu); default: CPU.
  webfold eval --pred DIR --native DIR --ids FILE [--ids FILE ...]
      Scores DIR/<id>.pdb against native structures with TMscore, GDT-TS and CA-lDDT;
      prints a markdown table per id list (per target and mean).
  webfold bench [--lengths 50,100,300,1000] [--repeats 5] [--backends flex,wgpu] [--weights FILE]
          [--templates on|off] [--template-library FILE]
      Times the network (median of N forwards after a warm-up) on each native backend
      compiled in (wgpu: build with --features wgpu), with peak host memory and analytic
      FLOPs; then the template path (library load, search, templated prediction of a
      library chain of each length with its own entry excluded); prints markdown tables.
  webfold search INPUT.fasta|- [--template-evalue X] [--tentative-evalue Y] [--exclude-templates ID,...]
          [--max-template-identity F] [--template-library FILE] [--library-fasta FILE]
      Searches every record against the template library and prints the hits as TSV
      (query, template, E-value, bits, identity, query/template ranges, 1-based, profile
      E-value, then the alignment as qaln/taln: both aligned ranges with '-' for gaps; E-value
      and bits are the BLOSUM62 alignment's, identity, ranges and alignment those of the
      alignment to the template's profile that the model is built on; last, tentative: yes
      for the weak hits listed when none reaches the cutoff).
      --library-fasta also writes the library's sequences as FASTA (for other tools).
  webfold templates-benchmark --out DIR [--n 300] [--seed 0] [--template-evalue X]
          [--tentative-evalue Y] [--template-library FILE] [--weights FILE]
      Leave-own-entry-out benchmark: N library chains (seeded sample) predicted with
      their own PDB entry excluded (the network predicts those without a template),
      scored with TMscore and CA-lDDT against their own structure, with the estimated
      TM-score's calibration; writes DIR/chains.tsv and DIR/residues.tsv, prints markdown
      tables.
  webfold sidechains INPUT.pdb --out OUTPUT.pdb
      Repacks the side chains of the first chain of INPUT.pdb on its backbone (N, CA, C, O,
      CB as given; residues without CB keep none) with webfold's rotamer packing
      (docs/SIDECHAINS.md), as predictions get them; writes OUTPUT.pdb.
  webfold check DIR|FILE.pdb...
      Geometry report of PDB files (bond deviations, CA pairs closer than 3 A, the share of
      residues whose phi/psi are improbable by the Ramachandran table of docs/TEMPLATES.md,
      Peptide planes, and heavy-atom pairs closer than 2.5 A per 1000 atoms) as markdown.
  webfold data [ARGS...]
      Builds the training set from Debian's promod3-data (runs scripts/build_data.py
      under /usr/bin/python3; ARGS are passed on).
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("predict") => predict(&args[1..]),
        Some("eval") => eval(&args[1..]),
        Some("data") => data(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("check") => check(&args[1..]),
        Some("sidechains") => sidechains(&args[1..]),
        Some("templates-benchmark") => templates_benchmark(&args[1..]),
        Some("search") => search(&args[1..]),
        Some("-h") | Some("--help") | Some("help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown command '{other}'\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Positional arguments, then `--flag value` pairs in the order given.
type SplitArgs = (Vec<String>, Vec<(String, String)>);

/// Splits `args` into positional arguments and `--flag value` pairs (flags may repeat).
fn split_args(args: &[String], flags: &[&str]) -> Result<SplitArgs, String> {
    let mut positional = Vec::new();
    let mut named = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a.starts_with("--") {
            let name = a.trim_start_matches("--");
            if !flags.contains(&name) {
                return Err(format!("unknown option '{a}' (expected one of: --{})", flags.join(", --")));
            }
            let value = it.next().ok_or_else(|| format!("option '{a}' needs a value"))?;
            named.push((name.to_string(), value.clone()));
        } else {
            positional.push(a.clone());
        }
    }
    Ok((positional, named))
}

fn one<'a>(named: &'a [(String, String)], name: &str) -> Option<&'a str> {
    named.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

fn predict(args: &[String]) -> Result<(), String> {
    let (pos, named) = split_args(args, &["out", "format", "weights", "device", "templates", "template-evalue", "tentative-evalue", "exclude-templates", "max-template-identity", "template-library", "method", "decoys", "seed", "threads"])?;
    let [input] = pos.as_slice() else {
        return Err(format!("predict takes one input (a FASTA file or '-'), got {}\n\n{USAGE}", pos.len()));
    };
    let out = PathBuf::from(one(&named, "out").ok_or("predict needs --out DIR")?);
    // Every record is validated (lengths included) before any model work starts.
    let records = read_records(input)?;
    let (write_pdb, write_cif) = match one(&named, "format").unwrap_or("pdb") {
        "pdb" => (true, false),
        "cif" => (false, true),
        "both" => (true, true),
        other => return Err(format!("--format: '{other}' is not one of pdb, cif, both")),
    };
    let search = template_options(&named)?;
    let templates = match one(&named, "templates").unwrap_or("on") {
        "on" => Some(read_templates(&named)?),
        "off" => None,
        other => return Err(format!("--templates: '{other}' is not one of on, off")),
    };
    let source = match &templates {
        Some(t) => TemplateSource::Library(t, &search),
        None => TemplateSource::Off("templates switched off"),
    };
    let weights = read_weights(&named)?;
    let device = match one(&named, "device").unwrap_or("cpu") {
        "cpu" => burn::tensor::Device::flex(),
        #[cfg(feature = "wgpu")]
        "wgpu" => burn::tensor::Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
        #[cfg(not(feature = "wgpu"))]
        "wgpu" => return Err("--device wgpu: this binary was built without the wgpu feature (cargo build --release --features wgpu)".into()),
        other => return Err(format!("--device: '{other}' is not one of cpu, wgpu")),
    };
    let predictor = Predictor::new(&weights, device).map_err(|e| e.to_string())?;
    let choice = webfold::predict::MethodChoice::parse(one(&named, "method").unwrap_or("auto")).map_err(|e| format!("--method: {e}"))?;
    let assembly_options = assembly_options(&named, &search)?;
    // Fragment assembly reads the library: with --templates off only when asked for by name.
    let assembly_library = match (&templates, choice) {
        (None, webfold::predict::MethodChoice::Assembly) => Some(read_templates(&named)?),
        _ => None,
    };
    let assembly_templates = templates.as_ref().or(assembly_library.as_ref());
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create '{}': {e}", out.display()))?;
    for record in &records {
        for w in &record.warnings {
            eprintln!("warning: {}: {w}", record.id);
        }
        // Unique: the parser rejects ids that give the same file name.
        let stem = record.file_stem();
        let started = std::time::Instant::now();
        let mut progress = |done: usize, total: usize| {
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                eprint!("\r{}: decoy {done} of {total} ({:.0} s)", record.id, started.elapsed().as_secs_f64());
                if done == total {
                    eprintln!();
                }
            }
        };
        let prediction = predictor.predict_choosing(record, &source, choice, assembly_templates.map(|t| (t, &assembly_options)), &mut progress);
        let mut written = Vec::new();
        for (want, ext) in [(write_pdb, "pdb"), (write_cif, "cif")] {
            if !want {
                continue;
            }
            let path = out.join(format!("{stem}.{ext}"));
            let text = if ext == "pdb" { prediction.pdb(&record.id) } else { prediction.modelcif(&record.id) };
            std::fs::write(&path, text).map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
            written.push(path.display().to_string());
        }
        let quality = webfold::geometry::quality_summary(&webfold::geometry::check(&prediction.structure));
        eprintln!("{}: {} residues, mean pLDDT {:.1}, estimated TM-score {:.2}, {quality} -> {}", record.id, record.len(), prediction.structure.mean_plddt(), prediction.estimated_tm, written.join(", "));
        eprint!("{}", template_summary(&prediction.templates, templates.is_some(), search.max_evalue, prediction.method));
    }
    Ok(())
}

/// Fragment-assembly options from `--decoys`, `--seed`, `--threads` (the template exclusions
/// apply to fragments too).
fn assembly_options(named: &[(String, String)], search: &SearchOptions) -> Result<webfold::assembly::AssemblyOptions, String> {
    let mut o = webfold::assembly::AssemblyOptions { exclude: search.exclude.clone(), threads: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1), ..Default::default() };
    if let Some(v) = one(named, "decoys") {
        o.decoys = v.parse().ok().filter(|&n: &usize| (1..=10_000).contains(&n)).ok_or_else(|| format!("--decoys: '{v}' is not a whole number from 1 to 10000"))?;
    }
    if let Some(v) = one(named, "seed") {
        o.seed = v.parse().map_err(|_| format!("--seed: '{v}' is not a whole number from 0 to 18446744073709551615"))?;
    }
    if let Some(v) = one(named, "threads") {
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
fn template_options(named: &[(String, String)]) -> Result<SearchOptions, String> {
    let text = |flag: &str| one(named, flag).unwrap_or("");
    SearchOptions::from_text(
        text("template-evalue"),
        text("exclude-templates"),
        text("max-template-identity"),
        text("tentative-evalue"),
        ["--template-evalue", "--exclude-templates", "--max-template-identity", "--tentative-evalue"],
    )
}

/// The built-in template library, or `--template-library FILE`.
fn read_templates(named: &[(String, String)]) -> Result<Templates, String> {
    let (bytes, what) = match one(named, "template-library") {
        Some(p) => (std::fs::read(p).map_err(|e| format!("cannot read template library '{p}': {e}"))?, p.to_string()),
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

fn read_weights(named: &[(String, String)]) -> Result<Vec<u8>, String> {
    match one(named, "weights") {
        Some(p) => std::fs::read(p).map_err(|e| format!("cannot read weights '{p}': {e}")),
        None => Ok(DEFAULT_WEIGHTS.to_vec()),
    }
}

fn eval(args: &[String]) -> Result<(), String> {
    let (pos, named) = split_args(args, &["pred", "native", "ids"])?;
    if !pos.is_empty() {
        return Err(format!("eval takes no positional arguments, got '{}'", pos[0]));
    }
    let pred = Path::new(one(&named, "pred").ok_or("eval needs --pred DIR")?);
    let native = Path::new(one(&named, "native").ok_or("eval needs --native DIR")?);
    let lists: Vec<&str> = named.iter().filter(|(k, _)| k == "ids").map(|(_, v)| v.as_str()).collect();
    if lists.is_empty() {
        return Err("eval needs at least one --ids FILE (one target id per line)".into());
    }
    for list in lists {
        let text = std::fs::read_to_string(list).map_err(|e| format!("cannot read '{list}': {e}"))?;
        let ids = webfold::eval::read_id_list(&text);
        let rows = webfold::eval::eval_dir(pred, native, &ids);
        println!("### {list}\n\n{}", webfold::eval::markdown_table(&rows));
    }
    Ok(())
}

fn data(args: &[String]) -> Result<(), String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/build_data.py");
    let status = std::process::Command::new("/usr/bin/python3")
        .arg(&script)
        .args(args)
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

fn bench(args: &[String]) -> Result<(), String> {
    use webfold::bench::{BenchOptions, HostMemory};
    let (pos, named) = split_args(args, &["lengths", "repeats", "weights", "backends", "templates", "template-library"])?;
    if !pos.is_empty() {
        return Err(format!("bench takes no positional arguments, got '{}'", pos[0]));
    }
    let mut options = BenchOptions::default();
    if let Some(l) = one(&named, "lengths") {
        options.lengths = l
            .split(',')
            .map(|x| x.trim().parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| format!("--lengths: '{x}' is not a positive integer")))
            .collect::<Result<_, _>>()?;
    }
    if let Some(r) = one(&named, "repeats") {
        options.repeats = r.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| format!("--repeats: '{r}' is not a positive integer"))?;
    }
    let weights = read_weights(&named)?;
    #[allow(unused_mut)]
    let mut backends: Vec<(&str, burn::tensor::Device)> = vec![("flex (CPU)", burn::tensor::Device::flex())];
    #[cfg(feature = "wgpu")]
    backends.push(("wgpu", burn::tensor::Device::wgpu(burn::tensor::DeviceKind::DefaultDevice)));
    if let Some(list) = one(&named, "backends") {
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
    if one(&named, "templates").unwrap_or("on") == "on" {
        let load_start = std::time::Instant::now();
        let t = read_templates(&named)?;
        let load = load_start.elapsed();
        let bytes = match one(&named, "template-library") {
            Some(p) => std::fs::metadata(p).map(|m| m.len() as usize).unwrap_or(0),
            None => DEFAULT_LIBRARY.len(),
        };
        let probe = counting::Probe;
        let rows = webfold::bench::template_rows(&t, &options.lengths, options.repeats, Some(&probe));
        print!("\n{}", webfold::bench::template_markdown(&rows, load, bytes));
    }
    Ok(())
}

// ---- `webfold search` -------------------------------------------------------------------------

fn search(args: &[String]) -> Result<(), String> {
    let (pos, named) = split_args(args, &["template-evalue", "tentative-evalue", "exclude-templates", "max-template-identity", "template-library", "library-fasta"])?;
    let [input] = pos.as_slice() else {
        return Err(format!("search takes one input (a FASTA file or '-'), got {}\n\n{USAGE}", pos.len()));
    };
    let records = read_records(input)?;
    let options = template_options(&named)?;
    let t = read_templates(&named)?;
    if let Some(path) = one(&named, "library-fasta") {
        let mut fasta = String::with_capacity(t.library.residues() + 12 * t.library.len());
        for i in 0..t.library.len() {
            fasta.push('>');
            fasta.push_str(t.library.name(i));
            fasta.push('\n');
            fasta.push_str(&String::from_utf8_lossy(t.library.sequence(i)));
            fasta.push('\n');
        }
        std::fs::write(path, fasta).map_err(|e| format!("cannot write '{path}': {e}"))?;
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

fn templates_benchmark(args: &[String]) -> Result<(), String> {
    let (pos, named) = split_args(args, &["out", "n", "seed", "template-evalue", "tentative-evalue", "template-library", "weights", "method", "decoys", "threads", "chains"])?;
    if !pos.is_empty() {
        return Err(format!("templates-benchmark takes no positional arguments, got '{}'", pos[0]));
    }
    let out = PathBuf::from(one(&named, "out").ok_or("templates-benchmark needs --out DIR")?);
    let n = one(&named, "n").unwrap_or("300");
    let n = n.parse::<usize>().ok().filter(|&x| x > 0).ok_or_else(|| format!("--n: '{n}' is not a positive integer"))?;
    let seed = one(&named, "seed").unwrap_or("0");
    let seed = seed.parse::<u64>().map_err(|_| format!("--seed: '{seed}' is not a non-negative integer"))?;
    let options = template_options(&named)?;
    let (max_evalue, tentative_evalue) = (options.max_evalue, options.tentative_evalue);
    if !webfold::eval::tmscore_available() {
        return Err("TMscore is needed (apt-get install tm-align, or set WEBFOLD_TMSCORE)".into());
    }
    let t = read_templates(&named)?;
    // Chains without a template get the network's prediction, as `webfold predict` gives them.
    let predictor = Predictor::new(&read_weights(&named)?, burn::tensor::Device::flex()).map_err(|e| e.to_string())?;
    // --chains NAME,... benchmarks exactly those library chains (e.g. a tuning set) instead of a sample.
    let chains = match one(&named, "chains") {
        Some(list) => list
            .split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|name| t.library.find(name.trim()).ok_or_else(|| format!("--chains: '{}' is not a library chain", name.trim())))
            .collect::<Result<Vec<usize>, String>>()?,
        None => webfold::templates::benchmark::sample(&t, n, seed),
    };
    eprintln!("templates-benchmark: {} chains (seed {seed}), own PDB entry excluded, E <= {max_evalue:e} (tentative <= {tentative_evalue:e})", chains.len());
    let mut done = 0;
    // --seed is the sample's here; the assembly keeps its default seed.
    let assembly = webfold::assembly::AssemblyOptions { seed: webfold::assembly::AssemblyOptions::default().seed, ..assembly_options(&named, &options)? };
    let use_assembly = match one(&named, "method").unwrap_or("auto") {
        "auto" => true,
        "network" => false,
        other => return Err(format!("--method: '{other}' is not one of auto, network")),
    };
    let no_template = |sequence: &str, exclude: &[String]| {
        if use_assembly && webfold::assembly::can_assemble(sequence.len()) {
            let o = webfold::assembly::AssemblyOptions { exclude: exclude.to_vec(), ..assembly.clone() };
            let m = webfold::assembly::assemble(t.assembly(), &t.library, sequence, None, &o, &mut |_, _| {});
            (m.structure, m.estimated_tm)
        } else {
            (predictor.predict_sequence(sequence, &webfold::sequence::tokens(sequence)), webfold::templates::confidence::network_estimated_tm())
        }
    };
    let (results, residues) = webfold::templates::benchmark::run(&t, &chains, &options, &out, no_template, |r| {
        done += 1;
        eprintln!("  [{done}/{}] {} L={} templates {} TM {:.3} lDDT {:.1} pLDDT {:.1} ({:.2} s)", chains.len(), r.name, r.length, r.templates, r.tm, r.lddt, r.mean_plddt, r.seconds);
    })?;
    let summary = webfold::templates::benchmark::summary(&results, &residues);
    std::fs::write(out.join("summary.md"), &summary).map_err(|e| e.to_string())?;
    print!("{summary}");
    Ok(())
}

// ---- `webfold check` ------------------------------------------------------------------------

fn sidechains(args: &[String]) -> Result<(), String> {
    let (pos, named) = split_args(args, &["out"])?;
    let (Some(input), Some(out)) = (pos.first(), one(&named, "out")) else {
        return Err(format!("sidechains needs INPUT.pdb and --out OUTPUT.pdb\n\n{USAGE}"));
    };
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

fn check(args: &[String]) -> Result<(), String> {
    let (pos, _) = split_args(args, &[])?;
    if pos.is_empty() {
        return Err(format!("check needs a directory or PDB files\n\n{USAGE}"));
    }
    let mut files = Vec::new();
    for p in &pos {
        let path = PathBuf::from(p);
        if path.is_dir() {
            let entries = std::fs::read_dir(&path).map_err(|e| format!("cannot read '{p}': {e}"))?;
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
