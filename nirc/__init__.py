"""nirc: a compiler for NIR spiking neural network graphs, built on xDSL."""

__version__ = "0.1.0"


def simulate(graph, inputs, **options):
    """Simulate a NIR graph; see ``nirc.targets.interp.api.simulate`` (imported lazily)."""
    from nirc.targets.interp.api import simulate as _simulate

    return _simulate(graph, inputs, **options)


def Simulator(graph, **options):  # noqa: N802 (a factory that reads as a class)
    """A graph planned once and simulated many times; see
    ``nirc.targets.interp.api.Simulator``."""
    from nirc.targets.interp.api import Simulator as _Simulator

    return _Simulator(graph, **options)
