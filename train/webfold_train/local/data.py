"""Reading the local-structure data (scripts/build_local_data.py) and turning it into labels."""
from dataclasses import dataclass

import numpy as np
import torch

from .model import ANGLE_BINS, BURIAL_EDGES, SS8, SS8_TO_SS3

ALPHABET = "ARNDCQEGHILKMFPSTWYV"
IGNORE = -100  # torch's cross-entropy ignore_index: residues without a label for that head

_TOKEN = np.full(256, 20, dtype=np.int64)  # D1: anything but the 20 letters -> X (20)
for _i, _a in enumerate(ALPHABET):
    _TOKEN[ord(_a)] = _i
_SS8 = np.full(256, SS8.index("C"), dtype=np.int64)  # DSSP codes other than HGIEBTS -> coil
for _i, _a in enumerate(SS8):
    _SS8[ord(_a)] = _i


def tokenize(seq: str) -> np.ndarray:
    return _TOKEN[np.frombuffer(seq.encode("ascii"), dtype=np.uint8)]


def angle_bin(a10: np.ndarray) -> np.ndarray:
    """Angles in tenths of a degree (int16, -32768 = undefined) -> bins of 10 degrees, bin 0 =
    [-180, -170); +180 exactly is the same angle as -180."""
    a = a10.astype(np.int64)
    b = ((a + 1800) // 100) % ANGLE_BINS
    return np.where(a10 == -32768, IGNORE, b)


def burial_bin(count: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(BURIAL_EDGES), count.astype(np.int64), side="right")


@dataclass
class LocalChain:
    name: str
    tokens: np.ndarray   # [L] int64
    labels: dict         # head -> [L] int64 (IGNORE where undefined)


def read_local(path):
    z = np.load(path)
    ss8 = _SS8[z["dssp"]]
    labels = {
        "ss8": ss8,
        "ss3": np.asarray(SS8_TO_SS3, dtype=np.int64)[ss8],
        "phi": angle_bin(z["phi10"]),
        "psi": angle_bin(z["psi10"]),
        "burial": burial_bin(z["burial"]),
    }
    tokens = _TOKEN[z["seq"]]
    out, off = [], 0
    for name, L in zip(z["names"], z["lengths"]):
        L = int(L)
        out.append(LocalChain(str(name), tokens[off:off + L],
                              {k: v[off:off + L] for k, v in labels.items()}))
        off += L
    return out


def collate(items):
    """[(tokens [L], labels {head: [L]})] -> tokens [B, Lmax], mask [B, Lmax], labels {head: [B, Lmax]}
    (padding: token X, mask 0, label IGNORE)."""
    Lmax = max(len(t) for t, _ in items)
    B = len(items)
    tokens = np.full((B, Lmax), 20, dtype=np.int64)
    mask = np.zeros((B, Lmax), dtype=np.float32)
    labels = {k: np.full((B, Lmax), IGNORE, dtype=np.int64) for k in items[0][1]}
    for b, (t, lab) in enumerate(items):
        tokens[b, :len(t)] = t
        mask[b, :len(t)] = 1
        for k, v in lab.items():
            labels[k][b, :len(t)] = v
    return (torch.from_numpy(tokens), torch.from_numpy(mask),
            {k: torch.from_numpy(v) for k, v in labels.items()})


def random_batch(chains, rng, batch, crop):
    """`batch` chains drawn uniformly, each cut to a random window of at most `crop` residues."""
    items = []
    for i in rng.integers(0, len(chains), size=batch):
        ch = chains[int(i)]
        L = len(ch.tokens)
        s = int(rng.integers(0, L - crop + 1)) if L > crop else 0
        items.append((ch.tokens[s:s + crop], {k: v[s:s + crop] for k, v in ch.labels.items()}))
    return collate(items)
