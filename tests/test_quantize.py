"""``quantize`` and the integer neuron ``qsnn.neuron``, against hand-derived numbers.

Every expected value below is derived in the comments from the documented equations
(passes/quantize.py and dialects/qsnn.py module docstrings), not from the code's output.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from nirc.diagnostics import NircError
from nirc.dialects.nir import LinearOp
from nirc.dialects.qsnn import NeuronOp
from nirc.dialects.snn_layer import LayerOp
from nirc.ir_text import make_context, parse_module
from nirc.opt import build_pipeline
from nirc.targets.interp import reference
from nirc.targets.interp.api import simulate
from nirc.targets.interp.plan import make_plan


def apply(module, spec: str):
    build_pipeline(spec).apply(make_context(), module)
    module.verify()
    return module


def ops(module, kind) -> list:
    return [o for o in module.walk() if isinstance(o, kind)]


def lif_layer(weight: str, n: int = 2, m: int = 2, tau: str = "4.0e-4", r: str = "4.0",
              v_threshold: str = "1.0") -> str:
    """x (m) -> Linear fc -> LIF n; with dt = 1e-4, tau = 4e-4, r = 4 (forward Euler):
    v_decay = 1 - dt/tau = 0.75, v_gain = dt/tau * r = 1.0."""
    return f"""builtin.module {{
  nir.graph {{
    %x = nir.input "x" : tensor<{m}xf32>
    %fc = nir.linear "fc" (%x) {{weight = dense<{weight}> : tensor<{n}x{m}xf32>}} : tensor<{m}xf32> -> tensor<{n}xf32>
    %n = nir.lif "n" (%fc) {{tau = dense<{tau}> : tensor<{n}xf64>, r = dense<{r}> : tensor<{n}xf64>, v_leak = dense<0.0> : tensor<{n}xf64>, v_threshold = dense<{v_threshold}> : tensor<{n}xf64>, v_reset = dense<0.0> : tensor<{n}xf64>}} : tensor<{n}xf32> -> tensor<{n}xf32>
    nir.output "y" (%n) : tensor<{n}xf32>
  }}
}}"""


QUANT = "discretize{dt=1.0e-4},fuse,quantize{check-steps=0"


def quantized(text: str, options: str = ""):
    module = apply(parse_module(text), QUANT + (" " + options if options else "") + "}")
    (layer,) = ops(module, LayerOp)
    (fc,) = ops(module, LinearOp)
    (neuron,) = ops(module, NeuronOp)
    return module, layer, fc, neuron


W2 = "[[0.4, -0.3], [1.0, 0.1]]"


def test_single_layer_per_channel():
    _, layer, fc, n = quantized(lif_layer(W2))
    # symmetric per-channel, 8 bits: q_n = max|W[n,:]| / 127.
    #   row 0: q0 = 0.4/127: 0.4/q0 = 127, -0.3/q0 = -0.3*127/0.4 = -95.25 -> -95
    #   row 1: q1 = 1.0/127: 127, 0.1*127 = 12.7 -> 13
    assert fc.array("weight").dtype == np.int8
    assert fc.array("weight").tolist() == [[127, -95], [127, 13]]
    # thresholds fit: limit = 2**(16-3) = 8192 >= 1/(g q) = 317.5, so q is kept.
    # shift: top = max(1/q0, 1/q1) = 317.5; largest s with 317.5 * 2**s <= 8192: s = 4
    # (317.5*16 = 5080, 317.5*32 = 10160).  unit_n = g q_n / 16; threshold = 1/unit_n:
    #   16 * 127 / 0.4 = 5080, 16 * 127 = 2032
    assert n.bits("input_shift") == 4
    assert n.array("v_threshold").tolist() == [5080, 2032]
    np.testing.assert_allclose(n.array("unit"), [0.4 / 127 / 16, 1.0 / 127 / 16], rtol=1e-6)
    # v_decay = round(0.75 * 4096) = 3072; LIF: i_decay is the exact 1 = 4096
    assert n.array("v_decay").tolist() == [3072, 3072]
    assert n.array("i_decay").tolist() == [4096, 4096]
    assert n.array("v_reset").tolist() == [0, 0] and n.array("v_bias").tolist() == [0, 0]
    assert n.bits("decay_bits") == 12 and n.bits("state_bits") == 16
    assert (n.string("current"), n.string("reset"), n.string("spiking")) == ("none", "value", "spike")
    assert (n.string("rounding"), n.string("overflow")) == ("floor", "saturate")
    quant = layer.quant.data
    assert quant["granularity"].data == "per-channel" and quant["scheme"].data == "symmetric"


def test_single_layer_per_tensor():
    _, layer, fc, n = quantized(lif_layer(W2), "per-channel=false")
    # one q for the layer: max|W| / 127 = 1/127: 0.4*127 = 50.8 -> 51, -0.3*127 = -38.1
    # -> -38, 127, 12.7 -> 13.  top = 1/q = 127: s = 6 (127*64 = 8128 <= 8192 < 127*128);
    # threshold = 1 / (q / 64) = 8128 for both neurons; unit = 1/8128.
    assert fc.array("weight").tolist() == [[51, -38], [127, 13]]
    assert n.bits("input_shift") == 6
    assert n.array("v_threshold").tolist() == [8128, 8128]
    np.testing.assert_allclose(n.array("unit"), [1 / 8128, 1 / 8128], rtol=1e-6)
    assert layer.quant.data["granularity"].data == "per-tensor"


def test_per_tensor_keeps_one_scale_when_a_threshold_does_not_fit():
    # thresholds [1, 1000], gain 1: neuron 1 needs q >= 1000 / 8192 = 0.1220703125 (its
    # threshold must fit a quarter of the 16-bit range); per-tensor: one q for the layer,
    # q = max(1/127, 0.1220703125): 0.4/q = 3.28 -> 3, -0.3/q = -2.46 -> -2,
    # 1.0/q = 8.19 -> 8, 0.1/q = 0.82 -> 1
    _, layer, fc, n = quantized(lif_layer(W2, v_threshold="[1.0, 1000.0]"), "per-channel=false")
    assert fc.array("weight").tolist() == [[3, -2], [8, 1]]
    unit = n.array("unit")
    assert unit[0] == unit[1]


def _sqnr(w: np.ndarray, back: np.ndarray) -> float:
    """10 log10(signal / noise) of the dequantized weights, written independently."""
    return float(10 * np.log10(np.sum(w ** 2) / np.sum((w - back) ** 2)))


def test_sqnr_matches_own_computation():
    rng = np.random.default_rng(3)
    w = np.round(rng.normal(0, 1, (5, 4)), 4)
    _, layer, fc, _ = quantized(lif_layer(str(w.tolist()), n=5, m=4))
    w = w.astype(np.float32).astype(np.float64)  # the IR stores f32 weights
    # threshold 1 with gain 1 needs q >= 1/8192, far below max|row|/127 (~0.01): the
    # scale of a row is its max |w| / 127, and Wq = round(w / scale).
    scale = np.abs(w).max(axis=1, keepdims=True) / 127
    wq = fc.array("weight").astype(np.float64)
    np.testing.assert_array_equal(wq, np.rint(w / scale))
    assert np.abs(wq).max(axis=1).tolist() == [127] * 5
    recorded = layer.quant.data["sqnr_db"].value.data
    assert recorded == pytest.approx(_sqnr(w, wq * scale), rel=1e-9)


def test_asymmetric_skewed_row():
    # all-positive rows (skewed): the asymmetric range [0, max] widened to hold 0 gives
    # q = max / (2**4 - 1) = max/15, zero point round(-0/q) = 0, effective integers in
    # 0..15 (the row max maps to 15); symmetric uses max / 7: half the resolution.
    rng = np.random.default_rng(5)
    w = np.round(rng.uniform(0.05, 1.0, (3, 6)), 3)
    text = lif_layer(str(w.tolist()), n=3, m=6)
    _, la, fa, _ = quantized(text, "weight-bits=4 symmetric=false")
    _, ls, fs, _ = quantized(text, "weight-bits=4")
    wa, ws = fa.array("weight"), fs.array("weight")
    assert wa.min() >= 0 and wa.max(axis=1).tolist() == [15] * 3
    assert np.abs(ws).max(axis=1).tolist() == [7] * 3 and ws.min() >= 0
    w = w.astype(np.float32).astype(np.float64)
    top = w.max(axis=1, keepdims=True)
    sqnr_a, sqnr_s = _sqnr(w, wa * top / 15), _sqnr(w, ws * top / 7)
    assert sqnr_a > sqnr_s
    assert la.quant.data["sqnr_db"].value.data == pytest.approx(sqnr_a, rel=1e-9)
    assert ls.quant.data["sqnr_db"].value.data == pytest.approx(sqnr_s, rel=1e-9)
    assert la.quant.data["scheme"].data == "asymmetric"


def test_asymmetric_mixed_sign_range():
    # rows with both signs: q = (max - min)/255, z = round(-min/q); the effective
    # integers e satisfy 0 <= e + z <= 255.
    rng = np.random.default_rng(7)
    w = np.round(rng.normal(0.3, 1.0, (4, 5)), 3)
    _, _, fc, _ = quantized(lif_layer(str(w.tolist()), n=4, m=5), "symmetric=false")
    wf = w.astype(np.float32).astype(np.float64)
    lo, hi = np.minimum(wf.min(axis=1), 0), np.maximum(wf.max(axis=1), 0)
    z = np.rint(-lo / ((hi - lo) / 255))
    e = fc.array("weight").astype(np.int64) + z[:, None].astype(np.int64)
    assert e.min() >= 0 and e.max() <= 255


def _mlp_text(seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    w0, w1 = rng.normal(0.3, 0.5, (8, 12)), rng.normal(0.3, 0.5, (4, 8))
    return f"""builtin.module {{
  nir.graph {{
    %x = nir.input "x" : tensor<12xf32>
    %fc0 = nir.linear "fc0" (%x) {{weight = dense<{np.round(w0, 4).tolist()}> : tensor<8x12xf32>}} : tensor<12xf32> -> tensor<8xf32>
    %l0 = nir.lif "l0" (%fc0) {{tau = dense<4.0e-4> : tensor<8xf64>, r = dense<4.0> : tensor<8xf64>, v_leak = dense<0.0> : tensor<8xf64>, v_threshold = dense<1.0> : tensor<8xf64>, v_reset = dense<0.0> : tensor<8xf64>}} : tensor<8xf32> -> tensor<8xf32>
    %fc1 = nir.linear "fc1" (%l0) {{weight = dense<{np.round(w1, 4).tolist()}> : tensor<4x8xf32>}} : tensor<8xf32> -> tensor<4xf32>
    %l1 = nir.lif "l1" (%fc1) {{tau = dense<4.0e-4> : tensor<4xf64>, r = dense<4.0> : tensor<4xf64>, v_leak = dense<0.0> : tensor<4xf64>, v_threshold = dense<1.0> : tensor<4xf64>, v_reset = dense<0.0> : tensor<4xf64>}} : tensor<4xf32> -> tensor<4xf32>
    nir.output "y" (%l1) : tensor<4xf32>
  }}
}}"""


def _agreements(options: str) -> dict[str, float]:
    module = apply(parse_module(_mlp_text()), "discretize{dt=1.0e-4},fuse,quantize{check-steps=100 "
                   f"check-rate=0.3 {options}}}")
    return {l.layer_name: l.quant.data["agreement"].value.data for l in ops(module, LayerOp)}


def test_agreement_high_and_low_precision():
    fine = _agreements("weight-bits=16 state-bits=32 threshold-bits=32")
    coarse = _agreements("weight-bits=2")
    assert set(fine) == {"l0", "l1"}
    assert all(a >= 0.99 for a in fine.values()), fine
    assert min(coarse.values()) < min(fine.values()), (coarse, fine)


# ---- bias correction ----------------------------------------------------------------------

BIAS_CORRECTION = "bias-correction=true check-rate=1.0"  # calibration input: all ones, m = 1


def test_bias_correction_by_hand():
    _, layer, fc, n = quantized(lif_layer(W2), BIAS_CORRECTION)
    # weights as in test_single_layer_per_channel: rows [127, -95.25] -> [127, -95] and
    # [127, 12.7] -> [127, 13].  Input mean m = [1, 1]; drift (weight LSBs) = W m / q -
    # Wq m: row 0 (127 - 95.25) - (127 - 95) = -0.25, row 1 (127 + 12.7) - (127 + 13) =
    # -0.3; shift s = 4: v_bias = round([-0.25, -0.3] * 16) = round([-4, -4.8]) = [-4, -5]
    assert fc.array("weight").tolist() == [[127, -95], [127, 13]]
    assert n.bits("input_shift") == 4
    assert n.array("v_bias").tolist() == [-4, -5]
    assert layer.quant.data["bias_correction"].data == "calibrated"
    _, plain_layer, _, plain = quantized(lif_layer(W2))
    assert plain.array("v_bias").tolist() == [0, 0]
    assert "bias_correction" not in plain_layer.quant.data


def _cuba_module(tau_syn: float, w_in: float = 1.0):
    """x (2) -> Linear W2 -> CubaLIF with v_gain 1 (r = tau_mem/dt) and i_gain w_in."""
    import nir

    from nirc.importer import import_graph

    cuba = nir.CubaLIF(tau_syn=np.full(2, tau_syn), tau_mem=np.full(2, 4e-4), r=np.full(2, 4.0),
                       v_leak=np.zeros(2), v_threshold=np.ones(2), v_reset=np.zeros(2),
                       w_in=np.full(2, w_in))
    graph = nir.NIRGraph.from_list(nir.Input(np.array([2])), nir.Linear(np.array(json.loads(W2))),
                                   cuba, nir.Output(np.array([2])))
    return import_graph(graph)


def test_bias_correction_calibrates_on_the_users_input(tmp_path):
    # input 0 always on, input 1 never: m = [1, 0]; drift = W m / q - Wq m = 127 - 127 = 0
    # in both rows, so no correction; the same file with both inputs on gives [-4, -5]
    # (test_bias_correction_by_hand)
    one_on = tmp_path / "one.npy"
    np.save(one_on, np.tile([1.0, 0.0], (50, 3, 1)))
    both = tmp_path / "both.npz"
    np.savez(both, x=np.ones((50, 2)))
    for path, expected in ((one_on, [0, 0]), (both, [-4, -5])):
        _, _, _, n = quantized(lif_layer(W2), f'bias-correction=true calibration-input="{path}"')
        assert n.array("v_bias").tolist() == expected, path
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.ones((50, 3)))
    with pytest.raises(NircError, match=r"calibration input: input has shape \(50, 3\)") as err:
        quantized(lif_layer(W2), f'bias-correction=true calibration-input="{wrong}"')
    assert (err.value.file, err.value.node) == (str(wrong), "x")
    with pytest.raises(NircError, match="no such file") as err:
        quantized(lif_layer(W2), f'bias-correction=true calibration-input="{tmp_path / "none.npy"}"')
    assert err.value.file == str(tmp_path / "none.npy")


def test_bias_correction_current_based():
    # tau_syn = 2e-4, dt = 1e-4 (Euler): i_decay = 1 - dt/tau_syn = 0.5.  The per-channel
    # weight scale depends only on W, so Wq and the drift are as in
    # test_bias_correction_by_hand, whatever the gains.  A constant input error d reaches
    # v through I as d / (1 - i_decay) = 2 d: v_bias = round([-0.25, -0.3] * 2**s * 2).
    module = apply(_cuba_module(2e-4), "discretize{dt=1.0e-4},fuse,quantize{check-steps=0 "
                   + BIAS_CORRECTION + "}")
    (fc,) = ops(module, LinearOp)
    (n,) = ops(module, NeuronOp)
    assert fc.array("weight").tolist() == [[127, -95], [127, 13]]
    assert n.array("i_decay").tolist() == [2048, 2048]
    s = n.bits("input_shift")
    assert n.array("v_bias").tolist() == np.rint(np.array([-0.25, -0.3]) * 2 ** s * 2).tolist()


def test_bias_correction_refuses_a_current_that_never_decays():
    # tau_syn = 1e13 s: dt/tau_syn = 1e-17 vanishes next to 1, so i_decay is exactly 1.0
    with pytest.raises(NircError, match=r"bias correction needs i_decay < 1") as err:
        apply(_cuba_module(1e13), "discretize{dt=1.0e-4},fuse,quantize{check-steps=0 "
              + BIAS_CORRECTION + "}")
    assert err.value.field == "i_decay"


def test_bias_correction_needs_a_flat_graph():
    import nir

    from nirc.importer import import_graph

    def if_layer(n_out, n_in):
        return [nir.Linear(np.full((n_out, n_in), 0.3)),
                nir.IF(r=np.ones(n_out), v_threshold=np.ones(n_out), v_reset=np.zeros(n_out))]

    inner = nir.NIRGraph.from_list(nir.Input(np.array([3])), *if_layer(2, 3), nir.Output(np.array([2])))
    outer = nir.NIRGraph.from_list(nir.Input(np.array([3])), inner, *if_layer(1, 2),
                                   nir.Output(np.array([1])))
    spec = "discretize,fuse,quantize{bias-correction=true check-steps=0}"
    with pytest.raises(NircError, match=r"needs a flat graph.*run 'flatten-subgraphs' first") as err:
        apply(import_graph(outer), spec)
    assert err.value.node == "nirgraph"
    flat = apply(import_graph(outer), "flatten-subgraphs," + spec)
    assert [o.layer_name for o in ops(flat, LayerOp)] == ["nirgraph.if", "if"]


def test_bias_correction_removes_the_rate_drift_of_if_neurons():
    """IF neurons with reset by subtraction count their summed input: over T steps a
    neuron fires about sum_t (W x_t)_n / threshold times, so a rounding error e_n of the
    mean drive shifts its count by about T e_n / threshold, growing with T.  With bias
    correction (calibrated on other samples of the same Bernoulli input) the count error
    must shrink to the fluctuations of the rounding error around its mean."""
    rng = np.random.default_rng(5)
    w = rng.normal(0.02, 0.1, (16, 64))
    text = f"""builtin.module {{
  nir.graph {{
    %x = nir.input "x" : tensor<64xf32>
    %fc = nir.linear "fc" (%x) {{weight = dense<{w.tolist()}> : tensor<16x64xf64>}} : tensor<64xf32> -> tensor<16xf32>
    %n = nir.if "n" (%fc) {{r = dense<1.0> : tensor<16xf64>, v_threshold = dense<1.0> : tensor<16xf64>, v_reset = dense<0.0> : tensor<16xf64>}} : tensor<16xf32> -> tensor<16xf32>
    nir.output "y" (%n) : tensor<16xf32>
  }}
}}"""
    floats = apply(parse_module(text), "discretize{reset=subtract},fuse")
    x = (np.random.default_rng(0).random((2000, 4, 64)) < 0.3).astype(np.float64)
    counts = {}
    for option in ("", "bias-correction=true check-rate=0.3 state-bits=32 weight-bits=6"):
        spec = "quantize{check-steps=0 weight-bits=6 state-bits=32 " + option + "}"
        ints = apply(floats.clone(), spec)
        counts[option] = simulate(ints, x, dtype="float64")["y"].sum(axis=0)
    exact = simulate(floats, x, dtype="float64")["y"].sum(axis=0)
    plain, corrected = (np.abs(c - exact).mean() for c in counts.values())
    assert exact.mean() > 100  # the neurons are active enough for the drift to show
    print(f"mean |count error| over {exact.mean():.0f} spikes: plain {plain:.2f}, corrected {corrected:.2f}")
    assert corrected < 0.25 * plain, (plain, corrected)


# ---- the integer neuron ----------------------------------------------------------------

QN = """builtin.module {{
  nir.graph {{
    %x = nir.input "x" : tensor<1xf32>
    %n = qsnn.neuron "n" (%x) {{i_decay = dense<{i_decay}> : tensor<1xi64>, v_decay = dense<{v_decay}> : tensor<1xi64>, v_bias = dense<{v_bias}> : tensor<1xi64>, v_threshold = dense<{v_threshold}> : tensor<1xi64>, v_reset = dense<{v_reset}> : tensor<1xi64>, v_init = dense<0> : tensor<1xi64>, unit = dense<0.5> : tensor<1xf64>, decay_bits = 4 : i64, state_bits = {state_bits} : i64, input_shift = {input_shift} : i64, current = "{current}", reset = "{reset}", spiking = "{spiking}", rounding = "{rounding}", overflow = "{overflow}"}} : tensor<1xf32> -> tensor<1xf32>
    nir.output "y" (%n) : tensor<1xf32>
  }}
}}"""
BASE = dict(i_decay=16, v_decay=16, v_bias=0, v_threshold=1000, v_reset=0, state_bits=16,
            input_shift=0, current="none", reset="value", spiking="voltage", rounding="floor",
            overflow="saturate")


def run_neuron(xs, **changes):
    """(y, V, I) per step, V and I read through the reference engine's recordings."""
    module = parse_module(QN.format(**{**BASE, **changes}))
    x = np.asarray(xs, np.float64).reshape(-1, 1, 1)
    plan = make_plan(module, dtype="float64")
    k = [node.name for node in plan.nodes].index("n")
    rec = reference.run(plan, {"x": x}, len(x), 1, [(k, "y"), (k, "v"), (k, "i")])
    y = simulate(module, x[:, 0], dtype="float64")["y"][:, 0]
    np.testing.assert_array_equal(y, rec[(k, "y")][:, 0, 0])  # the public path agrees
    return y.tolist(), rec[(k, "v")][:, 0, 0].tolist(), rec[(k, "i")][:, 0, 0].tolist()


