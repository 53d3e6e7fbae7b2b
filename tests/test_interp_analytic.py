"""Analytic checks of the interpreter (``nirc.simulate``) on both engines.

Every expected value comes from a closed-form solution, a hand calculation, or a
naive loop written here straight from PyTorch's documented definitions; never from
running nirc.  Conventions follow ../shared/docs/semantics.md and the coefficient
formulas in the docstring of passes/discretize.py: with a = dt/tau the membrane
decay is d = 1 - a (euler) or exp(-a) (exact); the input gain is (1 - d) * r; the
fixed point of LI/LIF is v_inf = v_leak + r*x; v[t] (after t+1 updates) is
v_inf + (v0 - v_inf) * d^(t+1).
"""

from __future__ import annotations

import itertools

import nir
import numpy as np
import pytest

import nirc
from nirc.diagnostics import NircError

DT = 1e-4
ENGINES = pytest.mark.parametrize("engine", ["reference", "fast"])
METHODS = pytest.mark.parametrize("method", ["euler", "exact"])
DTYPES = pytest.mark.parametrize("dtype", ["float64", "float32"])
TOL = {"float64": 1e-12, "float32": 1e-6}


# ---- helpers ------------------------------------------------------------------------
def graph(nodes, edges):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def chain(op, in_shape, out_shape=None):
    """Input 'x' -> op 'n' -> Output 'y'."""
    out_shape = in_shape if out_shape is None else out_shape
    return graph({"x": nir.Input(np.array(in_shape)), "n": op,
                  "y": nir.Output(np.array(out_shape))}, [("x", "n"), ("n", "y")])


def close(actual, expected, dtype="float64"):
    expected = np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape
    tol = TOL[dtype]
    scale = max(1.0, float(np.abs(expected).max(initial=0)))
    np.testing.assert_allclose(actual, expected, rtol=tol, atol=tol * scale)


def decay(tau, method):
    return 1 - DT / tau if method == "euler" else np.exp(-DT / tau)


def leaky_step(t, d, r, v_leak, v0, x):
    """LI membrane after t+1 updates with constant input x from v0."""
    v_inf = v_leak + r * x
    return v_inf + (v0 - v_inf) * d ** (t + 1)


def geo(a, b, k):
    """sum_{s=0}^{k-1} a^s b^(k-1-s) = (a^k - b^k) / (a - b)."""
    return (a ** k - b ** k) / (a - b)


def cuba_step(t, a, b, r, v_leak, v0, w_in, x, current):
    """CubaLI v for constant x: i[t] = w_in x (1 - a^(t+1)); v[t] = b v[t-1] + (1-b) r c + (1-b) v_leak
    with c = i[t] ('new') or i[t-1] ('previous').  Summing the geometric series:
    v = leaky_step(i_inf) - (1-b) r i_inf lag (a^(t+1) - b^(t+1))/(a-b), lag = a (new) or 1 (previous)."""
    i_inf = w_in * x
    lag = a if current == "new" else 1.0
    return leaky_step(t, b, r, v_leak, v0, i_inf) - (1 - b) * r * i_inf * lag * geo(a, b, t + 1)


def cuba_impulse(t, a, b, r, v_leak, v0, w_in, amp, current):
    """CubaLI v for x = amp*delta[t]: i[t] = i_gain amp a^t, i_gain = (1-a) w_in; the membrane sums
    v_gain i[s] b^(t-s): v_gain i_gain amp (a^(t+1)-b^(t+1))/(a-b) ('new'), (a^t-b^t)/(a-b) ('previous')."""
    k = t + 1 if current == "new" else t
    return leaky_step(t, b, r, v_leak, v0, 0.0) + (1 - b) * r * (1 - a) * w_in * amp * geo(a, b, k)


# ---- 1. step and impulse responses ----------------------------------------------------
N, T = 3, 60
TAU, TAU_SYN = np.array([1e-3, 2.5e-3, 7e-4]), np.array([5e-4, 4e-4, 2e-3])
R, V_LEAK, W_IN = np.array([1.0, 2.0, 0.5]), np.array([0.0, -0.2, 0.3]), np.array([1.0, 0.5, 2.0])
X, AMP = np.array([0.8, 0.3, -1.0]), np.array([5.0, -2.0, 3.0])  # step / impulse amplitudes
NEVER = np.full(N, 1e3)  # a threshold the responses never reach


