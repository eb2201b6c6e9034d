//! The browser page's template decisions (used by `src/web.rs`), kept free of wasm so that they
//! are unit-tested natively: the page's template options, validated with the CLI's rules, which
//! [`TemplateSource`] a prediction uses, and the sentence the page shows when the structure is
//! not built on templates.

use crate::predict::TemplateSource;
use crate::templates::{SearchOptions, Templates};

/// The page's template settings as the page sends them (the raw text of its fields; empty means
/// the CLI's default).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TemplateInput {
    /// The "Use templates" checkbox (`--templates on|off`).
    pub use_templates: bool,
    /// `--template-evalue`.
    pub evalue: String,
    /// `--exclude-templates`: PDB ids or ids + chain, separated by commas or spaces.
    pub exclude: String,
    /// `--max-template-identity` (a fraction, 0-1).
    pub max_identity: String,
    /// `--tentative-evalue` (0 switches tentative templates off).
    pub tentative: String,
}

impl Default for TemplateInput {
    fn default() -> Self {
        TemplateInput { use_templates: true, evalue: String::new(), exclude: String::new(), max_identity: String::new(), tentative: String::new() }
    }
}

/// Validated template settings.
#[derive(Debug, Clone)]
pub struct TemplateSettings {
    pub enabled: bool,
    pub search: SearchOptions,
}

/// Checks the page's fields with the CLI's rules (`webfold predict --template-evalue`,
/// `--exclude-templates`, `--max-template-identity`, `--tentative-evalue`); the message names
/// the page's field.
pub fn template_settings(input: &TemplateInput) -> Result<TemplateSettings, String> {
    let search = SearchOptions::from_text(&input.evalue, &input.exclude, &input.max_identity, &input.tentative, ["Template E-value", "Exclude templates", "Max. template identity", "Tentative E-value"])?;
    Ok(TemplateSettings { enabled: input.use_templates, search })
}

/// The page's template library.
pub enum LibraryState<L> {
    /// Not downloaded (yet).
    Missing,
    Loaded(L),
    /// Could not be downloaded or read; the reason, for the page.
    Failed(String),
}

/// `TemplateSource::Off` reasons (they go into the PDB's REMARK 3, upper-cased, cut to the line).
pub const OFF_SWITCHED: &str = "templates switched off";
pub const OFF_NOT_LOADED: &str = "template library not loaded";

/// The source one prediction uses: the library when templates are on and it is loaded, otherwise
/// why not (the page says why in [`network_note`]).
pub fn template_source<'a>(settings: &'a TemplateSettings, library: &'a LibraryState<impl AsRef<Templates>>) -> TemplateSource<'a> {
    if !settings.enabled {
        return TemplateSource::Off(OFF_SWITCHED);
    }
    match library {
        LibraryState::Loaded(t) => TemplateSource::Library(t.as_ref(), &settings.search),
        LibraryState::Missing | LibraryState::Failed(_) => TemplateSource::Off(OFF_NOT_LOADED),
    }
}

/// The page's sentence for a structure that the network made (no template used).
pub fn network_note(settings: &TemplateSettings, library: &LibraryState<impl AsRef<Templates>>) -> String {
    const TAIL: &str = "this structure is the network's own low-confidence prediction.";
    if !settings.enabled {
        return format!("Templates switched off: {TAIL}");
    }
    match library {
        LibraryState::Loaded(_) if settings.search.tentative_evalue > settings.search.max_evalue => {
            format!("No template found (E-value <= {:.0e}, nor a tentative one <= {:.0e}): {TAIL}", settings.search.max_evalue, settings.search.tentative_evalue)
        }
        LibraryState::Loaded(_) => format!("No template found (E-value <= {:.0e}): {TAIL}", settings.search.max_evalue),
        LibraryState::Failed(why) => format!("The template library could not be loaded ({why}): {TAIL}"),
        LibraryState::Missing => format!("The template library is not loaded: {TAIL}"),
    }
}

/// The page's sentence for an assembled model (no template found).
pub fn assembly_note(settings: &TemplateSettings) -> String {
    // Tentative hits weaker than predict::TENTATIVE_BEFORE_ASSEMBLY give way to the assembly.
    let tentative = settings.search.tentative_evalue.min(crate::predict::TENTATIVE_BEFORE_ASSEMBLY);
    let searched = if tentative > settings.search.max_evalue {
        format!("E-value <= {:.0e}, nor a tentative one <= {:.0e}", settings.search.max_evalue, tentative)
    } else {
        format!("E-value <= {:.0e}", settings.search.max_evalue)
    };
    format!("No template found ({searched}): this structure was assembled from fragments of known structures, a low-confidence model of the fold; the pLDDT and the estimated TM-score say how far to trust it.")
}

/// The page's sentence for a model built on tentative templates (`None` otherwise).
pub fn tentative_note(settings: &TemplateSettings, templates: &[crate::templates::TemplateUse]) -> Option<String> {
    crate::templates::are_tentative(templates).then(|| {
        format!(
            "No template found at E-value <= {:.0e}: this model is built on tentative templates (E-value <= {:.0e}), a low-confidence guess at the fold; the pLDDT says how far to trust it.",
            settings.search.max_evalue, settings.search.tentative_evalue
        )
    })
}

