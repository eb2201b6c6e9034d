//! ModelCIF output: PDBx/mmCIF with the ModelCIF extension (`mmcif_ma.dic`), as AlphaFold DB
//! files carry it: the model's atoms (`_atom_site`, B-factor = pLDDT), the global and
//! per-residue pLDDT (`_ma_qa_metric*`), the model list, the software and, for template models,
//! the templates used (`_ma_template_details`, `_ma_template_ref_db_details`; the alignment
//! ranges, E-values, identities and the alignments themselves are in the PDB file's REMARK 3). Coordinates are those of the PDB file for the same
//! structure (same translation, same rounding), so the two files agree exactly.

use std::fmt::Write as _;

use crate::geometry::Structure;
use crate::pdb::{coordinate_shift, residue_atoms};
use crate::sequence::three_letter;
use crate::templates::TemplateUse;

/// A CIF value: bare when it is a simple token, otherwise single-quoted (or `.` when empty).
fn value(s: &str) -> String {
    let clean: String = s.chars().map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '_' }).collect();
    if clean.is_empty() {
        ".".to_string()
    } else if clean.chars().all(|c| c.is_ascii_alphanumeric() || "-_.+()/".contains(c)) && !clean.starts_with(['_', '#', '$', '\'', '"', '[', ']', ';']) {
        clean
    } else {
        // A single-quoted CIF string may not contain a quote followed by white space.
        format!("'{}'", clean.replace('\'', "`"))
    }
}

