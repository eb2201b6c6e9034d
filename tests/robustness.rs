//! Robustness (issue 4): 10,000 seeded random and adversarial inputs through the library entry
//! points, a sample of them through the whole predictor, and property tests of the PDB writer,
//! the PDB reader and the geometry checks. Nothing may panic: every call runs under
//! `catch_unwind` and a panic is reported as a failure with the input that caused it.

mod common;

use common::XorShift;
use std::panic::{catch_unwind, AssertUnwindSafe};

use burn::tensor::Device;
use webfold::geometry::{check, complete_backbone, Structure};
use webfold::pdb::{read_pdb, structure_from_residues, write_pdb};
use webfold::predict::{structure_from_network, Predictor};
use webfold::sequence::{parse_bytes, three_letter, tokens, ParseError, ParseOptions, ALPHABET, MAX_LEN};

const WEIGHTS: &[u8] = include_bytes!("../weights/webfold.safetensors");
const N_INPUTS: usize = 10_000;
const N_PREDICTED: usize = 30;


/// What parsing an input must give (the generator knows; independent of webfold's parser).
#[derive(Debug, Clone)]
enum Expect {
    /// Exactly these (id, sequence) records, sequence after the D1 substitutions.
    Records(Vec<(String, String)>),
    /// This kind of error.
    Error(Kind),
    /// Either (random inputs): only the general properties are checked.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    NotUtf8,
    Empty,
    EmptyId,
    DuplicateId,
    SameFileName,
    TextBeforeHeader,
    InvalidChar,
    Gap,
    MisplacedStop,
    NoResidues,
    TooLong,
}

fn kind(e: &ParseError) -> Kind {
    match e {
        ParseError::NotUtf8 { .. } => Kind::NotUtf8,
        ParseError::Empty => Kind::Empty,
        ParseError::EmptyId { .. } => Kind::EmptyId,
        ParseError::DuplicateId { .. } => Kind::DuplicateId,
        ParseError::SameFileName { .. } => Kind::SameFileName,
        ParseError::TextBeforeHeader { .. } => Kind::TextBeforeHeader,
        ParseError::InvalidChar { .. } => Kind::InvalidChar,
        ParseError::Gap { .. } => Kind::Gap,
        ParseError::MisplacedStop { .. } => Kind::MisplacedStop,
        ParseError::NoResidues { .. } => Kind::NoResidues,
        ParseError::TooLong { .. } => Kind::TooLong,
    }
}

struct Case {
    name: &'static str,
    bytes: Vec<u8>,
    expect: Expect,
}

/// Letters accepted by the parser and what they become (D1).
fn substituted(ch: u8) -> u8 {
    match ch.to_ascii_uppercase() {
        b'U' => b'C',
        b'O' => b'K',
        b'B' | b'Z' | b'J' => b'X',
        c => c,
    }
}

fn protein(rng: &mut XorShift, len: usize) -> String {
    (0..len).map(|_| if rng.chance(0.02) { 'X' } else { ALPHABET[rng.below(20)] as char }).collect()
}

/// A record's sequence text: wrapped at `width` (0 = one line), `eol` line ends.
fn wrap(seq: &str, width: usize, eol: &str) -> String {
    if width == 0 {
        return format!("{seq}{eol}");
    }
    let mut out = String::new();
    for chunk in seq.as_bytes().chunks(width) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push_str(eol);
    }
    out
}

/// FASTA text of records, with random layout (wrapping, CRLF, blank lines, descriptions).
fn fasta(rng: &mut XorShift, records: &[(String, String)]) -> String {
    let eol = if rng.chance(0.2) { "\r\n" } else { "\n" };
    let width = rng.pick(&[0usize, 0, 60, 80, 10, 1, 7]);
    let mut out = String::new();
    if rng.chance(0.1) {
        out.push_str(eol);
    }
    for (id, seq) in records {
        let desc = match rng.below(4) {
            0 => String::new(),
            1 => " some protein".to_string(),
            2 => "\tOS=Homo sapiens OX=9606".to_string(),
            _ => format!(" len={}", seq.len()),
        };
        out.push('>');
        out.push_str(id);
        out.push_str(&desc);
        out.push_str(eol);
        out.push_str(&wrap(seq, width, eol));
        if rng.chance(0.1) {
            out.push_str(eol);
        }
    }
    if rng.chance(0.3) {
        // No final newline.
        while out.ends_with('\n') || out.ends_with('\r') {
            out.pop();
        }
    }
    out
}

fn random_records(rng: &mut XorShift, n: usize, max_len: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| {
            let tag = rng.below(1000);
            let len = rng.range(1, max_len);
            (format!("rec{i}_{tag}"), protein(rng, len))
        })
        .collect()
}

fn unicode_char(rng: &mut XorShift) -> char {
    let ranges: [(u32, u32); 8] = [
        (0x20, 0x7e),
        (0x00, 0x1f),
        (0xa0, 0xff),
        (0x370, 0x3ff),
        (0x4e00, 0x4fff),
        (0x1f600, 0x1f64f),
        (0xff01, 0xff5e),
        (0x200b, 0x200f),
    ];
    let (lo, hi) = rng.pick(&ranges);
    char::from_u32(lo + rng.below((hi - lo + 1) as usize) as u32).unwrap_or('?')
}

