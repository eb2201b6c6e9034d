"""Output heads: distogram from the pair track, pLDDT from the structure module's single
representation (docs/DESIGN.md D6)."""
import torch
from torch import nn

DIST_BINS = 64
DIST_MIN, DIST_MAX = 2.0, 22.0
PLDDT_BINS = 50


def distogram_edges():
    return torch.linspace(DIST_MIN, DIST_MAX, DIST_BINS - 1)


class DistogramHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.lin = nn.Linear(cfg.c_z, DIST_BINS)

    def forward(self, z):
        return self.lin(z + z.transpose(1, 2))


class PlddtHead(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln = nn.LayerNorm(cfg.c_s)
        self.lin1 = nn.Linear(cfg.c_s, 128)
        self.lin2 = nn.Linear(128, PLDDT_BINS)

    def forward(self, s):
        """Returns logits [B, L, 50] and pLDDT [B, L] on 0..100."""
        logits = self.lin2(torch.relu(self.lin1(self.ln(s))))
        centres = (torch.arange(PLDDT_BINS, device=s.device, dtype=logits.dtype) + 0.5) * (100.0 / PLDDT_BINS)
        return logits, (torch.softmax(logits.float(), -1) * centres.float()).sum(-1)
