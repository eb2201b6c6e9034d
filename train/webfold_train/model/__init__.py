"""The webfold network, split as docs/DESIGN.md: embedder, trunk, structure module, heads."""
from .webfold import WebFold  # noqa: F401