/// Insert `what` somewhere inside the residues of the last record of `records` (as text).
fn insert_in_sequence(rng: &mut XorShift, records: &[(String, String)], what: char) -> String {
    let mut recs: Vec<(String, String)> = records.to_vec();
    let last = recs.last_mut().unwrap();
    let at = rng.below(last.1.len() + 1);
    let mut chars: Vec<char> = last.1.chars().collect();
    chars.insert(at, what);
    last.1 = chars.into_iter().collect();
    // Single-line layout so the inserted character cannot become a line start.
    let mut out = String::new();
    for (id, seq) in &recs {
        out.push_str(&format!(">{id}\n{seq}\n"));
    }
    out
}

/// Deterministic corpus of `N_INPUTS` inputs.
fn corpus() -> Vec<Case> {
    let mut rng = XorShift::new(0x00C0_FFEE_0004);
    let mut cases = Vec::with_capacity(N_INPUTS);
    for i in 0..N_INPUTS {
        let kind = i % 24;
        let case = match kind {
            0 => {
                let ws = ["", " ", "\n", "\r\n", "\t \n  ", "\u{FEFF}", "\u{FEFF}\n\n"];
                Case { name: "empty", bytes: rng.pick(&ws).as_bytes().to_vec(), expect: Expect::Error(Kind::Empty) }
            }
            1 => {
                let aa = ALPHABET[rng.below(20)];
                let letter = if rng.chance(0.5) { aa.to_ascii_lowercase() } else { aa };
                let text = if rng.chance(0.5) { format!("{}", letter as char) } else { format!(">one\n{}\n", letter as char) };
                let id = if text.starts_with('>') { "one" } else { "query" };
                Case { name: "one residue", bytes: text.into_bytes(), expect: Expect::Records(vec![(id.into(), (aa as char).to_string())]) }
            }
            2 => {
                // 100,000 letters (occasionally), otherwise a few thousand: too long either way.
                let len = if i % 240 == 2 { 100_000 } else { rng.range(MAX_LEN + 1, 5000) };
                let seq = protein(&mut rng, len);
                let text = if rng.chance(0.5) { fasta(&mut rng, &[("big".into(), seq)]) } else { seq };
                Case { name: "too long", bytes: text.into_bytes(), expect: Expect::Error(Kind::TooLong) }
            }
            3 => {
                let len = rng.range(0, 4096);
                let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
                let expect = if std::str::from_utf8(&bytes).is_err() { Expect::Error(Kind::NotUtf8) } else { Expect::Any };
                Case { name: "binary", bytes, expect }
            }
            4 => {
                let len = rng.range(0, 300);
                let text: String = (0..len).map(|_| unicode_char(&mut rng)).collect();
                Case { name: "unicode", bytes: text.into_bytes(), expect: Expect::Any }
            }
            5 => {
                let n = rng.range(2, 300);
                let recs = random_records(&mut rng, n, 80);
                let recs: Vec<(String, String)> = recs.into_iter().enumerate().map(|(k, (_, s))| (format!("r{k}"), s)).collect();
                Case { name: "many records", bytes: fasta(&mut rng, &recs).into_bytes(), expect: Expect::Records(recs) }
            }
            6 => {
                let k = rng.range(1, 3);
                let recs = random_records(&mut rng, k, 200);
                let lower: Vec<(String, String)> =
                    recs.iter().map(|(id, s)| (id.clone(), s.chars().map(|c| if rng.chance(0.7) { c.to_ascii_lowercase() } else { c }).collect())).collect();
                Case { name: "lowercase", bytes: fasta(&mut rng, &lower).into_bytes(), expect: Expect::Records(recs) }
            }
            7 => {
                let k = rng.range(1, 3);
                let recs = random_records(&mut rng, k, 100);
                let gap = rng.pick(&['-', '.']);
                Case { name: "gap", bytes: insert_in_sequence(&mut rng, &recs, gap).into_bytes(), expect: Expect::Error(Kind::Gap) }
            }
            8 => {
                // GenBank-style: numbered blocks of ten, spaces, digits.
                let k = rng.range(1, 300);
                let seq = protein(&mut rng, k);
                let mut text = String::new();
                for (k, chunk) in seq.as_bytes().chunks(10).enumerate() {
                    if k % 6 == 0 {
                        text.push_str(&format!("\n{:>9} ", k * 10 + 1));
                    }
                    text.push_str(&std::str::from_utf8(chunk).unwrap().to_lowercase());
                    text.push(' ');
                }
                Case { name: "digits and spaces", bytes: text.into_bytes(), expect: Expect::Records(vec![("query".into(), seq)]) }
            }
            9 => {
                let k = rng.range(1, 4);
                let recs = random_records(&mut rng, k, 150);
                let mut text = String::new();
                for (id, s) in &recs {
                    text.push_str(&format!(">{id}\n{s}*{}\n", rng.pick(&["", " ", "\r", "\n"])));
                }
                Case { name: "trailing stop", bytes: text.into_bytes(), expect: Expect::Records(recs) }
            }
            10 => {
                let k = rng.range(1, 3);
                let recs = random_records(&mut rng, k, 100);
                let mut recs2 = recs.clone();
                let last = recs2.last_mut().unwrap();
                let at = rng.range(0, last.1.len() - 1);
                last.1.insert(at, '*');
                let text: String = recs2.iter().map(|(id, s)| format!(">{id}\n{s}\n")).collect();
                Case { name: "stop inside", bytes: text.into_bytes(), expect: Expect::Error(Kind::MisplacedStop) }
            }
            11 => {
                let n = rng.range(1, 20);
                let text: String = (0..n).map(|k| format!(">h{k} header only\n{}", if rng.chance(0.3) { "\n" } else { "" })).collect();
                Case { name: "headers only", bytes: text.into_bytes(), expect: Expect::Error(Kind::NoResidues) }
            }
            12 => {
                let k = rng.range(1, 5);
                let recs = random_records(&mut rng, k, 120);
                let text: String = recs.iter().map(|(id, s)| format!(">{id} d\r\n{}", wrap(s, 13, "\r\n"))).collect();
                Case { name: "crlf", bytes: text.into_bytes(), expect: Expect::Records(recs) }
            }
            13 => {
                let k = rng.range(1, 3);
                let recs = random_records(&mut rng, k, 60);
                Case { name: "nul byte", bytes: insert_in_sequence(&mut rng, &recs, '\0').into_bytes(), expect: Expect::Error(Kind::InvalidChar) }
            }
            14 => {
                let k = rng.range(1, 100);
                let seq = protein(&mut rng, k);
                let n = if i % 240 == 14 { 100_000 } else { rng.range(200, 5000) };
                let junk: String = (0..n).map(|_| (b' ' + rng.below(95) as u8) as char).collect();
                let text = format!(">longheader {junk}\n{seq}\n");
                Case { name: "long header", bytes: text.into_bytes(), expect: Expect::Records(vec![("longheader".into(), seq)]) }
            }
            15 => {
                let k = rng.range(1, 3);
                let recs = random_records(&mut rng, k, 50);
                Case { name: "byte-order mark", bytes: format!("\u{FEFF}{}", fasta(&mut rng, &recs)).into_bytes(), expect: Expect::Records(recs) }
            }
            16 | 17 => {
                // Random byte edits of a valid input.
                let k = rng.range(1, 4);
                let recs = random_records(&mut rng, k, 80);
                let mut bytes = fasta(&mut rng, &recs).into_bytes();
                for _ in 0..rng.range(1, 8) {
                    let at = rng.below(bytes.len());
                    match rng.below(3) {
                        0 => bytes[at] = rng.next() as u8,
                        1 => bytes.insert(at, rng.pick(b">\n\r*-.#\0 U9")),
                        _ => {
                            bytes.remove(at);
                        }
                    }
                    if bytes.is_empty() {
                        break;
                    }
                }
                Case { name: "mutated", bytes, expect: Expect::Any }
            }
            18 => {
                let recs = random_records(&mut rng, 2, 40);
                if rng.chance(0.5) {
                    let text = format!(">same x\n{}\n>other\nMK\n>same y\n{}\n", recs[0].1, recs[1].1);
                    Case { name: "duplicate id", bytes: text.into_bytes(), expect: Expect::Error(Kind::DuplicateId) }
                } else {
                    // Different ids, same file name ('|' and ':' both become '_').
                    let text = format!(">sp|same x\n{}\n>other\nMK\n>sp:same y\n{}\n", recs[0].1, recs[1].1);
                    Case { name: "same file name", bytes: text.into_bytes(), expect: Expect::Error(Kind::SameFileName) }
                }
            }
            19 => {
                let seq = protein(&mut rng, 10);
                let options = [format!(">\n{seq}"), format!(">a\n{seq}\n>  \t\n{seq}"), format!(">\r\n{seq}")];
                let text = options[rng.below(options.len())].clone();
                Case { name: "empty id", bytes: text.into_bytes(), expect: Expect::Error(Kind::EmptyId) }
            }
            20 => {
                let seq = protein(&mut rng, 10);
                Case { name: "text before header", bytes: format!("{seq}\n>a\n{seq}\n").into_bytes(), expect: Expect::Error(Kind::TextBeforeHeader) }
            }
            21 => {
                let len = rng.range(1, 100);
                let raw: String = (0..len).map(|_| rng.pick(b"ACDUOBZJuobzjKLX") as char).collect();
                let want: String = raw.bytes().map(|b| substituted(b) as char).collect();
                Case { name: "substitutions", bytes: format!(">sub\n{raw}\n").into_bytes(), expect: Expect::Records(vec![("sub".into(), want)]) }
            }
            22 => {
                let len = if rng.chance(0.5) { MAX_LEN } else { MAX_LEN + 1 };
                let seq = protein(&mut rng, len);
                let expect = if len <= MAX_LEN { Expect::Records(vec![("edge".into(), seq.clone())]) } else { Expect::Error(Kind::TooLong) };
                Case { name: "length limit", bytes: format!(">edge\n{}", wrap(&seq, 60, "\n")).into_bytes(), expect }
            }
            _ => {
                let k = rng.range(1, 3);
                let recs = random_records(&mut rng, k, 60);
                let bad = rng.pick(&['é', 'α', 'Ａ', 'ß', 'İ', '#', '%', '?', '\u{1b}', '\u{7f}', '\u{200b}', '😀', '½', '\u{c}']);
                let expect = if bad == '\u{c}' { Expect::Records(recs.clone()) } else { Expect::Error(Kind::InvalidChar) };
                Case { name: "invalid character", bytes: insert_in_sequence(&mut rng, &recs, bad).into_bytes(), expect }
            }
        };
        cases.push(case);
    }
    cases
}

