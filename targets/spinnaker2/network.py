"""A py-spinnaker2 network as nirc holds it: populations and projections with the values
the emitted script passes to ``snn.Population``, ``snn.Projection`` and
``snn.Conv2DProjection`` (targets.md, SpiNNaker2 API).

- ``Population``: ``model`` is a py-spinnaker2 neuron model (chips.MODELS, or
  ``spike_list`` for the input), ``shape`` the per-sample shape (neurons are numbered in
  C order, as the NIR paper's CNN script flattens (C, H, W)), ``params`` one float32 value
  per neuron for each parameter of the model (``t_refrac`` int64), ``reset`` the
  ``reset`` parameter, ``max_atoms`` its ``set_max_atoms_per_core``, ``pes`` the PE plan
  (rows [start, stop, pe]), ``v_scale`` the graph's membrane potential per unit of the
  chip's (float64; for a voltage readout), ``spiking`` False for a readout whose
  threshold is out of reach.
- ``Projection`` ``kind="list"``: ``weight`` int8 (post, pre), one connection row
  [pre, post, weight, delay] per nonzero entry, ``delay`` per pre neuron (steps);
  ``kind="conv2d"``: ``weight`` int8 (C_in, C_out, kH, kW) (PyTorch's weight with axes 0
  and 1 swapped, as s2_nir passes it), ``geometry`` the Conv2DProjection parameters
  (chips.CONV_PARAMS), ``delay`` one value.

``check`` enforces what py-spinnaker2 needs (sizes, index ranges, int8 weights, delays,
model and parameter names) and raises ``ValueError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .chips import CONV_PARAMS, INPUT_MODEL, LIF_CONV, MAX_DELAY, MODELS, RESETS, WEIGHT_MAX


@dataclass
class Population:
    name: str
    model: str
    shape: tuple[int, ...]
    params: dict[str, np.ndarray] = field(default_factory=dict)
    reset: str = "reset_to_v_reset"
    max_atoms: int = 250
    pes: np.ndarray | None = None
    v_scale: np.ndarray | None = None
    spiking: bool = True

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


@dataclass
class Projection:
    name: str
    pre: str
    post: str
    kind: str
    weight: np.ndarray
    delay: np.ndarray
    geometry: dict[str, int] | None = None

    def connections(self) -> np.ndarray:
        """int32 rows [pre, post, weight, delay] of the nonzero weights, by pre then post."""
        pre, post = np.nonzero(self.weight.T)  # row-major over (pre, post)
        rows = np.empty((len(pre), 4), np.int32)
        rows[:, 0], rows[:, 1] = pre, post
        rows[:, 2] = self.weight[post, pre]
        rows[:, 3] = self.delay[pre]
        return rows

    def conv_output_shape(self) -> tuple[int, int, int]:
        """(C_out, H_out, W_out): the input is sum-pooled by pool_y x pool_x first, then
        cross-correlated with padding and stride (PyTorch's output size)."""
        g = self.geometry
        _, c_out, kh, kw = self.weight.shape
        h = g["in_height"] // g["pool_y"] + g["pad_top"] + g["pad_bottom"]
        w = g["in_width"] // g["pool_x"] + g["pad_left"] + g["pad_right"]
        return c_out, (h - kh) // g["stride_y"] + 1, (w - kw) // g["stride_x"] + 1


@dataclass
class Network:
    populations: list[Population]
    projections: list[Projection]
    input: str
    output: str

    def population(self, name: str) -> Population:
        for p in self.populations:
            if p.name == name:
                return p
        raise KeyError(name)

    def check(self) -> None:
        names = [p.name for p in self.populations]
        if len(set(names)) != len(names):
            raise ValueError("population names must be unique")
        for p in self.populations:
            _check_population(p, p.name == self.input)
        if len({p.name for p in self.projections}) != len(self.projections):
            raise ValueError("projection names must be unique")
        if self.output not in names or self.input not in names:
            raise ValueError("the input and output populations must exist")
        for proj in self.projections:
            _check_projection(proj, self)


def _check_population(p: Population, is_input: bool) -> None:
    if is_input != (p.model == INPUT_MODEL):
        raise ValueError(f"population '{p.name}': only the input is a {INPUT_MODEL}")
    if p.size < 1 or p.max_atoms < 1:
        raise ValueError(f"population '{p.name}': size and max_atoms must be >= 1")
    if is_input:
        return
    if p.model not in MODELS:
        raise ValueError(f"population '{p.name}': unknown neuron model '{p.model}' "
                         f"(known: {', '.join(MODELS)})")
    wanted = {k for k in MODELS[p.model] if k != "reset"}
    if set(p.params) != wanted:
        raise ValueError(f"population '{p.name}': {p.model} takes parameters "
                         f"{', '.join(sorted(wanted))}, found {', '.join(sorted(p.params))}")
    for key, value in p.params.items():
        want = np.int64 if key == "t_refrac" else np.float32
        if value.dtype != want or value.shape != (p.size,) or not np.all(np.isfinite(value)):
            raise ValueError(f"population '{p.name}': '{key}' must hold {p.size} finite "
                             f"{np.dtype(want)} values")
    if p.reset not in RESETS.values():
        raise ValueError(f"population '{p.name}': reset must be one of {', '.join(RESETS.values())}")
    if p.pes is not None:
        rows = np.asarray(p.pes)
        if rows.ndim != 2 or rows.shape[1] != 3 or rows[:, :2].min(initial=0) < 0 \
                or np.any(np.sort(rows[:, :2].ravel()) != rows[:, :2].ravel()) \
                or rows[0, 0] != 0 or rows[-1, 1] != p.size:
            raise ValueError(f"population '{p.name}': pes must be rows [start, stop, pe] "
                             "covering its neurons in order")


def _check_projection(proj: Projection, net: Network) -> None:
    try:
        pre, post = net.population(proj.pre), net.population(proj.post)
    except KeyError as e:
        raise ValueError(f"projection '{proj.name}': no population {e}") from None
    if post.model == INPUT_MODEL:
        raise ValueError(f"projection '{proj.name}': a spike_list takes no input")
    if not pre.spiking:
        raise ValueError(f"projection '{proj.name}': '{pre.name}' does not spike")
    w, d = proj.weight, np.asarray(proj.delay)
    if w.dtype != np.int8 or np.abs(w.astype(np.int64)).max(initial=0) > WEIGHT_MAX:
        raise ValueError(f"projection '{proj.name}': weights must be int8 in +-{WEIGHT_MAX}")
    if d.dtype != np.int64 or d.min(initial=0) < 0 or d.max(initial=0) > MAX_DELAY:
        raise ValueError(f"projection '{proj.name}': delays must be int64 in 0..{MAX_DELAY}")
    if proj.kind == "list":
        if w.shape != (post.size, pre.size) or d.shape != (pre.size,):
            raise ValueError(f"projection '{proj.name}': weight must be ({post.size}, {pre.size}) "
                             f"and delay ({pre.size},), found {w.shape} and {d.shape}")
        return
    if proj.kind != "conv2d":
        raise ValueError(f"projection '{proj.name}': kind must be list or conv2d")
    g = proj.geometry or {}
    if set(g) != set(CONV_PARAMS) or any(int(v) < 0 for v in g.values()) \
            or min(g["stride_x"], g["stride_y"], g["pool_x"], g["pool_y"]) < 1:
        raise ValueError(f"projection '{proj.name}': geometry must give {', '.join(CONV_PARAMS)}")
    if w.ndim != 4 or d.shape != ():
        raise ValueError(f"projection '{proj.name}': conv weight (C_in, C_out, kH, kW), one delay")
    c_in = w.shape[0]
    if pre.size != c_in * g["in_height"] * g["in_width"] or g["in_height"] % g["pool_y"] \
            or g["in_width"] % g["pool_x"]:
        raise ValueError(f"projection '{proj.name}': '{pre.name}' ({pre.size} neurons) is not "
                         f"{c_in} x {g['in_height']} x {g['in_width']} tiled by the pooling")
    out = proj.conv_output_shape()
    if post.model != LIF_CONV or tuple(post.shape) != out:
        raise ValueError(f"projection '{proj.name}': feeds a {LIF_CONV} population of shape "
                         f"{list(out)}, found {post.model} {list(post.shape)}")
