//! End-to-end tests of the `webfold predict` command line (issue 4): refusals with clear
//! messages, a 1000-residue prediction, determinism across processes, standard input and
//! multi-record FASTA; and the command-line conventions (issue 29): `--help` for every
//! subcommand, `--version`, status 2 for usage errors and 1 for refused values, progress on a
//! terminal only. Runs the real binary with the committed (embedded) weights.

mod common;

use common::XorShift;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use webfold::geometry::check;
use webfold::pdb::{read_pdb, structure_from_residues};
use webfold::sequence::{three_letter, MAX_LEN};

const BIN: &str = env!("CARGO_BIN_EXE_webfold");


/// A fresh, empty scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webfold-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start webfold");
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().expect("wait for webfold")
}

/// `webfold predict FILE --out DIR` on `input`; returns (output, out dir).
fn predict_file(dir: &Path, input: &[u8]) -> (Output, PathBuf) {
    let file = dir.join("input.fasta");
    std::fs::write(&file, input).unwrap();
    let out = dir.join("out");
    let o = run(&["predict", file.to_str().unwrap(), "--out", out.to_str().unwrap()], None);
    (o, out)
}

/// Asserts a refusal: non-zero exit, no panic, nothing written, and stderr containing every
/// one of `needles`. Returns stderr.
fn assert_refused(name: &str, input: &[u8], needles: &[&str]) -> String {
    let dir = scratch(name);
    let (o, out) = predict_file(&dir, input);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!o.status.success(), "{name}: expected a non-zero exit, got {:?}; stderr: {stderr}", o.status);
    assert_eq!(o.status.code(), Some(1), "{name}: expected exit code 1 (an error, not a crash); stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{name}: the CLI panicked: {stderr}");
    assert!(stderr.starts_with("error: "), "{name}: message should start with 'error: ': {stderr}");
    assert!(stderr.contains("input.fasta"), "{name}: message should name the input file: {stderr}");
    for n in needles {
        assert!(stderr.contains(n), "{name}: message should contain {n:?}: {stderr}");
    }
    assert!(!out.exists(), "{name}: nothing should be written for a refused input");
    let _ = std::fs::remove_dir_all(&dir);
    stderr
}

#[test]
fn refuses_empty_file() {
    assert_refused("empty", b"", &["empty"]);
    assert_refused("blank", b" \n\r\n\t\n", &["empty"]);
}

#[test]
fn refuses_random_bytes() {
    let mut rng = XorShift(0x5EED_0004_0000_0001);
    let bytes: Vec<u8> = (0..4096).map(|_| rng.next() as u8).collect();
    // Where the first invalid UTF-8 byte is, computed independently of webfold.
    let offset = std::str::from_utf8(&bytes).expect_err("4 KiB of random bytes are not UTF-8").valid_up_to();
    assert_refused("random", &bytes, &["not UTF-8", &format!("offset {offset}")]);
}

#[test]
fn refuses_non_ascii_letter() {
    // 'É' is the 8th residue of record prot_a (line 3).
    assert_refused("nonascii", ">prot_a some protein\nMKVL\nACDÉFG\n".as_bytes(), &["'prot_a'", "line 3", "residue 8", "'É'", "U+00C9"]);
    // Greek alpha in a bare sequence (record 'query', line 1, residue 3).
    assert_refused("greek", "MKαVL".as_bytes(), &["'query'", "line 1", "residue 3", "U+03B1"]);
}

#[test]
fn refuses_hash() {
    assert_refused("hash", b">first\nMKV\n>second\nMKV#L\n", &["'second'", "line 4", "residue 4", "'#'"]);
}

#[test]
fn refuses_100000_letters() {
    let mut rng = XorShift(0x5EED_0004_0000_0002);
    let seq = rng.protein(100_000);
    let input = format!(">huge\n{seq}\n");
    assert_refused("huge", input.as_bytes(), &["'huge'", "100000 residues", &format!("limit is {MAX_LEN} residues")]);
}

