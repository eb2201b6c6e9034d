//! PDB writing/reading and the evaluation scores (lDDT-CA here, TM-score / GDT-TS via TMscore).

mod common;

use std::path::PathBuf;

use webfold::geometry::{check, complete_backbone, Structure};
use webfold::pdb::{first_chain_ca, read_ca_trace, read_pdb, structure_from_residues, write_pdb};

fn casp13() -> PathBuf {
    common::casp13_dir()
}

/// A small deterministic backbone: a rough helix built from ideal-ish frames.
fn sample(seq: &str) -> Structure {
    let l = seq.len();
    let mut n = Vec::new();
    let mut ca = Vec::new();
    let mut c = Vec::new();
    for i in 0..l {
        let t = i as f32 * 100f32.to_radians();
        let p = |r: f32, dt: f32, dz: f32| [r * (t + dt).cos(), r * (t + dt).sin(), 1.5 * i as f32 + dz];
        n.push(p(1.6, -0.45, -0.6));
        ca.push(p(2.3, 0.0, 0.0));
        c.push(p(1.7, 0.5, 0.7));
    }
    let plddt: Vec<f32> = (0..l).map(|i| (i as f32 * 7.31) % 100.0).collect();
    complete_backbone(seq, &n, &ca, &c, &plddt)
}

#[test]
fn write_then_read_round_trips() {
    let seq = "MGKXAWGYC";
    let s = sample(seq);
    let text = write_pdb(&s, "round trip test");
    let residues = read_pdb(&text).unwrap();
    assert_eq!(residues.len(), seq.len());
    let names = ["MET", "GLY", "LYS", "UNK", "ALA", "TRP", "GLY", "TYR", "CYS"];
    for (i, r) in residues.iter().enumerate() {
        assert_eq!(r.name, names[i]);
        assert_eq!(r.number, i as i32 + 1);
        assert_eq!(r.chain, 'A');
        let expect: Vec<&str> = if seq.as_bytes()[i] == b'G' { vec!["N", "CA", "C", "O"] } else { vec!["N", "CA", "C", "O", "CB"] };
        assert_eq!(r.atoms.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), expect, "atom order of residue {i}");
        let want = [Some(s.n[i]), Some(s.ca[i]), Some(s.c[i]), Some(s.o[i]), s.cb[i]];
        for (a, w) in r.atoms.iter().zip(want) {
            let w = w.unwrap();
            for (t, (got, want)) in a.pos.iter().zip(w).enumerate() {
                assert!((got - want).abs() < 1e-3 + 1e-6, "{} {} coord {t}: {got} vs {want}", i, a.name);
            }
            assert!((a.b_factor - s.plddt[i]).abs() < 0.005 + 1e-6, "B-factor {} vs pLDDT {}", a.b_factor, s.plddt[i]);
            assert_eq!(a.element, &a.name[..1]);
        }
    }
    // Back to a Structure: same sequence (X for UNK), same geometry report.
    let back = structure_from_residues(&residues).unwrap();
    assert_eq!(back.sequence, seq);
    assert_eq!(back.cb.iter().filter(|c| c.is_none()).count(), 2);
    let (r1, r2) = (check(&s), check(&back));
    assert!((r1.max_dev_c_n - r2.max_dev_c_n).abs() < 0.01);
    let (ca_seq, ca) = read_ca_trace(&text).unwrap();
    assert_eq!(ca_seq, seq);
    assert_eq!(ca.len(), seq.len());
}

