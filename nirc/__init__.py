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


def compile(graph, target="interp", **options):  # noqa: A001 (nirc.compile is the API's name)
    """``nirc.compile(graph, target="xylo{...}", dt=..., profile=..., inputs=...)`` ->
    ``CompileResult``; see ``nirc.compile_api.compile`` (imported lazily)."""
    from nirc.compile_api import compile as _compile

    return _compile(graph, target, **options)