/// geometry::check of the first chain of a PDB text (what `webfold check` reports for it).
fn first_chain_report(text: &str) -> webfold::geometry::GeometryReport {
    let residues = read_pdb(text).unwrap();
    check(&structure_from_residues(&webfold::pdb::first_chain(&residues).into_iter().cloned().collect::<Vec<_>>()).unwrap())
}

/// Reads a written PDB and checks it against the input sequence; returns the file's bytes.
fn check_pdb(path: &Path, sequence: &str) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let text = std::str::from_utf8(&bytes).unwrap();
    let residues = read_pdb(text).unwrap();
    assert_eq!(residues.len(), sequence.len(), "{}: residue count", path.display());
    for (i, (r, aa)) in residues.iter().zip(sequence.chars()).enumerate() {
        assert_eq!(r.name, three_letter(aa), "{}: residue {} name", path.display(), i + 1);
        assert_eq!(r.number, i as i32 + 1);
        for atom in ["N", "CA", "C", "O"] {
            assert!(r.atom(atom).is_some(), "{}: residue {} has no {atom}", path.display(), i + 1);
        }
        assert_eq!(r.atom("CB").is_some(), aa != 'G', "{}: CB of residue {} ({aa})", path.display(), i + 1);
        let b = r.atom("CA").unwrap().b_factor;
        assert!((0.0..=100.0).contains(&b), "{}: pLDDT {b} of residue {} outside 0-100", path.display(), i + 1);
    }
    let structure = structure_from_residues(&residues).unwrap();
    let report = check(&structure);
    assert!(report.is_valid(), "{}: {report}", path.display());
    for line in text.lines() {
        assert_eq!(line.len(), 80, "{}: line not 80 columns: {line:?}", path.display());
    }
    bytes
}

#[test]
fn predicts_1000_residues() {
    let mut rng = XorShift(0x5EED_0004_0000_0003);
    let seq = rng.protein(1000);
    let dir = scratch("l1000");
    let input = format!(">long_one\n{}\n", seq.as_bytes().chunks(60).map(|c| std::str::from_utf8(c).unwrap()).collect::<Vec<_>>().join("\n"));
    let (o, out) = predict_file(&dir, input.as_bytes());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "webfold predict failed: {stderr}");
    assert!(!stderr.contains("panicked"));
    let files: Vec<_> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, vec![std::ffi::OsString::from("long_one.pdb")]);
    check_pdb(&out.join("long_one.pdb"), &seq);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn same_input_gives_identical_bytes_in_two_processes() {
    let mut rng = XorShift(0x5EED_0004_0000_0004);
    let seq = rng.protein(150);
    let input = format!(">det\n{seq}\n");
    let (d1, d2) = (scratch("det1"), scratch("det2"));
    let (o1, out1) = predict_file(&d1, input.as_bytes());
    let (o2, out2) = predict_file(&d2, input.as_bytes());
    assert!(o1.status.success() && o2.status.success(), "{}{}", String::from_utf8_lossy(&o1.stderr), String::from_utf8_lossy(&o2.stderr));
    let a = check_pdb(&out1.join("det.pdb"), &seq);
    let b = check_pdb(&out2.join("det.pdb"), &seq);
    assert!(a == b, "two runs on the same input wrote different files");
    let _ = std::fs::remove_dir_all(&d1);
    let _ = std::fs::remove_dir_all(&d2);
}

