//! ModelCIF files written by `webfold predict --format both`, read back by gemmi (Python): the
//! same atoms, coordinates and pLDDT as the PDB file, the ModelCIF quality metrics, and the
//! template references for a template model. gemmi is required (`./build.sh test` installs it);
//! when it is missing this test fails rather than skips.

mod common;

use std::process::Command;

use webfold::pdb::read_pdb;

/// Prints, per file: atom count, every atom (residue number, name, x, y, z, B), the global
/// pLDDT, the local pLDDT values, the template accession codes and the model type.
const GEMMI_SCRIPT: &str = r#"
import json, sys, gemmi
out = []
for path in sys.argv[1:]:
    doc = gemmi.cif.read(path)
    block = doc.sole_block()
    st = gemmi.make_structure_from_block(block)
    atoms = []
    for res in st[0][0]:
        for a in res:
            atoms.append([res.seqid.num, a.name, a.pos.x, a.pos.y, a.pos.z, a.b_iso])
    glob = [float(v) for v in block.find_values('_ma_qa_metric_global.metric_value')]
    local = [float(r[1]) for r in block.find('_ma_qa_metric_local.', ['label_seq_id', 'metric_value'])]
    codes = list(block.find_values('_ma_template_ref_db_details.db_accession_code'))
    mtype = list(block.find_values('_ma_model_list.model_type'))
    seq = gemmi.one_letter_code([r.name for r in st[0][0]])
    out.append({"path": path, "atoms": atoms, "global": glob, "local": local, "templates": codes, "type": [gemmi.cif.as_string(t) for t in mtype], "seq": seq})
print(json.dumps(out))
"#;

#[test]
fn gemmi_reads_modelcif_equal_to_the_pdb() {
    let text = std::fs::read_to_string(common::casp13_dir().join("casp13.fasta")).expect("CASP13 set");
    // T1016 is built on a template, T0955 by the network.
    let pick = |id: &str| {
        let start = text.find(&format!(">{id}")).unwrap();
        let rest = &text[start..];
        rest[..rest[1..].find('>').map_or(rest.len(), |e| e + 1)].to_string()
    };
    let dir = std::env::temp_dir().join(format!("webfold-modelcif-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.fasta");
    std::fs::write(&input, pick("T1016") + &pick("T0955")).unwrap();
    let out = dir.join("pred");
    let o = Command::new(env!("CARGO_BIN_EXE_webfold")).args(["predict", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--format", "both"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let cifs = [out.join("T1016.cif"), out.join("T0955.cif")];
    let g = Command::new(&python).arg("-c").arg(GEMMI_SCRIPT).args(&cifs).output().unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(g.status.success(), "gemmi failed (gemmi is required: `{python} -m pip install gemmi`): {}", String::from_utf8_lossy(&g.stderr));
    let parsed: serde_json::Value = serde_json::from_slice(&g.stdout).unwrap();
    for (k, id) in ["T1016", "T0955"].iter().enumerate() {
        let f = &parsed[k];
        let pdb = read_pdb(&std::fs::read_to_string(out.join(format!("{id}.pdb"))).unwrap()).unwrap();
        let pdb_atoms: Vec<(usize, String, [f32; 3], f32)> = pdb.iter().flat_map(|r| r.atoms.iter().map(move |a| (r.number as usize, a.name.clone(), a.pos, a.b_factor))).collect();
        let atoms = f["atoms"].as_array().unwrap();
        assert_eq!(atoms.len(), pdb_atoms.len(), "{id}: atom count");
        for (a, p) in atoms.iter().zip(&pdb_atoms) {
            let a = a.as_array().unwrap();
            assert_eq!(a[0].as_u64().unwrap() as usize, p.0, "{id}: residue number");
            assert_eq!(a[1].as_str().unwrap(), p.1, "{id}: atom name");
            for t in 0..3 {
                assert!((a[2 + t].as_f64().unwrap() - p.2[t] as f64).abs() < 1e-3, "{id}: coordinate {a:?} vs {p:?}");
            }
            assert!((a[5].as_f64().unwrap() - p.3 as f64).abs() < 1e-2, "{id}: B-factor (pLDDT)");
        }
        // Per-residue pLDDT = the CA B-factors; global = their mean.
        let ca_b: Vec<f64> = pdb_atoms.iter().filter(|a| a.1 == "CA").map(|a| a.3 as f64).collect();
        let local: Vec<f64> = f["local"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        assert_eq!(local.len(), ca_b.len(), "{id}: one local pLDDT per residue");
        assert!(local.iter().zip(&ca_b).all(|(a, b)| (a - b).abs() < 1e-2), "{id}: local pLDDT");
        let mean = ca_b.iter().sum::<f64>() / ca_b.len() as f64;
        assert!((f["global"][0].as_f64().unwrap() - mean).abs() < 0.02, "{id}: global pLDDT");
        let seq: String = pdb.iter().map(|r| r.one_letter()).collect();
        assert_eq!(f["seq"].as_str().unwrap(), seq, "{id}: sequence");
    }
    assert_eq!(parsed[0]["templates"][0].as_str().unwrap(), "4IJ5", "T1016's template reference");
    assert_eq!(parsed[0]["type"][0].as_str().unwrap(), "Homology model");
    assert!(parsed[1]["templates"].as_array().unwrap().is_empty(), "T0955 has no template");
    assert_eq!(parsed[1]["type"][0].as_str().unwrap(), "Ab initio model");
}