/// Checks one parse result; `Err` describes what is wrong.
fn check_parse(case: &Case, result: &Result<Vec<webfold::sequence::Record>, ParseError>) -> Result<(), String> {
    match result {
        Ok(records) => {
            if records.is_empty() {
                return Err("Ok with no records".into());
            }
            let mut ids = std::collections::HashSet::new();
            let mut stems = std::collections::HashSet::new();
            for r in records {
                if r.id.is_empty() || r.id.chars().any(char::is_whitespace) || !ids.insert(r.id.clone()) {
                    return Err(format!("bad or duplicate id {:?}", r.id));
                }
                if r.is_empty() || r.len() > MAX_LEN || r.sequence.len() != r.len() {
                    return Err(format!("record {} has {} residues", r.id, r.len()));
                }
                if !r.sequence.bytes().all(|b| b == b'X' || ALPHABET.contains(&b)) {
                    return Err(format!("record {} has a non-canonical sequence {:?}", r.id, r.sequence));
                }
                if r.tokens != tokens(&r.sequence) || r.tokens.iter().any(|&t| t > 20) {
                    return Err(format!("record {}: tokens do not match the sequence", r.id));
                }
                if r.file_stem().is_empty() || r.file_stem().contains('/') || r.file_stem().starts_with('.') {
                    return Err(format!("unsafe file stem {:?}", r.file_stem()));
                }
                if !stems.insert(r.file_stem()) {
                    return Err(format!("two records write the file stem {:?}", r.file_stem()));
                }
            }
            match &case.expect {
                Expect::Records(want) => {
                    let got: Vec<(String, String)> = records.iter().map(|r| (r.id.clone(), r.sequence.clone())).collect();
                    if &got != want {
                        return Err(format!("records differ: got {} records, want {}", got.len(), want.len()));
                    }
                }
                Expect::Error(k) => return Err(format!("accepted, but {k:?} was expected")),
                Expect::Any => {}
            }
        }
        Err(e) => {
            let msg = e.to_string();
            if msg.trim().is_empty() {
                return Err("empty error message".into());
            }
            match &case.expect {
                Expect::Records(_) => return Err(format!("refused a valid input: {msg}")),
                Expect::Error(k) if *k != kind(e) => return Err(format!("expected {k:?}, got {e:?}")),
                _ => {}
            }
            // Independent UTF-8 oracle.
            if let Err(u) = std::str::from_utf8(&case.bytes) {
                if *e != (ParseError::NotUtf8 { offset: u.valid_up_to() }) {
                    return Err(format!("not UTF-8 at {}, got {e:?}", u.valid_up_to()));
                }
            }
            if let ParseError::TooLong { len, .. } = e {
                if *len <= MAX_LEN {
                    return Err(format!("TooLong with len {len}"));
                }
            }
        }
    }
    Ok(())
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_else(|| "?".into())
}

