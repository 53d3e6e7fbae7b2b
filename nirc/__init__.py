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



def __getattr__(name):
    """``nirc.compile``, imported lazily: the module nirc/compile.py, which is callable as
    ``nirc.compile(graph, target, ...)`` (``nirc.compile_api.compile``)."""
    if name == "compile":
        import importlib

        return importlib.import_module("nirc.compile")
    raise AttributeError(f"module 'nirc' has no attribute {name!r}")