def test_rounding_floor_vs_toward_zero_and_readout():
    # v_decay = 12 = 0.75 * 2**4; leaky, c = X = x; V = shift(12 V) + x
    # floor:  -5; floor(-60/16 = -3.75) = -4; floor(-48/16) = -3; floor(-36/16 = -2.25) = -3;
    #         floor(-2.25) + 9 = 6; floor(72/16 = 4.5) = 4
    # toward-zero: -5; -3; -(36>>4 = 2) = -2; -(24>>4 = 1) = -1; -(12>>4 = 0) + 9 = 9; 108>>4 = 6
    xs = [-5, 0, 0, 0, 9, 0]
    y, v, _ = run_neuron(xs, v_decay=12)
    assert v == [-5, -4, -3, -3, 6, 4]
    assert y == [0.5 * a for a in v]  # a readout outputs V * unit (unit = 0.5)
    _, v, _ = run_neuron(xs, v_decay=12, rounding="toward-zero")
    assert v == [-5, -3, -2, -1, 9, 6]


def test_overflow_saturate_vs_wrap():
    # state_bits 8: [-128, 127]; decay 16 = 1 (V kept).  x = 100, 50, -300, 10
    # saturate: 100, 150 -> 127, 127 - 300 = -173 -> -128, -118
    # wrap:     100, 150 - 256 = -106, -106 - 300 = -406 + 512 = 106, 116
    xs = [100, 50, -300, 10]
    assert run_neuron(xs, state_bits=8)[1] == [100, 127, -128, -118]
    assert run_neuron(xs, state_bits=8, overflow="wrap")[1] == [100, -106, 106, 116]