fn preview(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]);
    format!("{s:?}{}", if bytes.len() > 80 { format!("... ({} bytes)", bytes.len()) } else { String::new() })
}

#[test]
fn ten_thousand_inputs_parse_or_fail_cleanly() {
    let cases = corpus();
    assert_eq!(cases.len(), N_INPUTS);
    let opts = ParseOptions::default();
    let mut failures = Vec::new();
    let (mut accepted, mut refused) = (0usize, 0usize);
    let mut huge = 0usize;
    for (i, case) in cases.iter().enumerate() {
        huge += (case.bytes.len() >= 100_000) as usize;
        match catch_unwind(AssertUnwindSafe(|| parse_bytes(&case.bytes, &opts))) {
            Err(p) => failures.push(format!("#{i} {}: PANIC {} on {}", case.name, panic_message(p), preview(&case.bytes))),
            Ok(result) => {
                match &result {
                    Ok(_) => accepted += 1,
                    Err(_) => refused += 1,
                }
                if let Err(why) = check_parse(case, &result) {
                    failures.push(format!("#{i} {}: {why} on {}", case.name, preview(&case.bytes)));
                }
            }
        }
    }
    eprintln!("{N_INPUTS} inputs: {accepted} accepted, {refused} refused, {huge} of 100 kB or more");
    assert!(failures.is_empty(), "{} failures:\n{}", failures.len(), failures[..failures.len().min(30)].join("\n"));
    // The corpus exercises both outcomes in bulk.
    assert!(accepted > 3000 && refused > 3000, "{accepted} accepted, {refused} refused");
}

