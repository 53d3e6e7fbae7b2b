"""Compiled (numba) kernels of the fast engine, on flattened per-sample arrays.

Signals are (B, M) per step and (C, B, M) per chunk of C steps (M = the product of
the per-sample shape); per-neuron parameters are (M,).  The arithmetic is that of
``neurons`` (the reference) in the same order of floating-point operations, so the
neuron updates give identical bits; dense sums may round differently from numpy's
BLAS (another summation order).  ``fastmath`` is off: no reassociation, no FMA.
"""

from __future__ import annotations

import numba
import numpy as np

jit = numba.njit(cache=True, nogil=True)


@jit
def leaky_step(x, v, decay, gain, bias, thr, vreset, spiking, subtract, y):
    """u = (decay*v + gain*x) + bias; spike if u > thr, then reset (see neurons.py).

    Branch-free in the neuron loop (selects), so LLVM vectorizes it."""
    B, M = x.shape
    for b in range(B):
        for n in range(M):
            u = decay[n] * v[b, n] + gain[n] * x[b, n] + bias[n]
            if spiking:
                s = u > thr[n]
                y[b, n] = 1.0 if s else 0.0
                r = u - thr[n] if subtract else vreset[n]
                v[b, n] = r if s else u
            else:
                y[b, n] = u
                v[b, n] = u


@jit
def cuba_step(x, v, i, i_decay, i_gain, decay, gain, bias, thr, vreset, spiking,
              subtract, current_new, y):
    """i' = i_decay*i + i_gain*x; c = i' or i; u = (decay*v + gain*c) + bias; spike."""
    B, M = x.shape
    for b in range(B):
        for n in range(M):
            i_old = i[b, n]
            i_new = i_decay[n] * i_old + i_gain[n] * x[b, n]
            c = i_new if current_new else i_old
            i[b, n] = i_new
            u = decay[n] * v[b, n] + gain[n] * c + bias[n]
            if spiking:
                s = u > thr[n]
                y[b, n] = 1.0 if s else 0.0
                r = u - thr[n] if subtract else vreset[n]
                v[b, n] = r if s else u
            else:
                y[b, n] = u
                v[b, n] = u


@numba.njit(cache=True, nogil=True, parallel=True)
def leaky_chunk(X, v, decay, gain, bias, thr, vreset, spiking, subtract, Y, rec_v, record):
    """leaky_step over a chunk X (C, B, M); samples are independent, so each thread
    runs whole sample rows through all C steps (no synchronisation per step)."""
    C, B, M = X.shape
    for b in numba.prange(B):
        for t in range(C):
            leaky_step(X[t, b:b + 1], v[b:b + 1], decay, gain, bias, thr, vreset, spiking,
                       subtract, Y[t, b:b + 1])
            if record:
                rec_v[t, b] = v[b]


@numba.njit(cache=True, nogil=True, parallel=True)
def cuba_chunk(X, v, i, i_decay, i_gain, decay, gain, bias, thr, vreset, spiking, subtract,
               current_new, Y, rec_v, rec_i, record_v, record_i):
    C, B, M = X.shape
    for b in numba.prange(B):
        for t in range(C):
            cuba_step(X[t, b:b + 1], v[b:b + 1], i[b:b + 1], i_decay, i_gain, decay, gain, bias,
                      thr, vreset, spiking, subtract, current_new, Y[t, b:b + 1])
            if record_v:
                rec_v[t, b] = v[b]
            if record_i:
                rec_i[t, b] = i[b]


@jit
def dense_step(x, wt, bias, has_bias, y):
    """y = x @ wt (+ bias), skipping zero inputs (spikes are mostly zero)."""
    B, K = x.shape
    N = wt.shape[1]
    for b in range(B):
        for o in range(N):
            y[b, o] = 0.0
        for j in range(K):
            xv = x[b, j]
            if xv != 0.0:
                for o in range(N):
                    y[b, o] += xv * wt[j, o]
        if has_bias:
            for o in range(N):
                y[b, o] += bias[o]


@jit
def scale_step(x, s, y):
    B, M = x.shape
    for b in range(B):
        for n in range(M):
            y[b, n] = x[b, n] * s[n]


@jit
def threshold_step(x, thr, y):
    B, M = x.shape
    for b in range(B):
        for n in range(M):
            y[b, n] = 1.0 if x[b, n] > thr[n] else 0.0


@jit
def delay_step(x, ring, t, steps, y):
    """ring[t % L] = x; y = ring[(t - steps) % L] (slots not yet written are zero)."""
    L = ring.shape[0]
    B, M = x.shape
    slot = t % L
    for b in range(B):
        for n in range(M):
            ring[slot, b, n] = x[b, n]
    for b in range(B):
        for n in range(M):
            y[b, n] = ring[(t - steps[n]) % L, b, n]


@jit
def add_into(acc, x):
    B, M = acc.shape
    for b in range(B):
        for n in range(M):
            acc[b, n] += x[b, n]


def empty_record(dtype) -> np.ndarray:
    return np.zeros((0, 0, 0), dtype)


@numba.njit(cache=True, nogil=True, parallel=True)
def dense_rows_sparse(x, wt, bias, has_bias, y):
    """y = x @ wt (+ bias) row by row, in parallel, adding only the rows of wt whose
    input is nonzero: for spike inputs (a few percent ones) this does a small
    fraction of a dense product's work."""
    R, K = x.shape
    N = wt.shape[1]
    for r in numba.prange(R):
        for o in range(N):
            y[r, o] = 0.0
        for j in range(K):
            xv = x[r, j]
            if xv != 0.0:
                for o in range(N):
                    y[r, o] += xv * wt[j, o]
        if has_bias:
            for o in range(N):
                y[r, o] += bias[o]
