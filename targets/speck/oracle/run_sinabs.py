"""Run NIR graphs through sinabs 3.1.3's DynapcnnNetwork (the Speck oracle), file in,
file out.  Runs ONLY inside the oracle venv (build_env.sh); nirc never imports it.

    python run_sinabs.py --jobs JOBS.json

JOBS.json is a list of {"nir": graph.nir, "input": x.npy (T, B, C, H, W) event counts,
"out": result.npz}, optional "repeat": N (time the forward N times) and "discretize":
false (sinabs' float network, the same layers before discretization) and "sequential":
false (a branching graph: step 1 calls from_nir's modules in topological order with
``sinabs.layers.Merge`` where two sources meet, which sinabs 3.1.3's graph extractor
traces; it fails on pooling along a branch, IndexError in
``sinabs_edges_handler.set_pooling_layer_destination``, and on from_nir's own module it
loses the merged edge).  For each job, as
the NIR paper's Speck script does (neuromorphs/NIR paper/02_cnn/speck_accuracy.py):

1. ``sinabs.from_nir(graph, batch_size=B)``, its modules in the graph's topological
   order as an ``nn.Sequential`` (Identity dropped);
2. every IAF's ``spike_threshold`` and ``min_v_mem`` collapsed to one element (Speck holds
   one per layer);
3. ``DynapcnnNetwork(seq, input_shape=(C, H, W), discretize=True)``; states reset (the
   graph tracer's dummy forward leaves random states behind);
4. ``net(x)`` with x of shape (B*T, C, H, W), sample-major (``IAFSqueeze`` unsqueezes
   batch and time in that order).

The npz holds ``output`` (T, B, *out), per DYNAP-CNN layer k ``s<k>`` (its IAF's spike
counts, (T, B, f, h, w)), ``v<k>`` (its v_mem after each step, float64, sinabs'
``record_states`` recordings), ``weight<k>``, ``bias<k>``, ``threshold_high<k>``,
``threshold_low<k>`` (the discretized parameters), ``seconds`` (the forward's wall time,
best of "repeat"; ``seconds_all``: every one; ``cpu_seconds_all``: their process CPU
times).  A failing job writes ``<out>.err`` with the traceback and the rest go
on.

sinabs imports samna (SynSense's closed device library, not installable here) at module
top; ``install_samna_stub`` first makes every ``samna.*`` / ``samnagui.*`` import an empty
package whose attributes are more empty packages, which is all sinabs needs off-chip.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.abc
import importlib.machinery
import json
import sys
import time
import traceback
import types

STUBBED = ("samna", "samnagui")


class _EmptyPackages(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """A meta-path finder: any module under ``STUBBED`` is an empty package."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in STUBBED:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []

        def __getattr__(attr, _name=spec.name):
            if attr.startswith("__"):
                raise AttributeError(attr)
            return importlib.import_module(f"{_name}.{attr}")

        module.__getattr__ = __getattr__
        return module

    def exec_module(self, module):
        pass


def install_samna_stub() -> None:
    if not any(isinstance(f, _EmptyPackages) for f in sys.meta_path):
        sys.meta_path.insert(0, _EmptyPackages())


