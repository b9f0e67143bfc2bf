"""unmask: an evidence-grade workbench for investigating deepfake platforms."""

__version__ = "0.1.0"
