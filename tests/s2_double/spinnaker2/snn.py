"""``spinnaker2.snn`` of the test double: Population, Projection, Conv2DProjection,
Network, each validated when it is made (see ``__init__``)."""

from __future__ import annotations

import numpy as np

MODELS = {
    "spike_list": set(),
    "lif": {"threshold", "alpha_decay", "i_offset", "v_reset", "v_init", "reset"},
    "lif_no_delay": {"threshold", "alpha_decay", "i_offset", "v_reset", "v_init", "reset"},
    "lif_conv2d": {"threshold", "alpha_decay", "i_offset", "v_reset", "v_init", "reset"},
    "lif_curr_exp": {"threshold", "alpha_decay", "i_offset", "v_reset", "v_init", "reset",
                     "exc_decay", "inh_decay", "t_refrac"},
    "lif_curr_exp_no_delay": {"threshold", "alpha_decay", "i_offset", "v_reset", "v_init",
                              "reset", "exc_decay", "inh_decay", "t_refrac"},
}
RESETS = ("reset_by_subtraction", "reset_to_v_reset")
WEIGHT_RANGE = {"lif": 15, "lif_curr_exp": 15}  # others: int8 (+-127)
MAX_DELAY = 7
CONV_PARAMS = {"in_height", "in_width", "stride_x", "stride_y", "pool_x", "pool_y",
               "pad_top", "pad_bottom", "pad_left", "pad_right"}


class DoubleError(ValueError):
    """What py-spinnaker2 would refuse."""


def _int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise DoubleError(f"{what} must be an integer, found {value!r}")
    return int(value)


class Population:
    def __init__(self, size, neuron_model, params, name, record=None):
        self.size = _int(size, "size")
        if self.size < 1 or not isinstance(name, str):
            raise DoubleError(f"population {name!r}: size >= 1 and a str name")
        if neuron_model not in MODELS:
            raise DoubleError(f"population {name!r}: unknown neuron model {neuron_model!r}")
        self.neuron_model, self.name = neuron_model, name
        self.record = list(record or [])
        if not set(self.record) <= {"spikes", "v"}:
            raise DoubleError(f"population {name!r}: record takes 'spikes' and 'v'")
        self.max_atoms_per_core = None
        self.params = params
        self.spikes, self.voltages = {}, {}
        if neuron_model != "spike_list":
            self._check_neuron_params()

    # the script sets the input's spike times after building (inp.params = {...})
    @property
    def params(self):
        return self._params

    @params.setter
    def params(self, value):
        if not isinstance(value, dict):
            raise DoubleError(f"population {self.name!r}: params must be a dict")
        if self.neuron_model == "spike_list":
            for key, times in value.items():
                k = _int(key, "a spike_list neuron index")
                if not 0 <= k < self.size or not isinstance(times, list):
                    raise DoubleError(f"population {self.name!r}: spike_list entry {key!r}")
                steps = [_int(t, "a spike time") for t in times]
                if any(t < 0 for t in steps) or len(set(steps)) != len(steps):
                    raise DoubleError(f"population {self.name!r}: spike times >= 0, each once")
        self._params = value

    def _check_neuron_params(self):
        allowed = MODELS[self.neuron_model]
        unknown = set(self._params) - allowed
        if unknown:
            raise DoubleError(f"population {self.name!r}: {self.neuron_model} has no "
                              f"parameter(s) {sorted(unknown)}")
        if self._params.get("reset", "reset_by_subtraction") not in RESETS:
            raise DoubleError(f"population {self.name!r}: reset must be one of {RESETS}")
        for key, value in self._params.items():
            if key == "reset":
                continue
            values = np.asarray(value, np.float64)
            if values.ndim > 1 or (values.ndim == 1 and len(values) != self.size) \
                    or not np.all(np.isfinite(values)):
                raise DoubleError(f"population {self.name!r}: {key} must be a number or "
                                  f"{self.size} numbers")

    def param(self, key, default=0.0) -> np.ndarray:
        """One float32 value per neuron (scalars broadcast)."""
        value = np.asarray(self._params.get(key, default), np.float64)
        return np.broadcast_to(value.astype(np.float32), (self.size,)).copy()

    def set_max_atoms_per_core(self, n):
        if _int(n, "max_atoms_per_core") < 1:
            raise DoubleError(f"population {self.name!r}: max_atoms_per_core >= 1")
        self.max_atoms_per_core = int(n)

    def get_spikes(self):
        return {k: list(v) for k, v in self.spikes.items()}

    def get_voltages(self):
        return {k: np.array(v) for k, v in self.voltages.items()}


