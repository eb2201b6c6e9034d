//! ModelCIF output: PDBx/mmCIF with the ModelCIF extension (`mmcif_ma.dic` 1.4.9), as AlphaFold
//! DB and ModelArchive files carry it: the model's atoms (`_atom_site`, B-factor = pLDDT), the
//! global and per-residue pLDDT (`_ma_qa_metric*`), the software, the data sets and the protocol
//! that made the model (`_ma_data*`, `_ma_protocol_step`), and for a template model every
//! template used with its target-template alignment (`_ma_template_*`,
//! `_ma_target_template_poly_mapping`, `_ma_alignment*`: the same pairs, E-value and identity as
//! the PDB file's REMARK 3). Coordinates are those of the PDB file for the same structure (same
//! translation, same rounding), so the two files agree exactly. `tests/modelcif.rs` reads the
//! file back with two independent readers, gemmi and python-modelcif.

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

/// The chemical component of each residue name webfold writes: (id, type, name) as the wwPDB's
/// Chemical Component Dictionary has them (`_chem_comp.ma_provenance` 'CCD Core').
const CHEM_COMPS: [(&str, &str, &str); 21] = [
    ("ALA", "L-peptide linking", "ALANINE"),
    ("ARG", "L-peptide linking", "ARGININE"),
    ("ASN", "L-peptide linking", "ASPARAGINE"),
    ("ASP", "L-peptide linking", "'ASPARTIC ACID'"),
    ("CYS", "L-peptide linking", "CYSTEINE"),
    ("GLN", "L-peptide linking", "GLUTAMINE"),
    ("GLU", "L-peptide linking", "'GLUTAMIC ACID'"),
    ("GLY", "peptide linking", "GLYCINE"),
    ("HIS", "L-peptide linking", "HISTIDINE"),
    ("ILE", "L-peptide linking", "ISOLEUCINE"),
    ("LEU", "L-peptide linking", "LEUCINE"),
    ("LYS", "L-peptide linking", "LYSINE"),
    ("MET", "L-peptide linking", "METHIONINE"),
    ("PHE", "L-peptide linking", "PHENYLALANINE"),
    ("PRO", "L-peptide linking", "PROLINE"),
    ("SER", "L-peptide linking", "SERINE"),
    ("THR", "L-peptide linking", "THREONINE"),
    ("TRP", "L-peptide linking", "TRYPTOPHAN"),
    ("TYR", "L-peptide linking", "TYROSINE"),
    ("VAL", "L-peptide linking", "VALINE"),
    ("UNK", "L-peptide linking", "UNKNOWN"),
];

/// Starts a loop: `loop_` and the category's item names.
fn loop_header(o: &mut String, category: &str, items: &[&str]) {
    o.push_str("loop_\n");
    for item in items {
        let _ = writeln!(o, "_{category}.{item}");
    }
}

/// How the numbers of `_ma_data` are laid out for a model made from `n` templates: the target
/// sequence, each template structure, each template's alignment, the model.
struct DataIds {
    n: usize,
}

impl DataIds {
    const TARGET: usize = 1;
    fn template(&self, k: usize) -> usize {
        2 + k
    }
    fn alignment(&self, k: usize) -> usize {
        2 + self.n + k
    }
    fn model(&self) -> usize {
        2 + 2 * self.n
    }
}

