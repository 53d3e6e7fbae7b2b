"""``nirc compile``, the target interface, ``group-layers`` and ``partition`` in the IR.

Semantics: grouping into layers and partitioning over cores change no output of the
interpreter (checked bit for bit on generated graphs: the plan of a grouped module is
the plan of the ungrouped one).  Placement: every neuron of every layer is on exactly
one core, within the limits of the resource model, and what the IR says matches the
core plan file.  CLI: outputs are written all or none; errors are one line.
"""

from __future__ import annotations

import json

import nir
import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from nirc.cli import main
from nirc.compiler import compile_module
from nirc.diagnostics import NircError
from nirc.importer import import_graph
from nirc.ir_text import make_context, parse_module, print_module
from nirc.opt import build_pipeline
from nirc.passes.partition import core_plan
from nirc.targets import make_target
from nirc.targets.interp.api import simulate

from sim_graphs import sim_graphs, spikes


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def apply(module, spec: str):
    build_pipeline(spec).apply(make_context(), module)
    module.verify()
    return module


def _mlp(sizes: list[int], seed: int = 0) -> nir.NIRGraph:
    rng = np.random.default_rng(seed)
    nodes = {"in": nir.Input(np.array([sizes[0]]))}
    edges, prev = [], "in"
    for k, (a, b) in enumerate(zip(sizes, sizes[1:])):
        nodes[f"fc{k}"] = nir.Linear(weight=rng.normal(0, 1, (b, a)).astype(np.float32))
        nodes[f"lif{k}"] = nir.LIF(tau=np.full(b, 1e-3), r=np.ones(b), v_leak=np.zeros(b),
                                   v_threshold=np.ones(b), v_reset=np.zeros(b))
        edges += [(prev, f"fc{k}"), (f"fc{k}", f"lif{k}")]
        prev = f"lif{k}"
    nodes["out"] = nir.Output(np.array([sizes[-1]]))
    edges.append((prev, "out"))
    return nir.NIRGraph(nodes=nodes, edges=edges)


# ---- semantics ----------------------------------------------------------------------


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(sim_graphs())
def test_fuse_and_partition_change_no_output(case):
    """group-layers and partition leave the plan as it was (bitwise equal outputs);
    fuse-synapses merges weights, so float64 rounding may differ (relative 1e-12)."""
    graph, n_in = case
    x = spikes(np.random.default_rng(0), 12, 2, n_in)
    before = simulate(graph, x, dtype="float64", engine="reference")
    grouped = apply(import_graph(graph), "discretize,group-layers,"
                    "partition{target=generic neurons-per-core=4}")
    grouped = parse_module(print_module(grouped))  # the printed IR carries everything
    fused = apply(import_graph(graph), "discretize,fuse,partition{target=generic neurons-per-core=4}")
    after = simulate(grouped, x, dtype="float64", engine="reference")
    after_fuse = simulate(fused, x, dtype="float64", engine="reference")
    for key in before:
        assert np.array_equal(before[key], after[key]), key
        np.testing.assert_allclose(after_fuse[key], before[key], rtol=1e-12, atol=1e-12)


# ---- placement ------------------------------------------------------------------------


def _check_placement(module, neurons_per_core: int, cores: int) -> dict:
    plan = core_plan(module)
    assert plan["cores_used"] == len(plan["cores"]) <= cores
    for core in plan["cores"]:
        assert core["neurons"] <= neurons_per_core
    seen: dict[str, list[tuple[int, int]]] = {}
    for core in plan["cores"]:
        for s in core["slices"]:
            seen.setdefault(s["layer"], []).append((s["start"], s["stop"]))
    from nirc.passes.partition import layer_ops

    for layer in layer_ops(module):
        size = int(np.prod(layer.outputs[0].type.get_shape()))
        covered = np.zeros(size, int)
        for start, stop in seen[layer.layer_name]:
            covered[start:stop] += 1
        assert covered.tolist() == [1] * size, layer.layer_name  # each neuron on one core
    return plan


def test_mlp_spreads_over_the_lower_bound_of_cores():
    # 100 + 60 + 10 neurons on 64-neuron cores: ceil(170 / 64) = 3 cores at least
    module = apply(import_graph(_mlp([20, 100, 60, 10])),
                   "discretize,fuse,partition{target=generic neurons-per-core=64 cores=8}")
    plan = _check_placement(module, 64, 8)
    assert plan["lower_bound_cores"] == 3
    assert plan["cores_used"] >= 3


def test_synapse_memory_limits_cores():
    # fc0 is 100 x 20: 20 entries per neuron; with 500 entries per core, at most 25
    # neurons of lif0 fit a core, so lif0 alone needs ceil(100 / 25) = 4 cores
    module = apply(import_graph(_mlp([20, 100, 10])),
                   "discretize,fuse,partition{target=generic neurons-per-core=256 "
                   "synapses-per-core=1000 cores=16}")
    plan = _check_placement(module, 256, 16)
    for core in plan["cores"]:
        assert core["synapses"] <= 1000
    lif0 = [c for c in plan["cores"] if any(s["layer"] == "lif0" for s in c["slices"])]
    assert len(lif0) >= 2  # 100 x 20 = 2000 entries cannot share one 1000-entry core


