//! The webfold network (docs/DESIGN.md): tokens -> embedder -> trunk -> structure module ->
//! frames, atoms, distogram and pLDDT. The PyTorch twin is `train/webfold_train/model/`.

pub mod config;
pub mod embed;
pub mod flops;
pub mod heads;
mod layers;
pub mod structure;
pub mod trunk;

pub use config::Config;

use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};

use embed::Embedder;
use heads::{DistogramHead, PlddtHead};
use structure::StructureModule;
use trunk::TrunkBlock;

/// Raw network outputs for one sequence (batch of one), before any post-processing.
pub struct Output {
    /// Final frame rotations `[B, L, 3, 3]` (local -> global).
    pub rotations: Tensor<4>,
    /// Final frame origins (CA) `[B, L, 3]`.
    pub translations: Tensor<3>,
    /// N, CA, C `[B, L, 3, 3]`.
    pub atoms: Tensor<4>,
    /// Distogram logits `[B, L, L, 64]`, when asked for (`forward_tokens_with_distogram`):
    /// prediction does not use them, and at L = 1000 they are 256 MB, over WebGPU's usual
    /// 128 MiB per buffer binding.
    pub distogram: Option<Tensor<4>>,
    /// pLDDT `[B, L]`, 0..100.
    pub plddt: Tensor<2>,
}

#[derive(Module, Debug)]
pub struct WebFold {
    embed: Embedder,
    trunk: Vec<TrunkBlock>,
    structure: StructureModule,
    dist_head: DistogramHead,
    plddt_head: PlddtHead,
}

impl WebFold {
    /// A randomly initialised model of the given size (weights are then loaded over it).
    pub fn new(cfg: &Config, device: &Device) -> Self {
        Self {
            embed: Embedder::new(cfg, device),
            trunk: (0..cfg.n_blocks).map(|_| TrunkBlock::new(cfg, device)).collect(),
            structure: StructureModule::new(cfg, device),
            dist_head: DistogramHead::new(cfg, device),
            plddt_head: PlddtHead::new(cfg, device),
        }
    }

    /// Runs the network on token indices (D1) of one sequence (no distogram).
    pub fn forward_tokens(&self, tokens: &[u8], device: &Device) -> Output {
        self.forward(Self::token_tensor(tokens, device), false)
    }

    /// Like [`forward_tokens`](Self::forward_tokens), with the distogram logits.
    pub fn forward_tokens_with_distogram(&self, tokens: &[u8], device: &Device) -> Output {
        self.forward(Self::token_tensor(tokens, device), true)
    }

    fn token_tensor(tokens: &[u8], device: &Device) -> Tensor<2, Int> {
        let ids: Vec<i32> = tokens.iter().map(|&t| t as i32).collect();
        Tensor::<2, Int>::from_data(TensorData::new(ids, [1, tokens.len()]), device)
    }

    pub fn forward(&self, tokens: Tensor<2, Int>, with_distogram: bool) -> Output {
        let (mut s, mut z) = self.embed.forward(tokens);
        for block in &self.trunk {
            (s, z) = block.forward(s, z);
        }
        let distogram = with_distogram.then(|| self.dist_head.forward(z.clone()));
        let (s, frames) = self.structure.forward(s, z);
        let plddt = self.plddt_head.forward(s);
        let atoms = crate::rigid::backbone_atoms(frames.rotations.clone(), frames.translations.clone());
        Output { rotations: frames.rotations, translations: frames.translations, atoms, distogram, plddt }
    }
}
