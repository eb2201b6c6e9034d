//! User text (a bare sequence or FASTA, one or many records) -> checked records and tokens (D1).
//!
//! Rules (see docs/DESIGN.md, D1):
//! - Residue letters are case-insensitive; ASCII whitespace and ASCII digits are ignored.
//! - One trailing `*` (stop) per record is accepted; a `*` followed by residues is an error.
//! - `U` -> `C`, `O` -> `K`, `B`/`Z`/`J` -> `X`, each with a warning naming the positions.
//! - Gaps (`-`, `.`) are errors (this is a single-sequence predictor, not an alignment reader).
//! - Any other character (punctuation such as `#`, control/binary bytes, non-ASCII letters) is an
//!   error naming the record, the character (escaped when not printable), the 1-based residue
//!   position and the 1-based line number.
//! - Text before the first `>` header is a bare sequence with id `query`; mixing a bare
//!   sequence with FASTA records is an error.
//! - Ids are the first word of the header; empty and duplicate ids are errors, and so are two
//!   ids that give the same file name ([`Record::file_stem`]).
//! - Empty input, records without residues and records longer than [`ParseOptions::max_len`]
//!   are errors that state the limit. Residues past the limit are counted, never stored.
//! - Input that is not UTF-8 ([`parse_bytes`]) is an error with the byte offset.
//!
//! Parsing never panics, whatever the input.

use std::collections::BTreeMap;
use std::fmt;

/// The 20 standard amino acids in token order (D1); `X` (unknown) is token 20.
pub const ALPHABET: &[u8; 20] = b"ARNDCQEGHILKMFPSTWYV";
/// Token of the unknown residue `X`.
pub const UNKNOWN_TOKEN: u8 = 20;
/// Number of token values (20 amino acids + unknown).
pub const N_TOKENS: usize = 21;
/// Default maximum sequence length (residues per record).
pub const MAX_LEN: usize = 1000;
/// Id given to a bare sequence that has no FASTA header.
pub const DEFAULT_ID: &str = "query";

/// Options of [`parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Longest accepted record, in residues.
    pub max_len: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { max_len: MAX_LEN }
    }
}

/// One parsed sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// First word of the FASTA header, or [`DEFAULT_ID`] for a bare sequence.
    pub id: String,
    /// Upper-case one-letter sequence after substitutions (only `ARNDCQEGHILKMFPSTWYVX`).
    pub sequence: String,
    /// D1 token of every residue (`sequence.len()` values in 0..=20).
    pub tokens: Vec<u8>,
    /// Human-readable notes about substitutions made.
    pub warnings: Vec<String>,
}

impl Record {
    /// Number of residues.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True when the record has no residues (never the case for records returned by [`parse`]).
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The id reduced to `[A-Za-z0-9._-]` (other characters become `_`, at most 64 characters,
    /// never empty, never starting with `.`): safe to use as a file name.
    pub fn file_stem(&self) -> String {
        safe_file_stem(&self.id)
    }
}

/// Why some text is not an acceptable sequence input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// The bytes are not valid UTF-8; `offset` is the 0-based byte offset of the first bad byte.
    NotUtf8 { offset: usize },
    /// Nothing but whitespace (or nothing at all).
    Empty,
    /// A header line `>` without an id.
    EmptyId { line: usize },
    /// Two records share an id.
    DuplicateId { id: String, line: usize, first_line: usize },
    /// Two different ids reduce to the same file name ([`Record::file_stem`]), so one record's
    /// files would overwrite the other's.
    SameFileName { id: String, line: usize, other: String, first_line: usize, stem: String },
    /// Sequence text before the first `>` header of a FASTA input.
    TextBeforeHeader { line: usize },
    /// A character that is not an amino-acid letter.
    InvalidChar { id: String, ch: char, position: usize, line: usize },
    /// An alignment gap (`-` or `.`).
    Gap { id: String, ch: char, position: usize, line: usize },
    /// Residues after a `*` (stop), or a second `*`.
    MisplacedStop { id: String, position: usize, line: usize },
    /// A record without residues.
    NoResidues { id: String, line: usize },
    /// A record longer than the limit.
    TooLong { id: String, len: usize, max_len: usize, line: usize },
}

