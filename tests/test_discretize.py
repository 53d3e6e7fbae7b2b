"""Tests of the ``discretize`` pass and the ``snn`` ops it produces.

Expected numbers come from hand calculations (dt/tau = 0.1 gives an Euler decay of
0.9), from the continuous-time solutions written out here (the exponential step
response, semantics.md's update equations), or from the NIR paper's published
traces; never from the code under test.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import nir
import numpy as np
import pytest
from click.testing import CliRunner
from xdsl.dialects.builtin import FloatAttr, StringAttr

from nirc.cli import main
from nirc.diagnostics import NircError
from nirc.dialects import snn
from nirc.importer import import_graph
from nirc.ir_text import parse_module, print_module
from nirc.loading import load_module
from nirc.opt import build_pipeline
from nirc.passes.discretize import (
    Discretize,
    DiscretizeOptions,
    DiscretizeWarning,
    discretize_module,
    recorded_options,
    resolve_options,
)

DT = 1e-4
PAPER = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "nir-paper"


# ---- helpers ----------------------------------------------------------------------------
def module_of(node, shape=(3,)):
    """A module Input -> node -> Output (imported and verified)."""
    graph = nir.NIRGraph(nodes={"x": nir.Input(np.array(shape)), "n": node,
                                "y": nir.Output(np.array(shape))},
                         edges=[("x", "n"), ("n", "y")], type_check=False)
    module = import_graph(graph)
    module.verify()
    return module


def lower(node, shape=(3,), **options):
    """The snn op that ``node`` becomes; the module verifies after the pass."""
    module = module_of(node, shape)
    discretize_module(module, **options)
    module.verify()
    ops = [op for op in module.walk() if isinstance(op, snn.SnnNodeOp)]
    assert len(ops) == 1
    return ops[0]


def coeff(op, field):
    values = op.array(field)
    assert values.dtype == (np.int64 if field == "steps" else np.float64), field
    assert values.shape == op.output_shape, field
    return np.asarray(values)


def f64(*values):
    return np.array(values, dtype=np.float64)


def full(value, n):
    return np.broadcast_to(np.asarray(value, np.float64), (n,)).copy()


def lif(tau=1e-3, r=1.0, v_leak=0.0, thr=1.0, reset=0.0, n=3):
    return nir.LIF(tau=full(tau, n), r=full(r, n), v_leak=full(v_leak, n),
                   v_threshold=full(thr, n), v_reset=full(reset, n))


def cuba(tau_syn=5e-4, tau_mem=2e-3, r=1.0, v_leak=0.0, w_in=2.0, spiking=False, n=3):
    kw = {k: full(v, n) for k, v in dict(tau_syn=tau_syn, tau_mem=tau_mem, r=r, v_leak=v_leak,
                                          w_in=w_in).items()}
    if spiking:
        return nir.CubaLIF(**kw, v_threshold=full(1.0, n), v_reset=full(0.0, n))
    return nir.CubaLI(**kw)


# ---- LI / LIF ---------------------------------------------------------------------------
@pytest.mark.parametrize("spiking", [False, True])
def test_li_lif_euler_hand_values(spiking):
    # dt/tau = 1e-4/1e-3 = 0.1: decay 0.9, gain 0.1*r, bias 0.1*v_leak
    node = lif(r=[1.0, 2.0, 3.0], v_leak=[0.5, 0.0, -1.0])
    if not spiking:
        node = nir.LI(tau=node.tau, r=node.r, v_leak=node.v_leak)
    op = lower(node)
    assert isinstance(op, snn.LIFOp if spiking else snn.LIOp)
    np.testing.assert_allclose(coeff(op, "v_decay"), [0.9] * 3, rtol=1e-15)
    np.testing.assert_allclose(coeff(op, "v_gain"), [0.1, 0.2, 0.3], rtol=1e-15)
    np.testing.assert_allclose(coeff(op, "v_bias"), [0.05, 0.0, -0.1], rtol=1e-15)
    np.testing.assert_array_equal(coeff(op, "v_init"), [0.0] * 3)
    if spiking:
        np.testing.assert_array_equal(coeff(op, "v_threshold"), [1.0] * 3)
        assert op.string("reset") == "value"


def test_lif_exact_hand_value():
    # e^-0.1 = 1 - 0.1 + 0.005 - 0.000166667 + 0.0000041667 - ... = 0.904837418035959573
    op = lower(lif(r=2.0), method="exact")
    np.testing.assert_allclose(coeff(op, "v_decay"), 0.904837418035959573, rtol=1e-15)
    np.testing.assert_allclose(coeff(op, "v_gain"), 2 * 0.095162581964040427, rtol=1e-13)


@pytest.mark.parametrize("method", ["euler", "exact"])
def test_lif_step_is_semantics_md_equation(method):
    """One step from random states equals the update written in semantics.md."""
    rng = np.random.default_rng(1)
    tau, r, v_leak = f64(1e-3, 2e-3, 5e-3), f64(1.0, 0.5, 3.0), f64(0.0, 0.2, -0.4)
    op = lower(lif(tau=tau, r=r, v_leak=v_leak, thr=1e9), method=method)
    v_prev, x = rng.standard_normal(3), rng.standard_normal(3)
    got = coeff(op, "v_decay") * v_prev + coeff(op, "v_gain") * x + coeff(op, "v_bias")
    if method == "euler":  # v[t] = v[t-1] + dt/tau * (v_leak - v[t-1] + R*x[t])
        want = v_prev + DT / tau * (v_leak - v_prev + r * x)
    else:  # v[t] = v_leak + R*x[t] + (v[t-1] - v_leak - R*x[t]) * exp(-dt/tau)
        want = v_leak + r * x + (v_prev - v_leak - r * x) * np.exp(-DT / tau)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


def test_li_exact_follows_the_analytic_step_response():
    """Constant input: v(t) = v_leak + R x + (v0 - v_leak - R x) e^{-t/tau}, exactly at t = n dt."""
    tau, r, v_leak, x = 2.5e-3, 1.5, 0.3, 0.8
    op = lower(nir.LI(tau=f64(tau), r=f64(r), v_leak=f64(v_leak)), shape=(1,),
               method="exact", v_init="leak")
    d, g, b, v = (coeff(op, f)[0] for f in ("v_decay", "v_gain", "v_bias", "v_init"))
    v0 = v_leak  # v_init="leak"
    assert v == v0
    for n in range(1, 201):
        v = d * v + g * x + b
        analytic = v_leak + r * x + (v0 - v_leak - r * x) * math.exp(-n * DT / tau)
        assert v == pytest.approx(analytic, rel=1e-12)


# ---- CubaLI / CubaLIF -------------------------------------------------------------------
@pytest.mark.parametrize("spiking", [False, True])
def test_cuba_euler_hand_values(spiking):
    # dt/tau_syn = 0.2: i_decay 0.8, i_gain 0.2*w_in = 0.4; dt/tau_mem = 0.05: v_decay 0.95
    op = lower(cuba(v_leak=-1.0, spiking=spiking), current="previous")
    assert isinstance(op, snn.CubaLIFOp if spiking else snn.CubaLIOp)
    for field, want in (("i_decay", 0.8), ("i_gain", 0.4), ("v_decay", 0.95),
                        ("v_gain", 0.05), ("v_bias", -0.05)):
        np.testing.assert_allclose(coeff(op, field), [want] * 3, rtol=1e-14, err_msg=field)
    assert op.string("current") == "previous"
    assert (op.string("reset") == "value") if spiking else ("reset" not in op.properties)


def test_cuba_exact_hand_values():
    # e^-0.2 = 0.818730753077981859, e^-0.05 = 0.951229424500714009
    op = lower(cuba(v_leak=-1.0, spiking=True), method="exact", reset="subtract")
    for field, want in (("i_decay", 0.818730753077981859), ("i_gain", 2 * 0.181269246922018141),
                        ("v_decay", 0.951229424500714009), ("v_gain", 0.048770575499285991),
                        ("v_bias", -0.048770575499285991)):
        np.testing.assert_allclose(coeff(op, field), [want] * 3, rtol=1e-13, err_msg=field)
    assert op.string("reset") == "subtract" and op.string("current") == "new"


def test_cuba_exact_current_follows_the_analytic_solution():
    """tau_syn dI/dt = -I + w_in x with constant x: I(t) = w_in x (1 - e^{-t/tau_syn})."""
    tau_syn, w_in, x = 5e-4, 2.0, 0.7
    op = lower(cuba(tau_syn=tau_syn, w_in=w_in, n=1), shape=(1,), method="exact")
    d, g, i = coeff(op, "i_decay")[0], coeff(op, "i_gain")[0], 0.0
    for n in range(1, 101):
        i = d * i + g * x
        assert i == pytest.approx(w_in * x * (1 - math.exp(-n * DT / tau_syn)), rel=1e-12)


# ---- I / IF / Threshold -----------------------------------------------------------------
@pytest.mark.parametrize("dt", [1e-4, 1e-2])
def test_i_if_gain_is_r_whatever_dt(dt):
    r = f64(0.5, 1.5, 2.0)
    op_i = lower(nir.I(r=r), dt=dt, v_init="leak")
    op_if = lower(nir.IF(r=r, v_threshold=f64(1, 2, 3), v_reset=f64(0, -1, 0)), dt=dt,
                  reset="subtract", v_init="leak")
    for op in (op_i, op_if):
        np.testing.assert_array_equal(coeff(op, "v_gain"), [0.5, 1.5, 2.0])
        np.testing.assert_array_equal(coeff(op, "v_init"), [0.0, 0.0, 0.0])  # leak is 0 for I/IF
    np.testing.assert_array_equal(coeff(op_if, "v_reset"), [0.0, -1.0, 0.0])
    assert op_if.string("reset") == "subtract"


def test_threshold_copied_as_float64():
    op = lower(nir.Threshold(threshold=np.array([0.5, 0.25, -1.0], np.float32)))
    assert isinstance(op, snn.ThresholdOp)
    np.testing.assert_array_equal(coeff(op, "threshold"), [0.5, 0.25, -1.0])


# ---- dtypes and shapes ------------------------------------------------------------------
def test_float32_parameters_are_used_at_their_exact_value():
    tau32 = np.float32(1e-3)  # 0.0010000000474974513 as a float64
    op = lower(nir.LI(tau=np.full(3, tau32), r=np.ones(3, np.float32),
                      v_leak=np.zeros(3, np.float32)))
    assert coeff(op, "v_decay")[0] == 1.0 - 1e-4 / 0.0010000000474974513


def test_zero_d_parameters_are_materialized_to_the_neuron_shape():
    # the nir dialect lets parameter arrays broadcast (nir.LIF itself asserts one shape)
    module = parse_module("""nir.graph {
      %x = nir.input "x" : tensor<3xf32>
      %n = nir.lif "n" (%x) {tau = dense<1.0e-3> : tensor<f64>,
        r = dense<[1.0, 2.0, 3.0]> : tensor<3xf64>, v_leak = dense<0.5> : tensor<f64>,
        v_threshold = dense<1.0> : tensor<f32>, v_reset = dense<0.0> : tensor<f64>}
        : tensor<3xf32> -> tensor<3xf32>
    }""")
    module.verify()
    discretize_module(module, v_init="leak")
    module.verify()
    (op,) = [op for op in module.walk() if isinstance(op, snn.LIFOp)]
    for field in snn.LIFOp.FIELDS:
        assert coeff(op, field).shape == (3,)
    np.testing.assert_allclose(coeff(op, "v_decay"), [0.9] * 3, rtol=1e-15)
    np.testing.assert_array_equal(coeff(op, "v_init"), [0.5] * 3)
    np.testing.assert_array_equal(coeff(op, "v_threshold"), [1.0] * 3)


def test_v_init_leak_and_zero():
    node = lif(v_leak=[-0.1, 0.2, 0.0])
    np.testing.assert_array_equal(coeff(lower(node, v_init="leak"), "v_init"), [-0.1, 0.2, 0.0])
    np.testing.assert_array_equal(coeff(lower(node), "v_init"), [0.0, 0.0, 0.0])


# ---- delays -----------------------------------------------------------------------------
def test_delay_steps():
    op = lower(nir.Delay(delay=f64(0.0, 3e-4, 1e-3)))
    assert isinstance(op, snn.DelayOp)
    np.testing.assert_array_equal(coeff(op, "steps"), [0, 3, 10])
    # float32 1e-4 is 0.99999997 steps: within 1e-6 of one step
    op = lower(nir.Delay(delay=np.full(3, 1e-4, np.float32)))
    np.testing.assert_array_equal(coeff(op, "steps"), [1, 1, 1])


def test_delay_not_a_whole_number_of_steps_is_an_error():
    with pytest.raises(NircError) as info:
        lower(nir.Delay(delay=f64(1e-4, 1.5e-4, 2e-4)))
    e = info.value
    assert (e.node, e.field) == ("n", "delay")
    assert "0.00015 s is 1.5 steps of dt=0.0001 s" in e.message
    assert "round-delays=true" in e.message


def test_delay_rounding_when_allowed():
    op = lower(nir.Delay(delay=f64(1.4e-4, 1.6e-4, 4.2e-3)), round_delays=True)
    np.testing.assert_array_equal(coeff(op, "steps"), [1, 2, 42])


# ---- options and diagnostics ------------------------------------------------------------
@pytest.mark.parametrize("options, needle", [
    (dict(dt=0.0), "option dt must be a finite number of seconds > 0, found 0.0"),
    (dict(dt=-1e-4), "found -0.0001"),
    (dict(dt=math.nan), "found nan"),
    (dict(dt=math.inf), "found inf"),
    (dict(dt="soon"), "option dt must be a number of seconds, found 'soon'"),
    (dict(dt=True), "option dt"),
    (dict(method="rk4"), "option method must be one of euler, exact, exp-euler, found 'rk4'"),
    (dict(reset="zero"), "option reset must be one of value, subtract"),
    (dict(v_init="rest"), "option v_init must be one of zero, leak"),
    (dict(current="next"), "option current must be one of new, previous"),
])
def test_invalid_options(options, needle):
    with pytest.raises(NircError) as info:
        discretize_module(module_of(lif()), **options)
    assert needle in str(info.value)
    with pytest.raises(NircError):
        DiscretizeOptions(**options).validate()


def test_euler_with_dt_above_tau_warns_and_exact_does_not():
    warning = r"node 'n' \(LIF\), field 'tau': dt=0.002 s > tau=0.001 s"
    with pytest.warns(DiscretizeWarning, match=warning):
        op = lower(lif(), dt=2e-3)
    np.testing.assert_allclose(coeff(op, "v_decay"), [-1.0] * 3)  # 1 - 2e-3/1e-3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lower(lif(), dt=2e-3, method="exact")
        lower(lif(), dt=1e-3)  # dt = tau: decay 0, no warning


def test_module_records_the_options():
    module = module_of(lif())
    discretize_module(module, dt=2e-4, method="exact", reset="subtract", v_init="leak",
                      current="previous")
    dt = module.attributes["nirc.dt"]
    assert isinstance(dt, FloatAttr) and dt.value.data == 2e-4 and str(dt.type) == "f64"
    assert module.attributes["nirc.method"] == StringAttr("exact")
    assert recorded_options(module) == {"dt": 2e-4, "method": "exact", "reset": "subtract",
                                        "v_init": "leak", "current": "previous"}
    assert recorded_options(module_of(lif())) is None


def test_discretizing_twice():
    module = module_of(lif())
    discretize_module(module, method="exact")
    once = print_module(module)
    discretize_module(module, method="exact")  # same options: nothing to do
    assert print_module(module) == once
    with pytest.raises(NircError, match="module already discretized with dt=0.0001 method=exact"):
        discretize_module(module, method="euler")


def test_other_ops_nested_graphs_names_and_metadata():
    li = nir.LI(tau=np.full(3, 1e-3), r=np.ones(3), v_leak=np.zeros(3))
    inner = nir.NIRGraph(nodes={"in": nir.Input(np.array([3])), "li": li,
                                "out": nir.Output(np.array([3]))},
                         edges=[("in", "li"), ("li", "out")], type_check=False)
    node = lif()
    node.metadata = {"note": "kept"}
    graph = nir.NIRGraph(
        nodes={"x": nir.Input(np.array([3])), "s": nir.Scale(scale=np.ones(3, np.float32)),
               "l": node, "sub": inner, "y": nir.Output(np.array([3]))},
        edges=[("x", "s"), ("s", "l"), ("l", "l"), ("l", "sub"), ("sub", "y")], type_check=False)
    module = import_graph(graph)
    discretize_module(module)
    module.verify()
    kinds = {op.node_name.data: op.name for op in module.walk() if hasattr(op, "NIR_TYPE")
             and op.properties.get("node_name") is not None}
    assert kinds == {"x": "nir.input", "s": "nir.scale", "l": "snn.lif", "sub": "nir.graph",
                     "in": "nir.input", "li": "snn.li", "out": "nir.output", "y": "nir.output"}
    (l_op,) = [op for op in module.walk() if isinstance(op, snn.LIFOp)]
    assert l_op.metadata.data["note"] == StringAttr("kept")
    assert [o.owner.node_name.data for o in l_op.operands] == ["s", "l"]  # self-loop kept
    (li_op,) = [op for op in module.walk() if isinstance(op, snn.LIOp)]
    assert li_op.label == "'sub.li' (snn.li)"


def test_print_parse_roundtrip_of_a_discretized_module():
    module = module_of(nir.CubaLIF(
        tau_syn=f64(3e-4, 7e-4, 1.3e-3), tau_mem=f64(1e-3, 2.2e-3, 9e-3), r=f64(1, 2, 3),
        v_leak=f64(0.1, 0, -0.1), v_threshold=f64(1, 1, 1), v_reset=f64(0, 0, 0),
        w_in=f64(1, 0.5, 2)))
    discretize_module(module, method="exact", v_init="leak")
    for generic in (False, True):
        text = print_module(module, generic=generic)
        again = parse_module(text)
        again.verify()
        assert again.is_structurally_equivalent(module)
        assert print_module(again, generic=generic) == text


# ---- pipelines and the CLI --------------------------------------------------------------
def test_pipeline_option_spellings():
    (p,) = build_pipeline("discretize{dt=1e-4 method=exact v-init=leak round-delays=true}").passes
    assert isinstance(p, Discretize)
    assert (p.dt, p.method, p.v_init, p.round_delays) == ("1e-4", "exact", "leak", True)
    assert DiscretizeOptions(dt=p.dt).validate().dt == 1e-4  # the lexer hands 1e-4 over as text
    spec = "discretize{dt=2.5e-3 reset=subtract current=previous v_init=zero}"
    (p,) = build_pipeline(spec).passes
    assert (p.dt, p.reset, p.current, p.v_init) == (2.5e-3, "subtract", "previous", "zero")
    (p,) = build_pipeline("discretize").passes
    assert (p.dt, p.method, p.reset, p.v_init, p.current, p.round_delays) == (None,) * 6
    o = resolve_options()  # options left out: nirc's documented defaults
    assert (o.dt, o.method, o.reset, o.v_init, o.current, o.round_delays) == \
        (1e-4, "euler", "value", "zero", "new", False)


@pytest.fixture
def lif_file(tmp_path):
    path = tmp_path / "lif.mlir"
    path.write_text(print_module(module_of(lif())))
    return path


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def test_cli_discretizes(lif_file):
    result = run("opt", str(lif_file), "-p", "discretize{dt=1e-4 method=exact}")
    assert result.exit_code == 0, result.stderr
    assert 'snn.lif "n" (%x) {v_decay = dense<0.904837418035959' in result.stdout
    assert 'nirc.dt = 1.000000e-04 : f64, nirc.method = "exact"' in result.stdout
    assert result.stderr == ""


@pytest.mark.parametrize("spec, code, needle", [
    ("discretize{dt=0}", 1, "discretize: option dt must be a finite number of seconds > 0"),
    ("discretize{method=rk4}", 1, "option method must be one of euler, exact"),
    ("discretize{dt=1e-4 bogus=1}", 2, "invalid pass pipeline"),
    ("discretize{dt=}", 2, "invalid pass pipeline"),
])
def test_cli_errors(lif_file, spec, code, needle):
    result = run("opt", str(lif_file), "-p", spec)
    assert result.exit_code == code
    if code == 1:
        assert result.stderr.splitlines() == [result.stderr.strip()]
        assert result.stderr.startswith(f"error: {lif_file}: ")
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_warning_is_one_line(lif_file):
    result = run("opt", str(lif_file), "-p", "discretize{dt=2.0e-3}")
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"warning: {lif_file}: discretize: node 'n' (LIF), field 'tau': dt=0.002 s > tau=0.001 s, "
        "so forward Euler gives a negative decay -1 (oscillating; unstable beyond dt = 2*tau); "
        "use method=exact or a smaller dt"]


# ---- the NIR paper's LIF traces ---------------------------------------------------------
def simulate_lif(op, inputs, reset):
    """The snn.lif update of its docstring, written out for one neuron."""
    c = {f: coeff(op, f)[0] for f in op.FIELDS}
    v, trace, spikes = c["v_init"], [], []
    for x in inputs:
        u = c["v_decay"] * v + c["v_gain"] * x + c["v_bias"]
        s = u > c["v_threshold"]
        v = (c["v_reset"] if reset == "value" else u - c["v_threshold"]) if s else u
        trace.append(v)
        spikes.append(s)
    return np.array(trace), np.flatnonzero(spikes)


@pytest.mark.skipif(not (PAPER / "lif_norse.nir").exists(), reason="../shared/conformance absent")
@pytest.mark.parametrize("method, reset, csv, v_tol", [
    ("euler", "value", "lif_norse.csv", 1e-7),  # Norse: forward Euler, reset to value
    ("exact", "subtract", "lif_exact.csv", None),  # analytic: same spike steps
])
def test_paper_lif_traces(method, reset, csv, v_tol):
    module = load_module(str(PAPER / "lif_norse.nir"))
    discretize_module(module, method=method, reset=reset)
    (op,) = [op for op in module.walk() if isinstance(op, snn.LIFOp)]
    data = np.loadtxt(PAPER / csv, delimiter=",")
    v, spikes = simulate_lif(op, data[:, 0], reset)  # the Affine in front has w = 1, b = 0
    assert spikes.tolist() == [460, 510, 710, 760]
    assert np.flatnonzero(data[:, 2]).tolist() == [460, 510, 710, 760]
    if v_tol is not None:
        np.testing.assert_allclose(v, data[:, 1], atol=v_tol)
