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
