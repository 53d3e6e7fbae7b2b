"""targets/loihi2/{netx,sim}.py: hand-checked traces, check(), the HDF5 file, and
bit-exactness against Lava (lava-nc 0.10.0 + lava-dl 0.6.0 running the netx file).

The hand-checked tests need no Lava.  The oracle tests write generated networks as netx
files, run them in Lava's fixed-point CPU models (targets/loihi2/oracle/run_lava.py, a
few subprocesses for all of them) and compare every block's spikes, u and v with
``simulate`` step for step; they are skipped when the oracle venv is missing.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, replace

import h5py
import numpy as np
import pytest

from nirc.targets.loihi2.netx import (
    NetxLayer, NetxNetwork, NetxNeuron, V_TH_MANT_MAX, dense_weight_problem,
    netx_dense_weights, read_netx, write_netx)
from nirc.targets.loihi2.oracle.lava_oracle import lava_python, run_lava_many
from nirc.targets.loihi2.sim import simulate

N_GENERATED = 120   # generated oracle networks (plus the SPECIAL and TRAP cases below)
NO_LAVA = ("Lava oracle not found: build it with `bash targets/loihi2/oracle/build_env.sh "
           "/tmp/lava-venv` (or set NIRC_LAVA_PYTHON to its python)")


def chain(n_in, *layers) -> NetxNetwork:
    return NetxNetwork([NetxLayer("input", (n_in,)) if isinstance(n_in, int)
                        else NetxLayer("input", tuple(n_in))] + list(layers))


def dense(weight, neuron=None, **fields) -> NetxLayer:
    weight = np.asarray(weight, np.int64)
    return NetxLayer("dense", (weight.shape[0],), weight=weight, neuron=neuron, **fields)


def pulse(steps, n, *events) -> np.ndarray:
    """(T, n) raster with value ``x`` on ``channel`` at ``t`` for each (t, channel, x)."""
    r = np.zeros((steps, n), np.int64)
    for t, c, x in events:
        r[t, c] = x
    return r


# ------------------------------------------------------------------------------------
# hand-checked traces (no Lava)


def test_single_neuron_trace():
    # w = 3, iDecay 1024 (u *= 3072/4096), vDecay 512 (v *= 3584/4096), vThMant 10 (640).
    # Input spike at row 0 reaches the neuron at row 1 (one step per Dense synapse).
    # row 0: u = 0, v = 0
    # row 1: u = 3 << 6 = 192;               v = 0 + 192 = 192
    # row 2: u = 192*3072 >> 12 = 144;        v = (192*3584 >> 12 = 168) + 144 = 312
    # row 3: u = 144*3072 >> 12 = 108;        v = (312*3584 >> 12 = 273) + 108 = 381
    # row 4: u = 108*3072 >> 12 = 81;         v = (381*3584 = 1365504 >> 12 = 333) + 81 = 414
    # row 5: u = 81*3072 = 248832 >> 12 = 60; v = (414*3584 = 1483776 >> 12 = 362) + 60 = 422
    net = chain(1, dense([[3]], NetxNeuron(1024, 512, 10)))
    out = simulate(net, pulse(6, 1, (0, 0, 1)), record=True)
    assert out["u0"][:, 0].tolist() == [0, 192, 144, 108, 81, 60]
    assert out["v0"][:, 0].tolist() == [0, 192, 312, 381, 414, 422]
    assert not out["spikes"].any() and out["spikes"].shape == (6, 1)
    assert out["layer_h5_index"].tolist() == [1]


def test_negative_decay_rounds_toward_zero():
    # w = -5 (together with +1 so that the matrix is mixed), iDecay 1000, vDecay 4096.
    # row 1: u = -320, v = -320.  row 2: p = -320 * 3096 = -990720, |p| >> 12 = 241
    # (990720 / 4096 = 241.875): u = -241 (a floor shift would give -242); v = u (vDecay 4096).
    net = chain(2, dense([[-5, 1]], NetxNeuron(1000, 4096, 100)))
    out = simulate(net, pulse(3, 2, (0, 0, 1)), record=True)
    assert out["u0"][:, 0].tolist() == [0, -320, -241]
    assert out["v0"][:, 0].tolist() == [0, -320, -241]


def test_bias_spikes_and_reset():
    # no input spikes, bias 5 -> v += 5 << 6 = 320 per step (vDecay 0), threshold 10 << 6 = 640:
    # v = 320, 640 (not > 640), 960 -> spike, reset to 0; then again every third step.
    net = chain(1, dense([[1]], NetxNeuron(0, 0, 10), bias=np.array([5])))
    out = simulate(net, np.zeros((7, 1), np.int64), record=True)
    assert out["v0"][:, 0].tolist() == [320, 640, 0, 320, 640, 0, 320]
    assert out["spikes"][:, 0].tolist() == [0, 0, 1, 0, 0, 1, 0]


def test_u_wrap_is_lavas_not_twos_complement():
    # graded input x with weights +1/-1, iDecay 4096 (u = acc << 6 each step):
    # x = 2**17: acc << 6 = +-2**23.  Lava keeps u = +2**23 and maps u = -2**23 to +2**23
    # (u > 2**23 -> u - 2**24; u <= -2**23 -> u + 2**24).
    # x = 200000: 200000 << 6 = 12800000 > 2**23 -> 12800000 - 2**24 = -3977216; the
    # negative one: -12800000 <= -2**23 -> +3977216.
    net = chain(1, dense([[1], [-1]], NetxNeuron(4096, 4096, V_TH_MANT_MAX)))
    out = simulate(net, pulse(3, 1, (0, 0, 1 << 17), (1, 0, 200000)), record=True)
    assert out["u0"][1].tolist() == [1 << 23, 1 << 23]
    assert out["u0"][2].tolist() == [-3977216, 3977216]
    # v = u clipped to +-(2**23 - 1): 8388607, and a spike (8388607 > 131071 << 6 = 8388544)
    assert out["s0"][1].tolist() == [1, 1] and out["v0"][1].tolist() == [0, 0]


def test_v_saturates():
    # bias -4096 -> v -= 262144 per step with vDecay 0: -8388608 at row 31 saturates at
    # -(2**23 - 1) = -8388607 and stays there.
    net = chain(1, dense([[1]], NetxNeuron(0, 0, 1000), bias=np.array([-4096])))
    v = simulate(net, np.zeros((34, 1), np.int64), record=True)["v0"][:, 0]
    assert v[:31].tolist() == [-(t + 1) * 262144 for t in range(31)]
    assert v[31:].tolist() == [-8388607] * 3


def test_latency_one_step_per_layer_plus_delays():
    # weights 100, threshold 0, full decays: a neuron spikes in the row its input arrives.
    # input spike at row 2 -> layer 1 at row 3 -> layer 2 (delay 2) at row 6 -> layer 3 at 7.
    fire = NetxNeuron(4096, 4096, 0)
    net = chain(1, dense([[100]], fire), dense([[100]], fire, delay=np.array([2])),
                dense([[100]], fire))
    out = simulate(net, pulse(9, 1, (2, 0, 1)), record=True)
    assert [np.flatnonzero(out[f"s{i}"][:, 0]).tolist() for i in range(3)] == [[3], [6], [7]]


def test_recurrent_synapse_has_one_step_latency():
    # dense_rec: input -> neuron 0 (row 1), neuron 0 -> neuron 1 through weight_rec (row 2),
    # neuron 1 -> neuron 0 (row 3), ...: the spike circulates one neuron per step.
    fire = NetxNeuron(4096, 4096, 0)
    layer = NetxLayer("dense_rec", (2,), weight=np.array([[100], [0]]),
                      weight_rec=np.array([[0, 100], [100, 0]]), neuron=fire)
    s = simulate(chain(1, layer), pulse(6, 1, (0, 0, 1)))["spikes"]
    assert s.tolist() == [[0, 0], [1, 0], [0, 1], [1, 0], [0, 1], [1, 0]]


def test_conv_is_pytorch_cross_correlation():
    # 1x3x3 input with one spike at (h, w) = (0, 0), kernel [[1, 2], [3, 4]], padding 1:
    # out[y, x] = sum_ij k[i, j] * in[y + i - 1, x + j - 1] is nonzero where i = 1 - y,
    # j = 1 - x: out[0,0] = k[1,1] = 4, out[0,1] = k[1,0] = 3, out[1,0] = k[0,1] = 2,
    # out[1,1] = k[0,0] = 1 (a true convolution would put 1 at (0, 0)).
    conv = NetxLayer("conv", (1, 4, 4), weight=np.array([[[[1, 2], [3, 4]]]]), padding=(1, 1),
                     neuron=NetxNeuron(4096, 4096, V_TH_MANT_MAX))
    x = np.zeros((2, 1, 3, 3), np.int64)
    x[0, 0, 0, 0] = 1
    u = simulate(chain((1, 3, 3), conv), x, record=True)["u0"][1].reshape(4, 4) // 64
    assert u.tolist() == [[4, 3, 0, 0], [2, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]


def test_conv_sum_wraps_at_24_bits():
    # graded input 40000 * weight 255 = 10200000 > 2**23: Lava's Conv wraps its output to
    # 24 bits (signed_clamp): 10200000 - 2**24 = -6577216 reaches the neuron (u = that << 6
    # = -420941824, an int32 value far outside 24 bits: Lava's u "wrap" only adds 2**24 once).
    conv = NetxLayer("conv", (1, 1, 1), weight=np.array([[[[255]]]]),
                     neuron=NetxNeuron(4096, 4096, V_TH_MANT_MAX))
    x = np.zeros((2, 1, 1, 1), np.int64)
    x[0] = 40000
    u = simulate(chain((1, 1, 1), conv), x, record=True)["u0"][1, 0]
    assert u == -6577216 * 64 + (1 << 24)


def test_default_neuron_never_spikes_and_batch_axis():
    # no neuron group: iDecay 0 (u keeps summing), vDecay 4096 (v = u + bias), threshold
    # 2**23: row t >= 1 has u = t * 510 << 6 = t * 32640; v = u + 100 << 6, clipped at
    # 2**23 - 1 (row 257: u = 8388480, v = 8394880 -> 8388607; row 258: u = 8421120 > 2**23
    # wraps to 8421120 - 2**24; v never reaches the threshold).
    net = chain(2, dense([[255, 255]], bias=np.array([100])))
    x = np.ones((300, 3, 2), np.int64)
    out = simulate(net, x, record=True)
    assert not out["spikes"].any()
    u = out["u0"][:, 0, 0].astype(np.int64)
    assert u[:258].tolist() == [t * 32640 for t in range(258)]
    assert u[258] == 258 * 32640 - (1 << 24)
    assert out["v0"][257, 0, 0] == (1 << 23) - 1 and out["v0"][2, 0, 0] == 2 * 32640 + 6400
    assert out["spikes"].shape == (300, 3, 1)
    single = simulate(net, x[:, 1], record=True)
    assert np.array_equal(single["u0"], out["u0"][:, 1])


def test_input_neuron_block_gets_the_raster_in_the_same_row():
    # An input layer with a neuron group is a block: a_in = x in row t itself.
    net = NetxNetwork([NetxLayer("input", (1,), neuron=NetxNeuron(4096, 4096, 0)),
                       dense([[100]], NetxNeuron(4096, 4096, 0))])
    out = simulate(net, pulse(4, 1, (1, 0, 1)), record=True)
    assert out["s0"][:, 0].tolist() == [0, 1, 0, 0] and out["s1"][:, 0].tolist() == [0, 0, 1, 0]
    assert out["layer_h5_index"].tolist() == [0, 1]


def test_binary_input_mode_counts_any_nonzero_as_one_spike():
    net = chain(1, dense([[7]], NetxNeuron(4096, 4096, V_TH_MANT_MAX)))
    x = pulse(2, 1, (0, 0, 3))
    assert simulate(net, x, record=True)["u0"][1, 0] == 21 * 64          # graded: 3 * 7
    assert simulate(net, x, record=True, input_message_bits=0)["u0"][1, 0] == 7 * 64


@pytest.mark.parametrize("weights, mantissas, shift", [
    # all < 0, min -1: netx scales by 2**8 to -256 (num_weight_bits 0), Lava clips that to
    # -255 and truncates 8 bits: every weight becomes 0
    ([[-1, -1]], [[0, 0]], 8),
    # min -64: scale 2**2, [-256, -12]; clip -255, truncate 2 bits (num_weight_bits 6):
    # [-252, -12]: one spike of the first input gives -252 >> 2 = -63, not -64
    ([[-64, -3]], [[-252, -12]], 2),
    # all <= 0 with a 0 (netx: MIXED, scale 0.64 -> 2**0, num_weight_bits 9; Lava:
    # INHIBITORY, truncation shift 8 - 9 = -1): numpy's shift by -1 zeroes everything
    ([[0, -200, -3]], [[0, 0, 0]], 0),
    # exact: mixed (scale min(127/1, 128/1) -> 2**6, +1 for the sign bit), all >= 0 up to 255
    ([[1, -1]], [[128, -128]], 7),
    ([[0, 201], [-3, 5]], [[0, 201], [-3, 5]], 0),
    ([[255, 3]], [[255, 3]], 0),
])
def test_netx_weight_pipeline(weights, mantissas, shift):
    w = np.array(weights)
    got, got_shift = netx_dense_weights(w)
    assert got[0].tolist() == mantissas and got_shift == shift
    exact = np.array_equal(got[0], w << shift)
    assert exact == (dense_weight_problem(w) is None)


# ------------------------------------------------------------------------------------
# check()


def _valid() -> NetxNetwork:
    n = NetxNeuron(1024, 512, 40)
    return NetxNetwork([
        NetxLayer("input", (2, 5, 5)),
        NetxLayer("conv", (4, 3, 3), weight=np.ones((4, 1, 3, 3), np.int64), groups=2,
                  bias=np.arange(4), neuron=n),
        NetxLayer("flatten", (36,)),
        NetxLayer("dense_rec", (3,),
                  weight=np.ones((3, 36), np.int64) - 2 * np.eye(3, 36, dtype=np.int64),
                  weight_rec=np.zeros((3, 3), np.int64), neuron=n),
        NetxLayer("dense", (2,), weight=np.array([[1, 2, 3], [4, 5, 6]]), delay=np.array([0, 62]))])


def _set(k, **fields):
    def mutate(net):
        net.layers[k] = replace(net.layers[k], **fields)
        return net
    return mutate


def _neuron(k, **fields):
    return lambda net: _set(k, neuron=replace(net.layers[k].neuron, **fields))(net)


@pytest.mark.parametrize("mutate, where", [
    (_set(0, type="dense"), "layer 0: type"),
    (_set(1, type="pool"), "layer 1: type"),
    (_set(0, bias=np.zeros(50)), "layer 0: bias"),
    (_set(1, shape=(4, 2, 2)), "layer 1: shape"),
    (_set(1, groups=3), "layer 1: groups"),
    (_set(1, weight=np.full((4, 1, 3, 3), 300)), "layer 1: weight"),
    (_set(1, weight=np.ones((4, 2, 3, 3))), "layer 1: weight"),
    (_set(1, neuron=None), "layer 1: neuron"),
    (_set(1, delay=np.zeros(36)), "layer 1: delay"),
    (_set(1, bias=np.arange(5)), "layer 1: bias"),
    (_set(1, stride=(0, 1)), "layer 1: stride"),
    (_neuron(1, i_decay=4097), "layer 1: neuron.i_decay"),
    (_neuron(1, v_decay=-1), "layer 1: neuron.v_decay"),
    (_neuron(1, v_th_mant=1 << 17), "layer 1: neuron.v_th_mant"),
    (_neuron(1, ref_delay=2), "layer 1: neuron.ref_delay"),
    (_neuron(1, graded_spike=True), "layer 1: neuron.graded_spike"),
    (_set(2, shape=(35,)), "layer 2: shape"),
    (lambda net: NetxNetwork(net.layers[:3]), "layer 2: type"),          # flatten at the end
    (lambda net: NetxNetwork(net.layers[:2] + net.layers[3:]), "layer 2: type"),  # no flatten
    (_set(3, weight_rec=None), "layer 3: weight_rec"),
    (_set(3, delay=np.zeros(3)), "layer 3: delay"),
    (_set(3, weight=np.zeros((3, 36)), weight_rec=np.zeros((3, 3))), "layer 3: weight"),
    (_set(3, weight_rec=np.full((3, 3), 201) - 200 * np.eye(3, dtype=np.int64)), "layer 3: weight_rec"),
    (_set(3, weight=np.full((3, 36), 0.5)), "layer 3: weight"),
    (_set(4, weight=np.zeros((2, 3))), "layer 4: weight"),                         # all zero
    (_set(4, weight=np.array([[255, -1, 0], [0, 0, 1]])), "layer 4: weight"),      # mixed > 254
    (_set(4, weight=np.array([[300, 1, 0], [0, 0, 1]])), "layer 4: weight"),       # > 255
    (_set(4, weight=np.array([[-1, -1, -1], [-1, -1, -1]])), "layer 4: weight"),   # -1 -> 0
    (_set(4, weight=np.array([[-128, -3, -1], [-5, -7, -9]])), "layer 4: weight"),
    (_set(4, weight=np.array([[0, -200, -3], [-5, -7, -9]])), "layer 4: weight"),  # the odd trap
    (_set(4, delay=np.array([0, 63])), "layer 4: delay"),
    (_set(4, delay=np.array([0, 1, 2])), "layer 4: delay"),
    (_set(4, bias=np.array([4096, 0])), "layer 4: bias"),
    (_set(4, stride=(1, 1)), "layer 4: stride"),
    (_set(4, groups=2), "layer 4: groups"),
])
def test_check_rejects(mutate, where):
    net = _valid()
    net.check()
    with pytest.raises(ValueError, match=f"^{where}"):
        mutate(net).check()


@pytest.mark.parametrize("weight", [
    [[-256, 254, 1]], [[255, 0, 3]], [[-255, -3, -7]], [[-129, -3, -1]], [[-100, -3, -7]],
    [[0, -200, -4]], [[0, -127, -3]], [[-3, 0, 0]]])
def test_check_accepts_exact_weights(weight):
    w = np.array(weight)
    assert dense_weight_problem(w) is None
    chain(3, dense(w)).check()


# ------------------------------------------------------------------------------------
# the HDF5 file


def test_write_read_round_trip(tmp_path):
    net = _valid()
    # conv: H_out = (5 + 2 - 2*2 - 1) // 1 + 1 = 3, W_out = (5 + 0 - 2 - 1) // 2 + 1 = 2
    net.layers[1] = replace(net.layers[1], bias=np.arange(24).reshape(4, 3, 2) - 10,
                            stride=(1, 2), padding=(1, 0), dilation=(2, 1), groups=1,
                            weight=np.arange(-36, 36).reshape(4, 2, 3, 3),
                            shape=(4, 3, 2))
    net.layers[2] = NetxLayer("flatten", (24,))
    net.layers[3] = replace(net.layers[3], weight=np.arange(72).reshape(3, 24) - 36,
                            weight_rec=np.array([[0, 1, 2], [3, 0, 5], [6, 7, 0]]))
    net.layers[4] = replace(net.layers[4], delay=np.array([[0, 1, 2], [60, 61, 62]]))
    net.layers.insert(0, replace(net.layers.pop(0), neuron=NetxNeuron(0, 4096, 7)))
    path = tmp_path / "net.h5"
    write_netx(net, path)
    back = read_netx(path)
    assert len(back.layers) == len(net.layers)
    for a, b in zip(net.layers, back.layers):
        for name in ("type", "groups", "neuron"):
            assert getattr(a, name) == getattr(b, name), name
        assert tuple(a.shape) == b.shape
        for name in ("weight", "weight_rec", "bias", "delay"):
            x, y = getattr(a, name), getattr(b, name)
            assert (x is None) == (y is None) and (x is None or np.array_equal(x, y)), name
        if a.type == "conv":
            assert a.geometry() == b.geometry()
    with h5py.File(path, "r") as f:  # lava-dl's exporter's layout and dtypes
        assert f["layer/1/type"].dtype == np.dtype("S10") and f["layer/1/type"].shape == (1,)
        assert f["layer/1/weight"].dtype == np.float32
        assert f["layer/1/bias"].shape == (2, 3, 4)          # (W, H, C) for netx
        assert f["layer/1/stride"][()].tolist() == [1, 2]    # (H, W)
        assert f["layer/1/groups"].shape == ()
        assert f["layer/1/neuron/type"][()] == b"CUBA"
        assert f["layer/1/neuron/iDecay"].dtype == np.int64
        assert f["layer/0/neuron/vThMant"][()] == 7
        assert f["layer/4/delay"].shape == (2, 3)


def test_read_truncates_like_netx(tmp_path):
    path = tmp_path / "net.h5"
    write_netx(chain(2, dense([[1, 2]])), path)
    with h5py.File(path, "r+") as f:
        del f["layer/1/weight"]
        f["layer/1/weight"] = np.array([2.7, -2.7], np.float32)   # 1-D: reshaped to (1, 2)
    assert read_netx(path).layers[1].weight.tolist() == [[2, -2]]


def _gts_dir() -> str | None:
    python = lava_python()
    if python is None:
        return None
    venv = os.path.dirname(os.path.dirname(python))
    found = glob.glob(os.path.join(venv, "lib", "python3*", "site-packages", "tests", "lava",
                                   "lib", "dl", "netx", "gts", "ntidigits"))
    return found[0] if found else None


def test_lava_dl_ntidigits_reference():
    """lava-dl's own exported network (3 dense layers, per-neuron delays up to 62, LOIHI
    neurons) and its stored output: nirc's reading and simulation reproduce all 3000 steps
    (the stored output is one row behind run_lava.py's time axis: ours[t] == gt[t + 1])."""
    root = _gts_dir()
    if root is None:
        pytest.skip("lava-dl's test data (gts/ntidigits in the oracle venv) not found")
    net = read_netx(os.path.join(root, "ntidigits.net"), num_layers=5)  # skip the 'average'
    x = np.load(os.path.join(root, "input.npy")).T.astype(np.int64)
    gt = np.load(os.path.join(root, "output.npy")).T
    out = simulate(net, x)["spikes"]
    assert out.sum() > 20000
    assert np.array_equal(out[:-1], gt[1:])


# ------------------------------------------------------------------------------------
# generated networks vs Lava


DECAYS = (0, 1, 64, 410, 1024, 2048, 3277, 4000, 4095, 4096)
SIGNS = ("mixed", "pos", "neg", "mixed", "nonpos", "pos")


@dataclass
class Case:
    name: str
    network: NetxNetwork
    raster: np.ndarray
    check: bool = True
    input_message_bits: int | None = None


def _weights(rng, shape, sign: str) -> np.ndarray:
    """Random integer weights of the given sign pattern that netx/Lava use exactly."""
    for _ in range(1000):
        zeros = rng.random(shape) < rng.choice([0.0, 0.2, 0.5])
        if sign == "mixed":
            lo, hi = -int(rng.choice([3, 20, 128, 256])), int(rng.choice([3, 20, 127, 254]))
            w = rng.integers(lo, hi + 1, size=shape)
            if rng.random() < 0.3:  # the extremes
                w.flat[rng.integers(w.size)] = lo
                w.flat[rng.integers(w.size)] = hi
            w[zeros] = 0
            if not (w.min() < 0 < w.max()):
                continue
        elif sign == "pos":
            w = rng.integers(0, int(rng.choice([2, 30, 255])) + 1, size=shape)
            w[zeros] = 0
        elif sign == "neg":
            w = -rng.integers(1, int(rng.choice([3, 30, 200, 255])) + 1, size=shape)
        else:
            w = -rng.integers(0, int(rng.choice([3, 30, 127, 200])) + 1, size=shape)
            w[zeros] = 0
            if rng.random() < 0.5:
                w = w & ~1  # even values allow minima below -128
        if w.any() and dense_weight_problem(w) is None:
            return w
    raise AssertionError(f"no exact {sign} weights found for {shape}")


def _neuron(rng) -> NetxNeuron:
    pick = lambda: int(rng.choice(DECAYS) if rng.random() < 0.6 else rng.integers(0, 4097))  # noqa: E731
    return NetxNeuron(i_decay=pick(), v_decay=pick(), v_th_mant=0)


def _tune_threshold(rng, layers: list[NetxLayer], raster: np.ndarray, graded: int | None):
    """Set the last layer's vThMant from the v it reaches without spiking (a quantile of
    its positive values), so that it spikes some of the time."""
    last = layers[-1]
    if last.neuron is None:
        return
    quiet = replace(last, neuron=replace(last.neuron, v_th_mant=V_TH_MANT_MAX))
    probe = NetxNetwork(layers[:-1] + [quiet])
    v = simulate(probe, raster, record=True, input_message_bits=graded)[f"v{len(probe.blocks()) - 1}"]
    pos = v[v > 0]
    if pos.size and rng.random() < 0.95:
        th = int(np.quantile(pos, rng.uniform(0.2, 0.95)) // 64)
    else:
        th = int(rng.integers(0, 50))
    layers[-1] = replace(last, neuron=replace(last.neuron, v_th_mant=min(max(th, 0), V_TH_MANT_MAX)))


def _conv_layer(rng, in_shape, sign_bias: bool):
    c_in, h, w = in_shape
    for _ in range(100):
        groups = int(rng.choice([g for g in (1, 2, 3) if c_in % g == 0]))
        c_out = groups * int(rng.integers(1, 3))
        k_h, k_w = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        stride = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        padding = (int(rng.integers(0, 2)), int(rng.integers(0, 2)))
        dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        h_out = (h + 2 * padding[0] - dilation[0] * (k_h - 1) - 1) // stride[0] + 1
        w_out = (w + 2 * padding[1] - dilation[1] * (k_w - 1) - 1) // stride[1] + 1
        if h_out >= 1 and w_out >= 1:
            break
    else:
        raise AssertionError("no conv geometry")
    weight = rng.integers(-256, 256, size=(c_out, c_in // groups, k_h, k_w)) // int(rng.choice([1, 4, 16]))
    if rng.random() < 0.3:
        weight = np.abs(weight)
    bias = None
    if sign_bias:
        bias = (rng.integers(-30, 60, size=(c_out,)) if rng.random() < 0.5
                else rng.integers(-30, 60, size=(c_out, h_out, w_out)))
    return NetxLayer("conv", (c_out, h_out, w_out), weight=weight, bias=bias, stride=stride,
                     padding=padding, dilation=dilation, groups=groups, neuron=_neuron(rng))


def make_case(index: int) -> Case:
    """Generated network ``index``: the kind cycles through dense chains, delays,
    dense_rec, conv, conv-conv, an input neuron group, graded input and a mixed bag."""
    rng = np.random.default_rng(1000 + index)
    kind = ("dense", "delay", "rec", "conv", "conv2", "input_neuron", "graded", "mixed")[index % 8]
    steps = int(rng.integers(20, 101))
    batch = 2 if index % 6 == 0 else 1
    graded = None
    density = rng.uniform(0.1, 0.5)
    if kind in ("conv", "conv2") or (kind == "input_neuron" and index % 16 == 13) \
            or (kind == "mixed" and index % 16 == 15):  # the last: (C, H, W) -> flatten -> dense
        in_shape = (int(rng.integers(1, 4)), int(rng.integers(3, 7)), int(rng.integers(3, 7)))
    else:
        in_shape = (int(rng.integers(3, 13)),)
    raster = (rng.random((steps, batch) + in_shape) < density).astype(np.int64)
    if batch == 1 and index % 2:
        raster = raster[:, 0]  # some unbatched rasters
    if kind == "graded":
        raster *= rng.integers(1, int(rng.choice([3, 10, 100])) + 1, size=raster.shape)
        graded = None if rng.random() < 0.8 else 0  # sometimes binary mode on graded values
    layers = [NetxLayer("input", in_shape)]
    if kind == "input_neuron":
        layers[0] = replace(layers[0], neuron=_neuron(rng))
        _tune_threshold(rng, layers, raster, graded)
    shape = in_shape
    n_layers = int(rng.integers(1, 5)) if kind in ("dense", "mixed", "delay") else int(rng.integers(1, 4))
    convs = {"conv": 1, "conv2": 2, "mixed": 0}.get(kind, 1 if len(in_shape) == 3 else 0)
    for li in range(n_layers + convs):
        sign = SIGNS[(index // 8 + li) % len(SIGNS)] if rng.random() < 0.8 else str(rng.choice(SIGNS))
        use_bias = rng.random() < 0.4 or sign in ("neg", "nonpos")
        if len(shape) == 3 and li < convs:
            layer = _conv_layer(rng, shape, use_bias)
        else:
            if len(shape) == 3:
                layers.append(NetxLayer("flatten", (int(np.prod(shape)),)))
                shape = (int(np.prod(shape)),)
            n = int(rng.integers(2, 11))
            rec = kind == "rec" and (li == 0 or rng.random() < 0.5)
            w = _weights(rng, (n, shape[0]), sign)
            fields = {}
            if rec:
                wr_sign = sign if rng.random() < 0.5 else str(rng.choice(SIGNS))
                for _ in range(100):
                    wr = _weights(rng, (n, n), wr_sign) // int(rng.choice([1, 2, 8]))
                    if dense_weight_problem(w, wr) is None:
                        break
                else:
                    wr = np.zeros((n, n), np.int64)
                fields["weight_rec"] = wr
            if kind == "delay" or (kind == "mixed" and rng.random() < 0.3):
                fields["delay"] = (rng.integers(0, 8, size=n) if rng.random() < 0.5
                                   else rng.integers(0, 8, size=(n, shape[0])))
                if rng.random() < 0.2:
                    fields["delay"].flat[0] = 62
            if use_bias:  # inhibitory-only layers get a positive drive
                fields["bias"] = rng.integers(-40, 80, size=n) if sign in ("mixed", "pos") \
                    else rng.integers(10, 300, size=n)
            last = li == n_layers + convs - 1
            neuron = None if (kind == "mixed" and last and rng.random() < 0.5) else _neuron(rng)
            layer = NetxLayer("dense_rec" if rec else "dense", (n,), weight=w, neuron=neuron, **fields)
        layers.append(layer)
        _tune_threshold(rng, layers, raster, graded)
        shape = tuple(layer.shape)
    return Case(f"{index}-{kind}", NetxNetwork(layers), raster, input_message_bits=graded)


def special_cases() -> list[Case]:
    """Hand-made edge cases: the 24-bit wrap of u, v saturation, u wrapping while iDecay 0
    keeps it growing, the 62-step delay, and an input-neuron-only network."""
    cases = []
    wrap = chain(1, dense([[128], [-128], [127]], NetxNeuron(4096, 4096, 1000)))
    cases.append(Case("u-wrap-edge", wrap, pulse(4, 1, (0, 0, 1024), (1, 0, 1500), (2, 0, 1023))))
    sat = chain(3, dense([[255, 255, 255], [0, 1, 2]], NetxNeuron(0, 0, V_TH_MANT_MAX),
                         bias=np.array([4095, -4096])))
    cases.append(Case("saturation-and-u-growth", sat, np.ones((200, 3), np.int64)))
    delay = chain(2, dense([[3, 5], [7, 1]], NetxNeuron(2048, 1024, 4),
                           delay=np.array([[62, 0], [1, 61]])))
    cases.append(Case("delay-62", delay, np.random.default_rng(5).integers(0, 2, size=(90, 2))))
    only_input = NetxNetwork([NetxLayer("input", (2, 2, 2), neuron=NetxNeuron(100, 200, 3))])
    cases.append(Case("input-neuron-only", only_input,
                      np.random.default_rng(6).integers(0, 9, size=(30, 2, 2, 2))))
    conv = NetxLayer("conv", (2, 2, 4), weight=np.array([[[[255, -7]]], [[[-256, 3]]]]),
                     padding=(0, 1), stride=(2, 1), neuron=NetxNeuron(4096, 0, 20000))
    x = np.random.default_rng(8).integers(0, 40000, size=(30, 1, 3, 3))
    cases.append(Case("conv-graded-24-bit-wrap", chain((1, 3, 3), conv), x))
    return cases


def trap_cases() -> list[Case]:
    """Weight matrices check() rejects because netx/Lava change them: simulate(check=False)
    must still compute what Lava computes (the model of netx's weight pipeline)."""
    rng = np.random.default_rng(7)
    cases = []
    for name, w in [("all-minus-one", [[-1, -1, -1], [-1, -1, -1]]),
                    ("nonpositive-min-minus-128", [[0, -128, -128], [-7, -128, 0]]),
                    ("negative-min-minus-64", [[-64, -3, -7], [-50, -9, -1]]),
                    ("nonpositive-odd-below-128", [[0, -200, -3], [-7, -150, 0]]),
                    ("mixed-above-254", [[300, -3, 0], [5, 1, 1]])]:
        net = chain(3, dense(w, NetxNeuron(4096, 4096, V_TH_MANT_MAX)))
        cases.append(Case(f"trap-{name}", net, rng.integers(0, 2, size=(20, 3)), check=False))
    rec = NetxLayer("dense_rec", (2,), weight=np.array([[-3, 5], [2, -1]]),
                    weight_rec=np.array([[0, 201], [3, 0]]), neuron=NetxNeuron(4096, 4096, 0))
    cases.append(Case("trap-rec-part-truncated", chain(2, rec),
                      rng.integers(0, 2, size=(20, 2)), check=False))
    return cases


ALL_CASES = [f"gen-{i}" for i in range(N_GENERATED)] + [f"special-{i}" for i in range(5)] \
    + [f"trap-{i}" for i in range(6)]


@pytest.fixture(scope="module")
def lava_runs():
    """All oracle cases, run in Lava once (two subprocesses), with their Lava results."""
    if lava_python() is None:
        pytest.skip(NO_LAVA)
    cases = [make_case(i) for i in range(N_GENERATED)] + special_cases() + trap_cases()
    jobs = [(c.network, c.raster, {"check": c.check, "input_message_bits": c.input_message_bits})
            for c in cases]
    results = run_lava_many(jobs, workers=2, timeout=1800)
    return dict(zip(ALL_CASES, zip(cases, results)))


def test_generated_cases_cover_the_features():
    cases = [make_case(i) for i in range(N_GENERATED)]
    types = [layer.type for c in cases for layer in c.network.layers]
    assert {"dense", "dense_rec", "conv", "flatten"} <= set(types)
    weights = [layer.weight for c in cases for layer in c.network.layers
               if layer.type in ("dense", "dense_rec")]
    assert any(w.min() < 0 < w.max() for w in weights)
    assert any(w.min() >= 0 for w in weights)
    assert any(w.max() < 0 for w in weights)
    assert any(w.max() == 0 and w.min() < 0 for w in weights)
    assert sum(c.network.layers[-1].neuron is None for c in cases) >= 3
    assert sum(layer.delay is not None for c in cases for layer in c.network.layers) >= 16
    assert sum(c.raster.ndim in (3, 5) and c.raster.shape[1] == 2 for c in cases) >= 18
    decays = {getattr(layer.neuron, f) for c in cases for layer in c.network.layers
              if layer.neuron is not None for f in ("i_decay", "v_decay")}
    assert {0, 4096} <= decays
    active = []  # blocks with a neuron group that spike at all
    for c in cases:
        out = simulate(c.network, c.raster, record=True, input_message_bits=c.input_message_bits)
        active += [bool(out[f"s{i}"].any()) for i, k in enumerate(c.network.blocks())
                   if c.network.layers[k].neuron is not None]
    assert sum(active) >= 0.8 * len(active)


@pytest.mark.parametrize("name", ALL_CASES)
def test_matches_lava(lava_runs, name):
    case, lava = lava_runs[name]
    sim = simulate(case.network, case.raster, record=True, check=case.check,
                   input_message_bits=case.input_message_bits)
    blocks = case.network.blocks()
    assert lava["layer_h5_index"].tolist() == blocks == sim["layer_h5_index"].tolist()
    batched = case.raster.ndim == len(case.network.input_shape) + 2
    for i in range(len(blocks)):
        for key in (f"s{i}", f"u{i}", f"v{i}"):
            got, want = sim[key], lava[key]
            if not batched:
                got = got[:, None]
                want = want[:, None]
            assert got.shape == want.shape, key
            if not np.array_equal(got, want):
                t, b, n = np.argwhere(got != want)[0]
                raise AssertionError(f"{name}: {key}: {int((got != want).sum())} values differ, "
                                     f"first at row {t} sample {b} neuron {n}: Lava {want[t, b, n]}"
                                     f", sim {got[t, b, n]}")
    assert np.array_equal(sim["spikes"], lava["out"])
