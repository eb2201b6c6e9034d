//! Template library, search and modelling (issue 8) on the committed library file.

mod common;

use std::sync::OnceLock;

use common::XorShift;
use webfold::geometry::superpose::{rmsd, superpose};
use webfold::geometry::peptides::{place_peptide_planes, rama_class, Ramachandran, IMPROBABLE_ENERGY};
use webfold::geometry::relax::{relax_with, RelaxOptions};
use webfold::geometry::{check, distance};
use webfold::templates::consensus::consensus;
use webfold::templates::search::{align_exact, candidates, is_excluded, pairs_score, score_exact, search, Statistics};
use webfold::templates::{self, backbone, Library, SearchOptions, Templates};

const LIBRARY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/templates/library.wftl");

fn templates() -> &'static Templates {
    static T: OnceLock<Templates> = OnceLock::new();
    T.get_or_init(|| Templates::from_bytes(&std::fs::read(LIBRARY).expect("templates/library.wftl")).expect("the committed library reads"))
}

fn v(p: &serde_json::Value) -> [f64; 3] {
    let a = p.as_array().unwrap();
    [a[0].as_f64().unwrap(), a[1].as_f64().unwrap(), a[2].as_f64().unwrap()]
}

#[test]
fn library_holds_every_structuredb_chain_with_unique_names() {
    let lib = &templates().library;
    assert_eq!(lib.len(), 21_119, "every StructureDB chain");
    assert!(lib.residues() > 4_500_000, "{} residues", lib.residues());
    let mut names: Vec<&str> = (0..lib.len()).map(|i| lib.name(i)).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), lib.len(), "chain names are unique");
    assert!(lib.source.contains("StructureDB"), "source: {}", lib.source);
}

#[test]
fn decoded_traces_match_the_structuredb_coordinates() {
    let lib = &templates().library;
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/templates_sample.json")).unwrap();
    let sample: serde_json::Value = serde_json::from_str(&text).unwrap();
    let chains = sample.as_array().expect("a list of chains");
    assert!(chains.len() >= 5);
    for ch in chains {
        let name = ch["name"].as_str().unwrap();
        let k = lib.find(name).unwrap_or_else(|| panic!("{name} is in the library"));
        assert_eq!(std::str::from_utf8(lib.sequence(k)).unwrap(), ch["sequence"].as_str().unwrap(), "{name}: sequence");
        let truth: Vec<[f64; 3]> = ch["ca"].as_array().unwrap().iter().map(v).collect();
        let decoded = lib.ca(k);
        assert_eq!(decoded.len(), truth.len(), "{name}: length");
        let t = superpose(&decoded, &truth);
        let worst = decoded.iter().zip(&truth).map(|(a, b)| webfold::geometry::superpose::rmsd(&t, &[*a], &[*b])).fold(0.0, f64::max);
        assert!(worst < 0.1, "{name}: decoded CA up to {worst:.3} A from the StructureDB's");
        // N and C rebuilt from the decoded CA trace are near the real ones (the relaxation
        // makes them exact afterwards).
        if truth.len() >= 5 {
            let (n, c) = backbone::rebuild_n_c(&decoded, &lib.backbone_table);
            let true_n: Vec<[f64; 3]> = ch["n"].as_array().unwrap().iter().map(v).collect();
            let true_c: Vec<[f64; 3]> = ch["c"].as_array().unwrap().iter().map(v).collect();
            let rn = rmsd(&t, &n[1..n.len() - 1], &true_n[1..n.len() - 1]);
            let rc = rmsd(&t, &c[1..c.len() - 1], &true_c[1..c.len() - 1]);
            assert!(rn < 0.6 && rc < 0.6, "{name}: rebuilt N RMSD {rn:.2} A, C RMSD {rc:.2} A");
        }
    }
}

/// (phi, psi) in degrees of the internal residues of a backbone.
fn phi_psi(n: &[[f64; 3]], ca: &[[f64; 3]], c: &[[f64; 3]]) -> Vec<(f64, f64)> {
    let t = |a: [f64; 3], b: [f64; 3], cc: [f64; 3], d: [f64; 3]| {
        let sub = |x: [f64; 3], y: [f64; 3]| [x[0] - y[0], x[1] - y[1], x[2] - y[2]];
        let cross = |x: [f64; 3], y: [f64; 3]| [x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]];
        let dot = |x: [f64; 3], y: [f64; 3]| x[0] * y[0] + x[1] * y[1] + x[2] * y[2];
        let (b1, b2, b3) = (sub(b, a), sub(cc, b), sub(d, cc));
        (dot(b2, b2).sqrt() * dot(b1, cross(b2, b3))).atan2(dot(cross(b1, b2), cross(b2, b3))).to_degrees()
    };
    (1..ca.len() - 1).map(|i| (t(c[i - 1], n[i], ca[i], c[i]), t(n[i], ca[i], c[i], n[i + 1]))).collect()
}

#[test]
fn peptide_planes_on_true_ca_traces_give_native_like_phi_psi() {
    let lib = &templates().library;
    let rama = Ramachandran::get();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/templates_sample.json")).unwrap();
    let sample: serde_json::Value = serde_json::from_str(&text).unwrap();
    let angle_error = |a: f64, b: f64| {
        let d = (a - b).rem_euclid(360.0);
        d.min(360.0 - d)
    };
    // Per method: residues, summed |d phi| + |d psi|, residues within 30 degrees in both,
    // improbable residues (energy above 5: under 1/150 of uniform), N and C squared errors.
    let mut stats = [[0.0f64; 5]; 3];
    for ch in sample.as_array().unwrap() {
        let seq = ch["sequence"].as_str().unwrap().as_bytes();
        let get = |k: &str| -> Vec<[f64; 3]> { ch[k].as_array().unwrap().iter().map(v).collect() };
        let (ca, true_n, true_c) = (get("ca"), get("n"), get("c"));
        let (table_n, table_c) = backbone::rebuild_n_c(&ca, &lib.backbone_table);
        let (mut dp_n, mut dp_c) = (table_n.clone(), table_c.clone());
        place_peptide_planes(seq, &ca, &mut dp_n, &mut dp_c, backbone::TABLE_WEIGHT);
        let truth = phi_psi(&true_n, &ca, &true_c);
        for (k, (n, c)) in [(&true_n, &true_c), (&table_n, &table_c), (&dp_n, &dp_c)].into_iter().enumerate() {
            let angles = phi_psi(n, &ca, c);
            for (i, (&(phi, psi), &(tphi, tpsi))) in angles.iter().zip(&truth).enumerate() {
                let r = i + 1;
                let (dphi, dpsi) = (angle_error(phi, tphi), angle_error(psi, tpsi));
                stats[k][0] += 1.0;
                stats[k][1] += dphi + dpsi;
                stats[k][2] += (dphi < 30.0 && dpsi < 30.0) as u8 as f64;
                stats[k][3] += (rama.energy(rama_class(seq, r), phi, psi) > IMPROBABLE_ENERGY) as u8 as f64;
                let sq = |a: [f64; 3], b: [f64; 3]| (0..3).map(|j| (a[j] - b[j]).powi(2)).sum::<f64>();
                stats[k][4] += sq(n[r], true_n[r]) + sq(c[r], true_c[r]);
            }
        }
    }
    for (name, s) in ["native", "table", "planes"].iter().zip(&stats) {
        eprintln!("{name}: {} residues, mean |d phi| + |d psi| {:.1} deg, both within 30 deg {:.1}%, improbable {:.2}%, N/C RMS error {:.3} A", s[0], s[1] / s[0], 100.0 * s[2] / s[0], 100.0 * s[3] / s[0], (s[4] / (2.0 * s[0])).sqrt());
    }
    // Measured: table 29.3 degrees, 2.36% improbable, 0.227 A; planes 24.2, 0.84%, 0.200 A.
    let [_, table, planes] = stats;
    assert!(planes[1] < 0.9 * table[1], "phi/psi error: planes {:.1}, table {:.1}", planes[1] / planes[0], table[1] / table[0]);
    assert!(planes[3] < 0.5 * table[3], "improbable: planes {}, table {}", planes[3], table[3]);
    assert!(planes[4] < table[4], "N/C error: planes {:.3}, table {:.3}", planes[4], table[4]);
}