/// Printable description of a character: `'#'`, `'é' (U+00E9)`, `'\u{0}' (U+0000)`.
pub fn describe_char(ch: char) -> String {
    if ch.is_ascii_graphic() {
        format!("'{ch}'")
    } else if ch == ' ' {
        "' ' (space)".to_string()
    } else if ch.is_control() || ch.is_whitespace() || ch == '\u{FEFF}' || ch == '\u{FFFD}' {
        format!("'{}' (U+{:04X})", ch.escape_default(), ch as u32)
    } else {
        format!("'{}' (U+{:04X})", ch, ch as u32)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::NotUtf8 { offset } => write!(
                f,
                "input is not UTF-8 text (invalid byte at offset {offset}); paste a plain-text sequence or FASTA"
            ),
            ParseError::Empty => write!(f, "no sequence given: the input is empty"),
            ParseError::EmptyId { line } => {
                write!(f, "line {line}: FASTA header '>' without an id (write e.g. '>my_protein')")
            }
            ParseError::DuplicateId { id, line, first_line } => write!(
                f,
                "line {line}: duplicate record id '{id}' (already used on line {first_line}); ids must be unique"
            ),
            ParseError::SameFileName { id, line, other, first_line, stem } => write!(
                f,
                "line {line}: record id '{id}' gives the same file name '{stem}' as '{other}' (line {first_line}); file names keep only letters, digits, '.', '_' and '-' (64 at most), so make the ids differ there"
            ),
            ParseError::TextBeforeHeader { line } => write!(
                f,
                "line {line}: sequence text before the first FASTA header; start every record with a '>' line, or give a single bare sequence"
            ),
            ParseError::InvalidChar { id, ch, position, line } => write!(
                f,
                "record '{id}', line {line}, residue {position}: invalid character {}; only amino-acid letters (ACDEFGHIKLMNPQRSTVWY, X, U, O, B, Z, J) are allowed",
                describe_char(*ch)
            ),
            ParseError::Gap { id, ch, position, line } => write!(
                f,
                "record '{id}', line {line}, residue {position}: gap character '{ch}'; give the ungapped sequence, not an alignment"
            ),
            ParseError::MisplacedStop { id, position, line } => write!(
                f,
                "record '{id}', line {line}, residue {position}: '*' (stop) is only allowed once, at the end of a record"
            ),
            ParseError::NoResidues { id, line } => {
                write!(f, "record '{id}' (line {line}) has no residues")
            }
            ParseError::TooLong { id, len, max_len, line } => write!(
                f,
                "record '{id}' (line {line}) has {len} residues; the limit is {max_len} residues"
            ),
        }
    }
}

impl std::error::Error for ParseError {}

/// D1 token of an upper-case standard letter or `X`; `None` for anything else.
pub fn token(letter: u8) -> Option<u8> {
    if letter == b'X' {
        return Some(UNKNOWN_TOKEN);
    }
    ALPHABET.iter().position(|&a| a == letter).map(|p| p as u8)
}

/// Tokens of an already clean sequence: standard letters (either case) map to 0..19, anything
/// else to [`UNKNOWN_TOKEN`]. Use [`parse`] for user input.
pub fn tokens(sequence: &str) -> Vec<u8> {
    sequence
        .bytes()
        .map(|b| token(b.to_ascii_uppercase()).unwrap_or(UNKNOWN_TOKEN))
        .collect()
}

/// One-letter code of a token (`X` for 20 and anything out of range).
pub fn letter(token: u8) -> char {
    ALPHABET.get(token as usize).map(|&b| b as char).unwrap_or('X')
}

/// Sequence string of tokens.
pub fn sequence_of(tokens: &[u8]) -> String {
    tokens.iter().map(|&t| letter(t)).collect()
}

/// PDB three-letter residue name of a one-letter code (`UNK` for `X` and anything unknown).
pub fn three_letter(one: char) -> &'static str {
    match one.to_ascii_uppercase() {
        'A' => "ALA",
        'R' => "ARG",
        'N' => "ASN",
        'D' => "ASP",
        'C' => "CYS",
        'Q' => "GLN",
        'E' => "GLU",
        'G' => "GLY",
        'H' => "HIS",
        'I' => "ILE",
        'L' => "LEU",
        'K' => "LYS",
        'M' => "MET",
        'F' => "PHE",
        'P' => "PRO",
        'S' => "SER",
        'T' => "THR",
        'W' => "TRP",
        'Y' => "TYR",
        'V' => "VAL",
        _ => "UNK",
    }
}

