"""Drug and regimen catalogues (data files in ``data/``) and name resolution."""

from mmpath.catalogue.catalogue import Catalogue, Drug, Regimen, load_catalogue

__all__ = ["Catalogue", "Drug", "Regimen", "load_catalogue"]