#[test]
fn reads_standard_input() {
    let mut rng = XorShift(0x5EED_0004_0000_0005);
    let seq = rng.protein(40);
    // A bare sequence (no header), lowercase, CRLF and a trailing stop.
    let input = format!("{}\r\n{}*\r\n", seq[..20].to_lowercase(), &seq[20..]);
    let dir = scratch("stdin");
    let out = dir.join("out");
    let o = run(&["predict", "-", "--out", out.to_str().unwrap()], Some(input.as_bytes()));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "webfold predict - failed: {stderr}");
    let from_stdin = check_pdb(&out.join("query.pdb"), &seq);
    // The same text from a file gives the same bytes.
    let (o2, out2) = predict_file(&dir, input.as_bytes());
    assert!(o2.status.success());
    assert!(std::fs::read(out2.join("query.pdb")).unwrap() == from_stdin, "stdin and file input differ");
    // Refusals via standard input name it.
    let o = run(&["predict", "-", "--out", out.to_str().unwrap()], Some(b"MKV#"));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr.contains("standard input") && stderr.contains("'#'"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn multi_record_fasta_gives_one_file_per_record() {
    let mut rng = XorShift(0x5EED_0004_0000_0006);
    let records = [
        ("sp|P69905|HBA_HUMAN", " Hemoglobin subunit alpha", rng.protein(33), "sp_P69905_HBA_HUMAN"),
        ("second", "", rng.protein(12), "second"),
        ("third.v2", " x y z", format!("{}U{}", rng.protein(20), rng.protein(7)), "third.v2"),
    ];
    let mut input = String::new();
    for (id, desc, seq, _) in &records {
        input.push_str(&format!(">{id}{desc}\n"));
        for chunk in seq.as_bytes().chunks(10) {
            input.push_str(std::str::from_utf8(chunk).unwrap());
            input.push('\n');
        }
    }
    let dir = scratch("multi");
    let (o, out) = predict_file(&dir, input.as_bytes());
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    // The selenocysteine of record 'third.v2' is reported (position 21) and predicted as CYS.
    assert!(stderr.contains("third.v2") && stderr.contains("position 21") && stderr.contains("replaced by C"), "{stderr}");
    let mut names: Vec<String> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    let mut want: Vec<String> = records.iter().map(|r| format!("{}.pdb", r.3)).collect();
    want.sort();
    assert_eq!(names, want);
    for (id, _, seq, stem) in &records {
        let seq = seq.replace('U', "C");
        check_pdb(&out.join(format!("{stem}.pdb")), &seq);
        let text = std::fs::read_to_string(out.join(format!("{stem}.pdb"))).unwrap();
        assert!(text.lines().next().unwrap().contains(id), "TITLE should carry the id {id}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn refuses_an_unknown_device() {
    let dir = scratch("device");
    let fasta = dir.join("in.fasta");
    std::fs::write(&fasta, ">a\nMKTAYIAKQR\n").unwrap();
    let out = run(&["predict", fasta.to_str().unwrap(), "--out", dir.join("out").to_str().unwrap(), "--device", "tpu"], None);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "an unknown device must fail");
    assert!(err.contains("--device: 'tpu' is not one of cpu, wgpu") && !err.contains("panicked"), "{err}");
    assert!(!dir.join("out/a.pdb").exists(), "nothing is written for a refused run");
}

/// T1016 (CASP13, 202 residues) has a template in the library (a 2013 structure, fair under
/// CASP's own rules); returns its FASTA record.
fn t1016() -> String {
    let text = std::fs::read_to_string(common::casp13_dir().join("casp13.fasta")).expect("CASP13 set (tests/common)");
    let start = text.find(">T1016").expect("T1016 in casp13.fasta");
    let rest = &text[start..];
    let end = rest[1..].find('>').map_or(rest.len(), |e| e + 1);
    rest[..end].to_string()
}

#[test]
fn templated_prediction_names_its_template_and_switches_work() {
    let dir = scratch("templates");
    let input = dir.join("t1016.fasta");
    std::fs::write(&input, t1016()).unwrap();
    let out = dir.join("on");
    let o = run(&["predict", input.to_str().unwrap(), "--out", out.to_str().unwrap()], None);
    let stderr = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(o.status.success(), "{stderr}");
    let pdb = std::fs::read_to_string(out.join("T1016.pdb")).unwrap();
    let remark = pdb.lines().find(|l| l.starts_with("REMARK   3 TEMPLATE 1 PDB ")).unwrap_or_else(|| panic!("no template REMARK:\n{pdb}"));
    // The same template is printed on the terminal.
    let id = remark.split_whitespace().nth(5).unwrap();
    assert!(stderr.contains(id), "template {id} not in the summary: {stderr}");
    check_pdb(&out.join("T1016.pdb"), &t1016().lines().skip(1).collect::<String>());
    let plddt: Vec<f64> = pdb.lines().filter(|l| l.starts_with("ATOM") && &l[12..16] == " CA ").map(|l| l[60..66].trim().parse().unwrap()).collect();
    assert!(plddt.iter().sum::<f64>() / plddt.len() as f64 > 50.0, "a templated model is confident");
    // The estimated TM-score: on the terminal and in the PDB, the same number.
    let estimate = |pdb: &str| -> f64 { pdb.lines().find_map(|l| l.strip_prefix("REMARK   3 ESTIMATED TM-SCORE ")).and_then(|r| r.split_whitespace().next()).expect("estimated TM-score REMARK").parse().unwrap() };
    let tm = estimate(&pdb);
    assert!(stderr.contains(&format!("estimated TM-score {tm:.2}")) && tm > 0.5, "{stderr}");
    // The model's stereochemistry on the terminal: what `webfold check` finds in the file.
    let quality = webfold::geometry::quality_summary(&first_chain_report(&pdb));
    assert!(stderr.contains(&quality) && quality.starts_with("improbable phi/psi "), "'{quality}' not in the summary: {stderr}");

    // Excluding that entry, or capping identity below it, removes it from the model.
    let out2 = dir.join("excluded");
    let o = run(&["predict", input.to_str().unwrap(), "--out", out2.to_str().unwrap(), "--exclude-templates", id], None);
    assert!(o.status.success());
    let pdb2 = std::fs::read_to_string(out2.join("T1016.pdb")).unwrap();
    assert!(!pdb2.contains(&format!("PDB {id} ")), "{id} still used after --exclude-templates {id}");

    // --templates off: the network's prediction, said so in the file.
    let out3 = dir.join("off");
    let o = run(&["predict", input.to_str().unwrap(), "--out", out3.to_str().unwrap(), "--templates", "off"], None);
    assert!(o.status.success());
    let pdb3 = std::fs::read_to_string(out3.join("T1016.pdb")).unwrap();
    assert!(pdb3.contains("REMARK   3 NO TEMPLATE SEARCH (TEMPLATES SWITCHED OFF)"), "{}", &pdb3[..400]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("templates switched off"));

    // A threshold no hit passes, tentative templates off: no template, said so.
    let out4 = dir.join("strict");
    let o = run(&["predict", input.to_str().unwrap(), "--out", out4.to_str().unwrap(), "--template-evalue", "1e-200", "--tentative-evalue", "0"], None);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("no template found"));
    assert!(std::fs::read_to_string(out4.join("T1016.pdb")).unwrap().contains("REMARK   3 NO TEMPLATE FOUND (E-VALUE <= 1E-200)"));

    // The same threshold with tentative templates (default E-value 1): built on them, said so.
    let out5 = dir.join("tentative");
    let o = run(&["predict", input.to_str().unwrap(), "--out", out5.to_str().unwrap(), "--template-evalue", "1e-200"], None);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("built on tentative templates"), "{}", String::from_utf8_lossy(&o.stderr));
    let pdb5 = std::fs::read_to_string(out5.join("T1016.pdb")).unwrap();
    assert!(pdb5.contains("REMARK   3 NO TEMPLATE AT E-VALUE <= 1E-200: BUILT ON TENTATIVE TEMPLATES") && pdb5.contains("REMARK   3 TEMPLATE 1 PDB "), "{}", &pdb5[..800]);
    let o = run(&["predict", input.to_str().unwrap(), "--out", out5.to_str().unwrap(), "--tentative-evalue", "-1"], None);
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("--tentative-evalue: '-1' is not a number >= 0"));
}