/// One-letter code of a PDB three-letter residue name (`X` when unknown; MSE -> M, SEC -> C,
/// PYL -> K).
pub fn one_letter(three: &str) -> char {
    match three.trim().to_ascii_uppercase().as_str() {
        "ALA" => 'A',
        "ARG" => 'R',
        "ASN" => 'N',
        "ASP" => 'D',
        "CYS" => 'C',
        "GLN" => 'Q',
        "GLU" => 'E',
        "GLY" => 'G',
        "HIS" => 'H',
        "ILE" => 'I',
        "LEU" => 'L',
        "LYS" => 'K',
        "MET" => 'M',
        "PHE" => 'F',
        "PRO" => 'P',
        "SER" => 'S',
        "THR" => 'T',
        "TRP" => 'W',
        "TYR" => 'Y',
        "VAL" => 'V',
        "MSE" => 'M',
        "SEC" => 'C',
        "PYL" => 'K',
        _ => 'X',
    }
}

/// `id` reduced to a safe file name (see [`Record::file_stem`]).
pub fn safe_file_stem(id: &str) -> String {
    let mut s: String = id
        .chars()
        .take(64)
        .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-' { c } else { '_' })
        .collect();
    if s.starts_with('.') {
        s.replace_range(0..1, "_");
    }
    if s.is_empty() {
        s.push_str(DEFAULT_ID);
    }
    s
}

/// Parse raw bytes (e.g. an uploaded file): checks UTF-8 first, then [`parse`].
pub fn parse_bytes(input: &[u8], options: &ParseOptions) -> Result<Vec<Record>, ParseError> {
    match std::str::from_utf8(input) {
        Ok(text) => parse(text, options),
        Err(e) => Err(ParseError::NotUtf8 { offset: e.valid_up_to() }),
    }
}

/// Parse with the default options ([`MAX_LEN`] residues per record).
pub fn parse_default(text: &str) -> Result<Vec<Record>, ParseError> {
    parse(text, &ParseOptions::default())
}

/// Record being read.
struct Pending {
    id: String,
    line: usize,
    sequence: String,
    /// Residues seen (may exceed the stored `sequence` once past the limit).
    count: usize,
    stop_seen: bool,
    /// 1-based positions of substituted letters: U, O, B, Z, J.
    substituted: [Vec<usize>; 5],
}

impl Pending {
    fn new(id: String, line: usize) -> Self {
        Pending {
            id,
            line,
            sequence: String::new(),
            count: 0,
            stop_seen: false,
            substituted: Default::default(),
        }
    }

    fn finish(self, max_len: usize) -> Result<Record, ParseError> {
        if self.count == 0 {
            return Err(ParseError::NoResidues { id: self.id, line: self.line });
        }
        if self.count > max_len {
            return Err(ParseError::TooLong { id: self.id, len: self.count, max_len, line: self.line });
        }
        const NAMES: [(&str, char); 5] = [
            ("U (selenocysteine)", 'C'),
            ("O (pyrrolysine)", 'K'),
            ("B (D or N)", 'X'),
            ("Z (E or Q)", 'X'),
            ("J (I or L)", 'X'),
        ];
        let mut warnings = Vec::new();
        for (k, positions) in self.substituted.iter().enumerate() {
            if positions.is_empty() {
                continue;
            }
            let (name, to) = NAMES[k];
            const SHOWN: usize = 20;
            let mut list: Vec<String> = positions.iter().take(SHOWN).map(|p| p.to_string()).collect();
            if positions.len() > SHOWN {
                list.push(format!("and {} more", positions.len() - SHOWN));
            }
            let plural = if positions.len() == 1 { "" } else { "s" };
            warnings.push(format!(
                "record '{}': {} at position{} {} replaced by {}",
                self.id,
                name,
                plural,
                list.join(", "),
                to
            ));
        }
        let tokens = tokens(&self.sequence);
        Ok(Record { id: self.id, sequence: self.sequence, tokens, warnings })
    }
}

/// Letters read as another residue, each reported in a warning (order = `Pending::substituted`):
/// U (selenocysteine) -> C, O (pyrrolysine) -> K, B, Z and J (ambiguous) -> X.
const SUBSTITUTIONS: [(u8, u8); 5] = [(b'U', b'C'), (b'O', b'K'), (b'B', b'X'), (b'Z', b'X'), (b'J', b'X')];