def neuron(kind):
    zero = np.zeros(N)
    return {"LI": lambda: nir.LI(TAU, R, V_LEAK), "LIF": lambda: nir.LIF(TAU, R, V_LEAK, NEVER, zero),
            "CubaLI": lambda: nir.CubaLI(TAU_SYN, TAU, R, V_LEAK, W_IN),
            "CubaLIF": lambda: nir.CubaLIF(TAU_SYN, TAU, R, V_LEAK, NEVER, zero, W_IN),
            "I": lambda: nir.I(R), "IF": lambda: nir.IF(R, NEVER, zero)}[kind]()


@ENGINES
@DTYPES
@METHODS
@pytest.mark.parametrize("kind", ["LI", "LIF", "CubaLI", "CubaLIF", "I", "IF"])
def test_step_and_impulse_response(kind, method, dtype, engine):
    """Sample 0: step x from t=0; sample 1: impulse amp*delta[t].  LI(F): v = leaky_step and
    v_leak + (v0-v_leak) d^(t+1) + (1-d) r amp d^t; CubaLI(F): cuba_step / cuba_impulse and
    i = w_in x (1-a^(t+1)), (1-a) w_in amp a^t; I/IF: v = (t+1) r x and r amp.  Spiking
    kinds stay below threshold: no spikes.  For every v_init (and current for Cuba*)."""
    t = np.arange(T)[:, None]
    inputs = np.zeros((T, 2, N))
    inputs[:, 0], inputs[0, 1] = X, AMP
    cuba = kind.startswith("Cuba")
    for v_init, current in itertools.product(["zero", "leak"], ["new", "previous"] if cuba else ["new"]):
        out = nirc.simulate(chain(neuron(kind), (N,)), inputs, method=method, v_init=v_init,
                            current=current, dtype=dtype, engine=engine,
                            record=["n.v", "n.i"] if cuba else ["n.v"])
        v0 = V_LEAK if v_init == "leak" and kind not in ("I", "IF") else np.zeros(N)
        if kind in ("I", "IF"):
            step, impulse = (t + 1) * R * X, np.broadcast_to(R * AMP, (T, N))
        elif not cuba:
            d = decay(TAU, method)
            step = leaky_step(t, d, R, V_LEAK, v0, X)
            impulse = leaky_step(t, d, R, V_LEAK, v0, 0.0) + (1 - d) * R * AMP * d ** t
        else:
            a, b = decay(TAU_SYN, method), decay(TAU, method)
            step = cuba_step(t, a, b, R, V_LEAK, v0, W_IN, X, current)
            impulse = cuba_impulse(t, a, b, R, V_LEAK, v0, W_IN, AMP, current)
            close(out["n.i"], np.stack([W_IN * X * (1 - a ** (t + 1)),
                                        (1 - a) * W_IN * AMP * a ** t], axis=1), dtype)
        close(out["n.v"], np.stack([step, impulse], axis=1), dtype)
        if kind in ("LI", "CubaLI"):
            np.testing.assert_array_equal(out["y"], out["n.v"])
        else:
            expected_y = np.zeros((T, 2, N)) if kind.endswith("F") else np.stack([step, impulse], 1)
            close(out["y"], expected_y, dtype)


def first_crossing(v0, v_inf, d, thr):
    """Smallest k >= 1 with v_inf + (v0 - v_inf) d^k > thr, i.e. d^k < (v_inf-thr)/(v_inf-v0)."""
    k = np.log((v_inf - thr) / (v_inf - v0)) / np.log(d)
    assert abs(k - round(k)) > 1e-3, "near-tie: choose other numbers"
    return int(np.floor(k)) + 1


@ENGINES
@DTYPES
@METHODS
@pytest.mark.parametrize("v_init", ["zero", "leak"])
def test_lif_spike_times_closed_form(v_init, method, dtype, engine):
    """Constant suprathreshold input, reset to value: the first spike is at step k1-1 where k1 is
    the first crossing of v_inf + (v0 - v_inf) d^k > thr from v0, then one every k2 steps (the
    crossing from v_reset); v = v_reset at every spike step."""
    tau, r = np.array([1e-3, 2e-3, 5e-4, 3e-3]), np.array([1.0, 2.0, 1.5, 1.2])
    v_leak, v_reset = np.array([0.0, 0.1, -0.3, 0.2]), np.array([0.0, 0.2, -0.1, 0.0])
    x, thr, steps = np.array([1.7, 0.9, 1.3, 2.0]), np.ones(4), 300
    out = nirc.simulate(chain(nir.LIF(tau, r, v_leak, thr, v_reset), (4,)), np.tile(x, (steps, 1)),
                        method=method, v_init=v_init, dtype=dtype, engine=engine, record=["n.v"])
    d, v_inf = decay(tau, method), v_leak + r * x
    v0 = v_leak if v_init == "leak" else np.zeros(4)
    for j in range(4):
        first = first_crossing(v0[j], v_inf[j], d[j], 1.0) - 1
        period = first_crossing(v_reset[j], v_inf[j], d[j], 1.0)
        expected = np.arange(first, steps, period)
        np.testing.assert_array_equal(np.flatnonzero(out["y"][:, j]), expected)
        close(out["n.v"][expected, j], np.full(len(expected), v_reset[j]), dtype)