#[test]
fn bad_template_options_and_libraries_are_refused_clearly() {
    let dir = scratch("template-options");
    let input = dir.join("q.fasta");
    std::fs::write(&input, ">q\nMKTAYIAKQRQISFVKSHFSRQ\n").unwrap();
    let empty = dir.join("empty.wftl");
    std::fs::write(&empty, b"").unwrap();
    let corrupt = dir.join("corrupt.wftl");
    let mut bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/templates/library.wftl")).unwrap();
    bytes.truncate(5000);
    std::fs::write(&corrupt, &bytes).unwrap();
    let out = dir.join("out");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--templates", "maybe"], "--templates: 'maybe' is not one of on, off"),
        (vec!["--template-evalue", "-1"], "--template-evalue: '-1' is not a positive number"),
        (vec!["--max-template-identity", "30"], "--max-template-identity: '30' is not a fraction between 0 and 1"),
        (vec!["--exclude-templates", "1a"], "--exclude-templates: '1a' is not a PDB id"),
        (vec!["--template-library", empty.to_str().unwrap()], "template library: the file is empty"),
        (vec!["--template-library", corrupt.to_str().unwrap()], "template library: the compressed data is corrupt or truncated"),
        (vec!["--template-library", "/nonexistent/lib.wftl"], "cannot read template library '/nonexistent/lib.wftl'"),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["predict", input.to_str().unwrap(), "--out", out.to_str().unwrap()];
        args.extend(extra.iter().copied());
        let o = run(&args, None);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{extra:?}: {stderr}");
        assert!(stderr.starts_with("error: ") && stderr.contains(needle) && !stderr.contains("panicked"), "{extra:?}: {stderr}");
        assert!(!out.exists(), "{extra:?}: nothing is written on a refusal");
    }
}