/// Writes `s` as a ModelCIF file (`data_` block named after `title`). `templates` is empty for a
/// network or an assembled model; `assembled` says which.
pub fn write_modelcif(s: &Structure, title: &str, templates: &[TemplateUse], estimated_tm: f64, assembled: bool) -> String {
    let l = s.len();
    let name: String = title.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-').take(60).collect();
    let name = if name.is_empty() { "webfold".to_string() } else { name };
    let shift = coordinate_shift(s);
    let seq: Vec<char> = s.sequence.chars().collect();
    let ids = DataIds { n: templates.len() };
    let mut o = String::with_capacity(120 * 6 * l + 4096);
    let _ = writeln!(o, "data_{name}\n#\n_entry.id {}\n_struct.entry_id {}\n_struct.title {}", value(&name), value(&name), value(&format!("webfold prediction of {title}")));
    o.push_str("_struct.pdbx_structure_determination_methodology computational\n#\n");
    o.push_str("_audit_conform.dict_name mmcif_ma.dic\n_audit_conform.dict_version 1.4.9\n#\n");
    loop_header(&mut o, "software", &["pdbx_ordinal", "name", "version", "type", "classification", "description"]);
    let _ = writeln!(
        o,
        "1 webfold {} program 'model building' {}\n#",
        env!("CARGO_PKG_VERSION"),
        value(if assembled { "fragment assembly from the template library (no template used)" } else if templates.is_empty() { "single-sequence network (no template used)" } else { "template search and template-based modelling" })
    );
    loop_header(&mut o, "ma_software_group", &["ordinal_id", "group_id", "software_id"]);
    o.push_str("1 1 1\n#\n");
    // Residue types, each once, in the order they first occur.
    let mut comps: Vec<&str> = Vec::new();
    for &aa in &seq {
        let t = three_letter(aa);
        if !comps.contains(&t) {
            comps.push(t);
        }
    }
    loop_header(&mut o, "chem_comp", &["id", "type", "name", "ma_provenance"]);
    for t in &comps {
        let (_, kind, full) = CHEM_COMPS.iter().find(|c| c.0 == *t).copied().unwrap_or((t, "L-peptide linking", "UNKNOWN"));
        let _ = writeln!(o, "{t} '{kind}' {full} 'CCD Core'");
    }
    o.push_str("#\n");
    let _ = writeln!(o, "_entity.id 1\n_entity.type polymer\n_entity.src_method man\n_entity.pdbx_description {}\n#", value(title));
    o.push_str("_entity_poly.entity_id 1\n_entity_poly.type polypeptide(L)\n_entity_poly.nstd_linkage no\n_entity_poly.nstd_monomer no\n_entity_poly.pdbx_strand_id A\n");
    for item in ["pdbx_seq_one_letter_code", "pdbx_seq_one_letter_code_can"] {
        let _ = write!(o, "_entity_poly.{item}\n;");
        for (k, chunk) in seq.chunks(80).enumerate() {
            if k > 0 {
                o.push('\n');
            }
            o.extend(chunk.iter());
        }
        o.push_str("\n;\n");
    }
    o.push_str("#\n");
    loop_header(&mut o, "entity_poly_seq", &["entity_id", "num", "mon_id", "hetero"]);
    for (i, &aa) in seq.iter().enumerate() {
        let _ = writeln!(o, "1 {} {} n", i + 1, three_letter(aa));
    }
    o.push_str("#\n_struct_asym.id A\n_struct_asym.entity_id 1\n_struct_asym.details 'Model subunit A'\n#\n");
    write_data(&mut o, title, templates, &ids);
    o.push_str("_ma_target_entity.entity_id 1\n_ma_target_entity.data_id 1\n_ma_target_entity.origin designed\n#\n");
    o.push_str("_ma_target_entity_instance.asym_id A\n_ma_target_entity_instance.entity_id 1\n_ma_target_entity_instance.details 'Model subunit A'\n#\n");
    if !templates.is_empty() {
        write_templates(&mut o, templates, &ids);
    }
    write_protocol(&mut o, templates, s.has_side_chains(), assembled);
    let model_type = if templates.is_empty() { "'Ab initio model'" } else { "'Homology model'" };
    loop_header(&mut o, "ma_model_list", &["ordinal_id", "model_name", "data_id", "model_type"]);
    let _ = writeln!(o, "1 'webfold model' {} {model_type}\n#", ids.model());
    o.push_str("_ma_model_group.id 1\n_ma_model_group.name 'webfold prediction'\n#\n_ma_model_group_link.group_id 1\n_ma_model_group_link.model_id 1\n#\n");
    o.push_str("loop_\n_atom_site.group_PDB\n_atom_site.id\n_atom_site.type_symbol\n_atom_site.label_atom_id\n_atom_site.label_alt_id\n_atom_site.label_comp_id\n_atom_site.label_asym_id\n_atom_site.label_entity_id\n_atom_site.label_seq_id\n_atom_site.pdbx_PDB_ins_code\n_atom_site.Cartn_x\n_atom_site.Cartn_y\n_atom_site.Cartn_z\n_atom_site.occupancy\n_atom_site.B_iso_or_equiv\n_atom_site.auth_seq_id\n_atom_site.auth_asym_id\n_atom_site.pdbx_PDB_model_num\n");
    let coord = |v: f32, t: usize| if v.is_nan() { 0.0 } else { (v as f64 + shift[t]).clamp(crate::pdb::COORD_MIN, crate::pdb::COORD_MAX) };
    let mut serial = 0;
    let mut elements: Vec<&str> = Vec::new();
    for i in 0..l {
        let res = three_letter(seq.get(i).copied().unwrap_or('X'));
        let b = s.plddt.get(i).copied().unwrap_or(0.0);
        let b = if b.is_nan() { 0.0 } else { (b as f64).clamp(0.0, 999.99) };
        for (atom, p, el) in residue_atoms(s, i) {
            serial += 1;
            if !elements.contains(&el) {
                elements.push(el);
            }
            let _ = writeln!(o, "ATOM {serial} {el} {atom} . {res} A 1 {} ? {:.3} {:.3} {:.3} 1.00 {b:.2} {} A 1", i + 1, coord(p[0], 0), coord(p[1], 1), coord(p[2], 2), i + 1);
        }
    }
    o.push_str("#\n");
    elements.sort_unstable();
    loop_header(&mut o, "atom_type", &["symbol"]);
    for el in &elements {
        let _ = writeln!(o, "{el}");
    }
    o.push_str("#\n");
    loop_header(&mut o, "ma_qa_metric", &["id", "name", "description", "type", "mode", "type_other_details", "software_group_id"]);
    o.push_str("1 pLDDT 'Predicted lDDT-CA (0-100)' pLDDT global . 1\n2 pLDDT 'Predicted lDDT-CA (0-100)' pLDDT local . 1\n");
    let basis = if assembled { "fitted from the agreement of the lowest-energy decoys" } else if templates.is_empty() { "the network's mean TM-score on benchmark chains without a template" } else { "fitted from the mean pLDDT and the first template's E-value" };
    let _ = writeln!(o, "3 'estimated TM-score' {} other global 'TM-score estimate' 1\n#", value(&format!("Estimated TM-score of the whole model (0-1), {basis}")));
    loop_header(&mut o, "ma_qa_metric_global", &["ordinal_id", "model_id", "metric_id", "metric_value"]);
    let _ = writeln!(o, "1 1 1 {:.2}\n2 1 3 {estimated_tm:.2}\n#", if l > 0 { s.mean_plddt() } else { 0.0 });
    o.push_str("loop_\n_ma_qa_metric_local.ordinal_id\n_ma_qa_metric_local.model_id\n_ma_qa_metric_local.label_asym_id\n_ma_qa_metric_local.label_seq_id\n_ma_qa_metric_local.label_comp_id\n_ma_qa_metric_local.metric_id\n_ma_qa_metric_local.metric_value\n");
    for i in 0..l {
        let b = s.plddt.get(i).copied().unwrap_or(0.0);
        let b = if b.is_nan() { 0.0 } else { (b as f64).clamp(0.0, 999.99) };
        let _ = writeln!(o, "{} 1 A {} {} 2 {b:.2}", i + 1, i + 1, three_letter(seq.get(i).copied().unwrap_or('X')));
    }
    o.push_str("#\n");
    o
}

