"""The whole network: tokens -> (frames, atoms, distogram, pLDDT) (docs/DESIGN.md)."""
from torch import nn

from .. import rigid
from .embed import Embedder
from .heads import DistogramHead, PlddtHead
from .structure import StructureModule
from .trunk import TrunkBlock


class WebFold(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = Embedder(cfg)
        self.trunk = nn.ModuleList([TrunkBlock(cfg) for _ in range(cfg.n_blocks)])
        self.structure = StructureModule(cfg)
        self.dist_head = DistogramHead(cfg)
        self.plddt_head = PlddtHead(cfg)

    def forward(self, tokens, mask=None):
        s, z = self.embed(tokens)
        if mask is not None:
            mask = mask.to(s.dtype)
        for block in self.trunk:
            s, z = block(s, z, mask)
        s_out, Rs, ts = self.structure(s, z, mask)
        plddt_logits, plddt = self.plddt_head(s_out)
        return {
            "rotations": Rs,                       # [n_struct, B, L, 3, 3]
            "translations": ts,                    # [n_struct, B, L, 3]
            "atoms": rigid.backbone_atoms(Rs[-1], ts[-1]),  # [B, L, 3 (N, CA, C), 3]
            "distogram": self.dist_head(z),        # [B, L, L, 64]
            "plddt_logits": plddt_logits,          # [B, L, 50]
            "plddt": plddt,                        # [B, L]
        }