def test_network_that_does_not_fit_names_the_resource():
    module = import_graph(_mlp([20, 100, 10]))
    with pytest.raises(NircError) as e:
        apply(module, "discretize,fuse,partition{target=generic neurons-per-core=16 cores=2}")
    text = str(e.value)
    assert "2" in text and "cores" in text


def test_partition_needs_layers():
    module = import_graph(_mlp([4, 3]))
    with pytest.raises(NircError, match="run .fuse. first"):
        apply(module, "discretize,partition")


# ---- target interface -----------------------------------------------------------------


def test_target_specs():
    generic = make_target("generic{cores=8 neurons-per-core=32 multicast=false}")
    model = generic.resources()
    assert (model.cores, model.neurons_per_core, model.multicast) == (8, 32, False)
    assert make_target("interp").resources() is None
    for bad, needle in [("nope", "unknown target"), ("generic{cores=-1}", "must be >= 1, got -1"),
                        ("generic{size=3}", "no option 'size'"), ("generic{", "invalid target")]:
        with pytest.raises(NircError, match=needle):
            make_target(bad)


def test_interp_target_output_runs_like_the_graph(examples, tmp_path):
    result = run("compile", str(examples["srnn"]), "--target", "interp", "-o", str(tmp_path),
                 "--dt", "2e-4", "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["options"]["dt"] == 2e-4 and report["target"] == "interp"
    x = spikes(np.random.default_rng(3), 50, 2, 12)
    compiled = simulate(str(tmp_path / "srnn.mlir"), x, dtype="float64")
    direct = simulate(str(examples["srnn"]), x, dtype="float64", dt=2e-4)
    assert np.array_equal(compiled["output"], direct["output"])


def test_generic_target_writes_ir_and_core_plan(examples, tmp_path):
    result = run("compile", str(examples["srnn"]), "--target", "generic{neurons-per-core=16}",
                 "-o", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["srnn.cores.json", "srnn.mlir"]
    plan = json.loads((tmp_path / "srnn.cores.json").read_text())
    assert plan["cores_used"] == len(plan["cores"]) >= 3  # 38 + 7 neurons, 16 per core
    assert "core" in result.output and "cores" in result.output  # the human report
    module = parse_module((tmp_path / "srnn.mlir").read_text())
    assert core_plan(module)["cores"] == plan["cores"]


def test_generic_bias_correction_on_the_users_calibration_input(examples, tmp_path):
    calibration = tmp_path / "calib.x.npy"  # dots and slashes: a quoted string in the spec
    np.save(calibration, spikes(np.random.default_rng(4), 100, 2, 12))
    spec = f'generic{{neurons-per-core=16 bias-correction=true calibration-input="{calibration}"}}'
    out = tmp_path / "out"
    result = run("compile", str(examples["srnn"]), "--target", spec, "-o", str(out),
                 "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert f'calibration-input="{calibration}"' in report["target"]
    assert make_target(report["target"]).options["calibration-input"] == str(calibration)
    module = parse_module((out / "srnn.mlir").read_text())
    layers = [o for o in module.walk() if o.name == "snn.layer"]
    assert [l.quant.data["bias_correction"].data for l in layers] == ["calibrated"] * 2
    missing = tmp_path / "none.npy"
    result = run("compile", str(examples["srnn"]), "--target",
                 f'generic{{bias-correction=true calibration-input="{missing}"}}',
                 "-o", str(tmp_path / "out2"))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"{missing}: no such file" in result.output
    assert not (tmp_path / "out2").exists()


def test_compile_module_reports_options_and_pipeline(examples):
    from nirc.loading import load_module

    result = compile_module(load_module(str(examples["srnn"])), "srnn.nir",
                            "generic", {"method": "exact"})
    assert result.report["options"]["method"] == "exact"
    assert result.pipeline[1] == "discretize{method=exact}"
    assert result.report["partition"]["cores_used"] >= 1


def test_print_pipeline_and_ir_after_all(examples, tmp_path):
    result = run("compile", str(examples["srnn"]), "-t", "generic{cores=4}", "--dt", "1e-3",
                 "--print-pipeline")
    assert result.exit_code == 0
    assert result.output.startswith("flatten-subgraphs,discretize{dt=0.001},fuse,quantize{")
    result = run("compile", str(examples["srnn"]), "-t", "generic", "-o", str(tmp_path),
                 "--print-ir-after-all")
    assert result.exit_code == 0
    dumps = [line for line in result.stderr.splitlines() if "IR Dump After" in line]
    assert [d.split()[5] for d in dumps] == ["flatten-subgraphs", "discretize", "fuse", "quantize",
                                             "partition"]


def test_errors_leave_no_output(examples, tmp_path):
    out = tmp_path / "out"
    result = run("compile", str(examples["srnn"]), "-t", "generic{neurons-per-core=4 cores=2}",
                 "-o", str(out), "--report", str(tmp_path / "r.json"))
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "srnn.nir" in lines[0]
    assert not out.exists() and not (tmp_path / "r.json").exists()
    result = run("compile", str(examples["srnn"]), "-t", "generic{bogus=1}", "-o", str(out))
    assert result.exit_code == 2 and "no option 'bogus'" in result.stderr
    assert not out.exists()
