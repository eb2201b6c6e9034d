//! ModelCIF files written by `webfold predict --format both`, read back by two independent
//! readers: gemmi (the same atoms, coordinates and pLDDT as the PDB file, the quality metrics)
//! and python-modelcif, the ModelCIF working group's own library (the templates, their PDB
//! references and alignments equal to the PDB file's REMARK 3, the protocol, the model type).
//! Both are required (`./build.sh test` installs them); when one is missing the test fails
//! rather than skips.

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

/// Prints, per file, what python-modelcif understood: the model's class and pLDDT count, the
/// protocol steps, and per alignment the template's name, PDB code, chain, both ranges, the
/// E-value, the identity and both gapped sequences.
const MODELCIF_SCRIPT: &str = r#"
import json, sys, modelcif, modelcif.reader
out = []
for path in sys.argv[1:]:
    with open(path) as fh:
        systems = modelcif.reader.read(fh)
    s = systems[0]
    models = [m for g in s.model_groups for m in g]
    alignments = []
    for a in s.alignments:
        for p in a.pairs:
            t = p.template.template
            alignments.append({"name": t.name, "codes": [r.accession for r in t.references], "chain": t.asym_id,
                "query": list(p.target.seq_id_range), "template": list(p.template.seq_id_range),
                "evalue": float(p.score.value), "identity": float(p.identity.value),
                "query_aligned": p.target.gapped_sequence, "template_aligned": p.template.gapped_sequence,
                "template_sequence": t.entity.sequence and "".join(c.code for c in t.entity.sequence)})
    metrics = {m.name: m.value for mo in models for m in mo.qa_metrics if m.name != "pLDDT"}
    out.append({"systems": len(systems), "models": [[type(m).__name__, len(m.qa_metrics)] for m in models], "metrics": metrics,
        "steps": [type(st).__name__ for pr in s.protocols for st in pr.steps], "alignments": alignments})
print(json.dumps(out))
"#;

/// The REMARK 3 lines of one template as (ranges line, E-value, aligned query, aligned template).
fn remark_template(pdb: &str, n: usize) -> (String, f64, String, String) {
    let tag = format!("REMARK   3 TEMPLATE {n} ");
    let lines: Vec<&str> = pdb.lines().filter_map(|l| l.strip_prefix(tag.as_str())).map(str::trim_end).collect();
    let ranges = lines.iter().find(|l| l.starts_with("QUERY ")).expect("ranges line").to_string();
    let evalue: f64 = lines.iter().find_map(|l| l.strip_prefix("EVALUE ")).and_then(|l| l.split_whitespace().next()).expect("EVALUE line").parse().unwrap();
    let join = |p: &str| lines.iter().filter_map(|l| l.strip_prefix(p)).collect::<String>();
    (ranges, evalue, join("ALN QUERY "), join("ALN TMPL  "))
}

