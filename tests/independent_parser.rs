//! PDB files written by `webfold predict` read by an independent parser: gemmi (Python).
//!
//! gemmi is required: `.ci/run` installs it (`pip install gemmi`); when it is missing this test
//! fails rather than skips. `PYTHON` selects the interpreter (default `python3`).

mod common;

use std::path::PathBuf;
use std::process::Command;

use webfold::pdb::read_pdb;
use webfold::sequence::{parse_default, three_letter};

/// CASP13 targets predicted here (short ones, to keep the test quick).
const TARGETS: [&str; 4] = ["T0955", "T0953s1", "T0958", "T0968s1"];

/// Reads each file with gemmi and prints one JSON object per file: model/chain/residue
/// structure, every atom's name, element, position and B-factor, and anything gemmi warned.
const GEMMI_SCRIPT: &str = r#"
import json, sys, warnings
import gemmi
for path in sys.argv[1:]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        st = gemmi.read_structure(path)
        st.setup_entities()
    chains = []
    for model in st:
        for chain in model:
            residues = []
            for res in chain:
                residues.append({
                    "name": res.name, "num": res.seqid.num, "icode": res.seqid.icode,
                    "het": res.het_flag,
                    "atoms": [[a.name, a.element.name, a.pos.x, a.pos.y, a.pos.z, a.b_iso, a.occ, a.altloc] for a in res],
                })
            chains.append({"name": chain.name, "residues": residues})
    seq = gemmi.one_letter_code([r.name for r in st[0][0]]) if len(st) and len(st[0]) else ""
    print(json.dumps({
        "path": path, "models": len(st), "chains": chains, "seq": seq,
        "atoms": st[0].count_atom_sites() if len(st) else 0,
        "warnings": [str(w.message) for w in caught],
    }))
"#;

fn casp13_fasta() -> PathBuf {
    common::casp13_dir().join("casp13.fasta")
}

#[test]
fn gemmi_reads_predicted_pdbs() {
    let text = std::fs::read_to_string(casp13_fasta()).expect("CASP13 sequences next to the repository");
    let all = parse_default(&text).unwrap();
    let records: Vec<_> = TARGETS.iter().map(|t| all.iter().find(|r| r.id == *t).unwrap_or_else(|| panic!("{t} missing")).clone()).collect();

    let dir = std::env::temp_dir().join(format!("webfold-gemmi-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("targets.fasta");
    let fasta: String = records.iter().map(|r| format!(">{} CASP13\n{}\n", r.id, r.sequence)).collect();
    std::fs::write(&input, fasta).unwrap();
    let out = dir.join("pred");
    let o = Command::new(env!("CARGO_BIN_EXE_webfold"))
        .args(["predict", input.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "webfold predict failed: {}", String::from_utf8_lossy(&o.stderr));

    let paths: Vec<PathBuf> = records.iter().map(|r| out.join(format!("{}.pdb", r.id))).collect();
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let g = Command::new(&python)
        .arg("-c")
        .arg(GEMMI_SCRIPT)
        .args(&paths)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let stderr = String::from_utf8_lossy(&g.stderr);
    assert!(
        g.status.success(),
        "gemmi check failed (gemmi is required: `{python} -m pip install gemmi`, as .ci/run does): {stderr}"
    );
    assert!(stderr.trim().is_empty(), "gemmi complained: {stderr}");
    let stdout = String::from_utf8(g.stdout).unwrap();
    let reports: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(reports.len(), records.len());

    for ((record, path), rep) in records.iter().zip(&paths).zip(&reports) {
        let id = &record.id;
        assert_eq!(rep["warnings"].as_array().unwrap().len(), 0, "{id}: gemmi warnings {}", rep["warnings"]);
        assert_eq!(rep["models"], 1, "{id}: models");
        let chains = rep["chains"].as_array().unwrap();
        assert_eq!(chains.len(), 1, "{id}: chains");
        assert_eq!(chains[0]["name"], "A");
        assert_eq!(rep["seq"].as_str().unwrap(), record.sequence, "{id}: gemmi's sequence");
        // webfold's own reader gives the expected atoms; gemmi must agree on every one.
        let ours = read_pdb(&std::fs::read_to_string(path).unwrap()).unwrap();
        let theirs = chains[0]["residues"].as_array().unwrap();
        assert_eq!(theirs.len(), record.len(), "{id}: residue count");
        let mut n_atoms = 0;
        for (i, ((res, mine), aa)) in theirs.iter().zip(&ours).zip(record.sequence.chars()).enumerate() {
            assert_eq!(res["name"].as_str().unwrap(), three_letter(aa), "{id} residue {i}");
            assert_eq!(res["num"].as_i64().unwrap(), i as i64 + 1, "{id} residue {i} number");
            assert_eq!(res["het"].as_str().unwrap(), "A", "{id} residue {i}: not an ATOM record");
            let atoms = res["atoms"].as_array().unwrap();
            let names: Vec<&str> = atoms.iter().map(|a| a[0].as_str().unwrap()).collect();
            let mut want: Vec<&str> = if aa == 'G' { vec!["N", "CA", "C", "O"] } else { vec!["N", "CA", "C", "O", "CB"] };
            if let Some(rt) = webfold::sidechains::SideChainLibrary::get().residues.get(&aa) {
                want.extend(rt.atoms.iter().map(|a| a.name));
            }
            assert_eq!(names, want, "{id} residue {i} atoms");
            let b0 = atoms[0][5].as_f64().unwrap();
            for (a, m) in atoms.iter().zip(&mine.atoms) {
                let name = a[0].as_str().unwrap();
                assert_eq!(a[1].as_str().unwrap(), &name[..1], "{id} residue {i} {name}: element");
                assert_eq!(name, m.name, "{id} residue {i}: atom order");
                for t in 0..3 {
                    let (x, y) = (a[2 + t].as_f64().unwrap(), m.pos[t] as f64);
                    assert!((x - y).abs() < 1e-3, "{id} residue {i} {name}: gemmi {x} vs webfold {y}");
                }
                let b = a[5].as_f64().unwrap();
                assert!((b - m.b_factor as f64).abs() < 1e-3 && (0.0..=100.0).contains(&b), "{id} residue {i} {name}: B {b}");
                assert_eq!(b, b0, "{id} residue {i}: one pLDDT per residue");
                assert_eq!(a[6].as_f64().unwrap(), 1.0, "{id} occupancy");
                n_atoms += 1;
            }
        }
        assert_eq!(rep["atoms"].as_u64().unwrap(), n_atoms, "{id}: atom count");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