/// `_ma_data` and `_ma_data_group`: what each protocol step reads and writes. Groups: 1 the
/// target; 2 the templates and alignments the search found; 3 the target with them (what the
/// modelling read); 4 the model. A network model has only groups 1 and 4.
fn write_data(o: &mut String, title: &str, templates: &[TemplateUse], ids: &DataIds) {
    loop_header(o, "ma_data", &["id", "name", "content_type"]);
    let _ = writeln!(o, "{} {} target", DataIds::TARGET, value(title));
    for (k, t) in templates.iter().enumerate() {
        let _ = writeln!(o, "{} {} 'template structure'", ids.template(k), value(&format!("{} {}", t.pdb_id, t.chain)));
    }
    for (k, t) in templates.iter().enumerate() {
        let _ = writeln!(o, "{} {} 'target-template alignment'", ids.alignment(k), value(&format!("alignment of the target to {} {}", t.pdb_id, t.chain)));
    }
    let _ = writeln!(o, "{} 'webfold model' 'model coordinates'\n#", ids.model());
    loop_header(o, "ma_data_group", &["ordinal_id", "group_id", "data_id"]);
    let mut rows: Vec<(usize, usize)> = vec![(1, DataIds::TARGET)];
    if !templates.is_empty() {
        let found: Vec<usize> = (0..templates.len()).flat_map(|k| [ids.template(k), ids.alignment(k)]).collect();
        rows.extend(found.iter().map(|&d| (2, d)));
        rows.push((3, DataIds::TARGET));
        rows.extend(found.iter().map(|&d| (3, d)));
    }
    rows.push((4, ids.model()));
    for (k, (group, data)) in rows.iter().enumerate() {
        let _ = writeln!(o, "{} {group} {data}", k + 1);
    }
    o.push_str("#\n");
}

