//! Template-based modelling (docs/TEMPLATES.md): the query is searched against a library of
//! known structures, the best templates are chosen, and the model is built on them.
//!
//! Pipeline (one named step per module):
//! [`library`] (read the `.wftl` file) -> [`search`] (Smith-Waterman, E-values; the hits
//! realigned to the template's profile by [`profile`]) -> [`extend`] (pair the residues beyond
//! the alignment's ends) -> [`choose`]
//! (rank by expected correct residues: the pLDDT of [`confidence`], which includes the hits'
//! structural [`consensus`]; add templates for uncovered domains) -> [`consistency`] (the
//! chosen templates realigned by the other hits' votes) -> [`model`] (raw
//! model; [`average`] moves each templated residue to the weighted mean of the relatives'
//! positions; open gaps until closable; [`loops`] closes short gaps with fragments; fill the rest) -> [`backbone`] (N and C from CA) -> relax (D8) ->
//! peptide planes turned to the most probable backbone (geometry/peptides.rs), relaxed and turned again ->
//! [`confidence`] (pLDDT from the local alignment).

pub mod align;
pub mod average;
pub mod backbone;
pub mod choose;
pub mod confidence;
pub mod consensus;
pub mod consistency;
pub mod extend;
pub mod library;
pub mod loops;
pub mod model;
pub mod profile;
pub mod search;
#[cfg(not(target_arch = "wasm32"))]
pub mod benchmark;

use block_aligner::scores::{Matrix, BLOSUM62};
use crate::geometry::atoms::{complete_backbone, Structure};
use crate::geometry::relax::{relax_with, RelaxOptions};
use crate::geometry::{v32, v64};

pub use library::{Library, LibraryError};
pub use search::{Hit, SearchIndex, SearchOptions};

/// A loaded library with its search index and its fragment database.
pub struct Templates {
    pub library: Library,
    pub index: SearchIndex,
    pub fragments: loops::FragmentDb,
    /// Data another engine derives from this library once (the fragment assembly's tables:
    /// assembly::data), kept here so that it lives as long as the library. Typed by its owner,
    /// which depends on this module, not this module on it.
    derived: std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>>,
}

impl Templates {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LibraryError> {
        let library = Library::from_bytes(bytes)?;
        let index = SearchIndex::new(&library);
        let fragments = loops::FragmentDb::new(&library);
        Ok(Templates { library, index, fragments, derived: std::sync::OnceLock::new() })
    }

    /// The slot for data derived from this library (set once, on first use).
    pub fn derived(&self) -> &std::sync::OnceLock<Box<dyn std::any::Any + Send + Sync>> {
        &self.derived
    }
}

/// One template used by a model, as reported to the user (PDB REMARK, page table, CLI).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TemplateUse {
    /// PDB entry (4 characters) and chain id.
    pub pdb_id: String,
    pub chain: String,
    /// Percent identity over the aligned pairs.
    pub identity: f64,
    /// Aligned pairs / query length (0..1).
    pub coverage: f64,
    /// Query and template ranges of the alignment, 1-based inclusive (template numbering: its
    /// residues in the library, from 1).
    pub query_from: usize,
    pub query_to: usize,
    pub template_from: usize,
    pub template_to: usize,
    /// E-value and bits of the sequence (BLOSUM62) alignment, as BLAST computes them.
    pub evalue: f64,
    pub bits: f64,
    /// E-value of the alignment to the template's profile (the one the model is built on).
    pub profile_evalue: f64,
    /// Query residues that took this template's coordinates in the final model.
    pub residues_used: usize,
    /// Of those, the residues placed by the alignment's gapless extension (extend.rs), beyond
    /// the aligned ranges or in stretches the alignment leaves unaligned in both chains.
    pub extended_used: usize,
    /// The alignment over the aligned ranges as two gapped strings of equal length ('-' for a
    /// gap): query, then template (Hit::aligned).
    pub query_aligned: String,
    pub template_aligned: String,
    /// The template chain's whole sequence in the library (the ranges count its residues).
    pub template_sequence: String,
    /// A tentative template: no hit reached the E-value cutoff, and this one is among those
    /// up to the tentative cutoff (search.rs, SearchOptions::tentative_evalue).
    pub tentative: bool,
    /// Set beside the model as a separate domain: it shares too few residues with the other
    /// templates, and no hit spans both, so their relative orientation is unknown.
    pub unoriented: bool,
}

/// Residues per line of [`TemplateUse::alignment_text`].
const ALIGNMENT_WIDTH: usize = 60;

