"""Example NIR graphs that nirc ships, built with the ``nir`` package itself.

``python -m nirc.examples DIR`` writes them as .nir files into DIR (for the README,
the lit tests and anyone trying nirc without a trained model at hand):

- ``srnn.nir``: 12 -> Affine -> recurrent CubaLIF(38) -> Affine -> CubaLIF(7), the shape
  of the NIR paper's Braille network (random weights, seed 0; dt = 1e-4 encoded in
  R = tau/dt and w_in as snnTorch exports do);
- ``cnn.nir``: a small spiking CNN, Input(2,16,16) -> Conv2d -> IF -> SumPool2d ->
  Conv2d (groups 2) -> IF -> AvgPool2d -> Flatten -> Affine -> LIF -> Output;
- ``nested.nir``: a nested recurrent LIF subgraph between two Affine layers.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nir
import numpy as np


def srnn() -> nir.NIRGraph:
    rng = np.random.default_rng(0)
    dt, alpha, beta = 1e-4, 0.55, 0.9
    tau_syn, tau_mem = dt / (1 - alpha), dt / (1 - beta)

    def cuba(n: int) -> nir.CubaLIF:
        return nir.CubaLIF(
            tau_syn=np.full(n, tau_syn), tau_mem=np.full(n, tau_mem),
            r=np.full(n, tau_mem / dt), v_leak=np.zeros(n), v_threshold=np.ones(n),
            v_reset=np.zeros(n), w_in=np.full(n, tau_syn / dt),
        )

    def affine(n_out: int, n_in: int) -> nir.Affine:
        w = rng.normal(0, 1 / np.sqrt(n_in), (n_out, n_in)).astype(np.float32)
        return nir.Affine(weight=w, bias=np.zeros(n_out, np.float32))

    nodes = {
        "input": nir.Input(np.array([12])), "fc1": affine(38, 12), "lif1": cuba(38),
        "w_rec": affine(38, 38), "fc2": affine(7, 38), "lif2": cuba(7),
        "output": nir.Output(np.array([7])),
    }
    edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "w_rec"), ("w_rec", "lif1"),
             ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False,
                        metadata={"source": "nirc.examples.srnn", "dt": 1e-4})


def cnn() -> nir.NIRGraph:
    rng = np.random.default_rng(1)

    def conv(c_out, c_in, k, groups, padding, stride, hw):
        w = rng.normal(0, 0.5, (c_out, c_in // groups, k, k)).astype(np.float32)
        return nir.Conv2d(input_shape=hw, weight=w, stride=stride, padding=padding,
                          dilation=1, groups=groups, bias=np.zeros(c_out, np.float32))

    def if_(shape):
        return nir.IF(r=np.ones(shape, np.float32), v_threshold=np.ones(shape, np.float32),
                      v_reset=np.zeros(shape, np.float32))

    nodes = {
        "input": nir.Input(np.array([2, 16, 16])),
        "conv1": conv(8, 2, 3, 1, 1, 1, (16, 16)), "if1": if_((8, 16, 16)),
        "pool1": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                               padding=np.array([0, 0])),
        "conv2": conv(8, 8, 3, 2, "same", 1, (8, 8)), "if2": if_((8, 8, 8)),
        "pool2": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                               padding=np.array([0, 0])),
        "flatten": nir.Flatten(input_type={"input": np.array([8, 4, 4])}, start_dim=0, end_dim=-1),
        "fc": nir.Affine(weight=rng.normal(0, 0.1, (10, 128)).astype(np.float32),
                         bias=np.zeros(10, np.float32)),
        "lif": nir.LIF(tau=np.full(10, 0.01), r=np.ones(10), v_leak=np.zeros(10),
                       v_threshold=np.ones(10), v_reset=np.zeros(10)),
        "output": nir.Output(np.array([10])),
    }
    names = list(nodes)
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:])), type_check=False)


def nested() -> nir.NIRGraph:
    n = 4
    inner = nir.NIRGraph(
        nodes={"input": nir.Input(np.array([n])),
               "lif": nir.LIF(tau=np.full(n, 0.02), r=np.ones(n), v_leak=np.zeros(n),
                              v_threshold=np.ones(n), v_reset=np.zeros(n)),
               "rec": nir.Linear(weight=0.1 * np.eye(n)),
               "output": nir.Output(np.array([n]))},
        edges=[("input", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")],
        type_check=False,
    )
    nodes = {"input": nir.Input(np.array([3])),
             "fc_in": nir.Affine(weight=np.ones((n, 3)), bias=np.zeros(n)),
             "block": inner,
             "fc_out": nir.Linear(weight=np.ones((2, n))),
             "output": nir.Output(np.array([2]))}
    edges = [("input", "fc_in"), ("fc_in", "block"), ("block", "fc_out"), ("fc_out", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


EXAMPLES = {"srnn": srnn, "cnn": cnn, "nested": nested}


def write_examples(directory: str | Path) -> list[Path]:
    from .nir_file import write_nir

    paths = []
    for name, build in EXAMPLES.items():
        path = Path(directory) / f"{name}.nir"
        write_nir(build(), path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_examples(sys.argv[1] if len(sys.argv) > 1 else "examples"):
        print(written)