def _check_ends(pre, post, what):
    if not isinstance(pre, Population) or not isinstance(post, Population):
        raise DoubleError(f"{what}: pre and post must be Populations")
    if post.neuron_model == "spike_list":
        raise DoubleError(f"{what}: a spike_list population takes no input")


class Projection:
    def __init__(self, pre, post, connections, name=None):
        _check_ends(pre, post, "Projection")
        limit = WEIGHT_RANGE.get(post.neuron_model, 127)
        rows = []
        for row in connections:
            if not isinstance(row, list | tuple) or len(row) != 4:
                raise DoubleError("a connection is [pre, post, weight, delay]")
            i, j, w, d = (_int(x, "a connection entry") for x in row)
            if not (0 <= i < pre.size and 0 <= j < post.size):
                raise DoubleError(f"connection {row}: index out of {pre.size} x {post.size}")
            if abs(w) > limit or not 0 <= d <= MAX_DELAY:
                raise DoubleError(f"connection {row}: weight within +-{limit}, delay 0..{MAX_DELAY}")
            rows.append((i, j, w, d))
        self.pre, self.post, self.name = pre, post, name
        self.rows = np.array(rows, np.int64).reshape(-1, 4)


class Conv2DProjection:
    def __init__(self, pre, post, weights, params):
        _check_ends(pre, post, "Conv2DProjection")
        w = np.asarray(weights)
        if w.dtype != np.int8 or w.ndim != 4:
            raise DoubleError("Conv2DProjection weights: an int8 array (C_in, C_out, kH, kW)")
        if set(params) != CONV_PARAMS:
            raise DoubleError(f"Conv2DProjection params: exactly {sorted(CONV_PARAMS)}")
        g = {k: _int(v, k) for k, v in params.items()}
        c_in, c_out, kh, kw = w.shape
        if pre.size != c_in * g["in_height"] * g["in_width"]:
            raise DoubleError(f"Conv2DProjection: pre has {pre.size} neurons, not "
                              f"{c_in} x {g['in_height']} x {g['in_width']}")
        ph, pw = g["in_height"] // g["pool_y"], g["in_width"] // g["pool_x"]
        oh = (ph + g["pad_top"] + g["pad_bottom"] - kh) // g["stride_y"] + 1
        ow = (pw + g["pad_left"] + g["pad_right"] - kw) // g["stride_x"] + 1
        if post.neuron_model != "lif_conv2d" or post.size != c_out * oh * ow:
            raise DoubleError(f"Conv2DProjection: post must be a lif_conv2d of {c_out} x {oh} "
                              f"x {ow} neurons, found {post.neuron_model} of {post.size}")
        self.pre, self.post, self.weights, self.params = pre, post, w.copy(), g
        self.out_hw = (oh, ow)


class Network:
    def __init__(self, name="network"):
        self.name = name
        self.populations, self.projections = [], []

    def add(self, *items):
        for item in items:
            if isinstance(item, Population):
                if any(p.name == item.name for p in self.populations):
                    raise DoubleError(f"two populations named {item.name!r}")
                self.populations.append(item)
            elif isinstance(item, Projection | Conv2DProjection):
                self.projections.append(item)
            else:
                raise DoubleError(f"Network.add takes populations and projections, not {item!r}")

    def reset(self):
        for p in self.populations:
            p.spikes, p.voltages = {}, {}

    def validate(self):
        members = {id(p) for p in self.populations}
        for proj in self.projections:
            if id(proj.pre) not in members or id(proj.post) not in members:
                raise DoubleError("a projection connects a population not added to the network")