/// Writes `s` as a ModelCIF file (`data_` block named after `title`). `templates` is empty for a
/// network model.
pub fn write_modelcif(s: &Structure, title: &str, templates: &[TemplateUse]) -> String {
    let l = s.len();
    let name: String = title.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').take(60).collect();
    let name = if name.is_empty() { "webfold".to_string() } else { name };
    let shift = coordinate_shift(s);
    let seq: Vec<char> = s.sequence.chars().collect();
    let mut o = String::with_capacity(120 * 6 * l + 4096);
    let _ = writeln!(o, "data_{name}\n#\n_entry.id {}\n_struct.entry_id {}\n_struct.title {}", value(&name), value(&name), value(&format!("webfold prediction of {title}")));
    o.push_str("#\n_audit_conform.dict_name mmcif_ma.dic\n_audit_conform.dict_version 1.4.5\n#\n");
    let _ = writeln!(
        o,
        "loop_\n_software.pdbx_ordinal\n_software.name\n_software.version\n_software.type\n_software.classification\n_software.description\n1 webfold {} program 'model building' {}\n#",
        env!("CARGO_PKG_VERSION"),
        value(if templates.is_empty() { "single-sequence network (no template found)" } else { "template-based modelling" })
    );
    let _ = writeln!(o, "_entity.id 1\n_entity.type polymer\n_entity.src_method man\n_entity.pdbx_description {}\n#", value(title));
    o.push_str("_entity_poly.entity_id 1\n_entity_poly.type polypeptide(L)\n_entity_poly.nstd_linkage no\n_entity_poly.pdbx_seq_one_letter_code\n;");
    for (k, chunk) in seq.chunks(80).enumerate() {
        if k > 0 {
            o.push('\n');
        }
        o.extend(chunk.iter());
    }
    o.push_str("\n;\n#\nloop_\n_entity_poly_seq.entity_id\n_entity_poly_seq.num\n_entity_poly_seq.mon_id\n_entity_poly_seq.hetero\n");
    for (i, &aa) in seq.iter().enumerate() {
        let _ = writeln!(o, "1 {} {} n", i + 1, three_letter(aa));
    }
    o.push_str("#\n_struct_asym.id A\n_struct_asym.entity_id 1\n#\n");
    let model_type = if templates.is_empty() { "'Ab initio model'" } else { "'Homology model'" };
    let _ = writeln!(o, "_ma_model_list.ordinal_id 1\n_ma_model_list.model_id 1\n_ma_model_list.model_group_id 1\n_ma_model_list.model_name 'webfold model'\n_ma_model_list.model_group_name 'webfold prediction'\n_ma_model_list.data_id 1\n_ma_model_list.model_type {model_type}\n#");
    if !templates.is_empty() {
        o.push_str("loop_\n_ma_template_ref_db_details.template_id\n_ma_template_ref_db_details.db_name\n_ma_template_ref_db_details.db_accession_code\n");
        for (k, t) in templates.iter().enumerate() {
            let _ = writeln!(o, "{} PDB {}", k + 1, value(&t.pdb_id));
        }
        o.push_str("#\nloop_\n_ma_template_details.ordinal_id\n_ma_template_details.template_id\n_ma_template_details.template_origin\n_ma_template_details.template_entity_type\n_ma_template_details.target_asym_id\n_ma_template_details.template_auth_asym_id\n");
        for (k, t) in templates.iter().enumerate() {
            let _ = writeln!(o, "{} {} 'reference database' polymer A {}", k + 1, k + 1, value(&t.chain));
        }
        o.push_str("#\n");
    }
    o.push_str("loop_\n_atom_site.group_PDB\n_atom_site.id\n_atom_site.type_symbol\n_atom_site.label_atom_id\n_atom_site.label_alt_id\n_atom_site.label_comp_id\n_atom_site.label_asym_id\n_atom_site.label_entity_id\n_atom_site.label_seq_id\n_atom_site.pdbx_PDB_ins_code\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\n_atom_site.occupancy\n_atom_site.B_iso_or_equiv\n_atom_site.auth_seq_id\n_atom_site.auth_asym_id\n_atom_site.pdbx_PDB_model_num\n");
    let coord = |v: f32, t: usize| if v.is_nan() { 0.0 } else { (v as f64 + shift[t]).clamp(crate::pdb::COORD_MIN, crate::pdb::COORD_MAX) };
    let mut serial = 0;
    for i in 0..l {
        let res = three_letter(seq.get(i).copied().unwrap_or('X'));
        let b = s.plddt.get(i).copied().unwrap_or(0.0);
        let b = if b.is_nan() { 0.0 } else { (b as f64).clamp(0.0, 999.99) };
        for (atom, p, el) in residue_atoms(s, i) {
            serial += 1;
            let _ = writeln!(o, "ATOM {serial} {el} {atom} . {res} A 1 {} ? {:.3} {:.3} {:.3} 1.00 {b:.2} {} A 1", i + 1, coord(p[0], 0), coord(p[1], 1), coord(p[2], 2), i + 1);
        }
    }
    o.push_str("#\nloop_\n_ma_qa_metric.id\n_ma_qa_metric.name\n_ma_qa_metric.description\n_ma_qa_metric.type\n_ma_qa_metric.mode\n_ma_qa_metric.software_group_id\n");
    o.push_str("1 pLDDT 'Predicted lDDT-CA (0-100)' pLDDT global .\n2 pLDDT 'Predicted lDDT-CA (0-100)' pLDDT local .\n#\n");
    let _ = writeln!(o, "_ma_qa_metric_global.ordinal_id 1\n_ma_qa_metric_global.model_id 1\n_ma_qa_metric_global.metric_id 1\n_ma_qa_metric_global.metric_value {:.2}\n#", if l > 0 { s.mean_plddt() } else { 0.0 });
    o.push_str("loop_\n_ma_qa_metric_local.ordinal_id\n_ma_qa_metric_local.model_id\n_ma_qa_metric_local.label_asym_id\n_ma_qa_metric_local.label_seq_id\n_ma_qa_metric_local.label_comp_id\n_ma_qa_metric_local.metric_id\n_ma_qa_metric_local.metric_value\n");
    for i in 0..l {
        let b = s.plddt.get(i).copied().unwrap_or(0.0);
        let b = if b.is_nan() { 0.0 } else { (b as f64).clamp(0.0, 999.99) };
        let _ = writeln!(o, "{} 1 A {} {} 2 {b:.2}", i + 1, i + 1, three_letter(seq.get(i).copied().unwrap_or('X')));
    }
    o.push_str("#\n");
    o
}