@ENGINES
@DTYPES
def test_lif_reset_subtract_hand_sequence(dtype, engine):
    """tau = 2 dt (euler d = 1/2, gain r/2), r = 1, x = 1.75, thr 1: u = v/2 + 0.875, by hand:
    .875 | 1.3125 spike -> .3125 | 1.03125 spike -> .03125 | .890625 | 1.3203125 spike -> .3203125
    | 1.03515625 spike -> .03515625 | .892578125 | 1.3212890625 spike -> .3212890625.
    (Reset to value 0 would spike at 1, 3, 5, 7.)  Dyadic numbers: exact in both dtypes."""
    lif = nir.LIF(np.array([2e-4]), np.ones(1), np.zeros(1), np.ones(1), np.zeros(1))
    out = nirc.simulate(chain(lif, (1,)), np.full((8, 1), 1.75), reset="subtract", dtype=dtype,
                        engine=engine, record=["n.v"])
    v = [.875, .3125, .03125, .890625, .3203125, .03515625, .892578125, .3212890625]
    np.testing.assert_array_equal(out["n.v"][:, 0], v)
    np.testing.assert_array_equal(np.flatnonzero(out["y"][:, 0]), [1, 2, 4, 5, 7])


@ENGINES
@METHODS
@pytest.mark.parametrize("current", ["new", "previous"])
def test_cubalif_closed_form_until_first_spike(current, method, engine):
    """Constant input: v follows cuba_step until the first step whose closed-form v exceeds the
    threshold; that step is the first spike (v reset there); i (never reset) follows
    w_in x (1 - a^(t+1)) throughout."""
    tau_syn, tau_mem = np.array([5e-4, 1e-3, 3e-4]), np.array([1e-3, 2e-3, 1.5e-3])
    r, v_leak, w_in = np.array([1.0, 1.5, 0.8]), np.array([0.0, 0.1, -0.2]), np.array([1.0, 0.7, 2.0])
    x, thr, v_reset = np.array([1.6, 1.4, 1.1]), np.ones(3), np.array([0.0, 0.3, -0.5])
    out = nirc.simulate(chain(nir.CubaLIF(tau_syn, tau_mem, r, v_leak, thr, v_reset, w_in), (3,)),
                        np.tile(x, (200, 1)), method=method, current=current, dtype="float64",
                        engine=engine, record=["n.v", "n.i"])
    t = np.arange(200)[:, None]
    a, b = decay(tau_syn, method), decay(tau_mem, method)
    v = cuba_step(t, a, b, r, v_leak, 0.0, w_in, x, current)
    close(out["n.i"], w_in * x * (1 - a ** (t + 1)))
    for j in range(3):
        first = int(np.argmax(v[:, j] > thr[j]))
        assert v[first, j] > thr[j] and np.all(np.abs(v[:first + 1, j] - thr[j]) > 1e-6)
        close(out["n.v"][:first, j], v[:first, j])
        assert out["n.v"][first, j] == v_reset[j]
        assert np.flatnonzero(out["y"][:, j])[0] == first