/// Structure and PDB checks shared by the predictor tests.
fn check_prediction(id: &str, sequence: &str, s: &Structure) -> Result<(), String> {
    if s.sequence != sequence || s.len() != sequence.len() {
        return Err(format!("{id}: structure sequence {:?} vs record {:?}", s.sequence, sequence));
    }
    let report = check(s);
    if !report.is_valid() {
        return Err(format!("{id}: invalid geometry: {report}"));
    }
    let text = write_pdb(s, id);
    if let Some(bad) = text.lines().find(|l| l.len() != 80 || !l.is_ascii()) {
        return Err(format!("{id}: PDB line not 80 ASCII columns: {bad:?}"));
    }
    let residues = read_pdb(&text).map_err(|e| format!("{id}: written PDB does not read back: {e}"))?;
    let back = structure_from_residues(&residues).map_err(|e| format!("{id}: {e}"))?;
    if back.sequence != sequence {
        return Err(format!("{id}: PDB sequence {:?} vs {:?}", back.sequence, sequence));
    }
    let names_ok = residues.iter().zip(sequence.chars()).all(|(r, c)| r.name == three_letter(c));
    if !names_ok {
        return Err(format!("{id}: residue names do not spell the sequence"));
    }
    let report = check(&back);
    if !report.is_valid() {
        return Err(format!("{id}: PDB read back has invalid geometry: {report}"));
    }
    Ok(())
}

#[test]
fn sample_of_accepted_inputs_predicts_valid_pdbs() {
    let opts = ParseOptions::default();
    let predictor = Predictor::new(WEIGHTS, Device::flex()).expect("committed weights load");
    // Seeded sample of accepted inputs with few, short records, plus fixed edge cases.
    let mut inputs: Vec<Vec<u8>> = ["M", "GG", "x", ">a\nMKX*\n", ">p\r\nG\r\n>q\r\nWW\r\n", "UOBZJ"].iter().map(|s| s.as_bytes().to_vec()).collect();
    let cases = corpus();
    let mut rng = XorShift::new(0x5A3D_1E00);
    let mut order: Vec<usize> = (0..cases.len()).collect();
    for k in (1..order.len()).rev() {
        order.swap(k, rng.below(k + 1));
    }
    for &i in &order {
        if inputs.len() >= N_PREDICTED {
            break;
        }
        if let Ok(recs) = parse_bytes(&cases[i].bytes, &opts) {
            if recs.len() <= 3 && recs.iter().all(|r| r.len() <= 80) {
                inputs.push(cases[i].bytes.clone());
            }
        }
    }
    assert_eq!(inputs.len(), N_PREDICTED);
    let mut failures = Vec::new();
    let mut n_structures = 0;
    for bytes in &inputs {
        let records = parse_bytes(bytes, &opts).unwrap();
        for record in &records {
            let result = catch_unwind(AssertUnwindSafe(|| {
                let s = predictor.predict(record);
                check_prediction(&record.id, &record.sequence, &s)
            }));
            n_structures += 1;
            match result {
                Err(p) => failures.push(format!("PANIC {} predicting {:?} of {}", panic_message(p), record.id, preview(bytes))),
                Ok(Err(why)) => failures.push(format!("{why} (input {})", preview(bytes))),
                Ok(Ok(())) => {}
            }
        }
    }
    eprintln!("predicted {n_structures} structures from {} inputs", inputs.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A random f32 for coordinates: mostly ordinary, sometimes extreme or non-finite.
fn coordinate(rng: &mut XorShift) -> f32 {
    match rng.below(20) {
        0 => f32::NAN,
        1 => rng.pick(&[f32::INFINITY, f32::NEG_INFINITY, f32::MAX, f32::MIN, f32::MIN_POSITIVE, -0.0]),
        2 => (rng.uniform() * 2.0 - 1.0) as f32 * 1e6,
        // Deliberately more digits than f32 holds: values that round onto the PDB columns' limits.
        #[allow(clippy::excessive_precision)]
        3 => rng.pick(&[-999.999f32, -999.9995, -999.9994, -1000.0, 9999.999, 9999.9995, 9999.9994, 10000.0, -0.0005, 0.0005]),
        4 => (rng.uniform() * 11_000.0 - 1_000.0) as f32,
        _ => (rng.uniform() * 400.0 - 200.0) as f32,
    }
}

fn plddt_value(rng: &mut XorShift) -> f32 {
    match rng.below(12) {
        0 => f32::NAN,
        1 => rng.pick(&[f32::INFINITY, f32::NEG_INFINITY, -1.0, 100.0001, 999.99, 999.995, 1000.0, 1e30, -0.0]),
        2 => (rng.uniform() * 2000.0 - 500.0) as f32,
        _ => (rng.uniform() * 100.0) as f32,
    }
}

/// The writer's documented translation, re-derived here: on each axis where the finite
/// coordinates leave -999.999..=9999.999, shift by round(4500 - (min + max) / 2).
fn expected_shift(s: &Structure) -> [f64; 3] {
    let mut shift = [0.0; 3];
    for (t, sh) in shift.iter_mut().enumerate() {
        let vals: Vec<f64> = s
            .n
            .iter()
            .chain(&s.ca)
            .chain(&s.c)
            .chain(&s.o)
            .chain(s.cb.iter().flatten())
            .map(|p| p[t] as f64)
            .filter(|v| v.is_finite())
            .collect();
        if vals.is_empty() {
            continue;
        }
        let lo = vals.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = vals.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        if lo < -999.999 || hi > 9999.999 {
            *sh = (0.5 * (-999.999 + 9999.999) - 0.5 * (lo + hi)).round();
        }
    }
    shift
}

/// What the writer documents for a coordinate: NaN -> 0, translated, clamped to the column.
fn expected_coordinate(v: f32, shift: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        (v as f64 + shift).clamp(-999.999, 9999.999)
    }
}

fn expected_b(v: f32) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        (v as f64).clamp(0.0, 999.99)
    }
}

