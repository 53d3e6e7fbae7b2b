"""Core partitioning: cores used vs the lower bounds, cross-core spike traffic of
``partition()`` vs ``sequential_partition()``, and the solver's wall time.

    python bench/bench_partition.py [--repeat 3] [--table mlp]

Core model: 256 neurons and 65,536 synapse entries per core, no fan-in limit, 1024
cores; every network is run with multicast (traffic = distinct remote cores per spike)
and without (traffic = remote synapses).  Rate 0.1 spikes per neuron per step.  The
input layer is *not* placed (``external=True``): its spikes arrive from off-chip, so it
costs SOPs but no core-to-core traffic.  Synapse entries per neuron = the neuron's
fan-in (weights stored per neuron, as a dense core memory holds them).

Networks:
  mlp      784-1000-1000-10, dense projections.
  conv     input 2x16x16 -> three 3x3 'same' convolutions with 8 channels on 16x16,
           flattened channel-major (c, y, x) as NIR/PyTorch do: 3 x 2048 neurons; the
           layer order puts one channel per core, while locality is spatial.
  grouped  four layers of 512 neurons, each projection block-diagonal with 8 groups of
           64 (grouped linear layers): 8 independent chains of 4 x 64 neurons.

Prints numbers only (no asserts); the solver's time is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from nirc.passes.partition_solver import LayerDemand, Projection, partition, sequential_partition
from nirc.targets.resources import ResourceModel


def mlp():
    sizes = [784, 1000, 1000, 10]
    layers = [LayerDemand("in", 784, 0, 0, external=True)]
    layers += [LayerDemand(f"fc{i}", n, m, m) for i, (m, n) in enumerate(zip(sizes, sizes[1:]), 1)]
    names = [L.name for L in layers]
    return layers, [Projection(a, b) for a, b in zip(names, names[1:])]


def conv_pairs(c_in: int, c_out: int, h: int, w: int, k: int = 3):
    """(target, source) index pairs of a k x k 'same' convolution, channel-major."""
    co, y, x = np.meshgrid(np.arange(c_out), np.arange(h), np.arange(w), indexing="ij")
    t, s = [], []
    for ci in range(c_in):
        for dy in range(-(k // 2), k // 2 + 1):
            for dx in range(-(k // 2), k // 2 + 1):
                ok = (y + dy >= 0) & (y + dy < h) & (x + dx >= 0) & (x + dx < w)
                t.append((co * h * w + y * w + x)[ok])
                s.append((ci * h * w + (y + dy) * w + x + dx)[ok])
    return np.concatenate(t), np.concatenate(s)


def conv():
    c, h, w = 8, 16, 16
    layers = [LayerDemand("in", 2 * h * w, 0, 0, external=True)]
    layers += [LayerDemand(f"conv{i}", c * h * w, 9 * (2 if i == 0 else c), 9 * (2 if i == 0 else c))
               for i in range(3)]
    projs = [Projection("in", "conv0", conv_pairs(2, c, h, w))]
    projs += [Projection(f"conv{i}", f"conv{i + 1}", conv_pairs(c, c, h, w)) for i in range(2)]
    return layers, projs


def grouped():
    n, g = 512, 8
    mask = np.kron(np.eye(g, dtype=bool), np.ones((n // g, n // g), bool))
    layers = [LayerDemand(f"g{i}", n, n // g if i else 0, n // g if i else 0) for i in range(4)]
    return layers, [Projection(f"g{i}", f"g{i + 1}", mask) for i in range(3)]


NETWORKS = {"mlp": mlp, "conv": conv, "grouped": grouped}


def best_time(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return result, min(times)


def sop_spread(p) -> float:
    sops = np.array([u.sops for u in p.per_core.values()])
    return float(sops.max() / sops.mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--table", choices=sorted(NETWORKS), help="also print this network's core table")
    args = ap.parse_args()
    base = ResourceModel("bench-256n-64Ki", cores=1024, neurons_per_core=256,
                         synapses_per_core=65536, fan_in=None, multicast=True)
    print(f"core model: {base.neurons_per_core} neurons, {base.synapses_per_core} synapse entries "
          f"per core, {base.total_cores} cores; rate 0.1; input not placed")
    head = (f"{'network':8} {'mcast':5} {'neurons':>7} {'entries':>9} {'LB n':>4} {'LB s':>4} "
            f"{'cores':>5} {'seq':>4} {'traffic':>10} {'seq traffic':>11} {'ratio':>6} "
            f"{'SOP max/mean':>12} {'seq':>5} {'time s':>7} {'seq s':>6}")
    print(head)
    for name, build in NETWORKS.items():
        layers, projs = build()
        placed = [L for L in layers if not L.external]
        neurons = sum(L.neurons for L in placed)
        entries = sum(L.neurons * L.synapse_entries_per_neuron + L.shared_synapse_entries
                      for L in placed)
        for multicast in (True, False):
            model = base.with_options(multicast=multicast)
            seq, t_seq = best_time(lambda: sequential_partition(layers, projs, model), args.repeat)
            p, t = best_time(lambda: partition(layers, projs, model), args.repeat)
            ratio = p.traffic / seq.traffic if seq.traffic else float("nan")
            print(f"{name:8} {'yes' if multicast else 'no':5} {neurons:>7} {entries:>9} "
                  f"{-(-neurons // model.neurons_per_core):>4} "
                  f"{-(-entries // model.synapses_per_core):>4} {p.cores:>5} {seq.cores:>4} "
                  f"{p.traffic:>10.1f} {seq.traffic:>11.1f} {ratio:>6.3f} "
                  f"{sop_spread(p):>12.3f} {sop_spread(seq):>5.3f} {t:>7.3f} {t_seq:>6.3f}")
            if args.table == name and multicast:
                print(p.table())
    print("LB n / LB s: lower bounds ceil(neurons / 256), ceil(entries / 65536); cores: "
          "partition(), seq: sequential_partition(); ratio = traffic / seq traffic; "
          "SOP max/mean: busiest core's synaptic operations over the mean")


if __name__ == "__main__":
    main()
