"""Event lists (DVS / N-MNIST recordings, spike times per channel) -> input rasters.

``nirc run G --input events.npy --events us`` reads an event list and bins it into
the (T, 1, *shape) count raster of the graph's single Input node, at the run's dt:

- a structured array with a field ``t`` and either ``channel`` (a flat index into the
  Input's elements) or ``x`` and ``y`` (and optionally ``p``, the polarity), as tonic and
  the N-MNIST/DVS loaders write them; with x/y the Input shape is (C, H, W) (NIR's and
  sinabs' channels-first layout) and an event goes to element [p, y, x] (p = 0 without
  polarity; a (H, W) Input takes [y, x]);
- a plain (N, 2) array of rows (t, channel), or (N, 4) of rows (t, x, y, p).

``t`` is in the unit given to ``--events`` (``s``, ``ms`` or ``us``; tonic's N-MNIST and
DVS recordings use microseconds).  An event at time t falls in step floor(t / dt)
(t = 0 in step 0); T is the last event's step + 1 unless ``steps`` is given (later events
are then dropped, with a count in the warning).  Each element holds the number of events
in its bin (several per step are kept as counts).
"""

from __future__ import annotations

import warnings

import numpy as np

from .diagnostics import NircError

UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6}


def event_columns(events: np.ndarray, source: str) -> dict[str, np.ndarray]:
    """``{"t": ..., "channel": ...}`` or ``{"t", "x", "y", "p"}`` from either layout."""
    if events.dtype.names:
        names = set(events.dtype.names)
        if "t" not in names or not ({"channel"} <= names or {"x", "y"} <= names):
            raise NircError(f"an event list needs fields t and channel, or t, x, y[, p]; found "
                            f"{', '.join(events.dtype.names)}", file=source)
        cols = {n: np.asarray(events[n]) for n in ("t", "channel", "x", "y", "p") if n in names}
    elif events.ndim == 2 and events.shape[1] in (2, 4):
        keys = ("t", "channel") if events.shape[1] == 2 else ("t", "x", "y", "p")
        cols = dict(zip(keys, events.T))
    else:
        raise NircError(f"an event list is a structured array or (N, 2) rows (t, channel) or "
                        f"(N, 4) rows (t, x, y, p); found shape {events.shape}", file=source)
    for name, col in cols.items():
        if name != "t" and not np.all(np.isfinite(col) & (col >= 0) & (col == np.round(col))):
            raise NircError(f"event field '{name}' must hold whole numbers >= 0", file=source)
    if not np.all(np.isfinite(cols["t"])) or (cols["t"] < 0).any():
        raise NircError("event times 't' must be finite and >= 0", file=source)
    return cols


def events_to_raster(events: np.ndarray, shape: tuple[int, ...], dt: float, unit: str,
                     steps: int | None = None, source: str = "events",
                     dtype=np.float32) -> np.ndarray:
    """The (T, 1, *shape) raster of event counts (see the module docstring)."""
    cols = event_columns(np.asarray(events), source)
    step = np.floor(cols["t"] * UNITS[unit] / dt + 1e-9).astype(np.int64)
    if "channel" in cols:
        flat = cols["channel"].astype(np.int64)
        size = int(np.prod(shape))
        if flat.size and flat.max() >= size:
            raise NircError(f"event channel {int(flat.max())} is outside the Input's "
                            f"{size} elements (shape {list(shape)})", file=source)
    else:
        x, y = cols["x"].astype(np.int64), cols["y"].astype(np.int64)
        p = cols.get("p", np.zeros_like(x)).astype(np.int64)
        if len(shape) == 2:
            index, bounds = (y, x), shape
        elif len(shape) == 3:
            index, bounds = (p, y, x), shape
        else:
            raise NircError(f"x/y events need a (C, H, W) or (H, W) Input, this one has shape "
                            f"{list(shape)}", file=source)
        for name, i, n in zip(("p", "y", "x")[-len(bounds):], index, bounds):
            if i.size and i.max() >= n:
                raise NircError(f"event {name} = {int(i.max())} is outside the Input's shape "
                                f"{list(shape)}", file=source)
        flat = np.ravel_multi_index(index, shape)
    total = int(step.max()) + 1 if step.size else 0
    length = total if steps is None else steps
    if steps is not None and total > steps:
        warnings.warn(f"{int((step >= steps).sum())} events after step {steps} dropped "
                      f"(--steps {steps})", stacklevel=2)
    keep = step < length
    raster = np.zeros((length, int(np.prod(shape))), dtype)
    np.add.at(raster, (step[keep], flat[keep]), 1)
    return raster.reshape(length, 1, *shape)
