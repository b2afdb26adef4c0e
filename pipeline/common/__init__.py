"""Small helpers shared by stages: cached YAML files, dates."""

from .yaml_files import load_yaml

__all__ = ["load_yaml"]