/// Remember a substituted position (only within the length limit: longer records are errors).
fn note(positions: &mut Vec<usize>, position: usize, max_len: usize) {
    if position <= max_len {
        positions.push(position);
    }
}

/// Parse a bare sequence or FASTA text into records. See the module docs for the rules.
pub fn parse(text: &str, options: &ParseOptions) -> Result<Vec<Record>, ParseError> {
    // A byte-order mark at the very start is an artefact of some editors: drop it.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    if text.chars().all(|c| c.is_ascii_whitespace()) {
        return Err(ParseError::Empty);
    }
    let is_fasta = text.trim_start_matches(|c: char| c.is_ascii_whitespace()).starts_with('>');

    let mut records: Vec<Record> = Vec::new();
    // (id, line) of every record, for duplicate detection.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    // (id, line) of every file stem: two ids must not write the same files.
    let mut stems: BTreeMap<String, (String, usize)> = BTreeMap::new();
    // Bare input: line of the first sequence text (for the error when a header follows).
    let mut first_text_line: Option<usize> = None;
    let mut current: Option<Pending> = if is_fasta { None } else { Some(Pending::new(DEFAULT_ID.to_string(), 1)) };

    for (line_idx, raw_line) in text.split('\n').enumerate() {
        let line_no = line_idx + 1;
        let line = raw_line.trim_start_matches(|c: char| c.is_ascii_whitespace());
        if let Some(header) = line.strip_prefix('>') {
            if !is_fasta {
                return Err(ParseError::TextBeforeHeader { line: first_text_line.unwrap_or(1) });
            }
            if let Some(done) = current.take() {
                records.push(done.finish(options.max_len)?);
            }
            let id = header.split(|c: char| c.is_whitespace()).find(|w| !w.is_empty()).unwrap_or("");
            if id.is_empty() {
                return Err(ParseError::EmptyId { line: line_no });
            }
            if let Some(first_line) = seen.get(id) {
                return Err(ParseError::DuplicateId { id: id.to_string(), line: line_no, first_line: *first_line });
            }
            seen.insert(id.to_string(), line_no);
            let stem = safe_file_stem(id);
            if let Some((other, first_line)) = stems.get(&stem) {
                return Err(ParseError::SameFileName {
                    id: id.to_string(),
                    line: line_no,
                    other: other.clone(),
                    first_line: *first_line,
                    stem,
                });
            }
            stems.insert(stem, (id.to_string(), line_no));
            current = Some(Pending::new(id.to_string(), line_no));
            continue;
        }
        let rec = match current.as_mut() {
            Some(r) => r,
            None => {
                // FASTA input: only whitespace may precede the first header, and we are before it.
                if line.chars().all(|c| c.is_ascii_whitespace()) {
                    continue;
                }
                return Err(ParseError::TextBeforeHeader { line: line_no });
            }
        };
        for ch in line.chars() {
            if ch.is_ascii_whitespace() || ch.is_ascii_digit() {
                continue;
            }
            if first_text_line.is_none() {
                first_text_line = Some(line_no);
            }
            let position = rec.count + 1;
            if ch == '*' {
                if rec.stop_seen {
                    return Err(ParseError::MisplacedStop { id: rec.id.clone(), position, line: line_no });
                }
                rec.stop_seen = true;
                continue;
            }
            if ch == '-' || ch == '.' {
                return Err(ParseError::Gap { id: rec.id.clone(), ch, position, line: line_no });
            }
            let upper = if ch.is_ascii_alphabetic() { ch.to_ascii_uppercase() as u8 } else { 0 };
            let out = if let Some(k) = SUBSTITUTIONS.iter().position(|&(from, _)| from == upper) {
                note(&mut rec.substituted[k], position, options.max_len);
                SUBSTITUTIONS[k].1
            } else if upper != 0 && token(upper).is_some() {
                upper
            } else {
                return Err(ParseError::InvalidChar { id: rec.id.clone(), ch, position, line: line_no });
            };
            if rec.stop_seen {
                return Err(ParseError::MisplacedStop { id: rec.id.clone(), position, line: line_no });
            }
            rec.count += 1;
            if rec.count <= options.max_len {
                rec.sequence.push(out as char);
            }
        }
    }
    if let Some(done) = current.take() {
        records.push(done.finish(options.max_len)?);
    }
    if records.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(records)
}