/// The sentence for templates set beside the model with their orientation unknown (model.rs,
/// step 1), `None` when every template is oriented. The page shows it under the template
/// table and `webfold predict` prints it under its own.
pub fn unoriented_note(templates: &[crate::templates::TemplateUse]) -> Option<String> {
    let names: Vec<String> = templates.iter().enumerate().filter(|(_, t)| t.unoriented).map(|(k, t)| format!("template {} ({} {})", k + 1, t.pdb_id, t.chain)).collect();
    (!names.is_empty()).then(|| {
        format!(
            "The domain of {} shares too few residues with the other templates, and no hit spans both: it is set beside the model, and their relative orientation is unknown.",
            names.join(" and of ")
        )
    })
}

/// The page's note on a template model: tentative templates, unoriented domains, or both.
pub fn template_note(settings: &TemplateSettings, templates: &[crate::templates::TemplateUse]) -> Option<String> {
    let notes: Vec<String> = [tentative_note(settings, templates), unoriented_note(templates)].into_iter().flatten().collect();
    (!notes.is_empty()).then(|| notes.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(evalue: &str, exclude: &str, max_identity: &str) -> TemplateInput {
        TemplateInput { use_templates: true, evalue: evalue.into(), exclude: exclude.into(), max_identity: max_identity.into(), tentative: String::new() }
    }

    #[test]
    fn empty_fields_are_the_cli_defaults() {
        let s = template_settings(&TemplateInput::default()).unwrap();
        let d = SearchOptions::default();
        assert!(s.enabled);
        assert_eq!((s.search.max_evalue, s.search.exclude.len(), s.search.max_identity), (d.max_evalue, 0, None));
    }

    #[test]
    fn fields_parse_like_the_cli() {
        let s = template_settings(&input(" 0.01 ", "4ij5, 1crnA 2abc", "0.9")).unwrap();
        assert_eq!(s.search.max_evalue, 0.01);
        assert_eq!(s.search.exclude, vec!["4IJ5", "1CRNA", "2ABC"]);
        assert_eq!(s.search.max_identity, Some(0.9));
        assert_eq!(s.search.tentative_evalue, crate::templates::search::TENTATIVE_EVALUE);
        let off = template_settings(&TemplateInput { tentative: " 0 ".into(), ..TemplateInput::default() }).unwrap();
        assert_eq!(off.search.tentative_evalue, 0.0);
    }

    #[test]
    fn bad_fields_are_named() {
        for (i, want) in [
            (input("0", "", ""), "Template E-value: '0' is not a positive number"),
            (input("abc", "", ""), "Template E-value: 'abc' is not a positive number"),
            (input("inf", "", ""), "Template E-value: 'inf' is not a positive number"),
            (input("", "1CR", ""), "Exclude templates: '1CR' is not a PDB id"),
            (input("", "1C-N", ""), "Exclude templates: '1C-N' is not a PDB id"),
            (input("", "", "1.5"), "Max. template identity: '1.5' is not a fraction between 0 and 1"),
            (input("", "", "90%"), "Max. template identity: '90%' is not a fraction"),
            (TemplateInput { tentative: "-1".into(), ..TemplateInput::default() }, "Tentative E-value: '-1' is not a number >= 0"),
        ] {
            let e = template_settings(&i).unwrap_err();
            assert!(e.starts_with(want), "{e}");
        }
    }

    #[test]
    fn sentences_and_sources() {
        let on = template_settings(&TemplateInput::default()).unwrap();
        let off = TemplateSettings { enabled: false, ..on.clone() };
        let failed: LibraryState<Box<Templates>> = LibraryState::Failed("HTTP 404".into());
        assert_eq!(network_note(&on, &failed), "The template library could not be loaded (HTTP 404): this structure is the network's own low-confidence prediction.");
        assert_eq!(network_note(&off, &failed), "Templates switched off: this structure is the network's own low-confidence prediction.");
        assert!(matches!(template_source(&on, &failed), TemplateSource::Off(OFF_NOT_LOADED)));
        assert!(matches!(template_source(&off, &failed), TemplateSource::Off(OFF_SWITCHED)));
        let loaded = LibraryState::Loaded(Box::new(Templates::from_bytes(include_bytes!("../templates/library.wftl")).unwrap()));
        assert_eq!(network_note(&on, &loaded), "No template found (E-value <= 1e-3, nor a tentative one <= 1e-1): this structure is the network's own low-confidence prediction.");
        assert!(matches!(template_source(&on, &loaded), TemplateSource::Library(..)));
    }

    #[test]
    fn tentative_models_are_said_to_be_tentative() {
        let on = template_settings(&TemplateInput::default()).unwrap();
        let t = Templates::from_bytes(include_bytes!("../templates/library.wftl")).unwrap();
        let lib = &t.library;
        let k = (0..lib.len()).find(|&i| (150..=250).contains(&lib.sequence(i).len())).unwrap();
        let seq = std::str::from_utf8(lib.sequence(k)).unwrap();
        let exclude = vec![lib.entry(k).to_string()];
        let confident = crate::templates::predict(&t, seq, &SearchOptions { exclude: exclude.clone(), ..SearchOptions::default() }).unwrap();
        assert_eq!(tentative_note(&on, &confident.templates), None);
        let strict = SearchOptions { exclude, max_evalue: 1e-300, tentative_evalue: 1.0, ..SearchOptions::default() };
        let tentative = crate::templates::predict(&t, seq, &strict).unwrap();
        let settings = TemplateSettings { search: strict, ..on };
        let note = tentative_note(&settings, &tentative.templates).expect("a note for tentative templates");
        assert!(note.starts_with("No template found at E-value <= 1e-300: this model is built on tentative templates (E-value <= 1e0)"), "{note}");
        assert_eq!(tentative_note(&settings, &[]), None);
    }
}
