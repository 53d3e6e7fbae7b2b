"""Quantization fidelity of cnn_sinabs.nir at 8 bits per channel (issue 5), several seeds.

    python bench/bench_quantize.py [--seeds 3] [--batch 256] [--steps 100]

The float64 simulation of the discretized graph is the peer; each integer variant
(``quantize`` with 8-bit symmetric per-channel round-to-nearest weights) runs on the
same Bernoulli input (rate 0.1, seeds 0..N-1).  Printed per variant, as mean and range
over the seeds, the output layer's spike-count agreement
1 - sum |Cf - Cq| / sum max(Cf, Cq) at three granularities:

- total: the layer's whole spike count (all neurons, samples and steps);
- per neuron: each output neuron's count over all samples;
- per sample: each neuron's count in each sample;

and the fraction of samples whose most active output neuron is the same (argmax).

Variants: the float graph simulated in float32 (what plain floating-point rounding
alone changes); NIR's reset to v_reset (nirc's default) and sinabs' reset by subtraction
(how the network was trained: sinabs.layers.IAF uses MembraneSubtract); 16- or 32-bit
state; with or without ``bias-correction`` (calibrated on seed 1 of ``quantize``'s own
generator, i.e. other samples than the ones compared).  Needs ../shared/conformance.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CNN = REPO.parent / "shared" / "conformance" / "nir-paper" / "cnn_sinabs.nir"
FLOAT32 = "(float32 simulation)"
VARIANTS = (
    ("value", FLOAT32),
    ("value", "state-bits=16"),
    ("value", "state-bits=32"),
    ("value", "state-bits=32 bias-correction=true"),
    ("subtract", FLOAT32),
    ("subtract", "state-bits=16"),
    ("subtract", "state-bits=32"),
    ("subtract", "state-bits=16 bias-correction=true"),
    ("subtract", "state-bits=32 bias-correction=true"),
)


def agreement(cf: np.ndarray, cq: np.ndarray) -> float:
    return 1.0 - float(np.abs(cf - cq).sum()) / float(np.maximum(cf, cq).sum())


def measures(cf: np.ndarray, cq: np.ndarray) -> dict[str, float]:
    """cf, cq: output spike counts (batch, neurons)."""
    return {"total": agreement(cf.sum(), cq.sum()),
            "per neuron": agreement(cf.sum(axis=0), cq.sum(axis=0)),
            "per sample": agreement(cf, cq),
            "argmax": float(np.mean(cf.argmax(axis=1) == cq.argmax(axis=1)))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    if not CNN.is_file():
        print(f"skipped: {CNN} not found (../shared/conformance is not beside the clone)")
        return 0
    warnings.simplefilter("ignore")
    from nirc.ir_text import make_context
    from nirc.loading import load_module
    from nirc.opt import build_pipeline
    from nirc.targets.interp.api import Simulator

    def lowered(module, spec):
        build_pipeline(spec).apply(make_context(), module)
        return module

    def counts(module, x, dtype="float64"):
        y = Simulator(module, dtype=dtype).run({"input": x}, keep_batch_axis=True)["output"]
        return y.sum(axis=0)

    results: dict[tuple[str, str], list[dict[str, float]]] = {v: [] for v in VARIANTS}
    for reset in ("value", "subtract"):
        floats = lowered(load_module(str(CNN)), f"flatten-subgraphs,discretize{{reset={reset}}},fuse")
        ints = {v: lowered(floats.clone(), "quantize{check-steps=0 weight-bits=8 per-channel=true "
                           f"{v[1]}}}") for v in VARIANTS if v[0] == reset and v[1] != FLOAT32}
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            x = (rng.random((args.steps, args.batch, 2, 34, 34)) < 0.1).astype(np.float64)
            cf = counts(floats, x)
            results[(reset, FLOAT32)].append(measures(cf, counts(floats, x, "float32")))
            for variant, module in ints.items():
                results[variant].append(measures(cf, counts(module, x)))
            print(f"reset={reset} seed {seed} done", file=sys.stderr, flush=True)
    keys = ("total", "per neuron", "per sample", "argmax")
    print(f"cnn_sinabs.nir, 8-bit symmetric per-channel weights; Bernoulli 0.1, T={args.steps}, "
          f"batch {args.batch}, seeds 0..{args.seeds - 1}; mean [min, max] over seeds")
    print(f"{'reset':>9} {'quantize options':>36} " + " ".join(f"{k:>22}" for k in keys))
    for (reset, options), rows in results.items():
        cells = []
        for k in keys:
            v = np.array([r[k] for r in rows])
            cells.append(f"{v.mean():.4f} [{v.min():.3f}, {v.max():.3f}]")
        print(f"{reset:>9} {options:>36} " + " ".join(f"{c:>22}" for c in cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
