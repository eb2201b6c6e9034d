//! `webfold` command line: predict structures, evaluate them, build the training data.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use webfold::predict::Predictor;
use webfold::sequence::{parse_bytes, ParseOptions};

/// The committed weights, built into the binary so `webfold predict` needs no other file.
const DEFAULT_WEIGHTS: &[u8] = include_bytes!("../weights/webfold.safetensors");

const USAGE: &str = "\
webfold: protein backbone structure prediction from sequence

USAGE:
  webfold predict INPUT.fasta|- --out DIR [--device cpu|wgpu] [--weights FILE]
      Writes DIR/<id>.pdb for every FASTA record (id = the header's first word);
      '-' reads standard input. B-factor column = pLDDT (0-100). --device wgpu runs the
      network on the GPU (builds with --features wgpu); default: CPU.
  webfold eval --pred DIR --native DIR --ids FILE [--ids FILE ...]
      Scores DIR/<id>.pdb against native structures with TMscore, GDT-TS and CA-lDDT;
      prints a markdown table per id list (per target and mean).
  webfold bench [--lengths 50,100,300,1000] [--repeats 5] [--backends flex,wgpu] [--weights FILE]
      Times the network (median of N forwards after a warm-up) on each native backend
      compiled in (wgpu: build with --features wgpu), with peak host memory and analytic
      FLOPs; prints markdown tables.
  webfold check DIR|FILE.pdb...
      Geometry report of PDB files (bond deviations, CA pairs closer than 3 A) as markdown.
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

/// Splits `args` into positional arguments and `--flag value` pairs (flags may repeat).
fn split_args(args: &[String], flags: &[&str]) -> Result<(Vec<String>, Vec<(String, String)>), String> {
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
    let (pos, named) = split_args(args, &["out", "weights", "device"])?;
    let [input] = pos.as_slice() else {
        return Err(format!("predict takes one input (a FASTA file or '-'), got {}\n\n{USAGE}", pos.len()));
    };
    let out = PathBuf::from(one(&named, "out").ok_or("predict needs --out DIR")?);
    let bytes = if input == "-" {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b).map_err(|e| format!("reading standard input: {e}"))?;
        b
    } else {
        std::fs::read(input).map_err(|e| format!("cannot read '{input}': {e}"))?
    };
    let source = if input == "-" { "standard input" } else { input.as_str() };
    // Every record is validated (lengths included) before any model work starts.
    let records = parse_bytes(&bytes, &ParseOptions::default()).map_err(|e| format!("{source}: {e}"))?;
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
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create '{}': {e}", out.display()))?;
    let mut seen = std::collections::HashSet::new();
    for record in &records {
        for w in &record.warnings {
            eprintln!("warning: {}: {w}", record.id);
        }
        let stem = record.file_stem();
        if !seen.insert(stem.clone()) {
            return Err(format!("two records map to the same file name '{stem}.pdb'"));
        }
        let structure = predictor.predict(record);
        let path = out.join(format!("{stem}.pdb"));
        let text = webfold::pdb::write_pdb(&structure, &record.id);
        std::fs::write(&path, text).map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
        eprintln!("{}: {} residues, mean pLDDT {:.1} -> {}", record.id, record.len(), structure.mean_plddt(), path.display());
    }
    Ok(())
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
    let (pos, named) = split_args(args, &["lengths", "repeats", "weights", "backends"])?;
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
    Ok(())
}

// ---- `webfold check` ------------------------------------------------------------------------

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