/// `webfold search` marks tentative hits in its last column: T1016 has templates at the
/// cutoff, T1008 only weak hits (docs/EVALUATION.md, Template evaluation).
#[test]
fn search_lists_hits_and_marks_tentative_ones() {
    let text = std::fs::read_to_string(common::casp13_dir().join("casp13.fasta")).unwrap();
    let record = |id: &str| {
        let start = text.find(&format!(">{id}")).unwrap();
        let rest = &text[start..];
        rest[..rest[1..].find('>').map_or(rest.len(), |e| e + 1)].to_string()
    };
    let input = format!("{}{}", record("T1016"), record("T1008"));
    let out = run(&["search", "-"], Some(input.as_bytes()));
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(header.last(), Some(&"tentative"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let of = |id: &str| rows.iter().filter(|r| r[0] == id).collect::<Vec<_>>();
    assert!(!of("T1016").is_empty() && of("T1016").iter().all(|r| r[12] == "no" && r[2].parse::<f64>().unwrap().min(r[9].parse().unwrap()) <= 1e-3));
    assert!(!of("T1008").is_empty() && of("T1008").iter().all(|r| r[12] == "yes" && r[2].parse::<f64>().unwrap().min(r[9].parse().unwrap()) > 1e-3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("T1008: no hit at E-value <= 1e-3"));
}

/// `webfold sidechains` repacks a deposited structure: same backbone, every side chain.
#[test]
fn sidechains_repacks_a_native_backbone() {
    let dir = scratch("sidechains");
    let native = common::casp13_dir().join("T0955.pdb");
    let out_file = dir.join("repacked.pdb");
    let out = run(&["sidechains", native.to_str().unwrap(), "--out", out_file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let read = |p: &Path| webfold::pdb::read_pdb(&std::fs::read_to_string(p).unwrap()).unwrap();
    let (nat, rep) = (read(&native), read(&out_file));
    assert_eq!(nat.len(), rep.len());
    for (a, b) in nat.iter().zip(&rep) {
        for name in ["N", "CA", "C", "O"] {
            let (p, q) = (a.atom(name).unwrap().pos, b.atom(name).unwrap().pos);
            assert!((0..3).all(|k| (p[k] - q[k]).abs() < 1e-3), "{} {name} moved", b.number);
        }
        let heavy = |r: &webfold::pdb::PdbResidue| r.atoms.iter().filter(|x| x.element != "H" && x.name != "OXT").count();
        assert_eq!(heavy(a), heavy(b), "residue {} {}: heavy atoms", b.number, b.name);
    }
    let bad = run(&["sidechains", native.to_str().unwrap()], None);
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("--out"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_reports_geometry_and_heavy_atom_clashes() {
    // `webfold check` on a deposited structure: valid, few improbable phi/psi, and its
    // heavy-atom clashes as geometry::check counts them (tests/sidechains.rs checks that count
    // against every pair).
    let native = common::casp13_dir().join("T1016.pdb");
    let out = run(&["check", native.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let header: Vec<&str> = text.lines().next().unwrap().split('|').map(str::trim).collect();
    let row: Vec<&str> = text.lines().find(|l| l.starts_with("| T1016")).expect("a T1016 row").split('|').map(str::trim).collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}: {header:?}"))];
    assert_eq!(col("valid"), "yes");
    let report = first_chain_report(&std::fs::read_to_string(&native).unwrap());
    assert!(report.atom_clashes > 0 && report.atom_clashes_per_1000() < 5.0, "{report}");
    assert_eq!(col("heavy-atom clashes / 1000 atoms"), format!("{:.1}", report.atom_clashes_per_1000()));
    assert!(col("improbable phi/psi").trim_end_matches('%').parse::<f64>().unwrap() < 2.0);
}

/// The subcommands, as `webfold --help` lists them.
const SUBCOMMANDS: [&str; 8] = ["predict", "eval", "bench", "search", "templates-benchmark", "sidechains", "check", "data"];

#[test]
fn every_subcommand_answers_help_with_its_usage() {
    let top = run(&["--help"], None);
    let text = String::from_utf8_lossy(&top.stdout).to_string();
    assert_eq!(top.status.code(), Some(0), "{text}");
    assert!(text.contains("Usage: webfold <COMMAND>"), "{text}");
    for sub in SUBCOMMANDS {
        assert!(text.lines().any(|l| l.trim_start().starts_with(&format!("{sub} "))), "webfold --help does not list {sub}: {text}");
        for args in [vec![sub, "--help"], vec![sub, "-h"], vec!["help", sub]] {
            let o = run(&args, None);
            let help = String::from_utf8_lossy(&o.stdout);
            assert_eq!(o.status.code(), Some(0), "{args:?}: {help}{}", String::from_utf8_lossy(&o.stderr));
            assert!(help.contains(&format!("Usage: webfold {sub} ")), "{args:?}: no usage line: {help}");
            assert!(o.stderr.is_empty(), "{args:?}: help goes to stdout");
        }
    }
    // The options the scripts and the browser tests pass are documented where they are taken.
    let predict = String::from_utf8_lossy(&run(&["predict", "--help"], None).stdout).to_string();
    for option in ["--out", "--format", "--templates", "--template-evalue", "--tentative-evalue", "--exclude-templates", "--max-template-identity", "--template-library", "--device", "--weights"] {
        assert!(predict.contains(option), "predict --help lacks {option}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    for flag in ["--version", "-V"] {
        let o = run(&[flag], None);
        assert_eq!(o.status.code(), Some(0));
        assert_eq!(String::from_utf8_lossy(&o.stdout), format!("webfold {}\n", env!("CARGO_PKG_VERSION")));
    }
}

#[test]
fn usage_errors_exit_with_status_2_and_value_errors_with_1() {
    let dir = scratch("usage");
    let fasta = dir.join("in.fasta");
    std::fs::write(&fasta, ">a\nMKTAYIAKQR\n").unwrap();
    let (f, out) = (fasta.to_str().unwrap(), dir.join("out"));
    let o = out.to_str().unwrap();
    let usage: Vec<(Vec<&str>, &str)> = vec![
        (vec![], "Usage: webfold <COMMAND>"),
        (vec!["fold", f], "unrecognized subcommand 'fold'"),
        (vec!["predict", f, "--out", o, "--bogus", "1"], "unexpected argument '--bogus'"),
        (vec!["predict", f], "--out <DIR>"),
        (vec!["predict", "--out", o], "<INPUT.fasta|->"),
        (vec!["predict", f, f, "--out", o], "unexpected argument"),
        (vec!["predict", f, "--out"], "a value is required for '--out <DIR>'"),
        (vec!["eval", "--pred", o, "--native", o], "--ids <FILE>"),
        (vec!["check"], "<DIR|FILE.pdb>"),
        (vec!["sidechains", f], "--out <OUTPUT.pdb>"),
        (vec!["templates-benchmark", "--n", "3"], "--out <DIR>"),
    ];
    for (args, needle) in usage {
        let r = run(&args, None);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(needle) && stderr.contains("--help"), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?}: nothing is written on a usage error");
    }
    // A bad value of a known option keeps its own message and status 1 (as the page's checks).
    let values: Vec<(Vec<&str>, &str)> = vec![
        (vec!["predict", f, "--out", o, "--format", "xml"], "error: --format: 'xml' is not one of pdb, cif, both"),
        (vec!["bench", "--repeats", "0"], "error: --repeats: '0' is not a positive integer"),
        (vec!["bench", "--lengths", "50,x"], "error: --lengths: 'x' is not a positive integer"),
        (vec!["bench", "--templates", "maybe"], "error: --templates: 'maybe' is not one of on, off"),
        (vec!["templates-benchmark", "--out", o, "--n", "0"], "error: --n: '0' is not a positive integer"),
        (vec!["templates-benchmark", "--out", o, "--seed", "-1"], "error: --seed: '-1' is not a non-negative integer"),
        (vec!["search", f, "--template-evalue", "0"], "error: --template-evalue: '0' is not a positive number"),
    ];
    for (args, needle) in values {
        let r = run(&args, None);
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.starts_with(needle), "{args:?}: {stderr}");
        assert!(!out.exists(), "{args:?}: nothing is written on a refusal");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_option_given_twice_takes_its_last_value() {
    let dir = scratch("twice");
    let fasta = dir.join("in.fasta");
    std::fs::write(&fasta, ">a\nMKTAYIAKQR\n").unwrap();
    let (first, last) = (dir.join("first"), dir.join("last"));
    let o = run(&["predict", fasta.to_str().unwrap(), "--out", first.to_str().unwrap(), "--templates", "on", "--out", last.to_str().unwrap(), "--templates", "off"], None);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(!first.exists() && last.join("a.pdb").exists() && stderr.contains("templates switched off"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `webfold predict` under a pseudo-terminal (util-linux `script`, Debian's essential bsdutils),
/// with `--templates off` so that the two records are quick.
fn predict_on_a_terminal(fasta: &Path, out: &Path) -> Output {
    let command = format!("'{BIN}' predict '{}' --out '{}' --templates off", fasta.display(), out.display());
    Command::new("script").args(["-qefc", &command, "/dev/null"]).stdin(Stdio::null()).output().expect("util-linux script (apt-get install bsdutils) runs the CLI on a pseudo-terminal")
}

#[test]
fn predict_shows_progress_only_on_a_terminal() {
    let dir = scratch("progress");
    let fasta = dir.join("in.fasta");
    std::fs::write(&fasta, ">first\nMKTAYIAKQR\n>second\nMKTAYIAKQRQISFV\n").unwrap();
    // On a terminal: the records done of the total and the time elapsed, each line erased
    // before the record's summary.
    let o = predict_on_a_terminal(&fasta, &dir.join("tty"));
    let screen = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{screen}");
    assert!(screen.contains("[0/2 records, ") && screen.contains("] predicting first (10 residues)"), "{screen:?}");
    assert!(screen.contains("[1/2 records, ") && screen.contains("] predicting second (15 residues)"), "{screen:?}");
    assert!(screen.contains("\r\x1b[Kfirst: 10 residues, mean pLDDT") && screen.contains("\r\x1b[Ksecond: 15 residues"), "{screen:?}");
    assert!(screen.contains("2 of 2 records done in "), "{screen:?}");
    // Redirected: the summary lines only, the same files.
    let o = run(&["predict", fasta.to_str().unwrap(), "--out", dir.join("pipe").to_str().unwrap(), "--templates", "off"], None);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(stderr.starts_with("first: 10 residues") && !stderr.contains("records") && !stderr.contains('\r') && !stderr.contains('\x1b'), "{stderr:?}");
    for id in ["first", "second"] {
        let read = |d: &str| std::fs::read(dir.join(d).join(format!("{id}.pdb"))).unwrap();
        assert!(read("tty") == read("pipe"), "{id}: the terminal changes no file");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