#[test]
fn column_layout_is_strict() {
    let s = sample("AG");
    let text = write_pdb(&s, "layout \u{1F600} with\ttabs and a very long title that goes on and on and on and on and on and on");
    let lines: Vec<&str> = text.lines().collect();
    for l in &lines {
        assert_eq!(l.len(), 80, "line is not 80 columns: {l:?}");
        assert!(l.is_ascii());
    }
    assert!(lines[0].starts_with("TITLE     layout _ with_tabs"));
    assert!(text.contains("WEBFOLD"));
    assert!(lines.iter().any(|l| l.starts_with("REMARK") && l.contains("B-FACTOR") && l.contains("PLDDT")));
    let model = lines.iter().position(|l| l.starts_with("MODEL        1")).expect("MODEL 1");
    let atoms: Vec<&&str> = lines.iter().filter(|l| l.starts_with("ATOM  ")).collect();
    assert_eq!(atoms.len(), 9); // ALA: 5 atoms, GLY: 4
    assert!(lines.iter().position(|l| l.starts_with("ATOM")).unwrap() > model);
    let first = atoms[0];
    // Columns (1-based, inclusive) per the PDB v3.3 ATOM record.
    assert_eq!(&first[0..6], "ATOM  ");
    assert_eq!(&first[6..11], "    1");
    assert_eq!(&first[12..16], " N  ");
    assert_eq!(&first[17..20], "ALA");
    assert_eq!(&first[21..22], "A");
    assert_eq!(&first[22..26], "   1");
    let x: f32 = first[30..38].trim().parse().unwrap();
    assert!((x - s.n[0][0]).abs() < 1e-3);
    assert_eq!(first[30..38].trim().split('.').nth(1).unwrap().len(), 3, "3 decimals");
    assert_eq!(&first[54..60], "  1.00");
    assert_eq!(&first[60..66], &format!("{:6.2}", s.plddt[0]));
    assert_eq!(&first[76..78], " N");
    assert_eq!(&atoms[1][12..16], " CA ");
    assert_eq!(&atoms[4][12..16], " CB ");
    assert_eq!(&atoms[5][17..26], "GLY A   2");
    assert_eq!(&atoms[5][6..11], "    6");
    let ter = lines.iter().find(|l| l.starts_with("TER")).unwrap();
    assert_eq!(&ter[6..11], "   10");
    assert_eq!(&ter[17..26], "GLY A   2");
    let n = lines.len();
    assert!(lines[n - 3].starts_with("TER") && lines[n - 2].trim_end() == "ENDMDL" && lines[n - 1].trim_end() == "END");
}

#[test]
fn out_of_range_values_keep_the_columns() {
    let mut s = sample("AAA");
    s.ca[0] = [12345.6, -5000.0, f32::NAN];
    s.plddt[1] = f32::NAN;
    s.plddt[2] = 1e9;
    let text = write_pdb(&s, "");
    assert!(text.lines().all(|l| l.len() == 80));
    assert!(text.starts_with("TITLE     webfold prediction"));
    let r = read_pdb(&text).unwrap();
    // x and y do not fit: the structure is translated on those axes (a REMARK says by how
    // much), then what is still outside is clamped; NaN is written as 0.
    let shift = webfold::pdb::coordinate_shift(&s);
    assert!(shift[0] < 0.0 && shift[1] > 0.0 && shift[2] == 0.0, "{shift:?}");
    assert!(text.contains(&format!("COORDINATES TRANSLATED BY {:.0} {:.0} 0 A", shift[0], shift[1])), "{text}");
    assert_eq!(r[0].atom("CA").unwrap().pos, [9999.999, (-5000.0 + shift[1]) as f32, 0.0]);
    assert_eq!(r[1].atom("CA").unwrap().pos[2], s.ca[1][2]);
    assert_eq!(r[1].atoms[0].b_factor, 0.0);
    assert_eq!(r[2].atoms[0].b_factor, 999.99);
}

#[test]
fn empty_structure() {
    let s = complete_backbone("", &[], &[], &[], &[]);
    let text = write_pdb(&s, "empty");
    assert!(read_pdb(&text).unwrap().is_empty());
    assert!(read_ca_trace(&text).is_err());
}

#[test]
fn reader_errors_and_tolerance() {
    let good = "ATOM      1  CA  ALA A   1      11.104   6.134  -6.504  1.00 20.00           C\n";
    assert_eq!(read_pdb(good).unwrap()[0].atoms[0].pos, [11.104, 6.134, -6.504]);
    // Short lines without B-factor/element are fine.
    let short = "ATOM      1  CA  ALA A   1      11.104   6.134  -6.504\n";
    assert_eq!(read_pdb(short).unwrap()[0].atoms[0].b_factor, 0.0);
    // Malformed coordinates name the line.
    let bad = format!("REMARK x\n{}", good.replace("  6.134", "  6.1x4"));
    let e = read_pdb(&bad).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.to_string().contains("line 2") && e.to_string().contains("y coordinate"), "{e}");
    assert!(read_pdb("ATOM      1  CA  ALA A   1      11.104").is_err());
    assert!(read_pdb(&good.replace("11.104", "   nan")).is_err());
    assert!(read_pdb("ATOM      1  CA  ALÄ A   1      11.104   6.134  -6.504  1.00 20.00           C").is_err());
    // HETATM and later models are skipped; alternate locations keep the first.
    let text = format!(
        "MODEL        1\n{good}{}HETATM    2  O   HOH A   2       1.000   1.000   1.000  1.00  0.00           O\nENDMDL\nMODEL        2\n{good}ENDMDL\n",
        good.replace("  CA  ", "  CA B").replace("11.104", "99.000")
    );
    let r = read_pdb(&text).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].atoms.len(), 1);
    assert_eq!(r[0].atoms[0].pos[0], 11.104);
    // Never panics on junk.
    for junk in ["ATOM  ", "ATOM  \u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}\u{1F600}", "\0\0\0", ""] {
        let _ = read_pdb(junk);
    }
}