fn random_structure(rng: &mut XorShift, len: usize) -> Structure {
    let mut p = || [coordinate(rng), coordinate(rng), coordinate(rng)];
    let n: Vec<[f32; 3]> = (0..len).map(|_| p()).collect();
    let ca: Vec<[f32; 3]> = (0..len).map(|_| p()).collect();
    let c: Vec<[f32; 3]> = (0..len).map(|_| p()).collect();
    let o: Vec<[f32; 3]> = (0..len).map(|_| p()).collect();
    let cb: Vec<Option<[f32; 3]>> = (0..len).map(|_| if rng.chance(0.2) { None } else { Some([coordinate(rng), coordinate(rng), coordinate(rng)]) }).collect();
    let plddt: Vec<f32> = (0..len).map(|_| plddt_value(rng)).collect();
    let sequence: String = (0..len)
        .map(|_| match rng.below(10) {
            0 => 'X',
            1 => rng.pick(&['b', 'é', '?', 'Z']),
            _ => ALPHABET[rng.below(20)] as char,
        })
        .collect();
    let side = vec![Vec::new(); ca.len()];
    Structure { sequence, n, ca, c, o, cb, side, plddt }
}

fn random_title(rng: &mut XorShift) -> String {
    let len = rng.pick(&[0usize, 5, 70, 71, 200]);
    (0..len).map(|_| unicode_char(rng)).collect()
}

#[test]
fn pdb_writer_round_trips_random_structures() {
    let mut rng = XorShift::new(0x0BD8_0004);
    let mut failures = Vec::new();
    let mut atoms_checked = 0usize;
    for case in 0..400 {
        let len = match case {
            0 => 0,
            1 => 1,
            2 => 10_005, // residue numbers wrap at 10000
            3 => 20_001, // atom serials wrap at 100000
            _ => rng.range(1, 60),
        };
        let s = random_structure(&mut rng, len);
        let title = random_title(&mut rng);
        let result = catch_unwind(AssertUnwindSafe(|| -> Result<usize, String> {
            let text = write_pdb(&s, &title);
            for (k, line) in text.split_terminator('\n').enumerate() {
                if line.len() != 80 || !line.is_ascii() {
                    return Err(format!("line {} is not 80 ASCII columns: {line:?}", k + 1));
                }
            }
            if !text.trim_end().ends_with("END") {
                return Err("no END record".into());
            }
            let residues = read_pdb(&text).map_err(|e| e.to_string())?;
            if residues.len() != len {
                return Err(format!("{} residues read back, {len} written", residues.len()));
            }
            let mut checked = 0;
            let shift = expected_shift(&s);
            let seq: Vec<char> = s.sequence.chars().collect();
            for (i, r) in residues.iter().enumerate() {
                if r.name != three_letter(seq[i]) {
                    return Err(format!("residue {i}: name {} for {:?}", r.name, seq[i]));
                }
                let mut want: Vec<(&str, [f32; 3])> = vec![("N", s.n[i]), ("CA", s.ca[i]), ("C", s.c[i]), ("O", s.o[i])];
                if let Some(cb) = s.cb[i] {
                    want.push(("CB", cb));
                }
                if r.atoms.len() != want.len() {
                    return Err(format!("residue {i}: {} atoms, want {}", r.atoms.len(), want.len()));
                }
                for (a, (name, p)) in r.atoms.iter().zip(want) {
                    if a.name != name {
                        return Err(format!("residue {i}: atom {} where {name} was written", a.name));
                    }
                    for t in 0..3 {
                        let e = expected_coordinate(p[t], shift[t]);
                        if (a.pos[t] as f64 - e).abs() > 1e-3 {
                            return Err(format!("residue {i} {name}[{t}]: wrote {} (expect {e}), read {}", p[t], a.pos[t]));
                        }
                    }
                    let eb = expected_b(s.plddt[i]);
                    if (a.b_factor as f64 - eb).abs() > 0.005 + 1e-4 {
                        return Err(format!("residue {i}: pLDDT {} written, B-factor {} read (expect {eb})", s.plddt[i], a.b_factor));
                    }
                    checked += 1;
                }
            }
            Ok(checked)
        }));
        match result {
            Err(p) => failures.push(format!("case {case} (L={len}): PANIC {}", panic_message(p))),
            Ok(Err(why)) => failures.push(format!("case {case} (L={len}): {why}")),
            Ok(Ok(n)) => atoms_checked += n,
        }
    }
    eprintln!("{atoms_checked} atoms round-tripped");
    assert!(failures.is_empty(), "{}", failures[..failures.len().min(20)].join("\n"));
    assert!(atoms_checked > 100_000);
}

