"""mmpath: multiple-myeloma treatment pathways from published guidelines.

record -> facts (assess) -> guideline packs (engine) -> recommendation -> presenters.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mmpath")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.1.0"

__all__ = ["__version__"]
