//! Sequence input parsing (D1): every rule of src/sequence.rs.

use webfold::sequence::{
    letter, one_letter, parse, parse_bytes, parse_default, safe_file_stem, sequence_of, three_letter, token, tokens,
    ParseError, ParseOptions, Record, ALPHABET, DEFAULT_ID, MAX_LEN, UNKNOWN_TOKEN,
};

fn one(text: &str) -> Record {
    let mut r = parse_default(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"));
    assert_eq!(r.len(), 1, "{text:?}: expected one record");
    r.remove(0)
}

fn err(text: &str) -> ParseError {
    match parse_default(text) {
        Ok(r) => panic!("{text:?} should be rejected, got {r:?}"),
        Err(e) => e,
    }
}

#[test]
fn tokens_follow_d1() {
    assert_eq!(ALPHABET, b"ARNDCQEGHILKMFPSTWYV");
    for (i, &a) in ALPHABET.iter().enumerate() {
        assert_eq!(token(a), Some(i as u8));
        assert_eq!(letter(i as u8), a as char);
    }
    assert_eq!(token(b'X'), Some(20));
    assert_eq!(UNKNOWN_TOKEN, 20);
    assert_eq!(token(b'B'), None);
    assert_eq!(token(b'a'), None, "token() takes upper-case letters only");
    assert_eq!(tokens("ARNDX"), vec![0, 1, 2, 3, 20]);
    assert_eq!(tokens("arnd"), vec![0, 1, 2, 3]);
    assert_eq!(tokens("B?"), vec![20, 20]);
    assert_eq!(sequence_of(&[0, 19, 20, 99]), "AVXX");
    assert_eq!(three_letter('W'), "TRP");
    assert_eq!(three_letter('X'), "UNK");
    assert_eq!(one_letter("MSE"), 'M');
    assert_eq!(one_letter("HOH"), 'X');
    for &a in ALPHABET.iter() {
        assert_eq!(one_letter(three_letter(a as char)), a as char);
    }
}

#[test]
fn raw_sequence() {
    let r = one("MKTAYIAKQR");
    assert_eq!(r.id, DEFAULT_ID);
    assert_eq!(r.id, "query");
    assert_eq!(r.sequence, "MKTAYIAKQR");
    assert_eq!(r.tokens, tokens("MKTAYIAKQR"));
    assert!(r.warnings.is_empty());
}

#[test]
fn lowercase_whitespace_digits_and_crlf() {
    let r = one("  1 mktay iakqr\r\n 11 GHILK\tMFP\r\n\r\n");
    assert_eq!(r.sequence, "MKTAYIAKQRGHILKMFP");
    let r = one(">x\r\nacde\r\nfgh\r\n");
    assert_eq!(r.sequence, "ACDEFGH");
    // GenBank-style numbered blocks.
    let r = one("        1 mktayiakqr qisfvkshfs\n       21 rqleerlglie\n");
    assert_eq!(r.sequence, "MKTAYIAKQRQISFVKSHFSRQLEERLGLIE");
}

#[test]
fn all_twenty_and_x() {
    let r = one("ARNDCQEGHILKMFPSTWYVX");
    assert_eq!(r.tokens, (0..=20).collect::<Vec<u8>>());
    assert!(r.warnings.is_empty());
}

#[test]
fn trailing_stop() {
    assert_eq!(one("MKT*").sequence, "MKT");
    assert_eq!(one("MKT*\n").sequence, "MKT");
    assert_eq!(one("MKT *  \n\n").sequence, "MKT");
    let recs = parse_default(">a\nMKT*\n>b\nGGG*\n").unwrap();
    assert_eq!(recs.iter().map(|r| r.sequence.as_str()).collect::<Vec<_>>(), ["MKT", "GGG"]);
    // A stop in the middle, or two stops, are errors naming the position.
    match err("MK*T") {
        ParseError::MisplacedStop { id, position, line } => {
            assert_eq!((id.as_str(), position, line), ("query", 3, 1));
        }
        e => panic!("{e:?}"),
    }
    assert!(matches!(err("MKT**"), ParseError::MisplacedStop { position: 4, .. }));
    assert!(matches!(err(">a\nMK*\nT\n"), ParseError::MisplacedStop { position: 3, line: 3, .. }));
    // A record of only '*' has no residues.
    assert!(matches!(err(">a\n*\n"), ParseError::NoResidues { .. }));
}

#[test]
fn substitutions_with_warnings() {
    let r = one(">sel\nAUGUOBZJ\n");
    assert_eq!(r.sequence, "ACGCKXXX");
    assert_eq!(r.tokens, vec![0, 4, 7, 4, 11, 20, 20, 20]);
    assert_eq!(r.warnings.len(), 5, "{:?}", r.warnings);
    let all = r.warnings.join("\n");
    assert!(r.warnings[0].contains("U") && r.warnings[0].contains("positions 2, 4") && r.warnings[0].contains("by C"), "{all}");
    assert!(r.warnings[1].contains("O") && r.warnings[1].contains("position 5") && r.warnings[1].contains("by K"), "{all}");
    assert!(r.warnings[2].contains("B") && r.warnings[2].contains("position 6"), "{all}");
    assert!(r.warnings[3].contains("Z") && r.warnings[3].contains("position 7"), "{all}");
    assert!(r.warnings[4].contains("J") && r.warnings[4].contains("position 8"), "{all}");
    assert!(r.warnings.iter().all(|w| w.contains("'sel'")));
    // Lower case too.
    assert_eq!(one("aub").sequence, "ACX");
    // Long lists are shortened.
    let r = one(&"U".repeat(50));
    assert!(r.warnings[0].contains("and 30 more"), "{:?}", r.warnings);
}

#[test]
fn gaps_are_errors() {
    match err("MK-T") {
        ParseError::Gap { id, ch, position, line } => assert_eq!((id.as_str(), ch, position, line), ("query", '-', 3, 1)),
        e => panic!("{e:?}"),
    }
    match err(">aln\nMKT\nA.C\n") {
        ParseError::Gap { id, ch, position, line } => assert_eq!((id.as_str(), ch, position, line), ("aln", '.', 5, 3)),
        e => panic!("{e:?}"),
    }
    let msg = err("M-").to_string();
    assert!(msg.contains("gap") && msg.contains("residue 2") && msg.contains("line 1"), "{msg}");
}

#[test]
fn invalid_characters_name_record_char_position_and_line() {
    match err(">p1 some protein\nMKTA\nYI#AK\n") {
        ParseError::InvalidChar { id, ch, position, line } => {
            assert_eq!((id.as_str(), ch, position, line), ("p1", '#', 7, 3));
        }
        e => panic!("{e:?}"),
    }
    let msg = err(">p1 some protein\nMKTA\nYI#AK\n").to_string();
    for part in ["'p1'", "'#'", "line 3", "residue 7"] {
        assert!(msg.contains(part), "{msg} lacks {part}");
    }
    // Unicode letters and symbols.
    for (text, ch) in [("MKÉT", 'É'), ("MKαT", 'α'), ("MK😀T", '😀'), ("MK\u{00A0}T", '\u{00A0}'), ("MK∗", '∗')] {
        match err(text) {
            ParseError::InvalidChar { ch: c, position: 3, line: 1, .. } => assert_eq!(c, ch),
            e => panic!("{text:?}: {e:?}"),
        }
        let msg = err(text).to_string();
        assert!(msg.contains(&format!("U+{:04X}", ch as u32)), "{msg}");
    }
    // Other ASCII punctuation.
    for c in ['#', '!', '?', '@', '_', '/', ';', '+', '"', '>', '<', '[', '~'] {
        let text = format!("MK{c}");
        if c == '>' {
            continue; // a '>' inside a line is not a header
        }
        assert!(matches!(err(&text), ParseError::InvalidChar { position: 3, .. }), "{text}");
    }
    assert!(matches!(err("MK>T"), ParseError::InvalidChar { ch: '>', position: 3, .. }));
}

#[test]
fn binary_and_control_bytes() {
    // Valid UTF-8 but control characters: printable escape in the message.
    match err("MK\u{0}T") {
        ParseError::InvalidChar { ch: '\u{0}', position: 3, line: 1, .. } => {}
        e => panic!("{e:?}"),
    }
    let msg = err("MK\u{0}T").to_string();
    assert!(msg.contains("U+0000") && !msg.contains('\u{0}'), "{msg:?}");
    let msg = err("MK\u{1b}[31mT").to_string();
    assert!(msg.contains("U+001B") && !msg.contains('\u{1b}'), "{msg:?}");
    // Bytes that are not UTF-8: error with the offset, never a panic.
    let bytes = b"MKTA\xff\xfeYI";
    assert_eq!(parse_bytes(bytes, &ParseOptions::default()), Err(ParseError::NotUtf8 { offset: 4 }));
    assert!(parse_bytes(bytes, &ParseOptions::default()).unwrap_err().to_string().contains("offset 4"));
    // Truncated multi-byte sequence at the end.
    assert_eq!(parse_bytes(b">a\nMK\xc3", &ParseOptions::default()), Err(ParseError::NotUtf8 { offset: 5 }));
    // Arbitrary binary never panics.
    let mut x: u32 = 12345;
    for len in 0..200usize {
        let data: Vec<u8> = (0..len)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        let _ = parse_bytes(&data, &ParseOptions::default());
        let _ = parse_default(&String::from_utf8_lossy(&data));
    }
    // UTF-8 input goes through.
    assert_eq!(parse_bytes(b"mkt", &ParseOptions::default()).unwrap()[0].sequence, "MKT");
    // A leading byte-order mark is tolerated.
    assert_eq!(parse_bytes("\u{FEFF}>a\nMKT".as_bytes(), &ParseOptions::default()).unwrap()[0].sequence, "MKT");
}

#[test]
fn empty_inputs() {
    for text in ["", " ", "\n\n", "\r\n\t  \n"] {
        assert_eq!(err(text), ParseError::Empty, "{text:?}");
    }
    assert!(err("").to_string().contains("empty"));
    // Digits and stars only: a bare record with no residues.
    assert!(matches!(err("123 456"), ParseError::NoResidues { .. }));
    assert!(matches!(err(">a\n"), ParseError::NoResidues { ref id, line: 1 } if id == "a"));
    assert!(matches!(err(">a\nMKT\n>b\n\n>c\nGG"), ParseError::NoResidues { ref id, line: 3 } if id == "b"));
    assert!(err(">a\n").to_string().contains("'a'"));
}

#[test]
fn headers_and_ids() {
    let recs = parse_default(">sp|P69905|HBA_HUMAN Hemoglobin subunit alpha\nMVLSPADKTN\n>second\tdesc\nGG\n>  third\nAA").unwrap();
    assert_eq!(recs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["sp|P69905|HBA_HUMAN", "second", "third"]);
    assert_eq!(recs[0].file_stem(), "sp_P69905_HBA_HUMAN");
    assert_eq!(safe_file_stem("../../etc/passwd"), "_._.._etc_passwd");
    assert_eq!(safe_file_stem(".hidden"), "_hidden");
    assert_eq!(safe_file_stem("ünï"), "_n_");
    assert_eq!(safe_file_stem(""), "query");
    assert_eq!(safe_file_stem(&"a".repeat(100)).len(), 64);
    // Leading blank lines and indentation before the first header.
    assert_eq!(one("\n\n   >x\nMK").id, "x");
    // Empty ids.
    assert_eq!(err(">\nMKT"), ParseError::EmptyId { line: 1 });
    assert_eq!(err(">a\nMK\n>   \nGG"), ParseError::EmptyId { line: 3 });
    assert!(err(">\nMKT").to_string().contains("line 1"));
    // Duplicate ids.
    assert_eq!(
        err(">a x\nMK\n>b\nGG\n>a y\nAA"),
        ParseError::DuplicateId { id: "a".into(), line: 5, first_line: 1 }
    );
    let msg = err(">a\nMK\n>a\nGG").to_string();
    assert!(msg.contains("duplicate") && msg.contains("'a'"), "{msg}");
    // Different ids that give the same file name.
    assert_eq!(
        err(">a|b\nMK\n>c\nGG\n>a_b\nAA"),
        ParseError::SameFileName { id: "a_b".into(), line: 5, other: "a|b".into(), first_line: 1, stem: "a_b".into() }
    );
    let msg = err(">sp|P1\nMK\n>sp_P1\nGG").to_string();
    assert!(msg.contains("line 3") && msg.contains("'sp_P1'") && msg.contains("'sp|P1'") && msg.contains("line 1"), "{msg}");
    // Ids are case-sensitive.
    assert_eq!(parse_default(">a\nMK\n>A\nGG").unwrap().len(), 2);
}

#[test]
fn text_before_the_first_header_is_an_error() {
    assert_eq!(err("MKT\n>a\nGG"), ParseError::TextBeforeHeader { line: 1 });
    assert_eq!(err("\n\nMKT\nAAA\n>a\nGG"), ParseError::TextBeforeHeader { line: 3 });
    assert!(err("MKT\n>a\nGG").to_string().contains("header"));
}

#[test]
fn many_records() {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&format!(">rec{i} description {i}\n"));
        text.push_str(&"ACDEFGHIKLMNPQRSTVWY"[..1 + i % 20]);
        text.push('\n');
    }
    let recs = parse_default(&text).unwrap();
    assert_eq!(recs.len(), 2000);
    for (i, r) in recs.iter().enumerate() {
        assert_eq!(r.id, format!("rec{i}"));
        assert_eq!(r.len(), 1 + i % 20);
        assert_eq!(r.tokens, tokens(&r.sequence));
    }
    // An error in a later record names that record.
    text.push_str(">bad\nMK%\n");
    match err(&text) {
        ParseError::InvalidChar { id, ch: '%', position: 3, line: 4002 } => assert_eq!(id, "bad"),
        e => panic!("{e:?}"),
    }
}