def test_reset_value_vs_subtract():
    # v_decay 8 (0.5), threshold 10, v_reset -2, input_shift 1: X = 2x = 8, 6, 0, 12, 10
    # t0: U = 8; t1: floor(64/16) + 6 = 10, not > 10 (strict); t2: 5; t3: floor(40/16) + 12 = 14
    # -> spike; value: V = -2, subtract: V = 14 - 10 = 4
    # t4 value: floor(-16/16) + 10 = 9, no spike; subtract: floor(32/16) + 10 = 12 -> spike, V = 2
    xs = [4, 3, 0, 6, 5]
    common = dict(v_decay=8, v_threshold=10, v_reset=-2, input_shift=1, spiking="spike")
    y, v, _ = run_neuron(xs, **common)
    assert (y, v) == ([0, 0, 0, 1, 0], [8, 10, 5, -2, 9])
    y, v, _ = run_neuron(xs, reset="subtract", **common)
    assert (y, v) == ([0, 0, 0, 1, 1], [8, 10, 5, 4, 2])


def test_current_new_previous_none():
    # i_decay 8 (0.5), v_decay 16 (1), v_bias 1, x = 8, 0, 4, 0
    # I = 8, floor(64/16) + 0 = 4, 2 + 4 = 6, 3 + 0 = 3
    # new (c = I[t]):        V = 0+8+1 = 9, 9+4+1 = 14, 14+6+1 = 21, 21+3+1 = 25
    # previous (c = I[t-1]): V = 0+0+1 = 1, 1+8+1 = 10, 10+4+1 = 15, 15+6+1 = 22
    # none (c = X, I unused): V = 9, 10, 15, 16
    xs = [8, 0, 4, 0]
    _, v, i = run_neuron(xs, i_decay=8, v_bias=1, current="new")
    assert (v, i) == ([9, 14, 21, 25], [8, 4, 6, 3])
    _, v, i = run_neuron(xs, i_decay=8, v_bias=1, current="previous")
    assert (v, i) == ([1, 10, 15, 22], [8, 4, 6, 3])
    _, v, i = run_neuron(xs, i_decay=8, v_bias=1, current="none")
    assert (v, i) == ([9, 10, 15, 16], [0, 0, 0, 0])


