//! The whole pipeline for one record, and the one place where the engine is chosen: templates
//! (a confident hit, then tentative ones), else fragment assembly (src/assembly), else the
//! network (tokens -> network -> N/CA/C -> relax -> O/CB -> Structure). Shared by the CLI and
//! the browser build; only reading tensors back differs (sync vs async).

use burn::tensor::{Device, Tensor};

use crate::geometry::atoms::{complete_backbone, Structure};
use crate::geometry::relax::relax;
use crate::model::{Config, WebFold};
use crate::sequence::Record;
use crate::assembly::AssemblyOptions;
use crate::templates::{self, SearchOptions, TemplateUse, Templates};
use crate::weights::{self, WeightsError};

/// A structure and how it was made.
pub struct Prediction {
    pub structure: Structure,
    /// Templates the model was built on (empty: the network's own prediction).
    pub templates: Vec<TemplateUse>,
    /// `REMARK   3` lines for the PDB file (templates used, or why none).
    pub remarks: Vec<String>,
    /// The estimated TM-score of the whole model (0..1; confidence::estimated_tm for a
    /// template model, the decoys' agreement for an assembled one, the network's fitted
    /// constant otherwise).
    pub estimated_tm: f64,
    /// The engine that made the structure.
    pub method: Method,
}

/// The engine that made a structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Templates,
    Assembly,
    Network,
}

impl Method {
    /// The name the CLI, the page and the files use.
    pub fn name(self) -> &'static str {
        match self {
            Method::Templates => "templates",
            Method::Assembly => "assembly",
            Method::Network => "network",
        }
    }
}

/// Which engines a prediction may use (`webfold predict --method`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MethodChoice {
    /// Templates where the library has them, else fragment assembly, else the network.
    Auto,
    /// Fragment assembly without a template search.
    Assembly,
    /// The network alone (the template search still runs when templates are on).
    Network,
}

impl MethodChoice {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "auto" => Ok(MethodChoice::Auto),
            "assembly" => Ok(MethodChoice::Assembly),
            "network" => Ok(MethodChoice::Network),
            other => Err(format!("'{other}' is not one of auto, assembly, network")),
        }
    }
}

impl Prediction {
    /// The network's prediction, with the remarks that say why no template was used.
    pub fn network(structure: Structure, remarks: Vec<String>) -> Self {
        Prediction { structure, templates: Vec::new(), remarks, estimated_tm: crate::templates::confidence::network_estimated_tm(), method: Method::Network }
    }

    /// The PDB file text (same for the CLI and the page): the remarks, after the estimated
    /// TM-score.
    pub fn pdb(&self, title: &str) -> String {
        let basis = match self.method {
            Method::Templates => "FROM MEAN PLDDT AND TEMPLATE E-VALUE",
            Method::Assembly => "FROM THE AGREEMENT OF THE LOWEST-ENERGY DECOYS",
            Method::Network => "NETWORK'S MEAN ON CHAINS WITHOUT TEMPLATES",
        };
        let mut remarks = vec![format!("ESTIMATED TM-SCORE {:.2} ({basis})", self.estimated_tm)];
        remarks.extend(self.remarks.iter().cloned());
        crate::pdb::write_pdb_with_remarks(&self.structure, title, &remarks)
    }

    /// The ModelCIF file text (same coordinates and pLDDT as [`Prediction::pdb`]).
    pub fn modelcif(&self, title: &str) -> String {
        crate::modelcif::write_modelcif(&self.structure, title, &self.templates, self.estimated_tm, self.method == Method::Assembly)
    }
}

/// Where templates come from for one prediction.
pub enum TemplateSource<'a> {
    /// Search this library with these options.
    Library(&'a Templates, &'a SearchOptions),
    /// No search; the reason goes into the PDB (e.g. "TEMPLATES SWITCHED OFF").
    Off(&'a str),
}

/// The template model when the library has a template for `record`; otherwise `Err` with the
/// remark lines that say why the network's prediction is used instead.
pub fn template_model(record: &Record, source: &TemplateSource) -> Result<Prediction, Vec<String>> {
    match source {
        TemplateSource::Library(t, options) => match templates::predict(t, &record.sequence, options) {
            Some(m) => {
                let remarks = templates::remarks(&m.templates, &t.library.source, options);
                Ok(Prediction { structure: m.structure, templates: m.templates, remarks, estimated_tm: m.estimated_tm, method: Method::Templates })
            }
            None => Err(templates::remarks(&[], &t.library.source, options)),
        },
        TemplateSource::Off(why) => Err(vec![format!("NO TEMPLATE SEARCH ({})", why.to_uppercase()), "STRUCTURE IS THE NETWORK'S OWN LOW-CONFIDENCE PREDICTION".to_string()]),
    }
}