@ENGINES
@pytest.mark.parametrize("reset", ["subtract", "value"])
def test_if_counts_and_i_exact(reset, engine):
    """r*x = 0.375 per step, threshold 1 (strict): after T steps subtract-reset IF has fired
    ceil(0.375 T) - 1 times, value-reset IF floor(T/3) times (3 steps to exceed 1); I holds
    exactly 0.375 (t+1).  Checked for every T = 1..96."""
    g = graph({"x": nir.Input(np.array([1])), "if": nir.IF(np.array([1.5]), np.ones(1), np.zeros(1)),
               "i": nir.I(np.array([1.5])), "s": nir.Output(np.array([1])), "v": nir.Output(np.array([1]))},
              [("x", "if"), ("x", "i"), ("if", "s"), ("i", "v")])
    out = nirc.simulate(g, np.full((96, 1), 0.25), reset=reset, engine=engine)
    n = np.arange(1, 97)
    counts = np.ceil(0.375 * n) - 1 if reset == "subtract" else n // 3
    np.testing.assert_array_equal(np.cumsum(out["s"][:, 0]), counts)
    np.testing.assert_array_equal(out["v"][:, 0], 0.375 * n)


# ---- 2. threshold, 3. delay -------------------------------------------------------------
@ENGINES
@DTYPES
def test_threshold_strict(dtype, engine):
    """y = H(x - theta), and 0 at x == theta."""
    theta = np.array([0.5, -0.25, 1.0])
    x = theta + np.array([[-1e-3], [0.0], [1e-3], [-2.0], [2.0]])
    out = nirc.simulate(chain(nir.Threshold(theta), (3,)), x, dtype=dtype, engine=engine)
    np.testing.assert_array_equal(out["y"], np.repeat([[0.0], [0.0], [1.0], [0.0], [1.0]], 3, axis=1))


def shifted(x, steps):
    """y[t, ..., j] = x[t - steps[j], ..., j], zero for t < steps[j] (time on axis 0)."""
    y = np.zeros_like(x)
    for j, k in enumerate(steps):
        y[k:, ..., j] = x[:len(x) - k, ..., j]
    return y


@ENGINES
@pytest.mark.parametrize("delay,steps", [(np.full(2, 1e-4), [1, 1]), (np.full(2, 3e-4), [3, 3]),
                                         (np.full(2, 7e-4), [7, 7]),
                                         (np.array([0.0, 1e-4, 3e-4, 5e-4]), [0, 1, 3, 5])])
def test_delay_shifts_whole_steps(delay, steps, engine):
    """delay = k dt shifts each neuron's input by exactly k steps, zeros first."""
    x = np.random.default_rng(1).normal(size=(12, 2, len(steps)))
    out = nirc.simulate(chain(nir.Delay(delay), (len(steps),)), x, dtype="float64", engine=engine)
    np.testing.assert_array_equal(out["y"], shifted(x, steps))


@ENGINES
def test_fractional_delay_error_or_rounding(engine):
    """2.4 dt is not a whole number of steps: NircError naming the node; round_delays: 2 steps."""
    g = chain(nir.Delay(np.array([1e-4, 2.4e-4])), (2,))
    x = np.random.default_rng(2).normal(size=(6, 2))
    with pytest.raises(NircError) as err:
        nirc.simulate(g, x, engine=engine)
    assert err.value.node == "n" and "'n'" in str(err.value)
    out = nirc.simulate(g, x, round_delays=True, dtype="float64", engine=engine)
    np.testing.assert_array_equal(out["y"], shifted(x, [1, 2]))


@ENGINES
def test_delay_inside_recurrent_loop(engine):
    """x -> acc (Scale 0.5) -> dly (2 steps) -> acc: the edge back into the loop's entry closes
    the cycle (one step), so acc[t] = 0.5 (x[t] + acc[t-3]); an impulse gives acc[3m] = 0.5^(m+1)."""
    g = graph({"x": nir.Input(np.array([1])), "acc": nir.Scale(np.array([0.5])),
               "dly": nir.Delay(np.array([2e-4])), "y": nir.Output(np.array([1]))},
              [("x", "acc"), ("acc", "dly"), ("dly", "acc"), ("acc", "y")])
    x = np.zeros((13, 1))
    x[0] = 1.0
    expected = np.zeros(13)
    expected[::3] = 0.5 ** np.arange(1, 6)
    out = nirc.simulate(g, x, dtype="float64", engine=engine)
    np.testing.assert_array_equal(out["y"][:, 0], expected)