def test_record_integer_state():
    # BASE: decay 16/16 = 1, no bias, threshold 1000 (not reached), no shift: V = 3, 3 + 4
    module = parse_module(QN.format(**BASE))
    r = simulate(module, np.array([[3.0], [4.0]]), dtype="float64", record=["n.v"])
    assert r["n.v"][:, 0].tolist() == [3, 7]


def test_interpreter_refusals():
    module = parse_module(QN.format(**BASE))
    with pytest.raises(NircError, match="fast engine does not run integer"):
        simulate(module, np.ones((2, 1)), dtype="float64", engine="fast")
    with pytest.raises(NircError, match="non-integer input") as err:
        simulate(module, np.array([[1.0], [0.5]]), dtype="float64")
    assert err.value.node == "n"
    module, *_ = quantized(lif_layer(W2))
    with pytest.raises(NircError, match="fast engine"):
        simulate(module, np.ones((3, 2)), engine="fast")


# ---- errors ----------------------------------------------------------------------------


def _li_then_lif() -> str:
    return """builtin.module {
  nir.graph {
    %x = nir.input "x" : tensor<2xf32>
    %fa = nir.linear "fa" (%x) {weight = dense<0.5> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %a = nir.li "a" (%fa) {tau = dense<4.0e-4> : tensor<2xf64>, r = dense<4.0> : tensor<2xf64>, v_leak = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
    %fb = nir.linear "fb" (%a) {weight = dense<0.5> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
    %b = nir.lif "b" (%fb) {tau = dense<4.0e-4> : tensor<2xf64>, r = dense<4.0> : tensor<2xf64>, v_leak = dense<0.0> : tensor<2xf64>, v_threshold = dense<1.0> : tensor<2xf64>, v_reset = dense<0.0> : tensor<2xf64>} : tensor<2xf32> -> tensor<2xf32>
    nir.output "y" (%b) : tensor<2xf32>
  }
}"""