#[test]
fn broken_library_files_give_clear_errors() {
    let good = std::fs::read(LIBRARY).unwrap();
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "empty"),
        ("not a library", b"HEADER    PDB file".to_vec(), "WFTL"),
        ("other version", [&good[..4], &9u32.to_le_bytes()[..], &good[8..]].concat(), "version 9"),
        ("truncated", good[..good.len() / 2].to_vec(), "corrupt or truncated"),
        ("header only", good[..8].to_vec(), "corrupt or truncated"),
    ];
    for (what, bytes, needle) in cases {
        let e = Library::from_bytes(&bytes).err().unwrap_or_else(|| panic!("{what}: accepted"));
        let msg = e.to_string();
        assert!(msg.starts_with("template library: ") && msg.contains(needle), "{what}: {msg}");
    }
    // A well-compressed payload with a bad profile plane or bad profile metadata.
    let payload = miniz_oxide::inflate::decompress_to_vec_zlib(&good[8..]).unwrap();
    let pack = |p: &[u8]| [&good[..8], &miniz_oxide::deflate::compress_to_vec_zlib(p, 1)[..]].concat();
    let mut bad_class = payload.clone();
    *bad_class.last_mut().unwrap() = 200;
    let msg = Library::from_bytes(&pack(&bad_class)).err().expect("class 200 accepted").to_string();
    assert!(msg.contains("has profile class 200, but there are 16"), "{msg}");
    let key = b"\"profile_order\":\"ACDEF";
    let at = payload.windows(key.len()).position(|w| w == key).expect("profile_order in the metadata");
    let mut bad_order = payload.clone();
    bad_order[at + 17..at + 19].copy_from_slice(b"CA");
    let msg = Library::from_bytes(&pack(&bad_order)).err().expect("wrong order accepted").to_string();
    assert!(msg.contains("profile_order is 'CADEF"), "{msg}");
    // Flipped bits anywhere in the compressed stream: an error or a valid library, never a panic.
    let mut rng = XorShift::new(7);
    for _ in 0..20 {
        let mut b = good[..good.len().min(200_000)].to_vec();
        let at = rng.range(8, b.len() - 1);
        b[at] ^= 1 << rng.below(8);
        assert!(std::panic::catch_unwind(|| Library::from_bytes(&b).is_err()).is_ok());
    }
}

/// Textbook Smith-Waterman with affine gaps (Gotoh), BLOSUM62 11/1: the reference the SIMD
/// aligner must match.
fn reference_sw(q: &[u8], t: &[u8]) -> i32 {
    use block_aligner::scores::{Matrix, BLOSUM62};
    let (open, ext) = (11, 1);
    let neg = i32::MIN / 4;
    let mut h = vec![vec![0i32; t.len() + 1]; q.len() + 1];
    let mut e = vec![vec![neg; t.len() + 1]; q.len() + 1];
    let mut f = vec![vec![neg; t.len() + 1]; q.len() + 1];
    let mut best = 0;
    for i in 1..=q.len() {
        for j in 1..=t.len() {
            e[i][j] = (e[i][j - 1] - ext).max(h[i][j - 1] - open - ext);
            f[i][j] = (f[i - 1][j] - ext).max(h[i - 1][j] - open - ext);
            h[i][j] = 0.max(h[i - 1][j - 1] + BLOSUM62.get(q[i - 1], t[j - 1]) as i32).max(e[i][j]).max(f[i][j]);
            best = best.max(h[i][j]);
        }
    }
    best
}

/// A relative of `a`: 1 in 20 residues deleted, 1 in 20 followed by an insertion of 1-5, 1 in
/// 5 substituted, after a random prefix of 0-39 residues.
fn related(rng: &mut XorShift, a: &str) -> String {
    let mut s = String::new();
    for ch in a.chars() {
        match rng.below(20) {
            0 => {}
            1 => {
                s.push(ch);
                s.push_str(&{ let n = rng.range(1, 6); rng.protein(n) });
            }
            2..=5 => s.push_str(&rng.protein(1)),
            _ => s.push(ch),
        }
    }
    format!("{}{}", { let n = rng.range(0, 40); rng.protein(n) }, s)
}

#[test]
fn exact_alignment_equals_textbook_smith_waterman() {
    let mut rng = XorShift::new(11);
    for case in 0..60 {
        let a = { let n = rng.range(5, 300); rng.protein(n) };
        // Related pairs (mutated copies with indels) and unrelated ones.
        let b: String = if case % 3 == 0 { { let n = rng.range(5, 300); rng.protein(n) } } else { related(&mut rng, &a) };
        let (score, pairs) = align_exact(a.as_bytes(), b.as_bytes());
        assert_eq!(score, reference_sw(a.as_bytes(), b.as_bytes()), "case {case}: score");
        assert_eq!(score_exact(a.as_bytes(), b.as_bytes()), score, "case {case}: score without the traceback");
        if score > 0 {
            assert_eq!(pairs_score(a.as_bytes(), b.as_bytes(), &pairs), score, "case {case}: traceback re-scores to the score");
        }
    }
}

#[test]
fn profile_alignment_is_exact_and_equals_the_sequence_alignment_on_blosum_rows() {
    use block_aligner::scores::{Matrix, BLOSUM62};
    use webfold::templates::profile::{self, AA_ORDER};
    let mut rng = XorShift::new(13);
    for case in 0..40 {
        let a = { let n = rng.range(5, 250); rng.protein(n) };
        let b = related(&mut rng, &a);
        // A "profile" whose column j is BLOSUM62's row of b[j] must give the sequence alignment.
        let rows: Vec<i8> = b.bytes().flat_map(|t| AA_ORDER.iter().map(move |&q| BLOSUM62.get(q, t))).collect();
        let (score, pairs) = profile::align(a.as_bytes(), &rows);
        let (seq_score, seq_pairs) = align_exact(a.as_bytes(), b.as_bytes());
        assert_eq!(score, seq_score, "case {case}: score");
        assert_eq!(score, reference_sw(a.as_bytes(), b.as_bytes()), "case {case}: textbook score");
        if score > 0 {
            assert_eq!(profile::pairs_score(a.as_bytes(), &rows, &pairs), score, "case {case}: traceback re-scores");
            assert_eq!(pairs_score(a.as_bytes(), b.as_bytes(), &seq_pairs), score);
        }
    }
}

