"""Input arrays for simulations: generated Bernoulli spike trains and .npy/.npz files.

Shared by ``nirc run``, the ``quantize`` pass (agreement check and calibration) and the
targets' fidelity checks, so that the same seed gives the same spikes everywhere.
"""

from __future__ import annotations

import numpy as np

from .diagnostics import NircError


def bernoulli_inputs(module, rate: float, steps: int, batch: int, seed: int,
                     dtype=np.float32) -> dict[str, np.ndarray]:
    """For every Input node of the module's root graph, in block order, spikes of shape
    (steps, batch, *shape) that are 1 with probability ``rate`` per element and step,
    drawn from ``numpy.random.default_rng(seed)``."""
    from nirc.dialects.nir import InputOp
    from nirc.exporter import root_graph

    rng = np.random.default_rng(seed)
    out = {}
    for op in root_graph(module).nodes():
        if isinstance(op, InputOp):
            shape = (steps, batch, *op.output_shape)
            out[op.node_name.data] = (rng.random(shape) < rate).astype(dtype)
    return out


def rate_trains(module, kind: str, rate: float, steps: int, batch: int, seed: int, dt: float,
                phase: float = 0.0, clip: bool = False, dtype=np.float32) -> dict[str, np.ndarray]:
    """Generated input for every Input node, shape (steps, batch, *shape):

    - ``bernoulli``: ``rate`` is a probability per element and step (``bernoulli_inputs``);
    - ``poisson``: ``rate`` in Hz; the count per element and step is Poisson with mean
      rate*dt, so several spikes per step are possible; ``clip`` makes it 0/1, which
      fires with probability 1 - exp(-rate*dt) (the chance of at least one event);
    - ``regular``: ``rate`` in Hz; evenly spaced spikes, r = rate*dt per step (<= 1):
      a spike at step t where floor((t+1)*r + phase) > floor(t*r + phase), ``phase`` in
      [0, 1) of a period (all elements alike; phase 0: the first spike at step
      ceil(1/r) - 1).
    """
    if kind == "bernoulli":
        return bernoulli_inputs(module, rate, steps, batch, seed, dtype)
    from nirc.dialects.nir import InputOp
    from nirc.exporter import root_graph

    rng = np.random.default_rng(seed)
    out = {}
    for op in root_graph(module).nodes():
        if not isinstance(op, InputOp):
            continue
        shape = (steps, batch, *op.output_shape)
        if kind == "poisson":
            counts = rng.poisson(rate * dt, size=shape)
            out[op.node_name.data] = (np.minimum(counts, 1) if clip else counts).astype(dtype)
        elif kind == "regular":
            r = rate * dt
            t = np.arange(steps, dtype=np.float64)
            train = (np.floor((t + 1) * r + phase) > np.floor(t * r + phase)).astype(dtype)
            out[op.node_name.data] = np.broadcast_to(
                train.reshape(steps, *([1] * (len(shape) - 1))), shape).copy()
        else:
            raise NircError(f"unknown input kind '{kind}': bernoulli, poisson or regular")
    return out


def load_array(path: str):
    """The array in a .npy file, or the named arrays in a .npz file; errors name the file."""
    try:
        data = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise NircError("no such file", file=path) from None
    except (OSError, ValueError) as e:
        raise NircError(f"not a readable .npy/.npz file ({e})", file=path) from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            return {k: data[k] for k in data.files}
    return data
