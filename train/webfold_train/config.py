"""Model sizes (docs/DESIGN.md D9). The same JSON travels in the weights' metadata to Rust."""
from dataclasses import dataclass, asdict
import json


@dataclass
class Config:
    c_s: int = 64        # sequence track channels
    c_z: int = 32        # pair track channels
    heads: int = 4       # sequence attention heads
    c_o: int = 16        # outer-product projection channels
    c_t: int = 32        # triangle multiplication hidden channels
    n_blocks: int = 4    # trunk blocks
    n_struct: int = 4    # structure module iterations (shared weights)
    ipa_heads: int = 4
    ipa_c: int = 16      # IPA scalar channels per head
    ipa_pq: int = 4      # IPA query/key points per head
    ipa_pv: int = 6      # IPA value points per head

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @staticmethod
    def from_json(text: str) -> "Config":
        return Config(**json.loads(text))


TINY = Config(c_s=16, c_z=8, heads=2, c_o=4, c_t=8, n_blocks=1, n_struct=2,
              ipa_heads=2, ipa_c=4, ipa_pq=2, ipa_pv=2)

# Opt-in larger model for GPU runs (webfold_train.gpu_run --config gpu; a new run from scratch):
# the default widths with 6 trunk blocks instead of 4 (575k parameters, about 1.5x the trunk's
# compute). Sized so that its checkpoint with AdamW state (6.9 MB) still travels to the GPU
# machine with the tracked tree, data/train.wfd, data/val.wfd and the packed wgpu binary within
# the 64 MiB limit. Not the shipped model: the committed Rust weights use the default Config.
GPU = Config(n_blocks=6)

PRESETS = {"default": Config(), "tiny": TINY, "gpu": GPU}