impl TemplateUse {
    /// The alignment as a viewer shows it, in blocks of 60 columns: the query line, a line
    /// marking identical pairs '|' and pairs BLOSUM62 scores positive '+', the template line;
    /// each sequence line starts and ends with its first and last residue number in the block
    /// (template numbering from 1, as the ranges).
    pub fn alignment_text(&self) -> String {
        let names = ["Query".to_string(), format!("{} {}", self.pdb_id, self.chain)];
        let width_name = names.iter().map(String::len).max().unwrap_or(0);
        let width_number = self.query_to.max(self.template_to).to_string().len();
        let rows = [self.query_aligned.as_bytes(), self.template_aligned.as_bytes()];
        let mut next = [self.query_from, self.template_from];
        let mut out = String::new();
        for start in (0..rows[0].len()).step_by(ALIGNMENT_WIDTH) {
            let end = (start + ALIGNMENT_WIDTH).min(rows[0].len());
            let matches: String = (start..end)
                .map(|i| {
                    let (a, b) = (rows[0][i], rows[1][i]);
                    if a == b'-' || b == b'-' {
                        ' '
                    } else if a == b {
                        '|'
                    } else if BLOSUM62.get(a, b) > 0 {
                        '+'
                    } else {
                        ' '
                    }
                })
                .collect();
            for (k, row) in rows.iter().enumerate() {
                let chunk = &row[start..end];
                let residues = chunk.iter().filter(|&&c| c != b'-').count();
                let first = next[k];
                next[k] += residues;
                let last = if residues == 0 { first - 1 } else { next[k] - 1 };
                out.push_str(&format!("{:<width_name$} {:>width_number$} {} {last}\n", names[k], first, std::str::from_utf8(chunk).unwrap_or("")));
                if k == 0 {
                    out.push_str(&format!("{:<w$}{}\n", "", matches, w = width_name + width_number + 2));
                }
            }
            out.push('\n');
        }
        out
    }

    /// The template's significance: the better of its two E-values (as Hit::best_evalue).
    pub fn best_evalue(&self) -> f64 {
        self.evalue.min(self.profile_evalue)
    }
}

/// A model built on templates.
pub struct TemplateModel {
    pub structure: Structure,
    pub templates: Vec<TemplateUse>,
    /// Confidence features of each templated residue (`None`: filled), for fitting.
    pub features: Vec<Option<confidence::Features>>,
    /// Residues placed by a loop of a known structure (loops.rs), for fitting.
    pub closed: Vec<bool>,
    /// The whole model's estimated TM-score (confidence::estimated_tm).
    pub estimated_tm: f64,
}

/// True when `templates` are tentative ones (search.rs: a search returns either hits that
/// reach the cutoff or, when there are none, only tentative ones).
pub fn are_tentative(templates: &[TemplateUse]) -> bool {
    !templates.is_empty() && templates.iter().all(|t| t.tentative)
}

/// Searches the library and builds the model; `None` when no template passes the options.
pub fn predict(t: &Templates, sequence: &str, options: &SearchOptions) -> Option<TemplateModel> {
    let query = sequence.as_bytes();
    let hits = search::search(&t.library, &t.index, query, options);
    if hits.is_empty() {
        return None;
    }
    let (chosen, ranked) = choose::choose_and_realign(&t.library, query, &hits);
    let mut model = build(t, sequence, &chosen, &ranked, &options.exclude);
    for u in &mut model.templates {
        u.tentative = u.best_evalue() > options.max_evalue;
    }
    Some(model)
}