#[test]
fn template_profiles_score_the_family_not_only_the_template_letter() {
    use webfold::templates::profile::{aa_index, AA_ORDER};
    let t = templates();
    let lib = &t.library;
    assert!(lib.profile_classes() >= 2);
    for k in [0, 1000, 5000, 10000, 21000] {
        let seq = lib.sequence(k);
        let scores = t.index.profiles.template(lib, k);
        assert_eq!(scores.len(), 20 * seq.len());
        // The template's own letter scores well on average...
        let own: f64 = seq.iter().enumerate().map(|(j, &c)| scores[20 * j + aa_index(c).unwrap()] as f64).sum::<f64>() / seq.len() as f64;
        assert!(own > 2.0, "{}: mean score of the template's own letters {own:.2}", lib.name(k));
        // ...but the columns differ from BLOSUM62's rows: the family's residues change them.
        let differ = seq.iter().enumerate().filter(|&(j, &c)| {
            AA_ORDER.iter().enumerate().any(|(a, &q)| {
                use block_aligner::scores::{Matrix, BLOSUM62};
                scores[20 * j + a] != BLOSUM62.get(q, c)
            })
        }).count();
        assert!(differ * 2 > seq.len(), "{}: only {differ} of {} columns differ from BLOSUM62", lib.name(k), seq.len());
    }
    // The classes of every amino acid separate conserved positions (the letter itself nearly
    // always) from variable ones (the letter a minority): the information BLOSUM62 lacks.
    for (a, &letter) in AA_ORDER.iter().enumerate() {
        let own: Vec<f64> = (0..lib.profile_classes()).map(|c| lib.class_frequencies(a, c)[a]).collect();
        let (lo, hi) = own.iter().fold((1.0f64, 0.0f64), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        assert!(hi > 0.9 && lo < 0.3, "{}: own frequency over the classes spans only {lo:.2}..{hi:.2}", letter as char);
    }
}

#[test]
fn statistics_follow_blast() {
    // Bit score: (lambda S - ln K) / ln 2 with BLAST's BLOSUM62 11/1 parameters.
    assert!((Statistics::bits(100) - 43.128).abs() < 0.001, "{}", Statistics::bits(100));
    let s = Statistics::new(300, 4_561_225, 21_119);
    assert!(s.length_adjustment > 50.0 && s.length_adjustment < 200.0, "length adjustment {}", s.length_adjustment);
    let e = s.evalue(100);
    assert!(e > 1e-6 && e < 1e-2, "E(100) = {e}");
    assert!(s.evalue(101) < e, "E falls with the score");
}

#[test]
fn a_library_chain_finds_itself_and_exclusions_work() {
    let t = templates();
    let lib = &t.library;
    let k = lib.find("1CRNA").or_else(|| (0..lib.len()).find(|&i| lib.sequence(i).len() > 80)).unwrap();
    let name = lib.name(k).to_string();
    let seq = lib.sequence(k).to_vec();
    let hits = search(lib, &t.index, &seq, &SearchOptions::default());
    assert_eq!(hits[0].name, name, "a chain's best hit is itself");
    assert_eq!(hits[0].identity, 1.0);
    assert_eq!(hits[0].pairs.len(), seq.len());
    let entry = name[..4].to_string();
    let opts = SearchOptions { exclude: vec![entry.to_lowercase()], ..SearchOptions::default() };
    let hits = search(lib, &t.index, &seq, &opts);
    assert!(hits.iter().all(|h| !h.name.starts_with(&entry)), "--exclude-templates {entry} leaves no chain of {entry}");
    assert!(is_excluded("1ABCB", &["1abc".into()]) && is_excluded("1ABCB", &["1ABCB".into()]) && !is_excluded("1ABCB", &["1ABCA".into()]));
    let opts = SearchOptions { max_identity: Some(0.5), ..SearchOptions::default() };
    assert!(search(lib, &t.index, &seq, &opts).iter().all(|h| h.identity <= 0.5));
}

#[test]
fn template_models_are_complete_valid_chains_at_every_length() {
    let t = templates();
    let lib = &t.library;
    let mut rng = XorShift::new(5);
    // Real chains (own entry excluded) and chimeras of several chains with random linkers
    // and tails, up to 1000 residues: several templates, gaps and termini to fill.
    for case in 0..8 {
        let mut seq = String::new();
        let mut entries = Vec::new();
        let parts = if case < 3 { 1 } else { rng.range(2, 4) };
        for _ in 0..parts {
            let k = rng.below(lib.len());
            entries.push(lib.entry(k).to_string());
            seq.push_str(&{ let n = rng.range(0, 25); rng.protein(n) });
            seq.push_str(std::str::from_utf8(lib.sequence(k)).unwrap());
        }
        if case == 7 {
            while seq.len() < 1000 {
                let k = rng.below(lib.len());
                seq.push_str(std::str::from_utf8(lib.sequence(k)).unwrap());
            }
        }
        seq.truncate(1000);
        let exclude = if case < 3 { entries.clone() } else { Vec::new() };
        let opts = SearchOptions { exclude, ..SearchOptions::default() };
        let Some(m) = templates::predict(t, &seq, &opts) else { continue };
        let s = &m.structure;
        assert_eq!(s.len(), seq.len(), "case {case}: every query residue is in the model");
        assert_eq!(s.sequence, seq);
        let report = check(s);
        assert!(report.is_valid(), "case {case} ({} residues, {} templates): {report:?}", seq.len(), m.templates.len());
        assert!(s.plddt.iter().all(|p| (0.0..=100.0).contains(p)));
        assert!(!m.templates.is_empty());
        for u in &m.templates {
            assert!(u.query_from >= 1 && u.query_to <= seq.len() && u.query_from <= u.query_to);
            assert!(u.best_evalue() <= 1e-3, "case {case}: every template is significant by its sequence or its profile alignment");
        }
        let pdb = webfold::pdb::write_pdb_with_remarks(s, "x", &templates::remarks(&m.templates, &lib.source, &SearchOptions::default()));
        assert!(pdb.lines().any(|l| l.starts_with("REMARK   3 TEMPLATE 1 PDB ")), "provenance in the PDB");
        assert!(pdb.lines().all(|l| l.len() == 80));
    }
}

#[test]
fn a_long_gap_is_filled_with_even_steps() {
    // 41 residues between two anchors 17.8 A apart (T1009's gap): the arc must spread them
    // 3.8 A apart along its length, not bunch them at its top and stretch its flanks.
    let l = 45;
    let mut m = templates::model::TraceModel {
        ca: vec![[0.0; 3]; l],
        source: vec![None; l],
        plddt: vec![0.0; l],
        features: vec![None; l],
        closed: vec![false; l],
        unoriented: vec![false],
    };
    for (i, p) in [(0usize, [-7.6, -3.0, 0.0]), (1, [-5.0, 0.0, 0.0]), (43, [12.8, 0.0, 0.0]), (44, [15.4, -3.0, 0.0])] {
        m.ca[i] = p;
        m.source[i] = Some(0);
    }
    templates::model::fill(&mut m);
    for i in 1..43 {
        let d = distance(m.ca[i].map(|v| v as f32), m.ca[i + 1].map(|v| v as f32));
        assert!((3.5..=3.81).contains(&d), "CA {i}-{} {d:.2} A apart", i + 1);
    }
}

#[test]
fn every_casp13_template_model_passes_the_geometry_check() {
    // The whole pipeline on real targets: T1009 (718 residues, two templates, a 41-residue
    // gap) once came out with bonds stretched by 0.15 A.
    let t = templates();
    let text = std::fs::read_to_string(common::casp13_dir().join("casp13.fasta")).expect("CASP13 set (tests/common)");
    for id in ["T1009", "T1016"] {
        let start = text.find(&format!(">{id}")).unwrap();
        let seq: String = text[start..].lines().skip(1).take_while(|l| !l.starts_with('>')).collect::<String>().trim().to_string();
        let m = templates::predict(t, &seq, &SearchOptions::default()).expect("a template");
        let report = check(&m.structure);
        assert!(report.is_valid(), "{id}: {report:?}");
        // The peptide planes turned about the trace (geometry/peptides.rs) leave far fewer
        // improbable (phi, psi) than the table's N and C relaxed on the same trace (the
        // pipeline without the planes) do.
        let f64s = |v: &[[f32; 3]]| -> Vec<[f64; 3]> { v.iter().map(|p| [p[0] as f64, p[1] as f64, p[2] as f64]).collect() };
        let f32s = |v: &[[f64; 3]]| -> Vec<[f32; 3]> { v.iter().map(|p| [p[0] as f32, p[1] as f32, p[2] as f32]).collect() };
        let (n, ca, c) = (f64s(&m.structure.n), f64s(&m.structure.ca), f64s(&m.structure.c));
        let (table_n, table_c) = backbone::rebuild_n_c(&ca, &t.library.backbone_table);
        let (mut rn, mut rca, mut rc) = (f32s(&table_n), m.structure.ca.clone(), f32s(&table_c));
        relax_with(&mut rn, &mut rca, &mut rc, &RelaxOptions { coil_ca_ca: 0.0, o_cb_repulsion: true, ..RelaxOptions::default() });
        let planes = improbable_fraction(seq.as_bytes(), &n, &ca, &c);
        let relaxed = improbable_fraction(seq.as_bytes(), &f64s(&rn), &f64s(&rca), &f64s(&rc));
        eprintln!("{id}: improbable (phi, psi) {:.1}% with the planes, {:.1}% with the table's N and C relaxed", 100.0 * planes, 100.0 * relaxed);
        assert!(planes < 0.75 * relaxed && planes < 0.05, "{id}: improbable (phi, psi) {planes:.3} with the planes, {relaxed:.3} without");
        // The planes' clash penalty: no O or C of residue i-1 on N of residue i+1 (T1009's
        // model had 11 such residues under 2.5 A without it; peptides.rs).
        let s = &m.structure;
        let on_next = (1..s.len() - 1).filter(|&i| distance(s.o[i - 1], s.n[i + 1]) < 2.5 || distance(s.c[i - 1], s.n[i + 1]) < 2.5).count();
        assert_eq!(on_next, 0, "{id}: {on_next} residues with O or C of the previous residue on N of the next");
        // The packing counts the neighbours' backbone (sidechains/pack.rs): T1009's model had
        // 52 pairs of a side-chain atom and a neighbour's backbone atom under 2.5 A before, 20
        // after (17 of its 2186 side-chain atoms).
        let side: usize = s.side.iter().map(Vec::len).sum();
        let seq_b = seq.as_bytes();
        let on_neighbours = (0..s.len())
            .flat_map(|i| s.side[i].iter().map(move |a| (i, a.pos)))
            .filter(|&(i, p)| {
                [i.checked_sub(1).filter(|_| seq_b[i] != b'P'), Some(i + 1).filter(|&j| j < s.len())]
                    .into_iter()
                    .flatten()
                    .any(|j| [s.n[j], s.ca[j], s.c[j], s.o[j]].iter().any(|&q| distance(p, q) < 2.5))
            })
            .count();
        eprintln!("{id}: {on_next} O/C on the next N, {on_neighbours} of {side} side-chain atoms on a neighbour's backbone");
        assert!(on_neighbours * 100 < 15 * side / 10, "{id}: {on_neighbours} of {side} side-chain atoms within 2.5 A of a neighbour's backbone");
        // The clash relief (geometry/refine.rs): T1009's model had 40 heavy-atom clashes per
        // 1000 atoms before it, 3.1 after; deposited structures 0-4.
        let (clashes, atoms) = webfold::geometry::check::heavy_atom_clashes(s);
        let per_1000 = 1000.0 * clashes as f64 / atoms as f64;
        eprintln!("{id}: {per_1000:.1} heavy-atom clashes per 1000 atoms");
        assert!(per_1000 < 6.0, "{id}: {per_1000:.1} heavy-atom clashes per 1000 atoms");
    }
}

/// Fraction of the internal residues whose (phi, psi) lies where the Ramachandran table's
/// energy exceeds 5 (under 1/150 of uniform).
fn improbable_fraction(seq: &[u8], n: &[[f64; 3]], ca: &[[f64; 3]], c: &[[f64; 3]]) -> f64 {
    let rama = Ramachandran::get();
    let angles = phi_psi(n, ca, c);
    let bad = angles.iter().enumerate().filter(|(i, (phi, psi))| rama.energy(rama_class(seq, i + 1), *phi, *psi) > IMPROBABLE_ENERGY).count();
    bad as f64 / angles.len() as f64
}

/// The first library chain of 150-250 residues and its sequence.
fn chain_of_150_to_250(lib: &Library) -> (usize, String) {
    let k = (0..lib.len()).find(|&i| (150..=250).contains(&lib.sequence(i).len())).unwrap();
    (k, std::str::from_utf8(lib.sequence(k)).unwrap().to_string())
}

/// CA RMSD of a model to a trace after superposition.
fn ca_rmsd(s: &webfold::geometry::Structure, truth: &[[f64; 3]]) -> f64 {
    let model: Vec<[f64; 3]> = s.ca.iter().map(|p| [p[0] as f64, p[1] as f64, p[2] as f64]).collect();
    rmsd(&superpose(&model, truth), &model, truth)
}

#[test]
fn template_model_of_a_chain_keeps_the_template_geometry() {
    // A chain predicted with itself allowed as template reproduces its own trace closely:
    // nothing in the build or the relaxation distorts a complete template.
    let t = templates();
    let lib = &t.library;
    let (k, seq) = chain_of_150_to_250(lib);
    let m = templates::predict(t, &seq, &SearchOptions::default()).unwrap();
    let r = ca_rmsd(&m.structure, &lib.ca(k));
    assert!(r < 0.5, "CA RMSD to the template itself {r:.2} A");
    for w in m.structure.ca.windows(2) {
        let d = distance(w[0], w[1]);
        assert!((3.0..4.3).contains(&d), "CA-CA {d:.2}");
    }
}

#[test]
fn superposition_recovers_a_rotation() {
    let mut rng = XorShift::new(3);
    let pts: Vec<[f64; 3]> = (0..30).map(|_| [rng.uniform() * 20.0, rng.uniform() * 20.0, rng.uniform() * 20.0]).collect();
    let (a, b, c) = (0.3f64, -1.1f64, 2.0f64);
    let rz = [[a.cos(), -a.sin(), 0.0], [a.sin(), a.cos(), 0.0], [0.0, 0.0, 1.0]];
    let rx = [[1.0, 0.0, 0.0], [0.0, b.cos(), -b.sin()], [0.0, b.sin(), b.cos()]];
    let ry = [[c.cos(), 0.0, c.sin()], [0.0, 1.0, 0.0], [-c.sin(), 0.0, c.cos()]];
    let rot = |m: &[[f64; 3]; 3], p: [f64; 3]| [0, 1, 2].map(|i| m[i][0] * p[0] + m[i][1] * p[1] + m[i][2] * p[2]);
    let moved: Vec<[f64; 3]> = pts.iter().map(|&p| {
        let q = rot(&ry, rot(&rx, rot(&rz, p)));
        [q[0] + 5.0, q[1] - 3.0, q[2] + 1.0]
    }).collect();
    let t = superpose(&pts, &moved);
    assert!(rmsd(&t, &pts, &moved) < 1e-9, "rmsd {}", rmsd(&t, &pts, &moved));
}

#[test]
fn search_finds_local_alignments_far_from_the_sequence_starts() {
    // Pairs mmseqs2 (-s 7.5) reports at E < 1e-3 whose alignment lies far off the diagonal
    // through the first residues (e.g. 3RSIB 12-102 on 2NP9B 267-356): a forward-only
    // adaptive-band scan missed all four (scripts/search_recall.sh).
    for (q, target) in [("3RSIB", "2NP9B"), ("2FR1A", "5U2WC"), ("2C78A", "4B43A"), ("2FR1A", "3PK0A")] {
        let hit = hit_of(q, target, SearchOptions::default());
        assert!(hit.evalue <= 1e-3, "{q}/{target}: E {}", hit.evalue);
    }
}

#[test]
fn the_scan_scores_pairs_with_a_short_sequence_exactly() {
    // The scan computes the exact score wherever the shorter sequence has at most 255 residues
    // (search.rs, EXACT_SPAN); those candidates carry it and the rescoring reuses it. A
    // 150-residue query: every library chain qualifies, so every candidate must carry exactly
    // the textbook-checked score_exact.
    let t = templates();
    let lib = &t.library;
    let (k, seq) = chain_of_150_to_250(lib);
    let query = &seq.as_bytes()[..150];
    let c = candidates(lib, &t.index, query, &SearchOptions { exclude: vec![lib.entry(k).to_string()], ..SearchOptions::default() });
    assert!(c.chains.len() >= 1000, "{} candidates", c.chains.len());
    for cand in &c.chains {
        assert_eq!(cand.exact_score, Some(score_exact(query, lib.sequence(cand.chain))), "{}", lib.name(cand.chain));
    }
    // Both sequences longer than 255: the adaptive scan, whose score is not reused.
    let long = (0..lib.len()).find(|&i| lib.sequence(i).len() > 400 && lib.entry(i) != lib.entry(k)).unwrap();
    let c = candidates(lib, &t.index, lib.sequence(long), &SearchOptions::default());
    let first = c.chains.iter().find(|x| x.chain == long).expect("a chain is its own first candidate");
    assert_eq!(first.exact_score, None);
    assert!(c.chains.iter().any(|x| x.exact_score.is_some()), "shorter chains are scanned exactly");
}

/// The sequence of a 150-250-residue library chain and its hits at E <= `max_evalue` with its
/// own PDB entry excluded.
fn hits_of_a_chain_without_its_entry(max_evalue: f64) -> (String, Vec<webfold::templates::search::Hit>) {
    let t = templates();
    let lib = &t.library;
    let (k, seq) = chain_of_150_to_250(lib);
    let hits = search(lib, &t.index, seq.as_bytes(), &SearchOptions { exclude: vec![lib.entry(k).to_string()], max_evalue, ..SearchOptions::default() });
    (seq, hits)
}

#[test]
fn the_estimated_tm_score_follows_the_confidence() {
    use webfold::templates::confidence::{estimated_tm, network_estimated_tm};
    let by_plddt: Vec<f64> = [10.0, 40.0, 70.0, 95.0].iter().map(|&p| estimated_tm(p, 1e-10)).collect();
    assert!(by_plddt.windows(2).all(|w| w[0] < w[1]) && by_plddt.iter().all(|t| (0.0..=1.0).contains(t)), "{by_plddt:?}");
    let by_evalue: Vec<f64> = [1e-50, 1e-5, 0.05].iter().map(|&e| estimated_tm(60.0, e)).collect();
    assert!(by_evalue.windows(2).all(|w| w[0] > w[1]), "{by_evalue:?}");
    assert!((0.0..=1.0).contains(&network_estimated_tm()));
}

#[test]
fn tentative_templates_are_used_only_when_no_hit_reaches_the_cutoff() {
    let t = templates();
    let lib = &t.library;
    let (k, seq) = chain_of_150_to_250(lib);
    let exclude = vec![lib.entry(k).to_string()];
    let hits = |max_evalue: f64, tentative_evalue: f64| search(lib, &t.index, seq.as_bytes(), &SearchOptions { exclude: exclude.clone(), max_evalue, tentative_evalue, ..SearchOptions::default() });
    // With hits at the cutoff, the tentative cutoff changes nothing.
    let confident = hits(1e-3, 0.0);
    assert!(!confident.is_empty() && confident.iter().all(|h| h.best_evalue() <= 1e-3));
    let with_tentative: Vec<(usize, Vec<(usize, usize)>)> = hits(1e-3, 10.0).into_iter().map(|h| (h.chain, h.pairs)).collect();
    assert_eq!(with_tentative, confident.iter().map(|h| (h.chain, h.pairs.clone())).collect::<Vec<_>>());
    // A cutoff none passes: nothing without tentative templates; with them, exactly the hits up
    // to the tentative cutoff, none of which passes the first.
    let strict = confident[0].best_evalue() / 1e3;
    assert!(hits(strict, 0.0).is_empty());
    let tentative = hits(strict, 1.0);
    let reference: Vec<usize> = hits(1.0, 0.0).iter().map(|h| h.chain).collect();
    assert_eq!(tentative.iter().map(|h| h.chain).collect::<Vec<_>>(), reference);
    assert!(tentative.iter().all(|h| h.best_evalue() > strict && h.best_evalue() <= 1.0));
    // The model says so: every template flagged, and the REMARKs name it.
    let options = SearchOptions { exclude: exclude.clone(), max_evalue: strict, tentative_evalue: 1.0, ..SearchOptions::default() };
    let m = templates::predict(t, &seq, &options).unwrap();
    assert!(m.templates.iter().all(|u| u.tentative));
    let remarks = templates::remarks(&m.templates, &lib.source, &options);
    assert!(remarks[1].contains("BUILT ON TENTATIVE TEMPLATES"), "{remarks:?}");
    let m = templates::predict(t, &seq, &SearchOptions { exclude, ..SearchOptions::default() }).unwrap();
    assert!(m.templates.iter().all(|u| !u.tentative));
    assert!(!templates::remarks(&m.templates, &lib.source, &SearchOptions::default()).iter().any(|r| r.contains("TENTATIVE")));
}

#[test]
fn alignments_are_shown_as_gapped_strings_that_spell_both_sequences() {
    // Hit::aligned: two equal-length strings over the aligned ranges; without their gaps they
    // are the query's and the template's aligned ranges, the columns with two letters are the
    // pairs, and the identical ones give the identity. Checked on every hit of a library
    // chain searched with its own entry excluded (some of them have gaps in both sequences).
    let lib = &templates().library;
    let (seq, hits) = hits_of_a_chain_without_its_entry(10.0);
    let query = seq.as_bytes();
    assert!(!hits.is_empty());
    let mut gaps = [false; 2];
    for h in &hits {
        let template = lib.sequence(h.chain);
        let (qa, ta) = h.aligned(query, template);
        assert_eq!(qa.len(), ta.len(), "{}", h.name);
        let ((q0, q1), (t0, t1)) = (h.query_range(), h.template_range());
        assert_eq!(qa.replace('-', ""), std::str::from_utf8(&query[q0..=q1]).unwrap(), "{}: query", h.name);
        assert_eq!(ta.replace('-', ""), std::str::from_utf8(&template[t0..=t1]).unwrap(), "{}: template", h.name);
        let columns: Vec<(char, char)> = qa.chars().zip(ta.chars()).filter(|&(a, b)| a != '-' && b != '-').collect();
        assert_eq!(columns.len(), h.pairs.len(), "{}", h.name);
        let same = columns.iter().filter(|(a, b)| a == b).count();
        assert!((same as f64 / columns.len() as f64 - h.identity).abs() < 1e-12, "{}", h.name);
        gaps[0] |= qa.contains('-');
        gaps[1] |= ta.contains('-');
    }
    assert!(gaps[0] && gaps[1], "no hit has gaps in both sequences: the test does not cover them");
}

#[test]
fn the_model_reports_its_alignments_in_the_pdb_and_as_text() {
    // A model's templates carry their alignment: REMARK 3 ALN lines (query and template in
    // turn, within the 69 columns) that spell the aligned strings, and the viewer text whose
    // blocks number the residues and mark identical pairs.
    let t = templates();
    let lib = &t.library;
    let (k, seq) = chain_of_150_to_250(lib);
    let m = templates::predict(t, &seq, &SearchOptions { exclude: vec![lib.entry(k).to_string()], ..SearchOptions::default() }).unwrap();
    let used = &m.templates[0];
    let remarks = templates::remarks(&m.templates, &lib.source, &SearchOptions::default());
    let text_of = |label: &str| -> String { remarks.iter().filter_map(|r| r.strip_prefix(label)).collect() };
    assert_eq!(text_of("TEMPLATE 1 ALN QUERY "), used.query_aligned);
    assert_eq!(text_of("TEMPLATE 1 ALN TMPL  "), used.template_aligned);
    assert!(remarks.iter().all(|r| r.len() <= templates::REMARK_COLUMNS));
    let text = used.alignment_text();
    let blocks: Vec<&str> = text.split("\n\n").filter(|b| !b.is_empty()).collect();
    assert_eq!(blocks.len(), used.query_aligned.len().div_ceil(60));
    let first: Vec<&str> = blocks[0].lines().collect();
    assert_eq!(first.len(), 3);
    assert!(first[0].starts_with("Query") && first[2].starts_with(&format!("{} {}", used.pdb_id, used.chain)), "{text}");
    let number = |line: &str, at: usize| line.split_whitespace().nth(at).unwrap().parse::<usize>().unwrap();
    assert_eq!(number(first[0], 1), used.query_from);
    let last: Vec<&str> = blocks.last().unwrap().lines().collect();
    assert_eq!(last[0].split_whitespace().last().unwrap().parse::<usize>().unwrap(), used.query_to);
    assert_eq!(last[2].split_whitespace().last().unwrap().parse::<usize>().unwrap(), used.template_to);
    let bars: usize = blocks.iter().map(|b| b.lines().nth(1).unwrap().matches('|').count()).sum();
    let identical = used.query_aligned.chars().zip(used.template_aligned.chars()).filter(|(a, b)| a == b && *a != '-').count();
    assert_eq!(bars, identical);
}

#[test]
fn structural_consensus_measures_how_the_other_hits_place_each_residue() {
    // consensus.rs: a hit alone has no consensus (all zeros); a copy of it agrees everywhere
    // (deviation 0); a copy whose every pair is moved one template residue on (CA 3.8 A away)
    // disagrees nearly everywhere and deviates by about 3.8 A.
    let lib = &templates().library;
    let (seq, hits) = hits_of_a_chain_without_its_entry(1e-3);
    let query = seq.as_bytes();
    let h = hits.first().expect("a hit").clone();
    let none = vec![Vec::new(); 3];
    let alone = consensus(lib, query.len(), std::slice::from_ref(&h), &none[..1]);
    assert!(alone[0].iter().all(|c| *c == [0.0; 3]));
    assert_eq!(alone[0].len(), h.pairs.len());
    let same = consensus(lib, query.len(), &[h.clone(), h.clone()], &none[..2]);
    assert!(same[0].iter().all(|c| c[0] == 1.0 && c[1] == 1.0 && c[2] < 1e-6), "a copy agrees everywhere");
    let template_len = lib.sequence(h.chain).len();
    let mut shifted = h.clone();
    shifted.pairs = h.pairs.iter().filter(|p| p.1 + 1 < template_len).map(|&(q, j)| (q, j + 1)).collect();
    let moved = consensus(lib, query.len(), &[h.clone(), shifted], &none[..2]);
    let n = moved[0].len() as f64;
    let agreement = moved[0].iter().map(|c| c[1]).sum::<f64>() / n;
    let deviation = moved[0].iter().filter(|c| c[0] == 1.0).map(|c| c[2] * 10.0).sum::<f64>() / moved[0].iter().filter(|c| c[0] == 1.0).count() as f64;
    assert!(agreement < 0.2, "a register shift agrees on {agreement:.2} of the residues");
    assert!((deviation - 3.8).abs() < 1.0, "a register shift deviates by {deviation:.2} A");
}

/// The hit on library chain `target` of a search with library chain `query`'s sequence (panics
/// when there is none).
fn hit_of(query: &str, target: &str, options: SearchOptions) -> webfold::templates::search::Hit {
    let t = templates();
    let lib = &t.library;
    let k = lib.find(query).unwrap();
    let hits = search(lib, &t.index, lib.sequence(k), &options);
    hits.into_iter().find(|h| h.name == target).unwrap_or_else(|| panic!("{query}: {target} not found"))
}

#[test]
fn remark_lines_fit_the_pdb_columns_uncut() {
    let t = templates();
    let lib = &t.library;
    let k = lib.find("1CRNA").unwrap_or(0);
    let seq = std::str::from_utf8(lib.sequence(k)).unwrap().to_string();
    let m = templates::predict(t, &seq, &SearchOptions::default()).unwrap();
    for r in templates::remarks(&m.templates, &lib.source, &SearchOptions::default()).iter().chain(&templates::remarks(&[], &lib.source, &SearchOptions::default())) {
        assert!(r.len() <= 69, "REMARK 3 text longer than its 69 columns would be cut: {r}");
    }
}

#[test]
fn gaps_to_the_nearest_templated_residue() {
    let t = [false, false, true, false, false, false, true, false];
    let g = templates::gaps_to_templated(&t);
    assert_eq!(g, vec![Some(2), Some(1), Some(0), Some(1), Some(2), Some(1), Some(0), Some(1)]);
    assert_eq!(templates::gaps_to_templated(&[false, false]), vec![None, None]);
}

#[test]
fn the_profile_finds_relatives_the_sequence_alignment_misses() {
    // Pairs from the tuning sample (seed 1) where BLOSUM62 finds nothing significant with the
    // query's own entry excluded, but the alignment to the template's profile does, and the
    // template is a structural relative (TM-align 0.77 / 0.87 / 0.88 / 0.84 to the query's
    // structure): the hit must be reported, on the profile's evidence alone.
    for (q, target) in [("3OOPA", "3BJ6B"), ("5Z8OA", "3TFZA"), ("2XOMA", "5X7QA"), ("3C4AA", "3ALJA")] {
        let hit = hit_of(q, target, SearchOptions { exclude: vec![q[..4].to_string()], ..SearchOptions::default() });
        assert!(hit.evalue > 1e-3, "{q}/{target}: the sequence alignment alone is not significant (E {})", hit.evalue);
        assert!(hit.profile_evalue <= 1e-5, "{q}/{target}: the profile alignment is (E {})", hit.profile_evalue);
    }
}

fn hit_with_pairs(chain: usize, pairs: Vec<(usize, usize)>) -> webfold::templates::search::Hit {
    webfold::templates::search::Hit { chain, name: String::new(), score: 100, bits: 40.0, evalue: 1e-10, profile_evalue: 1e-10, identity: 0.4, pairs }
}

#[test]
fn a_further_template_is_oriented_through_a_hit_that_spans_both_domains() {
    // A chain modelled on itself in two halves that share no residue (two "domains"), with a
    // third hit aligning every 7th residue of the whole chain: the bridge must put the second
    // half where it belongs; without it the half is set beside the first, as a separate domain.
    let t = templates();
    let lib = &t.library;
    let k = (0..200).find(|&i| lib.sequence(i).len() >= 150).unwrap();
    let l = lib.sequence(k).len();
    let half = l / 2;
    let first = hit_with_pairs(k, (0..half).map(|i| (i, i)).collect());
    let second = hit_with_pairs(k, (half..l).map(|i| (i, i)).collect());
    let sparse = hit_with_pairs(k, (0..l).step_by(7).map(|i| (i, i)).collect());
    let mut ranked = templates::choose::rank(lib, lib.sequence(k), &[first, second, sparse]);
    for r in &mut ranked {
        r.extension.clear();
    }
    let chosen = templates::choose::choose(&ranked, l);
    assert_eq!(chosen.len(), 2, "both halves chosen, the sparse hit adds too little");
    let truth: Vec<[f64; 3]> = lib.ca(k);
    let error = |bridges: &[templates::choose::Scored]| {
        let m = templates::model::raw_model(lib, l, &chosen, bridges);
        assert!(m.source.iter().all(Option::is_some));
        rmsd(&superpose(&m.ca, &truth), &m.ca, &truth)
    };
    assert!(error(&ranked) < 0.01, "bridged: CA RMSD {:.3} A", error(&ranked));
    assert!(error(&[]) > 3.0, "without a bridge the half is set beside: CA RMSD {:.3} A", error(&[]));
    // Only the model without a bridge has a domain of unknown orientation, and says so.
    assert_eq!(templates::model::raw_model(lib, l, &chosen, &ranked).unoriented, vec![false, false]);
    assert_eq!(templates::model::raw_model(lib, l, &chosen, &[]).unoriented, vec![false, true]);
}

#[test]
fn extension_pairs_unaligned_ends_and_equal_stretches_without_gaps() {
    // Query residues 5-7 align to template 8-10, then 11 to 14 (both skip 3: paired), then 13 to
    // 17 (query skips 1, template 2: a real indel, left alone), and 14 to 18.
    let pairs = vec![(5, 8), (6, 9), (7, 10), (11, 14), (13, 17), (14, 18)];
    let hit = hit_with_pairs(0, pairs.clone());
    let ext = templates::extend::extension(&hit, 20, 21);
    let n_flank: Vec<(usize, usize)> = (0..5).map(|q| (q, q + 3)).collect();
    let mut want = n_flank;
    want.extend([(8, 11), (9, 12), (10, 13)]);
    // The template ends two residues after 18, the query six after 14: the shorter side stops it.
    want.extend([(15, 19), (16, 20)]);
    assert_eq!(ext, want);
    assert!(ext.iter().all(|p| !pairs.contains(p)));
    assert!(templates::extend::extension(&hit_with_pairs(0, Vec::new()), 20, 21).is_empty());
    // Alignment reaching both chains' starts and ends: nothing to extend.
    assert!(templates::extend::extension(&hit_with_pairs(0, vec![(0, 0), (1, 1)]), 2, 5).is_empty());
}

#[test]
fn a_template_aligned_only_in_its_middle_still_places_its_ends() {
    // The chain itself as template, aligned over its middle third only: the extension pairs
    // the rest, so the whole trace is reproduced, where the filler would build helices.
    let t = templates();
    let lib = &t.library;
    let (k, seq) = chain_of_150_to_250(lib);
    let l = seq.len();
    let hit = hit_with_pairs(k, (l / 3..2 * l / 3).map(|i| (i, i)).collect());
    let ranked = templates::choose::rank(lib, seq.as_bytes(), &[hit]);
    assert_eq!(ranked[0].extension.len(), l - (2 * l / 3 - l / 3));
    let m = templates::build(t, &seq, &templates::choose::choose(&ranked, l), &ranked, &[]);
    assert_eq!(m.templates[0].residues_used, l);
    assert_eq!(m.templates[0].extended_used, ranked[0].extension.len());
    let r = ca_rmsd(&m.structure, &lib.ca(k));
    assert!(r < 0.5, "CA RMSD to the template itself {r:.2} A");
    let remarks = templates::remarks(&m.templates, &lib.source, &SearchOptions::default());
    assert!(remarks.contains(&format!("TEMPLATE 1 USED BEYOND THE ALIGNMENT (GAPLESS) {}", ranked[0].extension.len())), "{remarks:?}");
}

#[test]
fn short_gaps_are_closed_with_loops_of_known_structures_closer_to_the_truth_than_arcs() {
    // Chains outside the fragment database modelled on themselves with a 4-8 residue stretch of
    // the query left unaligned (an insertion): the fragment loop lands nearer the true loop
    // than the arc the filler would build, on average over the cases.
    let t = templates();
    let lib = &t.library;
    let mut rng = XorShift::new(11);
    let first_outside = (0..lib.len()).scan(0, |n, i| { *n += lib.sequence(i).len(); Some((i, *n)) }).find(|&(_, n)| n > t.fragments.residues()).unwrap().0 + 1;
    let (mut loop_err, mut arc_err, mut closed) = (0.0, 0.0, 0);
    for _ in 0..12 {
        let k = rng.range(first_outside, lib.len());
        let l = lib.sequence(k).len();
        if l < 80 {
            continue;
        }
        let (from, len) = (rng.range(20, l - 30), rng.range(4, 9));
        let hit = hit_with_pairs(k, (0..l).filter(|i| !(from..from + len).contains(i)).map(|i| (i, i)).collect());
        let mut ranked = templates::choose::rank(lib, lib.sequence(k), &[hit]);
        ranked[0].extension.clear();
        let mut with = templates::model::raw_model(lib, l, &ranked, &ranked);
        templates::model::open_gaps(&mut with);
        let mut without = with.clone();
        templates::loops::close_gaps(&mut with, &t.fragments, lib, &[]);
        if !with.closed[from] {
            continue;
        }
        closed += 1;
        templates::model::fill(&mut with);
        templates::model::fill(&mut without);
        let truth = lib.ca(k);
        let err = |m: &templates::model::TraceModel| (from..from + len).map(|i| distance_f64(m.ca[i], truth[i])).sum::<f64>() / len as f64;
        loop_err += err(&with);
        arc_err += err(&without);
    }
    assert!(closed >= 6, "only {closed} of the gaps closed with a fragment");
    assert!(loop_err < 0.7 * arc_err, "mean CA error of the loops {:.2} A, of arcs {:.2} A", loop_err / closed as f64, arc_err / closed as f64);
}

fn distance_f64(a: [f64; 3], b: [f64; 3]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
}

#[test]
fn excluded_entries_give_no_loops() {
    // A chain of the fragment database with a gap, modelled on itself: without exclusions its
    // own loop fits the stems best and comes back; with its entry excluded it must not.
    let t = templates();
    let lib = &t.library;
    let k = (0..100).find(|&i| lib.sequence(i).len() >= 120).unwrap();
    let l = lib.sequence(k).len();
    let (from, len) = (60, 6);
    let hit = hit_with_pairs(k, (0..l).filter(|i| !(from..from + len).contains(i)).map(|i| (i, i)).collect());
    let mut ranked = templates::choose::rank(lib, lib.sequence(k), &[hit]);
    ranked[0].extension.clear();
    let truth = lib.ca(k);
    let loop_error = |exclude: &[String]| {
        let mut m = templates::model::raw_model(lib, l, &ranked, &ranked);
        templates::model::open_gaps(&mut m);
        templates::loops::close_gaps(&mut m, &t.fragments, lib, exclude);
        assert!(m.closed[from], "the gap is closed");
        (from..from + len).map(|i| distance_f64(m.ca[i], truth[i])).fold(0.0, f64::max)
    };
    assert!(loop_error(&[]) < 0.1, "own loop: {:.2} A", loop_error(&[]));
    assert!(loop_error(&[lib.entry(k).to_string()]) > 0.1, "excluded entry's own loop came back");
}

#[test]
fn consistency_realignment_repairs_a_register_shift_the_other_hits_contradict() {
    // consistency.rs: the last third of the first hit's alignment is moved three template
    // residues on (a register error, CA about 10 A from the right place). The other hits,
    // superposed on the template, place those query residues where the true alignment does
    // and outvote the shifted pairs; the rest comes out as the true alignment's realignment.
    let lib = &templates().library;
    let (seq, hits) = hits_of_a_chain_without_its_entry(1e-3);
    assert!(hits.len() >= 3, "the test needs a query with several hits, got {}", hits.len());
    let query = seq.as_bytes();
    let h = hits[0].clone();
    let template_len = lib.sequence(h.chain).len();
    let cut = 2 * h.pairs.len() / 3;
    let mut shifted = h.clone();
    shifted.pairs = h.pairs[..cut].iter().copied().chain(h.pairs[cut..].iter().filter(|p| p.1 + 3 < template_len).map(|&(q, j)| (q, j + 3))).collect();
    let original: std::collections::HashMap<usize, usize> = h.pairs.iter().copied().collect();
    let repaired = webfold::templates::consistency::realign(lib, query, &hits, &shifted);
    assert!(repaired.pairs.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1), "pairs stay in order");
    let again = webfold::templates::consistency::realign(lib, query, &hits, &h);
    let realigned: std::collections::HashMap<usize, usize> = again.pairs.iter().copied().collect();
    let share = |from: usize, to: usize, wanted: &dyn Fn(usize, usize) -> bool| {
        let qs: Vec<usize> = h.pairs[from..to].iter().map(|p| p.0).collect();
        repaired.pairs.iter().filter(|p| qs.contains(&p.0) && wanted(p.0, p.1)).count() as f64 / qs.len() as f64
    };
    let end = h.pairs.len();
    let restored = share(cut, end, &|q, j| original.get(&q) == Some(&j));
    let still_shifted = share(cut, end, &|q, j| original.get(&q).map(|o| o + 3) == Some(j));
    assert!(restored > 0.8, "only {:.0}% of the shifted pairs are restored", 100.0 * restored);
    assert!(still_shifted < 0.1, "{:.0}% of the shifted pairs survive", 100.0 * still_shifted);
    // Elsewhere the shifted input gives the realignment of the true one.
    let same = share(0, cut, &|q, j| realigned.get(&q) == Some(&j));
    assert!(same > 0.95, "only {:.0}% of the unshifted part realigns as from the true alignment", 100.0 * same);
    // A hit's own alignment is mostly kept: the voters change only where they outweigh it.
    let kept = again.pairs.iter().filter(|p| original.get(&p.0) == Some(&p.1)).count() as f64 / h.pairs.len() as f64;
    eprintln!("restored {restored:.3} still shifted {still_shifted:.3} same {same:.3} kept {kept:.3} ({} pairs, {} hits)", h.pairs.len(), hits.len());
    assert!(kept > 0.8, "only {:.0}% of a hit's own alignment survives its realignment", 100.0 * kept);
}