/// `webfold predict --format both` on the CASP13 records `ids`, in a scratch folder named after
/// `tag`; returns the output folder.
fn predict_both(ids: &[&str], tag: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(common::casp13_dir().join("casp13.fasta")).expect("CASP13 set");
    let pick = |id: &str| {
        let start = text.find(&format!(">{id}")).unwrap();
        let rest = &text[start..];
        rest[..rest[1..].find('>').map_or(rest.len(), |e| e + 1)].to_string()
    };
    let dir = std::env::temp_dir().join(format!("webfold-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.fasta");
    std::fs::write(&input, ids.iter().map(|id| pick(id)).collect::<String>()).unwrap();
    let out = dir.join("pred");
    let o = Command::new(env!("CARGO_BIN_EXE_webfold")).args(["predict", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--format", "both"]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out
}

/// Runs a reader `script` (Python, needing `package`) on `files`; its JSON output.
fn read_with_python(script: &str, package: &str, files: &[std::path::PathBuf]) -> serde_json::Value {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let g = Command::new(&python).arg("-c").arg(script).args(files).output().unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    assert!(g.status.success(), "{package} failed (it is required: `{python} -m pip install {package}`): {}", String::from_utf8_lossy(&g.stderr));
    serde_json::from_slice(&g.stdout).unwrap()
}

#[test]
fn python_modelcif_reads_the_templates_and_alignments() {
    // T1009 is built on two templates, T0955 by the network.
    let out = predict_both(&["T1009", "T0955"], "python-modelcif");
    let parsed = read_with_python(MODELCIF_SCRIPT, "modelcif", &[out.join("T1009.cif"), out.join("T0955.cif")]);
    let pdb = std::fs::read_to_string(out.join("T1009.pdb")).unwrap();
    let residues = read_pdb(&pdb).unwrap().len() as u64;
    let model = &parsed[0];
    assert_eq!(model["systems"], 1);
    assert_eq!(model["models"][0][0], "HomologyModel");
    assert_eq!(model["models"][0][1].as_u64().unwrap(), residues + 2, "one local pLDDT per residue, the global one and the estimated TM-score");
    // The estimated TM-score equals the PDB's REMARK.
    let remark = pdb.lines().find_map(|l| l.strip_prefix("REMARK   3 ESTIMATED TM-SCORE ")).expect("estimated TM-score REMARK");
    let in_pdb: f64 = remark.split_whitespace().next().unwrap().parse().unwrap();
    let in_cif = model["metrics"]["estimated TM-score"].as_f64().expect("estimated TM-score metric");
    assert!((in_cif - in_pdb).abs() < 1e-9 && (0.0..=1.0).contains(&in_cif), "estimated TM-score {in_cif} vs REMARK {in_pdb}");
    assert_eq!(model["steps"], serde_json::json!(["TemplateSearchStep", "ModelingStep"]));
    let alignments = model["alignments"].as_array().unwrap();
    assert!(alignments.len() >= 2, "T1009 is built on two templates: {alignments:?}");
    for (k, a) in alignments.iter().enumerate() {
        let n = k + 1;
        let tag = format!("REMARK   3 TEMPLATE {n} PDB {} CHAIN {} ", a["codes"][0].as_str().unwrap(), a["chain"].as_str().unwrap());
        assert!(pdb.contains(&tag), "template {n} ({a:?}) is not named in the PDB's REMARKs");
        assert_eq!(a["name"].as_str().unwrap(), format!("{} {}", a["codes"][0].as_str().unwrap(), a["chain"].as_str().unwrap()));
        let (ranges, evalue, query_aligned, template_aligned) = remark_template(&pdb, n);
        let q = &a["query"];
        let t = &a["template"];
        assert_eq!(ranges, format!("QUERY {}-{} TEMPLATE {}-{}", q[0], q[1], t[0], t[1]), "template {n}: ranges");
        assert!((a["evalue"].as_f64().unwrap() / evalue - 1.0).abs() < 0.06, "template {n}: E-value {} vs REMARK {evalue}", a["evalue"]);
        assert_eq!(a["query_aligned"].as_str().unwrap(), query_aligned, "template {n}: aligned query");
        assert_eq!(a["template_aligned"].as_str().unwrap(), template_aligned, "template {n}: aligned template");
        // The template's whole sequence holds the aligned residues at the stated range.
        let whole = a["template_sequence"].as_str().unwrap();
        let span: String = template_aligned.chars().filter(|c| *c != '-').collect();
        let (from, to) = (t[0].as_u64().unwrap() as usize, t[1].as_u64().unwrap() as usize);
        assert_eq!(&whole[from - 1..to], span, "template {n}: range in the template's sequence");
        let identity = a["identity"].as_f64().unwrap();
        let line = pdb.lines().find(|l| l.starts_with(&tag)).unwrap();
        let remark: f64 = line[tag.len()..].trim().trim_start_matches("IDENTITY ").trim_end_matches('%').parse().unwrap();
        assert!((identity - remark).abs() <= 0.051, "template {n}: identity {identity} vs REMARK {remark}");
    }
    let network = &parsed[1];
    assert_eq!(network["models"][0][0], "AbInitioModel");
    assert!(network["metrics"]["estimated TM-score"].as_f64().is_some_and(|t| (0.0..=1.0).contains(&t)));
    assert_eq!(network["steps"], serde_json::json!(["ModelingStep"]));
    assert!(network["alignments"].as_array().unwrap().is_empty());
}

#[test]
fn gemmi_reads_modelcif_equal_to_the_pdb() {
    // T1016 is built on a template, T0955 by the network.
    let out = predict_both(&["T1016", "T0955"], "modelcif");
    let parsed = read_with_python(GEMMI_SCRIPT, "gemmi", &[out.join("T1016.cif"), out.join("T0955.cif")]);
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