def run_job(job: dict) -> None:
    import networkx as nx
    import nir
    import numpy as np
    import sinabs
    import torch
    from sinabs import layers as sl
    from sinabs.backend.dynapcnn import DynapcnnNetwork

    graph = nir.read(job["nir"])
    x = np.load(job["input"])
    steps, batch = x.shape[:2]
    model = sinabs.from_nir(graph, batch_size=batch)
    if job.get("sequential", True):
        order = list(nx.topological_sort(nx.DiGraph(graph.edges)))
        children = dict(model.named_children())
        seq = torch.nn.Sequential(*[children[n] for n in order if n in children
                                    and not isinstance(children[n], torch.nn.Identity)])
    else:  # a branching graph: a module sinabs' graph extractor can trace (below)
        seq = _GraphModule(graph, dict(model.named_children()))
    for module in seq.modules():
        if isinstance(module, sl.IAF):
            module.spike_threshold = torch.nn.Parameter(
                torch.tensor([float(module.spike_threshold.flatten()[0])]))
            module.min_v_mem = torch.nn.Parameter(
                torch.tensor([float(module.min_v_mem.flatten()[0])]))
    net = DynapcnnNetwork(seq, input_shape=tuple(int(d) for d in x.shape[2:]),
                          discretize=bool(job.get("discretize", True)))
    layers = net.dynapcnn_layers
    keys = sorted(layers)
    recorded = {}
    for k in keys:
        layers[k].spk.record_states = True
        layers[k].spk.register_forward_hook(
            lambda mod, inp, out, k=k: recorded.__setitem__(k, out.detach().clone()))
    inp = torch.tensor(np.ascontiguousarray(np.swapaxes(x, 0, 1)).reshape(batch * steps, *x.shape[2:]),
                       dtype=torch.float32)
    times, cpu = [], []
    with torch.no_grad():
        for _ in range(int(job.get("repeat", 1))):
            sinabs.reset_states(net)
            start, start_cpu = time.perf_counter(), time.process_time()
            y = net(inp)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    if isinstance(y, dict):  # a traced graph returns {exit layer: output}
        if len(y) != 1:
            raise ValueError(f"{len(y)} exit layers; the oracle compares one output")
        y = next(iter(y.values()))
    if isinstance(y, (tuple, list)):
        y = y[0]
    results = {"output": _tb(y, batch, steps), "seconds": np.float64(min(times)),
               "seconds_all": np.asarray(times), "cpu_seconds_all": np.asarray(cpu)}
    for k in keys:
        layer = layers[k]
        results[f"s{k}"] = _tb(recorded[k], batch, steps)
        v = layer.spk.recordings["v_mem"].detach().numpy().astype(np.float64)  # (B, T, ...)
        results[f"v{k}"] = np.ascontiguousarray(np.swapaxes(v, 0, 1))
        kind = np.int64 if job.get("discretize", True) else np.float64
        results[f"weight{k}"] = layer.conv.weight.detach().numpy().astype(kind)
        bias = layer.conv.bias
        results[f"bias{k}"] = (np.zeros(layer.conv.out_channels, kind) if bias is None
                               else bias.detach().numpy().astype(kind))
        results[f"threshold_high{k}"] = kind(float(layer.spk.spike_threshold))
        results[f"threshold_low{k}"] = kind(float(layer.spk.min_v_mem))
    np.savez(job["out"], **results)


def _graph_module_class():
    import networkx as nx
    import torch
    from sinabs import layers as sl

    class GraphModule(torch.nn.Module):
        """from_nir's modules called in the graph's topological order; a node with several
        sources gets them through ``sinabs.layers.Merge`` (sinabs' merge, which its graph
        extractor recognises; the traced GraphExecutor of from_nir sums them out of its
        sight and loses the edge)."""

        def __init__(self, graph, children):
            super().__init__()
            g = nx.DiGraph(graph.edges)
            self.order = [n for n in nx.topological_sort(g)]
            self.sources = {n: sorted(g.predecessors(n)) for n in self.order}
            self.nodes = torch.nn.ModuleDict({n.replace(".", "_"): children[n] for n in self.order
                                              if n in children})
            self.merges = torch.nn.ModuleDict({n.replace(".", "_"): sl.Merge() for n in self.order
                                               if len(self.sources[n]) == 2})
            if any(len(v) > 2 for v in self.sources.values()):
                raise ValueError("sinabs' Merge takes two sources")

        def forward(self, x):
            out = {}
            for n in self.order:
                src = self.sources[n]
                key = n.replace(".", "_")
                if not src:
                    y = x
                elif len(src) == 2:
                    y = self.merges[key](out[src[0]], out[src[1]])
                else:
                    y = out[src[0]]
                out[n] = self.nodes[key](y) if key in self.nodes else y
            return out[self.order[-1]]

    return GraphModule


def _GraphModule(graph, children):
    return _graph_module_class()(graph, children)


def _tb(t, batch, steps):
    import numpy as np

    a = t.detach().numpy().astype(np.int64)
    return np.ascontiguousarray(np.swapaxes(a.reshape(batch, steps, *a.shape[1:]), 0, 1))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", required=True)
    args = parser.parse_args()
    install_samna_stub()
    import torch

    torch.set_num_threads(int(__import__("os").environ.get("NIRC_SINABS_THREADS", "1")))
    with open(args.jobs) as f:
        jobs = json.load(f)
    failed = 0
    for job in jobs:
        try:
            run_job(job)
        except Exception:  # noqa: BLE001 - reported per job, the others go on
            failed += 1
            with open(job["out"] + ".err", "w") as f:
                f.write(traceback.format_exc())
    print(f"run_sinabs: {len(jobs) - failed} ok, {failed} failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
