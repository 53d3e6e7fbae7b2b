"""Write the small graphs of the Speck lit tests into DIR (built with the nir package).

    python make_graphs.py DIR [--mlir]

legal.nir     Input (2,8,8) -> Conv2d 3x3 -> IF -> SumPool2d 2 -> Flatten -> Affine 32->4 -> IF
leaky.nir     the same with LIF neurons as snnTorch exports a Leaky (beta 0.9, dt 1e-4)
stride3.nir   a 5x5 convolution with stride 3
thresholds.nir  an IF whose thresholds differ within the layer
ten.nir       ten Conv2d + IF layers in a row (Speck has 9 cores)
errors.mlir   (--mlir) leaky, stride3, thresholds and ten as textual IR, split by "// -----"
"""

import sys
from pathlib import Path

import nir
import numpy as np

rng = np.random.default_rng(0)


def conv(c_in, c_out, k, stride, padding, size):
    w = rng.normal(0, 1.0, (c_out, c_in, k, k)).astype(np.float32)
    return nir.Conv2d(input_shape=(size, size), weight=w, stride=(stride, stride),
                      padding=(padding, padding), dilation=(1, 1), groups=1,
                      bias=np.zeros(c_out, np.float32))


def neuron(shape, thr=1.0, leaky=False):
    if leaky:
        tau = 1e-4 / (1 - 0.9)
        return nir.LIF(tau=np.full(shape, tau), r=np.full(shape, tau / 1e-4),
                       v_leak=np.zeros(shape), v_threshold=np.full(shape, thr),
                       v_reset=np.zeros(shape))
    return nir.IF(r=np.ones(shape), v_threshold=np.broadcast_to(thr, shape).copy(),
                  v_reset=np.zeros(shape))


def legal(leaky=False):
    nodes = {"input": nir.Input(np.array([2, 8, 8])), "conv": conv(2, 4, 3, 1, 1, 8),
             "if1": neuron((4, 8, 8), leaky=leaky),
             "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                   padding=np.array([0, 0])),
             "flat": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0, end_dim=-1),
             "fc": nir.Affine(weight=rng.normal(0, 0.5, (4, 64)).astype(np.float32),
                              bias=np.zeros(4, np.float32)),
             "if2": neuron((4,), leaky=leaky), "output": nir.Output(np.array([4]))}
    edges = [("input", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"),
             ("flat", "fc"), ("fc", "if2"), ("if2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def single(c, thr=1.0):
    out = (8 + 2 * c.padding[0] - c.weight.shape[2]) // c.stride[0] + 1
    shape = (c.weight.shape[0], out, out)
    nodes = {"input": nir.Input(np.array([2, 8, 8])), "conv": c, "if": neuron(shape, thr),
             "output": nir.Output(np.array(shape))}
    return nir.NIRGraph(nodes=nodes, edges=[("input", "conv"), ("conv", "if"), ("if", "output")],
                        type_check=False)


def ten():
    nodes, edges, prev = {"input": nir.Input(np.array([2, 8, 8]))}, [], "input"
    for i in range(10):
        nodes[f"c{i}"], nodes[f"n{i}"] = conv(2 if i == 0 else 4, 4, 3, 1, 1, 8), neuron((4, 8, 8))
        edges += [(prev, f"c{i}"), (f"c{i}", f"n{i}")]
        prev = f"n{i}"
    nodes["output"] = nir.Output(np.array([4, 8, 8]))
    return nir.NIRGraph(nodes=nodes, edges=edges + [(prev, "output")], type_check=False)


out = Path(sys.argv[1])
thresholds = np.ones((4, 8, 8))
thresholds[2] = 1.5
graphs = {"legal": legal(), "leaky": legal(leaky=True),
          "stride3": single(conv(2, 4, 5, 3, 0, 8)),
          "thresholds": single(conv(2, 4, 3, 1, 1, 8), thresholds), "ten": ten()}
for name, graph in graphs.items():
    nir.write(str(out / f"{name}.nir"), graph)

if "--mlir" in sys.argv:
    from nirc.importer import import_graph
    from nirc.ir_text import print_module

    chunks = [print_module(import_graph(graphs[n])) for n in ("leaky", "stride3", "thresholds", "ten")]
    (out / "errors.mlir").write_text("// -----\n".join(chunks))