/// The fragment-assembly model of `record` (src/assembly), with `why` (the remark lines that
/// say why no template was used) before its own remarks.
pub fn assembly_model(record: &Record, t: &Templates, options: &AssemblyOptions, why: Vec<String>, progress: &mut dyn FnMut(usize, usize)) -> Prediction {
    let prepared = prepare_assembly(record, t, options);
    let decoys = prepared.decoys(progress);
    assembly_prediction(prepared.finish(&decoys), options, why)
}

/// The fragments and energy tables of `record`'s assembly: the same for the CLI, the page's
/// single worker and each of its helper workers (which run some of the trajectories each).
pub fn prepare_assembly<'a>(record: &Record, t: &'a Templates, options: &AssemblyOptions) -> crate::assembly::Prepared<'a> {
    let ss3 = crate::assembly::predicted_ss3(&record.sequence);
    crate::assembly::prepare(crate::assembly::data(t), &t.library, &record.sequence, Some(&ss3), options)
}

/// The prediction made of an assembled model, with `why` before the assembly's own remarks.
pub fn assembly_prediction(m: crate::assembly::AssemblyModel, options: &AssemblyOptions, why: Vec<String>) -> Prediction {
    let mut remarks = why;
    remarks.extend(crate::assembly::remarks(&m, options));
    Prediction { structure: m.structure, templates: Vec::new(), remarks, estimated_tm: m.estimated_tm, method: Method::Assembly }
}

/// Tentative templates up to this E-value are used before fragment assembly; weaker ones only
/// where assembly cannot run. On the tuning sample (templates-benchmark seed 1) the two
/// tentative chains at E <= 0.01 scored 0.50 and 0.69 on their templates against 0.17 and 0.35
/// assembled, and five of the six above 0.01 scored better assembled (docs/ASSEMBLY.md,
/// Assembly or tentative templates).
pub const TENTATIVE_BEFORE_ASSEMBLY: f64 = 0.01;

/// What the engine choice settled on for one record, before the long part runs.
pub enum Engine {
    /// A template model (confident or tentative templates), already built (boxed: the other
    /// variants are a few remark lines).
    Templates(Box<Prediction>),
    /// Fragment assembly; the remark lines that say why no template was used.
    Assembly(Vec<String>),
    /// The network; the remark lines that say why.
    Network(Vec<String>),
}

/// The engine choice shared by the CLI and the page, up to the network: a template at the
/// E-value cutoff, or a tentative one at E <= [`TENTATIVE_BEFORE_ASSEMBLY`]; else fragment
/// assembly (when `assembly` is given, `choice` allows it and the length fits); else the
/// weaker tentative templates; else the network. The page runs the assembly's trajectories on
/// several workers, so the choice is made here and the assembly run by the caller.
pub fn choose_engine(record: &Record, source: &TemplateSource, choice: MethodChoice, assembly: Option<(&Templates, &AssemblyOptions)>) -> Engine {
    let from_templates = |r: Result<Prediction, Vec<String>>| match r {
        Ok(p) => Engine::Templates(Box::new(p)),
        Err(why) => Engine::Network(why),
    };
    let can_assemble = assembly.is_some() && choice != MethodChoice::Network && crate::assembly::can_assemble(record.len());
    if !can_assemble {
        return from_templates(template_model(record, source));
    }
    let why = match (choice, source) {
        (MethodChoice::Assembly, _) => vec!["NO TEMPLATE SEARCH (FRAGMENT ASSEMBLY ASKED FOR)".to_string()],
        (_, TemplateSource::Library(lib, search)) => {
            let confident = SearchOptions { tentative_evalue: search.tentative_evalue.min(TENTATIVE_BEFORE_ASSEMBLY), ..(*search).clone() };
            match template_model(record, &TemplateSource::Library(lib, &confident)) {
                Ok(p) => return Engine::Templates(Box::new(p)),
                Err(remarks) => remarks,
            }
        }
        (_, TemplateSource::Off(_)) => return from_templates(template_model(record, source)),
    };
    Engine::Assembly(why.into_iter().filter(|r| !r.starts_with("STRUCTURE IS THE NETWORK")).collect())
}