# ---- 4. synaptic ops against naive loops ------------------------------------------------
def naive_conv(x, w, bias, stride, padding, dilation, groups):
    """PyTorch ConvNd on one sample (C, *S): out[o, p] = bias[o] + sum_{c<C/groups, k} w[o, c, k] *
    xpad[g*C/groups + c, p*stride + k*dilation], g = o // (O/groups); padding (before, after)."""
    (_, *size), (c_out, cg, *kernel) = x.shape, w.shape
    nd = len(kernel)
    xp = np.pad(x, [(0, 0), *padding])
    out_size = [(size[i] + sum(padding[i]) - dilation[i] * (kernel[i] - 1) - 1) // stride[i] + 1
                for i in range(nd)]
    y = np.zeros((c_out, *out_size))
    for o in range(c_out):
        g = o // (c_out // groups)
        for p in itertools.product(*map(range, out_size)):
            s = bias[o]
            for c in range(cg):
                for k in itertools.product(*map(range, kernel)):
                    idx = tuple(p[i] * stride[i] + k[i] * dilation[i] for i in range(nd))
                    s += w[(o, c, *k)] * xp[(g * cg + c, *idx)]
            y[(o, *p)] = s
    return y


def conv_case(seed, nd):
    """Random geometry: groups, channels, kernel, stride, dilation, padding int/'same'/'valid'."""
    rng = np.random.default_rng(seed)
    groups = int(rng.integers(1, 3))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kernel, dilation = rng.integers(1, 4, nd), rng.integers(1, 3, nd)
    mode = ["int", "same", "valid"][seed % 3]
    stride = np.ones(nd, int) if mode == "same" else rng.integers(1, 4, nd)
    if mode == "same":  # odd total padding d*(k-1) in dim 0: the extra zero goes at the end
        kernel[0], dilation[0] = 2 * rng.integers(1, 3), 1 + 2 * rng.integers(0, 2)
    size = dilation * (kernel - 1) + 1 + rng.integers(0, 5, nd)
    if mode == "int":
        padding = rng.integers(0, 3, nd)
        pads = [(int(p), int(p)) for p in padding]
    else:
        padding = mode
        total = dilation * (kernel - 1) if mode == "same" else np.zeros(nd, int)
        pads = [(int(t) // 2, int(t) - int(t) // 2) for t in total]  # PyTorch: extra at the end
    w = rng.normal(size=(c_out, c_in // groups, *kernel))
    bias = rng.normal(size=c_out) if seed % 2 else np.zeros(c_out)
    x = rng.normal(size=(3, 2, c_in, *size))
    return groups, w, bias, stride, padding, pads, dilation, x


@ENGINES
@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("seed", range(8))
def test_conv_matches_naive(seed, nd, engine):
    """Conv1d/Conv2d output at every step and sample equals the naive PyTorch definition."""
    groups, w, bias, stride, padding, pads, dilation, x = conv_case(seed, nd)
    expected = np.array([[naive_conv(s, w, bias, stride, pads, dilation, groups) for s in xt] for xt in x])
    if nd == 1:
        op = nir.Conv1d(int(x.shape[-1]), w, int(stride[0]),
                        padding if isinstance(padding, str) else int(padding[0]),
                        int(dilation[0]), groups, bias)
    else:
        op = nir.Conv2d(tuple(x.shape[-2:]), w, tuple(stride),
                        padding if isinstance(padding, str) else tuple(padding),
                        tuple(dilation), groups, bias)
    out = nirc.simulate(chain(op, x.shape[2:], expected.shape[2:]), x, dtype="float64", engine=engine)
    close(out["y"], expected)


def naive_pool(x, kernel, stride, padding, average):
    """PyTorch Sum/AvgPool2d (count_include_pad) on one sample (C, H, W) with zero padding."""
    xp = np.pad(x, [(0, 0), (padding[0],) * 2, (padding[1],) * 2])
    oh, ow = ((x.shape[i + 1] + 2 * padding[i] - kernel[i]) // stride[i] + 1 for i in range(2))
    y = np.zeros((x.shape[0], oh, ow))
    for c, i, j in itertools.product(range(x.shape[0]), range(oh), range(ow)):
        total = sum(xp[c, i * stride[0] + a, j * stride[1] + b]
                    for a in range(kernel[0]) for b in range(kernel[1]))
        y[c, i, j] = total / (kernel[0] * kernel[1]) if average else total
    return y


@ENGINES
@pytest.mark.parametrize("average", [False, True], ids=["sum", "avg"])
@pytest.mark.parametrize("kernel,stride,padding", [((2, 2), (2, 2), (0, 0)), ((3, 2), (1, 2), (1, 0)),
                                                   ((2, 3), (2, 1), (1, 1)), ((3, 3), (3, 2), (1, 1))])
def test_pool_matches_naive(kernel, stride, padding, average, engine):
    """SumPool2d / AvgPool2d (= SumPool2d / (kh*kw), padding counted) against naive window sums."""
    x = np.random.default_rng(3).normal(size=(3, 2, 2, 7, 6))
    expected = np.array([[naive_pool(s, kernel, stride, padding, average) for s in xt] for xt in x])
    op = (nir.AvgPool2d if average else nir.SumPool2d)(np.array(kernel), np.array(stride), np.array(padding))
    out = nirc.simulate(chain(op, (2, 7, 6), expected.shape[2:]), x, dtype="float64", engine=engine)
    close(out["y"], expected)


@ENGINES
@pytest.mark.parametrize("start,end", [(0, -1), (1, 2), (0, 1), (2, 3), (1, -1), (-3, -2)])
def test_flatten_per_sample_dims(start, end, engine):
    """Flatten of the per-sample shape (2,3,4,5): dims start..end (counted without the batch
    axis) merge in row-major order."""
    shape = (2, 3, 4, 5)
    s, e = start % 4, end % 4
    new = shape[:s] + (int(np.prod(shape[s:e + 1])),) + shape[e + 1:]
    x = np.random.default_rng(4).normal(size=(3, 2, *shape))
    op = nir.Flatten({"input": np.array(shape)}, start, end)
    out = nirc.simulate(chain(op, shape, new), x, dtype="float64", engine=engine)
    np.testing.assert_array_equal(out["y"], x.reshape(3, 2, *new))


@ENGINES
def test_scale(engine):
    """y = s * x elementwise."""
    s = np.array([[0.5, -2.0, 3.0], [1.0, 0.0, -0.25]])
    x = np.random.default_rng(5).normal(size=(4, 2, 2, 3))
    out = nirc.simulate(chain(nir.Scale(s), (2, 3)), x, dtype="float64", engine=engine)
    np.testing.assert_array_equal(out["y"], s * x)


@ENGINES
def test_affine_linear_fan_in(engine):
    """a, b -> aff; a -> lin -> aff: aff sees x_a + x_b + W2 x_a (edges summed), so
    y[o] = bias[o] + sum_i W[o,i] (x_a[i] + x_b[i] + sum_j W2[i,j] x_a[j])."""
    rng = np.random.default_rng(6)
    w, bias, w2 = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=(3, 3))
    g = graph({"a": nir.Input(np.array([3])), "b": nir.Input(np.array([3])),
               "lin": nir.Linear(w2), "aff": nir.Affine(w, bias), "y": nir.Output(np.array([4]))},
              [("a", "aff"), ("b", "aff"), ("a", "lin"), ("lin", "aff"), ("aff", "y")])
    xa, xb = rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 2, 3))
    expected = np.zeros((5, 2, 4))
    for t, n, o in itertools.product(range(5), range(2), range(4)):
        summed = [xa[t, n, i] + xb[t, n, i] + sum(w2[i, j] * xa[t, n, j] for j in range(3))
                  for i in range(3)]
        expected[t, n, o] = bias[o] + sum(w[o, i] * summed[i] for i in range(3))
    out = nirc.simulate(g, {"a": xa, "b": xb}, dtype="float64", engine=engine)
    close(out["y"], expected)


# ---- 5. recurrence ------------------------------------------------------------------------
@ENGINES
@DTYPES
@pytest.mark.parametrize("reverse", [False, True], ids=["order", "reversed"])
def test_recurrent_input_arrives_next_step(reverse, dtype, engine):
    """in -> lin -> lif, lif -> rec -> lif; 2 LIF neurons, tau = 2 dt (u = v/2 + x/2), thr 1,
    reset 0; x = (1.5, 0); rec[1,0] = 2.  Neuron 0: u = v/2 + .75 -> .75, 1.125 (spike), ... spikes
    at 1, 3, 5, 7, 9.  Neuron 1 gets 2*s0[t-1] (one step later): u = v/2 + 1 at t = 2, 4, ...:
    0, 0, 1.0 (not > 1), .5, 1.25 (spike), 0, 1.0, .5, 1.25 (spike), 0 -> spikes at 4, 8.
    (Same-step delivery would give 3, 7.)  Node and edge order do not matter."""
    nodes = {"in": nir.Input(np.array([2])), "lin": nir.Linear(np.eye(2)),
             "lif": nir.LIF(np.full(2, 2e-4), np.ones(2), np.zeros(2), np.ones(2), np.zeros(2)),
             "rec": nir.Linear(np.array([[0.0, 0.0], [2.0, 0.0]])), "out": nir.Output(np.array([2]))}
    edges = [("in", "lin"), ("lin", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out")]
    if reverse:
        nodes, edges = dict(reversed(nodes.items())), edges[::-1]
    out = nirc.simulate(graph(nodes, edges), np.tile([1.5, 0.0], (10, 1)), dtype=dtype,
                        engine=engine, record=["lif.v"])
    np.testing.assert_array_equal(np.flatnonzero(out["out"][:, 0]), [1, 3, 5, 7, 9])
    np.testing.assert_array_equal(np.flatnonzero(out["out"][:, 1]), [4, 8])
    np.testing.assert_array_equal(out["lif.v"][:, 1], [0, 0, 1, .5, 0, 0, 1, .5, 0, 0])
    np.testing.assert_array_equal(out["lif.v"][:, 0], [.75, 0] * 5)


@ENGINES
@METHODS
def test_li_with_affine_self_loop(method, engine):
    """in -> li, li -> aff -> li (aff diagonal w, bias b): li sees aff's previous output, zero at
    step 0.  With g = 1 - d: v[0] = g (r x + v_leak); then v[t] = D v[t-1] + C with
    D = d + g r w, C = g (r (x + b) + v_leak), so v[t] = V + (v[0] - V) D^t, V = C / (1 - D)."""
    tau, r, v_leak = np.array([1e-3, 5e-4]), np.array([1.0, 2.0]), np.array([0.1, -0.2])
    w, b, x = np.array([-0.5, 0.3]), np.array([0.2, -0.1]), np.array([1.0, 0.6])
    g = graph({"in": nir.Input(np.array([2])), "li": nir.LI(tau, r, v_leak),
               "aff": nir.Affine(np.diag(w), b), "out": nir.Output(np.array([2]))},
              [("in", "li"), ("li", "aff"), ("aff", "li"), ("li", "out")])
    out = nirc.simulate(g, np.tile(x, (50, 1)), method=method, dtype="float64", engine=engine)
    d = decay(tau, method)
    gain = 1 - d
    v0, big_d, c = gain * (r * x + v_leak), d + gain * r * w, gain * (r * (x + b) + v_leak)
    v_fix = c / (1 - big_d)
    close(out["out"], v_fix + (v0 - v_fix) * big_d ** np.arange(50)[:, None])


@ENGINES
def test_affine_self_loop(engine):
    """x -> aff, aff -> aff (self-loop: previous step, zero at 0): y[t] = 0.5 (x[t] + y[t-1]) + 1;
    with x = 0: y[t] = 2 (1 - 0.5^(t+1))."""
    g = graph({"x": nir.Input(np.array([1])), "aff": nir.Affine(np.array([[0.5]]), np.ones(1)),
               "y": nir.Output(np.array([1]))}, [("x", "aff"), ("aff", "aff"), ("aff", "y")])
    out = nirc.simulate(g, np.zeros((20, 1)), dtype="float64", engine=engine)
    np.testing.assert_array_equal(out["y"][:, 0], 2 * (1 - 0.5 ** np.arange(1, 21)))


# ---- 6. batch -------------------------------------------------------------------------------
@ENGINES
def test_batch_is_stack_of_single_runs(engine):
    """A (T, B, 3) run equals the stack of B (T, 3) runs, which return (T, 4) arrays."""
    rng = np.random.default_rng(7)
    g = graph({"x": nir.Input(np.array([3])), "aff": nir.Affine(rng.normal(size=(4, 3)), rng.normal(size=4)),
               "lif": nir.LIF(np.full(4, 1e-3), np.full(4, 20.0), np.zeros(4), np.ones(4), np.zeros(4)),
               "y": nir.Output(np.array([4]))}, [("x", "aff"), ("aff", "lif"), ("lif", "y")])
    x = rng.normal(size=(80, 5, 3))
    batched = nirc.simulate(g, x, dtype="float64", engine=engine, record=["lif.v"])
    assert batched["y"].shape == (80, 5, 4) and batched["y"].sum() > 0
    for n in range(5):
        single = nirc.simulate(g, x[:, n], dtype="float64", engine=engine, record=["lif.v"])
        assert single["y"].shape == single["lif.v"].shape == (80, 4)
        np.testing.assert_array_equal(single["y"], batched["y"][:, n])
        close(single["lif.v"], batched["lif.v"][:, n])