/// Steps after the choice: raw model, averaging, gaps, loops, fill, N/C, relax, confidence. `exclude`
/// (entries or chains) keeps those chains' loops out of the model too.
pub fn build(t: &Templates, sequence: &str, chosen: &[choose::Scored], ranked: &[choose::Scored], exclude: &[String]) -> TemplateModel {
    let lib = &t.library;
    let l = sequence.len();
    let mut trace = model::raw_model(lib, l, chosen, ranked);
    average::average(lib, &mut trace, chosen, ranked);
    model::open_gaps(&mut trace);
    loops::close_gaps(&mut trace, &t.fragments, lib, exclude);
    model::fill(&mut trace);
    let gaps = gaps_to_templated(&trace.source.iter().map(Option::is_some).collect::<Vec<_>>());
    let plddt: Vec<f32> = (0..l)
        .map(|i| {
            let p = if trace.source[i].is_some() { trace.plddt[i] } else { confidence::modelled_plddt(gaps[i], trace.closed[i]) };
            p.clamp(0.0, 100.0) as f32
        })
        .collect();
    let structure = full_atom_from_trace(lib, sequence, &trace.ca, &plddt);
    let templates = chosen
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let h = &s.hit;
            let name = lib.name(h.chain);
            let pdb_id = lib.entry(h.chain);
            let (qa, qb) = h.query_range();
            let (ta, tb) = h.template_range();
            let (query_aligned, template_aligned) = h.aligned(sequence.as_bytes(), lib.sequence(h.chain));
            TemplateUse {
                pdb_id: pdb_id.to_string(),
                chain: name[pdb_id.len()..].to_string(),
                identity: 100.0 * h.identity,
                coverage: h.coverage(l),
                query_from: qa + 1,
                query_to: qb + 1,
                template_from: ta + 1,
                template_to: tb + 1,
                evalue: h.evalue,
                bits: h.bits,
                profile_evalue: h.profile_evalue,
                residues_used: trace.source.iter().filter(|s| **s == Some(k)).count(),
                extended_used: trace.source.iter().zip(&trace.features).filter(|(s, f)| **s == Some(k) && f.is_some_and(|f| f[confidence::BEYOND] > 0.0)).count(),
                query_aligned,
                template_aligned,
                template_sequence: String::from_utf8_lossy(lib.sequence(h.chain)).into_owned(),
                tentative: false,
                unoriented: trace.unoriented[k],
            }
        })
        .collect();
    // Without a template (nothing chosen) the E-value terms are 0, as for an insignificant hit.
    let first_evalue = chosen.first().map_or(f64::INFINITY, |s| s.hit.best_evalue());
    let estimated_tm = confidence::estimated_tm(structure.mean_plddt() as f64, first_evalue);
    TemplateModel { structure, templates, features: trace.features, closed: trace.closed, estimated_tm }
}

/// The full-atom model of a CA trace with 3.8 A steps (the template model's trace, or an
/// assembled one): N and C from the library's table, the relaxation with the trace as its own
/// restraint target, the peptide planes turned to the most probable backbone, side chains
/// packed, clashes relieved. Shared by every engine that ends in a CA trace.
pub fn full_atom_from_trace(lib: &Library, sequence: &str, ca: &[crate::geometry::V3], plddt: &[f32]) -> Structure {
    let (n, c) = backbone::rebuild_n_c(ca, &lib.backbone_table);
    let mut n: Vec<[f32; 3]> = n.into_iter().map(v32).collect();
    let mut ca: Vec<[f32; 3]> = ca.iter().copied().map(v32).collect();
    let mut c: Vec<[f32; 3]> = c.into_iter().map(v32).collect();
    // The restraint target is the model itself (no coil: the trace already has 3.8 A steps);
    // O and CB take part in the repulsion, so that what two templates or a shifted alignment
    // put on top of each other is pushed apart (relax_o_cb.rs).
    let relax_options = RelaxOptions { coil_ca_ca: 0.0, o_cb_repulsion: true, ..RelaxOptions::default() };
    relax_with(&mut n, &mut ca, &mut c, &relax_options);
    // The relaxation made bonds and angles ideal but knows nothing of phi and psi: the peptide
    // planes are turned about the relaxed CA trace to the most probable backbone, relaxed once
    // more (the turned planes' O and CB may meet other atoms), and turned again on the final
    // trace (docs/TEMPLATES.md, Peptide planes).
    backbone::turn_peptide_planes(sequence.as_bytes(), &lib.backbone_table, &mut n, &ca, &mut c);
    // It starts from a relaxed chain: 100 sweeps gave the same Ramachandran, clash and lDDT
    // figures on CASP13's template models as 1000 (docs/TEMPLATES.md, Peptide planes).
    relax_with(&mut n, &mut ca, &mut c, &RelaxOptions { iterations: 100, ..relax_options.clone() });
    backbone::turn_peptide_planes(sequence.as_bytes(), &lib.backbone_table, &mut n, &ca, &mut c);
    let mut structure = complete_backbone(sequence, &n, &ca, &c, plddt);
    crate::sidechains::add_side_chains(&mut structure);
    // The packing cannot move the backbone: small moves of every atom remove the clashes left
    // (geometry/refine.rs; docs/TEMPLATES.md, Clash relief).
    crate::geometry::refine::relieve_clashes(&mut structure);
    debug_assert!(structure.ca.iter().all(|p| v64(*p).iter().all(|x| x.is_finite())));
    structure
}

