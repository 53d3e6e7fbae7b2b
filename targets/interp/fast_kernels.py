"""Compiled (numba) kernels of the fast engine, on flattened per-sample arrays.

Signals are (B, M) per step and (C, B, M) per chunk of C steps (M = the product of
the per-sample shape); per-neuron parameters are (M,).  The primitives work on one
sample row ``b`` (``*_row``): samples are independent, so the engine runs each
sample through all steps of a chunk on its own (one thread per group of rows, no
synchronisation per step).  The arithmetic is that of ``neurons`` (the reference)
in the same order of floating-point operations, so neuron updates give identical
bits; dense sums may round differently from numpy's BLAS (another summation
order).  ``fastmath`` is off: no reassociation, no FMA contraction.
"""

from __future__ import annotations

from .threads import quiet_openmp, twin

quiet_openmp()  # before numba's first parallel call loads OpenMP

import numba  # noqa: E402
import numpy as np  # noqa: E402

# Row kernels are inlined into their callers (numba IR inlining): a loop group calls
# several per sample and step, and a call costs more than a 38-neuron row
# (measured with bench/bench_interp.py, Braille batch 128: 5.6 -> 6.9 M steps x batch/s).
jit = numba.njit(cache=True, nogil=True, inline="always")
parallel_jit = numba.njit(cache=True, nogil=True, parallel=True)


@numba.njit(cache=True, nogil=True, inline="always")
def fire(u, thr, vreset, vmin, spiking, subtract, cap, ge, firing, v, z, y, b, n):
    """The spike rule of dialects/snn.py (``fire``) on one neuron, after the delayed
    reset (see ``delayed_input``): clamp at vmin, count spikes (cap 1: one spike, 0: no
    cap), reset now (firing 0) or keep u and remember the count (1: delayed-reset,
    2: late, which outputs the previous count); a non-spiking neuron passes u through.
    Branches on the per-node flags only, so the neuron loop stays vectorizable."""
    if spiking:
        if u < vmin:
            u = vmin
        hit = u >= thr if ge else u > thr
        if cap == 1:
            c = 1.0 if hit else 0.0
        elif hit:
            q = u / thr
            c = np.floor(q) if ge else np.ceil(q) - 1.0
            if c < 1.0:
                c = 1.0
            if cap > 0 and c > cap:
                c = float(cap)
        else:
            c = 0.0
        if firing == 0:
            y[b, n] = c
            count = y[b, n]  # in the signal's dtype, so that count * thr rounds as numpy's
            r = u - count * thr if subtract else vreset
            v[b, n] = r if hit else u
        else:
            y[b, n] = z[b, n] if firing == 2 else c
            v[b, n] = u
            z[b, n] = c
    else:
        y[b, n] = u
        v[b, n] = u


@numba.njit(cache=True, nogil=True, inline="always")
def start_value(v, z, vreset, subtract, firing, b, n):
    """v[t-1] as the equation reads it: with delayed firing and reset "value", v_reset
    where the previous step spiked."""
    if firing != 0 and not subtract and z[b, n] > 0.0:
        return vreset
    return v[b, n]


@numba.njit(cache=True, nogil=True, inline="always")
def delayed_subtract(u, z, thr, subtract, firing, b, n):
    """u minus the previous step's spikes times the threshold (delayed "subtract")."""
    if firing != 0 and subtract:
        return u - z[b, n] * thr
    return u


@jit
def leaky_row(x, v, decay, gain, bias, thr, vreset, vmin, spiking, subtract, cap, ge, firing,
              z, y, b):
    """u = (decay*v + gain*x) + bias; then the spike rule (see neurons.py)."""
    for n in range(x.shape[1]):
        vv = start_value(v, z, vreset[n], subtract, firing, b, n)
        u = decay[n] * vv + gain[n] * x[b, n] + bias[n]
        u = delayed_subtract(u, z, thr[n], subtract, firing, b, n)
        fire(u, thr[n], vreset[n], vmin[n], spiking, subtract, cap, ge, firing, v, z, y, b, n)


@jit
def cuba_row(x, v, i, i_decay, i_gain, decay, gain, bias, thr, vreset, vmin, spiking, subtract,
             cap, ge, firing, z, current_new, y, b):
    """i' = i_decay*i + i_gain*x; c = i' or i; u = (decay*v + gain*c) + bias; spike rule."""
    for n in range(x.shape[1]):
        i_old = i[b, n]
        i_new = i_decay[n] * i_old + i_gain[n] * x[b, n]
        c = i_new if current_new else i_old
        i[b, n] = i_new
        vv = start_value(v, z, vreset[n], subtract, firing, b, n)
        u = decay[n] * vv + gain[n] * c + bias[n]
        u = delayed_subtract(u, z, thr[n], subtract, firing, b, n)
        fire(u, thr[n], vreset[n], vmin[n], spiking, subtract, cap, ge, firing, v, z, y, b, n)


