"""What every writer of checkpoints shares (train.py, lean_checkpoint.py, seed_checkpoint.py):
the atomic save and the name of the AdamW state's file beside a checkpoint."""
import os

import torch

# The AdamW state is saved beside checkpoint.pt, in its own file (train.py; the lean checkpoint
# leaves it out, lean_checkpoint.py).
OPTIMIZER_FILE = "optimizer.pt"


def save_atomic(obj, path):
    """torch.save to a temporary file, then rename: an interrupted save never leaves half a file."""
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)