#[test]
fn averaging_the_templates_brings_the_raw_model_nearer_the_truth() {
    // average.rs: library chains predicted with their own PDB entry excluded; the raw model
    // (each residue on its template) against the same model after averaging, both superposed
    // on the chain's true trace by the templated residues. The relatives' mean is nearer the
    // truth than the one template (as on the tuning sample, docs/TEMPLATES.md, Averaging), and
    // no residue moves further than the averaging's cut-off.
    use webfold::templates::{average::{average, NEAR}, choose, model::raw_model};
    let t = templates();
    let lib = &t.library;
    let (mut raw_total, mut averaged_total, mut residues, mut chains) = (0.0, 0.0, 0usize, 0usize);
    for k in (0..lib.len()).filter(|&i| (120..=300).contains(&lib.sequence(i).len())).step_by(97) {
        let query = lib.sequence(k);
        let hits = search(lib, &t.index, query, &SearchOptions { exclude: vec![lib.entry(k).to_string()], ..SearchOptions::default() });
        if hits.len() < 5 {
            continue;
        }
        let (chosen, ranked) = choose::choose_and_realign(lib, query, &hits);
        let raw = raw_model(lib, query.len(), &chosen, &ranked);
        let mut averaged = raw.clone();
        average(lib, &mut averaged, &chosen, &ranked);
        let placed: Vec<usize> = (0..query.len()).filter(|&q| raw.source[q].is_some()).collect();
        let truth_all = lib.ca(k);
        let truth: Vec<[f64; 3]> = placed.iter().map(|&q| truth_all[q]).collect();
        let deviation = |ca: &[[f64; 3]]| {
            let model: Vec<[f64; 3]> = placed.iter().map(|&q| ca[q]).collect();
            let onto = superpose(&model, &truth);
            model.iter().zip(&truth).map(|(m, t)| distance_f64(onto.apply(*m), *t).min(8.0)).sum::<f64>()
        };
        raw_total += deviation(&raw.ca);
        averaged_total += deviation(&averaged.ca);
        residues += placed.len();
        for q in 0..query.len() {
            let moved = distance_f64(raw.ca[q], averaged.ca[q]);
            assert!(moved < NEAR && (raw.source[q].is_some() || moved == 0.0), "{}: residue {q} moved {moved:.2} A", lib.name(k));
        }
        chains += 1;
        if chains == 12 {
            break;
        }
    }
    assert!(chains >= 8, "only {chains} chains with five hits or more");
    let (raw_mean, averaged_mean) = (raw_total / residues as f64, averaged_total / residues as f64);
    eprintln!("{chains} chains, {residues} residues: mean deviation (capped at 8 A) {raw_mean:.3} A raw, {averaged_mean:.3} A averaged");
    assert!(averaged_mean < raw_mean - 0.02, "averaging does not bring the model nearer: {raw_mean:.3} -> {averaged_mean:.3} A");
}