@jit
def dense_row(x, wt, bias, has_bias, y, b):
    """y = x @ wt (+ bias), adding only the rows of wt whose input is nonzero (spike
    inputs are mostly zero: a fraction of a dense product's work)."""
    n_out = wt.shape[1]
    for o in range(n_out):
        y[b, o] = 0.0
    for j in range(x.shape[1]):
        xv = x[b, j]
        if xv != 0.0:
            for o in range(n_out):
                y[b, o] += xv * wt[j, o]
    if has_bias:
        for o in range(n_out):
            y[b, o] += bias[o]


@jit
def scale_row(x, s, y, b):
    for n in range(x.shape[1]):
        y[b, n] = x[b, n] * s[n]


@jit
def threshold_row(x, thr, y, b):
    for n in range(x.shape[1]):
        y[b, n] = 1.0 if x[b, n] > thr[n] else 0.0


@jit
def delay_row(x, ring, t, steps, y, b):
    """ring[t % L] = x; y = ring[(t - steps) % L] (slots not yet written are zero)."""
    length = ring.shape[0]
    slot = t % length
    for n in range(x.shape[1]):
        ring[slot, b, n] = x[b, n]
    for n in range(x.shape[1]):
        y[b, n] = ring[(t - steps[n]) % length, b, n]


@jit
def copy_row(dst, src, b):
    for n in range(dst.shape[1]):
        dst[b, n] = src[b, n]


@jit
def add_row(acc, x, b):
    for n in range(acc.shape[1]):
        acc[b, n] += x[b, n]


# ---- whole chunks of the nodes that are not on a cycle ----------------------------


def neuron_chunk(kind: str, flags: tuple):
    """The compiled loop of a neuron node that is not on a cycle over a chunk X (C, B, M),
    rows in parallel: leaky_row (kind "leaky") or cuba_row ("cuba") per sample and step,
    with v (and i) recorded where asked.  The flags (spiking, subtract, cap, ge,
    firing[, current_new]) are literals of the generated source, so numba compiles one
    loop per combination with its branches folded away, which vectorizes (measured: an
    IF layer of 16x34x34 neurons, b32, one thread: 1.2 -> 0.8 ns per neuron and step).
    Generated source is compiled once per machine (loop_cache).  Arguments: (X, v, decay,
    gain, bias, thr, vreset, vmin, z, Y, rec_v, record) for "leaky"; (X, v, i, i_decay,
    i_gain, decay, gain, bias, thr, vreset, vmin, z, Y, rec_v, rec_i, record_v, record_i)
    for "cuba"."""
    from . import loop_cache

    literals = ", ".join(repr(f) for f in flags[:5])
    if kind == "leaky":
        source = ("def group_step(X, v, decay, gain, bias, thr, vreset, vmin, z, Y, rec_v, record):\n"
                  "    for b in prange(X.shape[1]):\n"
                  "        for t in range(X.shape[0]):\n"
                  "            leaky_row(X[t], v, decay, gain, bias, thr, vreset, vmin, "
                  f"{literals}, z, Y[t], b)\n"
                  "            if record:\n"
                  "                rec_v[t, b] = v[b]\n")
    else:
        source = ("def group_step(X, v, i, i_decay, i_gain, decay, gain, bias, thr, vreset, vmin, z,"
                  " Y, rec_v, rec_i, record_v, record_i):\n"
                  "    for b in prange(X.shape[1]):\n"
                  "        for t in range(X.shape[0]):\n"
                  "            cuba_row(X[t], v, i, i_decay, i_gain, decay, gain, bias, thr, vreset, "
                  f"vmin, {literals}, z, {flags[5]!r}, Y[t], b)\n"
                  "            if record_v:\n"
                  "                rec_v[t, b] = v[b]\n"
                  "            if record_i:\n"
                  "                rec_i[t, b] = i[b]\n")
    return loop_cache.compiled(source, parallel=True, kind="neuron")


@parallel_jit
def dense_rows_sparse(x, wt, bias, has_bias, y):
    """dense_row for every row of x (R, K), rows in parallel."""
    for r in numba.prange(x.shape[0]):
        dense_row(x, wt, bias, has_bias, y, r)


@numba.njit(cache=True, nogil=True)
def dense_rows_sparse_serial(x, wt, bias, has_bias, y):
    """dense_rows_sparse on the calling thread (its one-thread twin: threads.twin)."""
    for r in range(x.shape[0]):
        dense_row(x, wt, bias, has_bias, y, r)


twin(dense_rows_sparse, dense_rows_sparse_serial)


def neuron_args(p: dict, m: int, dtype) -> tuple:
    """A neuron node's parameters as leaky_row takes them after x and v: (decay, gain,
    bias, thr, vreset, vmin) arrays of (M,), then (spiking, subtract, cap, ge, firing)."""
    zeros = np.zeros(m, dtype)
    if p["spiking"]:
        spike = (p["v_threshold"].reshape(-1), p["v_reset"].reshape(-1), p["v_min"].reshape(-1),
                 True, bool(p["subtract"]), int(p["cap"]), bool(p["ge"]), int(p["firing"]))
    else:
        spike = (zeros, zeros, zeros, False, False, 1, False, 0)
    return (p["v_decay"].reshape(-1), p["v_gain"].reshape(-1), p["v_bias"].reshape(-1), *spike)


def empty_record(dtype) -> np.ndarray:
    return np.zeros((0, 0, 0), dtype)
