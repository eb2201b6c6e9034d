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

# The model for GPU runs (webfold_train.gpu_run --config gpu; a new run from scratch): the
# sequence track twice as wide (c_s 128, 8 heads, 8 IPA heads with 8 value points) and 6 trunk
# blocks instead of 4, 1.75M parameters. The pair track keeps c_z = c_t = 32, so the pair
# memory at 1000 residues (what bounds the page) stays as it is, and the L^3 triangle updates
# that dominate inference at long lengths cost 1.5x. Its weights are 7.0 MB; the committed
# checkpoint leaves the AdamW state out (train/checkpoints/README.md) so that the tree, the data
# and the packed wgpu binary still travel to the GPU machine within the 64 MiB limit.
GPU = Config(c_s=128, heads=8, n_blocks=6, ipa_heads=8, ipa_pv=8)

PRESETS = {"default": Config(), "tiny": TINY, "gpu": GPU}