/// The templates and their alignments. Template residue numbers count the residues of the
/// library's chain from 1 (the promod3 StructureDB's chain, which keeps only residues with
/// coordinates), not the PDB's author numbering; `_ma_protocol_step` says so. The library keeps
/// each chain in its own frame, not the PDB entry's, so the transformation from the deposited
/// coordinates onto the model is unknown (`?`).
fn write_templates(o: &mut String, templates: &[TemplateUse], ids: &DataIds) {
    o.push_str("_ma_template_trans_matrix.id 1\n");
    for item in ["rot_matrix[1][1]", "rot_matrix[2][1]", "rot_matrix[3][1]", "rot_matrix[1][2]", "rot_matrix[2][2]", "rot_matrix[3][2]", "rot_matrix[1][3]", "rot_matrix[2][3]", "rot_matrix[3][3]", "tr_vector[1]", "tr_vector[2]", "tr_vector[3]"] {
        let _ = writeln!(o, "_ma_template_trans_matrix.{item} ?");
    }
    o.push_str("#\n");
    loop_header(
        o,
        "ma_template_details",
        &["ordinal_id", "template_id", "template_origin", "template_entity_type", "template_trans_matrix_id", "template_data_id", "target_asym_id", "template_label_asym_id", "template_model_num", "template_auth_asym_id"],
    );
    for (k, t) in templates.iter().enumerate() {
        let chain = value(&t.chain);
        let _ = writeln!(o, "{} {} 'reference database' polymer 1 {} A {chain} 1 {chain}", k + 1, k + 1, ids.template(k));
    }
    o.push_str("#\n");
    loop_header(o, "ma_template_poly", &["template_id", "seq_one_letter_code", "seq_one_letter_code_can"]);
    for (k, t) in templates.iter().enumerate() {
        let _ = writeln!(o, "{} {} {}", k + 1, value(&t.template_sequence), value(&t.template_sequence));
    }
    o.push_str("#\n");
    loop_header(o, "ma_template_poly_segment", &["id", "template_id", "residue_number_begin", "residue_number_end"]);
    for (k, t) in templates.iter().enumerate() {
        let _ = writeln!(o, "{} {} {} {}", k + 1, k + 1, t.template_from, t.template_to);
    }
    o.push_str("#\n");
    loop_header(o, "ma_template_ref_db_details", &["template_id", "db_name", "db_accession_code"]);
    for (k, t) in templates.iter().enumerate() {
        let _ = writeln!(o, "{} PDB {}", k + 1, value(&t.pdb_id));
    }
    o.push_str("#\n");
    loop_header(o, "ma_target_template_poly_mapping", &["id", "template_segment_id", "target_asym_id", "target_seq_id_begin", "target_seq_id_end"]);
    for (k, t) in templates.iter().enumerate() {
        let _ = writeln!(o, "{} {} A {} {}", k + 1, k + 1, t.query_from, t.query_to);
    }
    o.push_str("#\n");
    loop_header(o, "ma_alignment_info", &["alignment_id", "data_id", "software_group_id", "alignment_length", "alignment_type", "alignment_mode"]);
    for (k, t) in templates.iter().enumerate() {
        let _ = writeln!(o, "{} {} 1 {} 'target-template pairwise alignment' local", k + 1, ids.alignment(k), t.query_aligned.len());
    }
    o.push_str("#\n");
    loop_header(
        o,
        "ma_alignment_details",
        &["ordinal_id", "alignment_id", "template_segment_id", "target_asym_id", "score_type", "score_value", "percent_sequence_identity", "sequence_identity_denominator"],
    );
    for (k, t) in templates.iter().enumerate() {
        let _ = writeln!(o, "{} {} {} A 'BLAST e-value' {:.3e} {:.2} 'Number of aligned residue pairs (not including the gaps)'", k + 1, k + 1, k + 1, t.evalue, t.identity);
    }
    o.push_str("#\n");
    loop_header(o, "ma_alignment", &["ordinal_id", "alignment_id", "target_template_flag", "sequence"]);
    for (k, t) in templates.iter().enumerate() {
        // Flag 1 = the target's row, 2 = the template's.
        let _ = writeln!(o, "{} {} 1 {}", 2 * k + 1, k + 1, value(&t.query_aligned));
        let _ = writeln!(o, "{} {} 2 {}", 2 * k + 2, k + 1, value(&t.template_aligned));
    }
    o.push_str("#\n");
}