#[test]
fn length_limits() {
    assert_eq!(MAX_LEN, 1000);
    assert_eq!(ParseOptions::default().max_len, 1000);
    assert_eq!(one(&"A".repeat(1000)).len(), 1000);
    match err(&"A".repeat(1001)) {
        ParseError::TooLong { id, len, max_len, line } => assert_eq!((id.as_str(), len, max_len, line), ("query", 1001, 1000, 1)),
        e => panic!("{e:?}"),
    }
    let msg = err(&"A".repeat(1001)).to_string();
    assert!(msg.contains("1001") && msg.contains("limit is 1000"), "{msg}");
    // 100,000 letters, wrapped like FASTA: rejected with the real length, quickly.
    let mut big = String::from(">huge\n");
    for chunk in "MKTAYIAKQR".repeat(10_000).as_bytes().chunks(60) {
        big.push_str(std::str::from_utf8(chunk).unwrap());
        big.push('\n');
    }
    let t = std::time::Instant::now();
    match err(&big) {
        ParseError::TooLong { id, len: 100_000, max_len: 1000, line: 1 } => assert_eq!(id, "huge"),
        e => panic!("{e:?}"),
    }
    assert!(t.elapsed().as_secs_f64() < 2.0);
    // The second record is the long one.
    let text = format!(">ok\nMKT\n>long\n{}\n", "G".repeat(5000));
    assert!(matches!(err(&text), ParseError::TooLong { ref id, len: 5000, line: 3, .. } if id == "long"));
    // Custom limits.
    let opts = ParseOptions { max_len: 5 };
    assert!(parse("MKTAY", &opts).is_ok());
    assert!(matches!(parse("MKTAYI", &opts), Err(ParseError::TooLong { len: 6, max_len: 5, .. })));
    let opts = ParseOptions { max_len: 20_000 };
    assert_eq!(parse(&"W".repeat(20_000), &opts).unwrap()[0].len(), 20_000);
}

#[test]
fn errors_are_displayable_and_std_errors() {
    let errors: Vec<ParseError> = vec![
        err(""),
        err(">\nA"),
        err(">a\nA\n>a\nA"),
        err("A\n>a\nA"),
        err("A#"),
        err("A-"),
        err("A*A"),
        err(">a\n"),
        err(&"A".repeat(1001)),
        parse_bytes(b"\xff", &ParseOptions::default()).unwrap_err(),
    ];
    for e in errors {
        let boxed: Box<dyn std::error::Error> = Box::new(e.clone());
        let msg = boxed.to_string();
        assert!(msg.len() > 10 && !msg.contains('\u{0}'), "{e:?} -> {msg:?}");
    }
}