@pytest.mark.parametrize("spec, text, message", [
    ("discretize{dt=1.0e-4},quantize", None, r"is not part of an snn.layer .*run 'fuse' first"),
    ("group-layers,quantize", None, r"'nir.lif' is not a discretized neuron: run 'discretize' first"),
    (QUANT + "},quantize{check-steps=0}", None, r"the layer is already quantized"),
    (QUANT + "}", "li", r"comes from layer 'a', which outputs a voltage"),
    ("discretize{dt=1.0e-3},fuse,quantize{check-steps=0}", None, r"decays must be in \[0, 1\]"),
    ("discretize{dt=1.0e-4},fuse,quantize{weight-bits=1}", None, r"weight-bits must be in 2..16, found 1"),
    ("discretize{dt=1.0e-4},fuse,quantize{weight-bits=17}", None, r"weight-bits must be in 2..16, found 17"),
    ("discretize{dt=1.0e-4},fuse,quantize{target=xylo bias-correction=true}", None,
     r"bias-correction is not available for target 'xylo': it quantizes the whole network"),
])
def test_errors(spec, text, message):
    module = parse_module(_li_then_lif() if text == "li" else lif_layer(W2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dt = 1e-3 > tau: discretize warns of decay -1.5
        with pytest.raises(NircError, match=message):
            build_pipeline(spec).apply(make_context(), module)


# ---- the NIR paper's sinabs CNN ---------------------------------------------------------

CNN = (Path(__file__).resolve().parents[1] / ".." / "shared" / "conformance" / "nir-paper"
       / "cnn_sinabs.nir").resolve()


def _output_counts(module, x) -> np.ndarray:
    """Output spike counts (batch, neurons) of ``module`` on x (T, batch, 2, 34, 34)."""
    from nirc.targets.interp.api import Simulator

    return Simulator(module, dtype="float64").run({"input": x}, keep_batch_axis=True)["output"].sum(axis=0)


def _count_agreement(cf: np.ndarray, cq: np.ndarray) -> float:
    """1 - sum |Cf - Cq| / sum max(Cf, Cq) over the given counts."""
    return 1.0 - float(np.abs(cf - cq).sum()) / float(np.maximum(cf, cq).sum())


@pytest.mark.skipif(not CNN.is_file(), reason="../shared/conformance not present (a user's clone has no ../shared)")
def test_cnn_sinabs_8bit_per_channel_agreement():
    """cnn_sinabs (5 IF layers) with 8-bit symmetric per-channel weights, on Bernoulli
    input (rate 0.1, T=100, batch 32), under NIR's reset to v_reset (nirc's default):
    the float and integer output layers classify every sample alike (argmax of spike
    counts) and their total spike counts agree within 5% (measured 0.96; per output
    neuron 0.955, per neuron and sample 0.83).  Under this reset the network amplifies
    any weight change: a random relative perturbation of 1e-3 of the float weights alone
    gives 0.85 per neuron and sample.  See the next test for sinabs' own reset."""
    from nirc.loading import load_module

    floats = apply(load_module(str(CNN)), "flatten-subgraphs,discretize,fuse")
    ints = apply(floats.clone(), "quantize{check-steps=0 weight-bits=8 per-channel=true}")
    x = (np.random.default_rng(0).random((100, 32, 2, 34, 34)) < 0.1).astype(np.float64)
    cf, cq = _output_counts(floats, x), _output_counts(ints, x)
    assert np.array_equal(cf.argmax(axis=1), cq.argmax(axis=1))
    assert abs(cq.sum() - cf.sum()) <= 0.05 * cf.sum()


@pytest.mark.skipif(not CNN.is_file(), reason="../shared/conformance not present (a user's clone has no ../shared)")
def test_cnn_sinabs_8bit_per_channel_agreement_sinabs_reset():
    """The issue's figure.  Sinabs, which trained and exported this network, resets its
    IF neurons by subtraction (sinabs.layers.IAF: reset_fn=MembraneSubtract()), which
    NIR 1.0.8 cannot express: ``discretize{reset=subtract}`` restores it.  Its membrane
    has no bound, so the state gets 32 bits (at 16 the threshold sits at 2**13 LSBs and v
    saturates at 4x threshold).  8-bit symmetric per-channel round-to-nearest weights,
    with and without ``bias-correction`` (calibrated on other Bernoulli samples, seed 1),
    on Bernoulli input (rate 0.1, T=100, batch 64, seed 0).  Output-layer spike-count
    agreement with the float64 simulation, measured (bench/bench_quantize.py has more
    seeds): total count 0.996 with bias correction (without: about 0.98); per output
    neuron 0.977; per neuron and sample 0.90."""
    from nirc.loading import load_module

    floats = apply(load_module(str(CNN)), "flatten-subgraphs,discretize{reset=subtract},fuse")
    quant = "quantize{check-steps=0 weight-bits=8 per-channel=true state-bits=32"
    plain = apply(floats.clone(), quant + "}")
    corrected = apply(floats.clone(), quant + " bias-correction=true}")
    x = (np.random.default_rng(0).random((100, 64, 2, 34, 34)) < 0.1).astype(np.float64)
    cf, cp, cq = (_output_counts(m, x) for m in (floats, plain, corrected))
    total = _count_agreement(cf.sum(), cq.sum())
    assert total >= 0.99, total
    assert total > _count_agreement(cf.sum(), cp.sum())
    assert _count_agreement(cf.sum(axis=0), cq.sum(axis=0)) >= 0.97
    assert np.mean(cf.argmax(axis=1) == cq.argmax(axis=1)) >= 0.9