#[test]
fn reads_casp_natives() {
    let dir = casp13();
    let fasta = std::fs::read_to_string(dir.join("casp13.fasta")).expect("casp13.fasta (../shared/eval/casp13)");
    let records = webfold::sequence::parse(&fasta, &webfold::sequence::ParseOptions { max_len: 10_000 }).unwrap();
    assert_eq!(records.len(), 20);
    for rec in &records {
        let text = std::fs::read_to_string(dir.join(format!("{}.pdb", rec.id))).unwrap();
        let residues = read_pdb(&text).unwrap();
        let (seq, ca) = first_chain_ca(&residues);
        assert_eq!(seq, rec.sequence, "{}: CA sequence differs from casp13.fasta", rec.id);
        assert_eq!(ca.len(), rec.len());
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod eval {
    use super::*;
    use webfold::eval::{eval_dir, lddt_ca, lddt_ca_per_residue, markdown_table, mean_scores, read_id_list, score, tmscore_ca};

    fn native_trace(id: &str) -> (String, Vec<[f32; 3]>) {
        read_ca_trace(&std::fs::read_to_string(casp13().join(format!("{id}.pdb"))).unwrap()).unwrap()
    }

    #[test]
    fn lddt_of_identity_and_perturbations() {
        let (_, ca) = native_trace("T0950");
        assert_eq!(lddt_ca(&ca, &ca), 100.0);
        assert!(lddt_ca_per_residue(&ca, &ca).iter().all(|&x| x == 100.0));
        // Rigid motion does not change lDDT.
        let moved: Vec<[f32; 3]> = ca.iter().map(|p| [-p[1] + 10.0, p[0] - 3.0, p[2] + 7.0]).collect();
        assert!((lddt_ca(&moved, &ca) - 100.0).abs() < 1e-9);
        // Uniform scaling by 5% keeps short distances: high but below 100.
        let scaled: Vec<[f32; 3]> = ca.iter().map(|p| [p[0] * 1.05, p[1] * 1.05, p[2] * 1.05]).collect();
        let v = lddt_ca(&scaled, &ca);
        assert!(v < 100.0 && v > 80.0, "{v}");
        // A straight line is bad.
        let line: Vec<[f32; 3]> = (0..ca.len()).map(|i| [3.8 * i as f32, 0.0, 0.0]).collect();
        assert!(lddt_ca(&line, &ca) < 30.0);
    }

    #[test]
    fn lddt_known_value() {
        // Three residues; native distances 3, 4, 5 (all within 15 A). Prediction changes d(0,2)
        // from 5 to 5.7: that pair keeps 2 of 4 thresholds (1, 2... no: |0.7| < 1, 2, 4 -> 3 of 4).
        let native = [[0.0f32, 0.0, 0.0], [3.0, 0.0, 0.0], [3.0, 4.0, 0.0]];
        let mut pred = native;
        // Move residue 2 along the 0->2 direction so d(0,2) = 5.7 and d(1,2) changes too.
        pred[2] = [3.0 * 5.7 / 5.0, 4.0 * 5.7 / 5.0, 0.0];
        let d12 = ((pred[2][0] - 3.0f32).powi(2) + pred[2][1].powi(2)).sqrt() as f64;
        let frac = |diff: f64| [0.5, 1.0, 2.0, 4.0].iter().filter(|&&t| diff < t).count() as f64 / 4.0;
        let per_pair = [1.0, frac(0.7), frac((d12 - 4.0).abs())];
        // Ordered pairs: (0,1),(1,0) -> 1; (0,2),(2,0) -> frac(0.7); (1,2),(2,1) -> frac(d12 - 4).
        let expect = 100.0 * (2.0 * per_pair[0] + 2.0 * per_pair[1] + 2.0 * per_pair[2]) / 6.0;
        assert!((lddt_ca(&pred, &native) - expect).abs() < 1e-4, "{} vs {expect}", lddt_ca(&pred, &native));
        // Pairs beyond 15 A in the native are ignored.
        let far_native = [[0.0f32, 0.0, 0.0], [20.0, 0.0, 0.0]];
        let far_pred = [[0.0f32, 0.0, 0.0], [40.0, 0.0, 0.0]];
        assert_eq!(lddt_ca(&far_pred, &far_native), 100.0);
    }

    #[test]
    fn native_against_itself_scores_perfectly() {
        let native = casp13().join("T0950.pdb");
        let s = score(&native, &native).unwrap_or_else(|e| panic!("{e} (CI installs the tm-align package)"));
        assert_eq!(s.length, 342);
        assert!((s.tm - 1.0).abs() < 1e-4, "TM {}", s.tm);
        assert!((s.gdt_ts - 100.0).abs() < 1e-2, "GDT-TS {}", s.gdt_ts);
        assert_eq!(s.lddt, 100.0);
        assert_eq!(s.seq_mismatches, 0);
    }

    #[test]
    fn written_prediction_is_scored_by_index() {
        // A "prediction" written by write_pdb (numbered from 1) from the native's CA trace
        // (native numbered from 12): residues must still be matched by index.
        let (seq, ca) = native_trace("T0950");
        let mut rot_ca = ca.clone();
        for p in rot_ca.iter_mut() {
            *p = [p[1] + 5.0, -p[0], p[2] - 20.0]; // rigid motion
        }
        let n: Vec<[f32; 3]> = rot_ca.iter().map(|p| [p[0] - 1.0, p[1] + 0.5, p[2]]).collect();
        let c: Vec<[f32; 3]> = rot_ca.iter().map(|p| [p[0] + 1.0, p[1] + 0.5, p[2]]).collect();
        let s = complete_backbone(&seq, &n, &rot_ca, &c, &vec![50.0; seq.len()]);
        let dir = std::env::temp_dir().join(format!("webfold-test-pdb-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("T0950.pdb"), write_pdb(&s, "T0950")).unwrap();
        let sc = score(&dir.join("T0950.pdb"), &casp13().join("T0950.pdb")).unwrap();
        assert!(sc.tm > 0.999 && sc.lddt > 99.99 && sc.gdt_ts > 99.9, "{sc:?}");

        // A shifted prediction (residue i gets residue i+1's CA) scores far lower.
        let mut shifted = ca.clone();
        shifted.rotate_left(1);
        let (tm, gdt) = tmscore_ca(&seq, &shifted, &seq, &ca).unwrap();
        assert!(tm < 0.9 && gdt < 90.0, "{tm} {gdt}");

        // eval_dir + table: one good target, one missing prediction.
        let rows = eval_dir(&dir, &casp13(), &["T0950".to_string(), "T0951".to_string()]);
        assert!(rows[0].result.is_ok());
        assert!(rows[1].result.is_err());
        let table = markdown_table(&rows);
        eprintln!("{table}");
        assert!(table.starts_with("| target | length | TM-score | GDT-TS | lDDT-CA |"));
        assert!(table.contains("| T0950 | 342 | 1.000 | 100.00 | 100.00 |"), "{table}");
        assert!(table.contains("| T0951 | - | error:"), "{table}");
        assert!(table.contains("mean (1 target, 1 failed)"), "{table}");
        let (tm, _, _, count) = mean_scores(&rows).unwrap();
        assert!(count == 1 && tm > 0.999);
        let _ = std::fs::remove_dir_all(&dir);

        // Length mismatch is an error, not a wrong score.
        let short = write_pdb(&complete_backbone(&seq[..10], &n[..10], &rot_ca[..10], &c[..10], &[1.0; 10]), "");
        let p = std::env::temp_dir().join(format!("webfold-test-short-{}.pdb", std::process::id()));
        std::fs::write(&p, short).unwrap();
        let e = score(&p, &casp13().join("T0950.pdb")).unwrap_err();
        assert!(e.to_string().contains("10 CA atoms") && e.to_string().contains("342"), "{e}");
        let _ = std::fs::remove_file(&p);
    }

    #[test]
    fn id_lists() {
        let ids = read_id_list(&std::fs::read_to_string(casp13().join("clean.txt")).unwrap());
        assert_eq!(ids.len(), 14);
        assert_eq!(ids[0], "T0950");
        assert_eq!(read_id_list("# comment\n\n a b\nT1 # x\n"), vec!["a", "T1"]);
    }
}
