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

import numba
import numpy as np

# Row kernels are inlined into their callers (numba IR inlining): a loop group calls
# several per sample and step, and a call costs more than a 38-neuron row
# (measured with bench/bench_interp.py, Braille batch 128: 5.6 -> 6.9 M steps x batch/s).
jit = numba.njit(cache=True, nogil=True, inline="always")
parallel_jit = numba.njit(cache=True, nogil=True, parallel=True)


@numba.njit(cache=True, nogil=True, inline="always")
def fire(u, thr, vreset, spiking, subtract, v, y, b, n):
    """Spike (strict u > thr) and reset, or pass u through for a non-spiking neuron;
    branch-free selects, so the neuron loop vectorizes."""
    if spiking:
        s = u > thr
        y[b, n] = 1.0 if s else 0.0
        r = u - thr if subtract else vreset
        v[b, n] = r if s else u
    else:
        y[b, n] = u
        v[b, n] = u


@jit
def leaky_row(x, v, decay, gain, bias, thr, vreset, spiking, subtract, y, b):
    """u = (decay*v + gain*x) + bias; spike if u > thr, then reset (see neurons.py)."""
    for n in range(x.shape[1]):
        u = decay[n] * v[b, n] + gain[n] * x[b, n] + bias[n]
        fire(u, thr[n], vreset[n], spiking, subtract, v, y, b, n)


@jit
def cuba_row(x, v, i, i_decay, i_gain, decay, gain, bias, thr, vreset, spiking, subtract,
             current_new, y, b):
    """i' = i_decay*i + i_gain*x; c = i' or i; u = (decay*v + gain*c) + bias; spike."""
    for n in range(x.shape[1]):
        i_old = i[b, n]
        i_new = i_decay[n] * i_old + i_gain[n] * x[b, n]
        c = i_new if current_new else i_old
        i[b, n] = i_new
        u = decay[n] * v[b, n] + gain[n] * c + bias[n]
        fire(u, thr[n], vreset[n], spiking, subtract, v, y, b, n)


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


@parallel_jit
def leaky_chunk(X, v, decay, gain, bias, thr, vreset, spiking, subtract, Y, rec_v, record):
    """leaky_row over a chunk X (C, B, M), rows in parallel."""
    for b in numba.prange(X.shape[1]):
        for t in range(X.shape[0]):
            leaky_row(X[t], v, decay, gain, bias, thr, vreset, spiking, subtract, Y[t], b)
            if record:
                rec_v[t, b] = v[b]


@parallel_jit
def cuba_chunk(X, v, i, i_decay, i_gain, decay, gain, bias, thr, vreset, spiking, subtract,
               current_new, Y, rec_v, rec_i, record_v, record_i):
    for b in numba.prange(X.shape[1]):
        for t in range(X.shape[0]):
            cuba_row(X[t], v, i, i_decay, i_gain, decay, gain, bias, thr, vreset, spiking,
                     subtract, current_new, Y[t], b)
            if record_v:
                rec_v[t, b] = v[b]
            if record_i:
                rec_i[t, b] = i[b]


@parallel_jit
def dense_rows_sparse(x, wt, bias, has_bias, y):
    """dense_row for every row of x (R, K), rows in parallel."""
    for r in numba.prange(x.shape[0]):
        dense_row(x, wt, bias, has_bias, y, r)


def empty_record(dtype) -> np.ndarray:
    return np.zeros((0, 0, 0), dtype)