/// [`choose_engine`], with the assembly run here (all trajectories, `progress(done, total)`
/// after each); `Err` with the remarks that say why when only the network is left.
pub fn model_before_network(record: &Record, source: &TemplateSource, choice: MethodChoice, assembly: Option<(&Templates, &AssemblyOptions)>, progress: &mut dyn FnMut(usize, usize)) -> Result<Prediction, Vec<String>> {
    match choose_engine(record, source, choice, assembly) {
        Engine::Templates(p) => Ok(*p),
        Engine::Network(why) => Err(why),
        Engine::Assembly(why) => match assembly {
            Some((t, options)) => Ok(assembly_model(record, t, options, why, progress)),
            // Not reached: choose_engine picks the assembly only when it is given.
            None => Err(why),
        },
    }
}

/// A loaded model on a device.
pub struct Predictor {
    pub model: WebFold,
    pub config: Config,
    pub device: Device,
}

impl Predictor {
    pub fn new(weights_bytes: &[u8], device: Device) -> Result<Self, WeightsError> {
        let (model, config) = weights::load(weights_bytes, &device)?;
        Ok(Self { model, config, device })
    }

    /// Predicts one record, reading results back synchronously (native backends).
    pub fn predict(&self, record: &Record) -> Structure {
        self.predict_sequence(&record.sequence, &record.tokens)
    }

    /// The network's structure for an upper-case sequence and its D1 tokens
    /// (sequence::tokens), as [`predict`](Self::predict) gives it.
    pub fn predict_sequence(&self, sequence: &str, tokens: &[u8]) -> Structure {
        let (atoms, plddt) = self.network(tokens);
        structure_from_network(sequence, &atoms, &plddt)
    }

    /// Predicts one record with the engines `choice` allows ([`model_before_network`]), the
    /// network last.
    pub fn predict_choosing(&self, record: &Record, source: &TemplateSource, choice: MethodChoice, assembly: Option<(&Templates, &AssemblyOptions)>, progress: &mut dyn FnMut(usize, usize)) -> Prediction {
        match model_before_network(record, source, choice, assembly, progress) {
            Ok(p) => p,
            Err(why) => Prediction::network(self.predict(record), why),
        }
    }

    /// The network alone on `tokens`, results read back synchronously (native backends): N/CA/C
    /// (`[L, 3, 3]` flattened) and pLDDT, before post-processing ([`structure_from_network`]).
    pub fn network(&self, tokens: &[u8]) -> (Vec<f32>, Vec<f32>) {
        let out = self.model.forward_tokens(tokens, &self.device);
        (to_vec(out.atoms.into_data()), to_vec(out.plddt.into_data()))
    }

    /// [`network`](Self::network), reading results back asynchronously (required on WebGPU).
    pub async fn network_async(&self, tokens: &[u8]) -> Result<(Vec<f32>, Vec<f32>), String> {
        let out = self.model.forward_tokens(tokens, &self.device);
        let atoms = read_async(out.atoms).await?;
        let plddt = read_async(out.plddt).await?;
        Ok((atoms, plddt))
    }
}

fn to_vec(data: burn::tensor::TensorData) -> Vec<f32> {
    data.convert::<f32>().try_to_vec::<f32>().expect("float tensor converts to f32")
}

async fn read_async<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, String> {
    let data = t.into_data_async().await.map_err(|e| {
        // burn's error text ends with an (empty in wasm) backtrace section: not for users.
        let text = format!("{e:?}");
        let text = text.split("\nBacktrace:").next().unwrap_or_default().trim().replace('\n', " ");
        format!("reading results from the device failed: {text}")
    })?;
    Ok(to_vec(data))
}

/// Network N/CA/C (`[L, 3, 3]` flattened) and pLDDT -> relaxed, completed backbone (D8) with
/// side chains (src/sidechains).
pub fn structure_from_network(sequence: &str, atoms: &[f32], plddt: &[f32]) -> Structure {
    let l = plddt.len();
    assert_eq!(atoms.len(), l * 9, "atoms must hold N, CA, C for every residue");
    let atom = |i: usize, k: usize| [atoms[i * 9 + k * 3], atoms[i * 9 + k * 3 + 1], atoms[i * 9 + k * 3 + 2]];
    let mut n: Vec<[f32; 3]> = (0..l).map(|i| atom(i, 0)).collect();
    let mut ca: Vec<[f32; 3]> = (0..l).map(|i| atom(i, 1)).collect();
    let mut c: Vec<[f32; 3]> = (0..l).map(|i| atom(i, 2)).collect();
    relax(&mut n, &mut ca, &mut c);
    // NaN (a diverged network) becomes 0, the lowest confidence.
    let plddt: Vec<f32> = plddt.iter().map(|p| if p.is_nan() { 0.0 } else { p.clamp(0.0, 100.0) }).collect();
    let mut s = complete_backbone(sequence, &n, &ca, &c, &plddt);
    crate::sidechains::add_side_chains(&mut s);
    s
}
