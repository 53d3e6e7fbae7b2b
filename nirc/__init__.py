"""nirc: a compiler for NIR spiking neural network graphs, built on xDSL."""

__version__ = "0.1.0"