#[test]
fn malformed_structures_and_pdb_text_never_panic() {
    let mut rng = XorShift::new(0xBAD_5EED);
    let mut failures = Vec::new();
    for case in 0..300 {
        // Inconsistent atom lists (not produced by the pipeline, but public types).
        let len = rng.range(0, 30);
        // Half start from a valid chain (so that a missing atom is what makes it invalid).
        let mut s = if case % 2 == 0 && len > 0 {
            let seq: String = (0..len).map(|_| ALPHABET[rng.below(20)] as char).collect();
            let atoms: Vec<f32> = (0..len * 9).map(|_| (rng.uniform() * 30.0) as f32).collect();
            structure_from_network(&seq, &atoms, &vec![50.0; len])
        } else {
            random_structure(&mut rng, len)
        };
        match rng.below(6) {
            0 => s.n.truncate(rng.below(len + 1)),
            1 => s.c.truncate(rng.below(len + 1)),
            2 => s.o.truncate(rng.below(len + 1)),
            3 => s.cb.truncate(rng.below(len + 1)),
            4 => s.plddt.clear(),
            _ => s.sequence = s.sequence.chars().take(rng.below(len + 1)).collect(),
        }
        let consistent = [s.n.len(), s.c.len(), s.o.len()].iter().all(|&k| k == s.ca.len());
        let r = catch_unwind(AssertUnwindSafe(|| {
            let report = check(&s);
            let text = write_pdb(&s, "malformed");
            (report, text)
        }));
        match r {
            Err(p) => failures.push(format!("structure case {case}: PANIC {}", panic_message(p))),
            Ok((report, text)) => {
                if !consistent && report.is_valid() {
                    failures.push(format!("structure case {case}: missing atoms but the report says valid: {report}"));
                }
                if text.lines().any(|l| l.len() != 80) {
                    failures.push(format!("structure case {case}: a line is not 80 columns"));
                }
                // Mutated PDB text: the reader returns Ok or a line-numbered Err, never panics.
                let mut bytes = text.into_bytes();
                for _ in 0..rng.range(1, 20) {
                    if bytes.is_empty() {
                        break;
                    }
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.pick(b"\n -.0123456789eE+ABCnaif\xc3\xa9\xff");
                }
                let text = String::from_utf8_lossy(&bytes).into_owned();
                match catch_unwind(AssertUnwindSafe(|| read_pdb(&text).map(|res| structure_from_residues(&res).map(|st| check(&st))))) {
                    Err(p) => failures.push(format!("reader case {case}: PANIC {}", panic_message(p))),
                    Ok(Err(e)) if e.to_string().trim().is_empty() => failures.push(format!("reader case {case}: empty error")),
                    _ => {}
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures[..failures.len().min(20)].join("\n"));
}

#[test]
fn post_processing_survives_broken_network_outputs() {
    // What a diverged or half-trained network could emit: NaN, infinities, huge values,
    // everything at one point, pLDDT outside 0..100. The pipeline must still give valid PDBs.
    let mut rng = XorShift::new(0xD1E_0004);
    let mut failures = Vec::new();
    for case in 0..150 {
        let len = rng.pick(&[1usize, 2, 3, 5, 17, 40, 80]);
        let sequence: String = (0..len).map(|_| rng.pick(b"ACDEFGHIKLMNPQRSTVWYX") as char).collect();
        let mode = case % 5;
        // A rough chain: CA on a random walk of 3.8 A steps, N and C near their CA.
        let mut chain = Vec::with_capacity(len * 9);
        let mut ca = [0.0f32; 3];
        for _ in 0..len {
            for x in ca.iter_mut() {
                *x += (rng.uniform() * 2.0 - 1.0) as f32 * 2.2;
            }
            for k in 0..3 {
                for x in ca {
                    chain.push(x + if k == 1 { 0.0 } else { (rng.uniform() * 3.0 - 1.5) as f32 });
                }
            }
        }
        let atoms: Vec<f32> = chain
            .iter()
            .map(|&v| match mode {
                // Non-finite or huge values sprinkled over the chain.
                0 => {
                    if rng.chance(0.05) {
                        rng.pick(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY])
                    } else {
                        v
                    }
                }
                // Everything at one point.
                1 => 0.0,
                // Very noisy chain.
                2 => v + (rng.uniform() * 8.0 - 4.0) as f32,
                // A compact random cloud.
                3 => (rng.uniform() * 30.0) as f32,
                // Atoms scattered over 400 A.
                _ => (rng.uniform() * 400.0 - 200.0) as f32,
            })
            .collect();
        let plddt: Vec<f32> = (0..len).map(|_| plddt_value(&mut rng)).collect();
        let r = catch_unwind(AssertUnwindSafe(|| {
            let s = structure_from_network(&sequence, &atoms, &plddt);
            if s.plddt.iter().any(|p| !(0.0..=100.0).contains(p)) {
                return Err(format!("pLDDT outside 0-100: {:?}", s.plddt));
            }
            check_prediction("broken", &sequence, &s)
        }));
        match r {
            Err(p) => failures.push(format!("case {case} (mode {mode}, L={len}): PANIC {}", panic_message(p))),
            Ok(Err(why)) => failures.push(format!("case {case} (mode {mode}, L={len}): {why}")),
            Ok(Ok(())) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures[..failures.len().min(20)].join("\n"));
}

#[test]
fn complete_backbone_of_degenerate_chains_is_finite() {
    // Coincident and collinear atoms: O and CB placement must stay finite.
    let mut failures = Vec::new();
    for len in [1usize, 2, 3, 10] {
        for layout in 0..3 {
            let pts: Vec<[f32; 3]> = (0..len)
                .map(|i| match layout {
                    0 => [0.0, 0.0, 0.0],
                    1 => [i as f32 * 3.8, 0.0, 0.0],
                    _ => [1e4, -1e4, 1e4],
                })
                .collect();
            let seq: String = "AG".repeat(len)[..len].to_string();
            let r = catch_unwind(|| complete_backbone(&seq, &pts, &pts, &pts, &vec![50.0; len]));
            match r {
                Err(p) => failures.push(format!("L={len} layout {layout}: PANIC {}", panic_message(p))),
                Ok(s) => {
                    if s.o.iter().chain(s.cb.iter().flatten()).any(|p| !p.iter().all(|x| x.is_finite())) {
                        failures.push(format!("L={len} layout {layout}: non-finite O or CB"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn structures_beyond_the_pdb_columns_keep_their_geometry() {
    // A straight, ideal-looking chain that runs far outside -999.999..=9999.999 (an extended
    // 1000-residue chain spans 3800 A): written and read back it must still be valid, with
    // every distance preserved (the writer translates; it must not clamp).
    for (start, step) in [(-500.0f32, -3.8f32), (9000.0, 3.8), (-20_000.0, 3.8), (0.0, -3.8)] {
        let len = 1000;
        let sequence = "A".repeat(len);
        let mut atoms = Vec::with_capacity(len * 9);
        for i in 0..len {
            let x = start + step * i as f32;
            // N, CA, C roughly placed; the relaxation makes them ideal.
            atoms.extend_from_slice(&[x - 0.5 * step.signum(), 1.2, 0.3, x, 0.0, 0.0, x + 0.6 * step.signum(), -1.1, 0.2]);
        }
        let s = structure_from_network(&sequence, &atoms, &vec![70.0; len]);
        if let Err(why) = check_prediction("far", &sequence, &s) {
            panic!("chain from {start} in steps of {step}: {why}");
        }
        let back = structure_from_residues(&read_pdb(&write_pdb(&s, "far")).unwrap()).unwrap();
        for i in (0..len).step_by(97) {
            for j in (0..len).step_by(89) {
                let d = |a: [f32; 3], b: [f32; 3]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt();
                let (d0, d1) = (d(s.ca[i], s.ca[j]), d(back.ca[i], back.ca[j]));
                assert!((d0 - d1).abs() < 0.01, "start {start}: CA {i}-{j} {d0} written, {d1} read back");
            }
        }
    }
}

/// Exploded network outputs (every coordinate 1e4 .. 1e6 A, or f32::MAX, which relax clamps
/// to 1e5 A) carry no chain: relax starts them from a random coil, and every one must come out
/// valid (before that, three 17-residue chains kept 2-3 CA pairs under 3 A).
#[test]
fn post_processing_of_exploded_network_outputs() {
    let mut rng = XorShift::new(0xE4_0004);
    let mut failures = Vec::new();
    for case in 0..40 {
        let len = rng.pick(&[17usize, 40, 80]);
        let sequence = "A".repeat(len);
        let atoms: Vec<f32> = (0..len * 9)
            .map(|_| coordinate(&mut rng))
            .collect();
        let s = structure_from_network(&sequence, &atoms, &vec![50.0; len]);
        if let Err(why) = check_prediction("exploded", &sequence, &s) {
            failures.push(format!("case {case} (L={len}): {why}"));
        }
    }
    assert!(failures.is_empty(), "{} of 40 invalid:\n{}", failures.len(), failures[..failures.len().min(10)].join("\n"));
}