/// `_ma_protocol_step`: a template search then modelling, or the network alone.
fn write_protocol(o: &mut String, templates: &[TemplateUse], side_chains: bool, assembled: bool) {
    let packed = if side_chains { " Side chains from ProMod3's backbone-dependent rotamer library, packed against clashes." } else { "" };
    loop_header(o, "ma_protocol_step", &["ordinal_id", "protocol_id", "step_id", "method_type", "step_name", "details", "software_group_id", "input_data_group_id", "output_data_group_id"]);
    if assembled {
        let relieved = if side_chains { " Then heavy-atom clashes relieved by small moves of all atoms (CA restrained, bonds kept)." } else { "" };
        let _ = writeln!(o, "1 1 1 modeling 'fragment assembly' {} 1 1 4", value(&format!("No template was found: Monte Carlo assembly of CA-trace fragments of the promod3 3.2.1 StructureDB chains, chosen by sequence profile, under a low-resolution energy counted on the same chains; the model is the centre of the lowest-energy decoys, its pLDDT and estimated TM-score from their agreement. N and C rebuilt from the CA trace, relaxed, the peptide planes turned to the most probable backbone.{packed}{relieved}")));
    } else if templates.is_empty() {
        let _ = writeln!(o, "1 1 1 modeling 'network prediction' {} 1 1 4", value(&format!("No template was used: the structure is the single-sequence network's own prediction, relaxed; its pLDDT says how little it can be trusted.{packed}")));
    } else {
        let relieved = if side_chains { " Then heavy-atom clashes relieved by small moves of all atoms (CA restrained, bonds kept)." } else { "" };
        let tentative = if crate::templates::are_tentative(templates) { " No hit reached the E-value cutoff: the templates are tentative (weak hits), a low-confidence guess at the fold." } else { "" };
        let _ = writeln!(
            o,
            "1 1 1 'template search' 'template search' {} 1 1 2",
            value(&format!("Smith-Waterman (BLOSUM62, gaps 11/1, BLAST statistics) against every chain of the promod3 3.2.1 StructureDB (PDB entries deposited before mid-2018), each hit realigned to the template's sequence profile. Template residue numbers count the residues of the StructureDB chain from 1, not the PDB author numbering.{tentative}"))
        );
        let _ = writeln!(
            o,
            "2 1 2 modeling 'template-based modelling' {} 1 3 4",
            value(&format!("Each chosen template's alignment redrawn by the other hits' structural votes; aligned residues take their template's CA, averaged with the positions the best-ranked related structures give them (within 4 A, weighted by expected lDDT); gaps closed with fragments of known structure, N and C rebuilt from the CA trace, relaxed, the peptide planes turned about the CA trace to the most probable backbone by their Ramachandran statistics; pLDDT from a function of the alignment and the templates' agreement, fitted against true lDDT.{packed}{relieved}"))
        );
    }
    o.push_str("#\n");
}