/// For each residue, how many residues away the nearest templated one is (0 for a templated
/// residue; `None` when no residue is templated). Two sweeps, linear in the length.
pub fn gaps_to_templated(templated: &[bool]) -> Vec<Option<usize>> {
    let l = templated.len();
    let mut gap: Vec<Option<usize>> = vec![None; l];
    let mut last: Option<usize> = None;
    for i in 0..l {
        if templated[i] {
            last = Some(i);
        }
        gap[i] = last.map(|j| i - j);
    }
    let mut next: Option<usize> = None;
    for i in (0..l).rev() {
        if templated[i] {
            next = Some(i);
        }
        if let Some(j) = next {
            gap[i] = Some(gap[i].map_or(j - i, |g| g.min(j - i)));
        }
    }
    gap
}

/// Columns a REMARK 3 line has for its text after "REMARK   3 " (PDB lines are 80 wide).
pub const REMARK_COLUMNS: usize = 69;

/// PDB REMARK 3 lines (without the "REMARK   3 " prefix) naming the templates, or saying that
/// none was found.
pub fn remarks(templates: &[TemplateUse], library_source: &str, options: &SearchOptions) -> Vec<String> {
    let max_evalue = options.max_evalue;
    if templates.is_empty() {
        let searched = if options.tentative_evalue > max_evalue { format!("E-VALUE <= {max_evalue:.0E}, TENTATIVE <= {:.0E}", options.tentative_evalue) } else { format!("E-VALUE <= {max_evalue:.0E}") };
        return vec![
            format!("NO TEMPLATE FOUND ({searched})"),
            format!("LIBRARY SEARCHED: {}", library_source.to_uppercase()),
            "STRUCTURE IS THE NETWORK'S OWN LOW-CONFIDENCE PREDICTION".to_string(),
        ];
    }
    let mut out = vec![format!("TEMPLATE-BASED MODEL; LIBRARY: {}", library_source.to_uppercase())];
    if are_tentative(templates) {
        out.push(format!("NO TEMPLATE AT E-VALUE <= {max_evalue:.0E}: BUILT ON TENTATIVE TEMPLATES"));
        out.push(format!("(E-VALUE <= {:.0E}), A LOW-CONFIDENCE GUESS AT THE FOLD", options.tentative_evalue));
    }
    // The coordinates are not a plain copy of the templates' (average.rs).
    out.push(format!("TEMPLATED CA AVERAGED WITH UP TO {} RELATED HITS (WITHIN {:.0} A)", average::VOTERS, average::NEAR));
    // N, C and O are not the templates' either: the library has CA only (peptides.rs).
    out.push("N, C AND O PLACED BY RAMACHANDRAN-SCORED PEPTIDE PLANES".to_string());
    // Nor are the packed side chains' atoms where the packing left them (geometry/refine.rs).
    out.push("HEAVY-ATOM CLASHES RELIEVED BY SMALL MOVES OF ALL ATOMS".to_string());
    for (k, t) in templates.iter().enumerate() {
        let n = k + 1;
        out.push(format!("TEMPLATE {n} PDB {} CHAIN {} IDENTITY {:.1}%", t.pdb_id, t.chain, t.identity));
        out.push(format!("TEMPLATE {n} QUERY {}-{} TEMPLATE {}-{}", t.query_from, t.query_to, t.template_from, t.template_to));
        out.push(format!("TEMPLATE {n} EVALUE {:.1E} BITS {:.1} COVERAGE {:.0}% USED {}", t.evalue, t.bits, 100.0 * t.coverage, t.residues_used));
        out.push(format!("TEMPLATE {n} PROFILE EVALUE {:.1E}", t.profile_evalue));
        out.push(format!("TEMPLATE {n} USED BEYOND THE ALIGNMENT (GAPLESS) {}", t.extended_used));
        if t.unoriented {
            out.push(format!("TEMPLATE {n} SET BESIDE THE MODEL: ITS ORIENTATION IS UNKNOWN"));
        }
        // The alignment itself, query and template lines in turn, as long as REMARK 3's 69
        // columns allow ('-' for a gap; it starts at the QUERY and TEMPLATE ranges above).
        let labels = [format!("TEMPLATE {n} ALN QUERY "), format!("TEMPLATE {n} ALN TMPL  ")];
        let per_line = REMARK_COLUMNS.saturating_sub(labels[0].len()).max(1);
        for (q, tm) in t.query_aligned.as_bytes().chunks(per_line).zip(t.template_aligned.as_bytes().chunks(per_line)) {
            for (label, chunk) in labels.iter().zip([q, tm]) {
                out.push(format!("{label}{}", String::from_utf8_lossy(chunk)));
            }
        }
    }
    out
}
