"""targets/xylo/sim.py: hand-checked traces, batching, and bit-exactness against xylosim.

The hand-checked tests need no xylosim; the oracle tests compare every recorded value
with ``xylosim.v2.XyloLayer`` on generated configurations.
"""

from __future__ import annotations

import numpy as np
import pytest

from nirc.targets.xylo.config import XyloConfig
from nirc.targets.xylo.sim import simulate

N_ORACLE_CASES = 240


def one_neuron(**values) -> XyloConfig:
    """1 input, 1 hidden, 1 readout neuron; weights 0, dashes 1, thresholds 1."""
    values = {k: np.array(v) if isinstance(v, list) else v for k, v in values.items()}
    return XyloConfig.zeros(1, 1, 1, **values)


def pulse(steps: int, *spikes: tuple[int, int, int], n_in: int = 1) -> np.ndarray:
    """(T, Nin) counts with ``count`` spikes on ``channel`` at ``t`` for each (t, channel,
    count)."""
    raster = np.zeros((steps, n_in), np.int64)
    for t, channel, count in spikes:
        raster[t, channel] = count
    return raster


# ------------------------------------------------------------------------------------
# hand-checked traces (no xylosim needed)


def test_single_spike_trace():
    # w = 64, dash_syn = dash_mem = 1, one spike at t=0, threshold out of reach.
    # t0: i = 64 - (64 >> 1) = 32; v = 0 - 0 + 32 = 32
    # t1: i = 32 - 16 = 16;        v = 32 - (32 >> 1) + 16 = 32
    # t2: i = 8;  v = 32 - 16 + 8 = 24      t3: i = 4; v = 24 - 12 + 4 = 16
    # t4: i = 2;  v = 16 - 8 + 2 = 10       t5: i = 1; v = 10 - 5 + 1 = 6
    # t6: i = 1 - max(1 >> 1, 1) = 0; v = 6 - 3 = 3
    # t7: v = 3 - 1 = 2;  t8: v = 1;  t9: v = 1 - max(0, 1) = 0;  t10: 0
    config = one_neuron(weights_in=np.full((1, 1, 1), 64, np.int8), threshold=[10_000])
    out = simulate(config, pulse(11, (0, 0, 1)), record=True)
    assert out["i_syn"][:, 0].tolist() == [32, 16, 8, 4, 2, 1, 0, 0, 0, 0, 0]
    assert out["v_mem"][:, 0].tolist() == [32, 32, 24, 16, 10, 6, 3, 2, 1, 0, 0]
    assert not out["spikes_hidden"].any() and "i_syn2" not in out
    assert out["spikes_out"].shape == (11, 1)


def test_negative_values_decay_by_floor_shift():
    # w = -100, dash_syn = 2, dash_mem = 15: i = -100 - (-100 >> 2 = -25) = -75;
    # v = 0 + (-75) = -75.  t1: i = -75 - (-75 >> 2 = -19) = -56; v = -75 - (-75 >> 15
    # = -1) - 56 = -75 + 1 - 56 = -130.  t2: i = -56 + 14 = -42; v = -130 + 1 - 42 = -171
    config = one_neuron(weights_in=np.full((1, 1, 1), -100, np.int8), dash_syn=[2],
                        dash_mem=[15], threshold=[10_000])
    out = simulate(config, pulse(3, (0, 0, 1)), record=True)
    assert out["i_syn"][:, 0].tolist() == [-75, -56, -42]
    assert out["v_mem"][:, 0].tolist() == [-75, -130, -171]


def test_bias_driven_spiking_and_subtraction():
    # no input, bias 5, threshold 7, dash_mem 15 (the decay of v > 0 is 1):
    # t0: v = 0 + 5 = 5;  t1: v = 5 - 1 + 5 = 9 -> spike, 2;  t2: 2 - 1 + 5 = 6
    # t3: 6 - 1 + 5 = 10 -> spike, 3;  t4: 3 - 1 + 5 = 7 -> spike, 0;  t5: 0 + 5 = 5
    config = one_neuron(bias_hidden=[5], threshold=[7], dash_mem=[15])
    out = simulate(config, pulse(6), record=True)
    assert out["v_mem"][:, 0].tolist() == [5, 2, 6, 3, 0, 5]
    assert out["spikes_hidden"][:, 0].tolist() == [0, 1, 0, 1, 1, 0]


def test_multiple_spikes_per_step_and_readout_max_one():
    # w_in = 100, shift 2 -> 400; dash_syn 15: i = 400 - 1 = 399 = v at t0.
    # threshold 100: 3 spikes, v = 99.  Readout (w_out = 10, threshold_out 1): at t1 it
    # gets 3 * 10 = 30, i_out = 30 - 1 = 29, v_out = 29 -> one spike (max 1), v_out = 28
    config = one_neuron(weights_in=np.full((1, 1, 1), 100, np.int8), weight_shift_in=2,
                        dash_syn=[15], threshold=[100], weights_out=np.full((1, 1), 10, np.int8),
                        dash_syn_out=[15], dash_mem_out=[15])
    out = simulate(config, pulse(2, (0, 0, 1)), record=True)
    assert out["spikes_hidden"][0, 0] == 3 and out["v_mem"][0, 0] == 99
    assert out["i_syn_out"][:, 0].tolist() == [0, 29]
    assert out["v_mem_out"][:, 0].tolist() == [0, 28]
    assert out["spikes_out"][:, 0].tolist() == [0, 1]


def test_input_counts_clip_at_15():
    # 20 spikes of w = 1 count as 15; dash_syn 15: i = 15 - 1 = 14
    config = one_neuron(weights_in=np.ones((1, 1, 1), np.int8), dash_syn=[15], threshold=[1000])
    out = simulate(config, pulse(1, (0, 0, 20)), record=True)
    assert out["i_syn"][0, 0] == 14


def test_saturation_follows_source_order():
    # weight_shift 8: +100 -> 25600, -100 -> -25600; dash_syn 15.
    # Channel 0 (+, 2 spikes) first: sat(51200) = 32767, then 32767 - 25600 = 7167,
    # decayed by 1: 7166.  Summing first would give 25600 - 1.
    # Reversed signs: -32768 + 25600 = -7168, decay -7168 >> 15 = -1: -7167.
    w = np.array([100, -100], np.int8).reshape(2, 1, 1)
    config = XyloConfig.zeros(2, 1, 1, weights_in=w, weight_shift_in=8,
                              dash_syn=np.array([15]), threshold=np.array([32767]))
    raster = pulse(1, (0, 0, 2), (0, 1, 1), n_in=2)
    assert simulate(config, raster, record=True)["i_syn"][0, 0] == 7166
    config.weights_in = -w
    assert simulate(config, raster, record=True)["i_syn"][0, 0] == -7167


def test_shifted_weight_wraps_to_int16():
    # 127 << 9 = 65024 -> int16 -512, decayed by -1 (dash 15): -511;  -128 << 9 -> 0
    config = one_neuron(weights_in=np.full((1, 1, 1), 127, np.int8), weight_shift_in=9,
                        dash_syn=[15], threshold=[1000])
    assert simulate(config, pulse(1, (0, 0, 1)), record=True)["i_syn"][0, 0] == -511
    config.weights_in[:] = -128
    assert simulate(config, pulse(1, (0, 0, 1)), record=True)["i_syn"][0, 0] == 0


def test_zero_and_negative_thresholds():
    # v = 0 >= 0: 31 spikes, v stays 0.  threshold -3: 31 spikes, v = 0 + 31 * 3 = 93.
    # Readout with threshold -3: one spike, v = 3.
    config = XyloConfig.zeros(1, 2, 1, threshold=np.array([0, -3]), threshold_out=np.array([-3]))
    out = simulate(config, pulse(1), record=True)
    assert out["spikes_hidden"][0].tolist() == [31, 31]
    assert out["v_mem"][0].tolist() == [0, 93]
    assert out["spikes_out"][0, 0] == 1 and out["v_mem_out"][0, 0] == 3


def test_negative_threshold_subtraction_wraps():
    # bias 32767: v = 32767; v - (-2000) = 34767 wraps to -30769 < -2000: one spike
    config = one_neuron(bias_hidden=[32767], threshold=[-2000])
    out = simulate(config, pulse(1), record=True)
    assert out["spikes_hidden"][0, 0] == 1 and out["v_mem"][0, 0] == -30769


def test_aliases_both_directions():
    # neuron 0: bias 1, threshold 1 -> v = 1, one spike, v = 0; alias -> buffer[1] = 1.
    # neuron 1: threshold -1, its loop starts at 1 spike: 30 more, v = 30; buffer 31;
    # its alias (lower index 0) gets min(1 + 31, 31) = 31.
    config = XyloConfig.zeros(1, 2, 1, bias_hidden=np.array([1, 0]), threshold=np.array([1, -1]),
                              aliases=[[1], [0]])
    out = simulate(config, pulse(1), record=True)
    assert out["spikes_hidden"][0].tolist() == [31, 31]
    assert out["v_mem"][0].tolist() == [0, 30]


def test_two_synapses_recorded_separately():
    # synapse 0 w = 64 (dash 1): 32; synapse 1 w = -16 (dash 2): -16 + 4 = -12; v = 20
    w = np.array([64, -16], np.int8).reshape(1, 1, 2)
    config = XyloConfig.zeros(1, 1, 1, synapses=2, weights_in=w, dash_syn_2=np.array([2]),
                              threshold=np.array([1000]))
    out = simulate(config, pulse(1, (0, 0, 1)), record=True)
    assert (out["i_syn"][0, 0], out["i_syn2"][0, 0], out["v_mem"][0, 0]) == (32, -12, 20)


def test_recurrent_spikes_arrive_next_step():
    # neuron 0 fires every step (bias 1, threshold 1); w_rec[0 -> 1] = 50 arrives one
    # step later: t1: i_1 = 50 - 25 = 25;  t2: 25 + 50 = 75, 75 - 37 = 38
    w_rec = np.zeros((2, 2, 1), np.int8)
    w_rec[0, 1, 0] = 50
    config = XyloConfig.zeros(1, 2, 1, weights_rec=w_rec, bias_hidden=np.array([1, 0]),
                              threshold=np.array([1, 1000]))
    out = simulate(config, pulse(3), record=True)
    assert out["spikes_hidden"][:, 0].tolist() == [1, 1, 1]
    assert out["i_syn"][:, 1].tolist() == [0, 25, 38]


def test_raster_validation():
    config = one_neuron()
    with pytest.raises(ValueError, match="negative"):
        simulate(config, -np.ones((2, 1), np.int64))
    with pytest.raises(ValueError, match="shape"):
        simulate(config, np.zeros((2, 3), np.int64))
    assert simulate(config, np.zeros((4, 3, 1), np.int64))["spikes_out"].shape == (4, 3, 1)


# ------------------------------------------------------------------------------------
# generated configurations


def random_config(rng: np.random.Generator) -> XyloConfig:
    """Random sizes, weights, dashes, thresholds, biases, shifts and aliases: half of the
    cases "wild" (any dashes, shifts up to 15, extreme thresholds and biases: saturation
    everywhere), half "moderate" (what a trained network looks like: no saturation)."""
    n_in, n_out = int(rng.integers(1, 17)), int(rng.integers(1, 17))
    n_hid = int(rng.choice([rng.integers(1, 21), rng.integers(21, 101), rng.integers(101, 301)],
                           p=[0.8, 0.15, 0.05]))
    s = int(rng.integers(1, 3))
    wild = rng.random() < 0.5
    if wild:
        shifts = [int(rng.integers(9, 16)) if rng.random() < 0.15 else int(rng.integers(0, 9))
                  for _ in range(3)]
        dash_range = (0, int(rng.choice([5, 16])))
    else:
        shifts, dash_range = [int(x) for x in rng.integers(0, 3, 3)], (1, 5)

    def weights(*shape, density=1.0):
        w = rng.integers(-128, 128, shape).astype(np.int8)
        return np.where(rng.random(shape) < rng.random() * density, w, 0).astype(np.int8)

    def dash(n):
        return rng.integers(*dash_range, n)

    w_rec = (weights(n_hid, n_hid, s, density=1.0 if wild else 0.2) if rng.random() < 0.7
             else np.zeros((n_hid, n_hid, s), np.int8))
    dashes = {"dash_mem": dash(n_hid), "dash_syn": dash(n_hid), "dash_syn_2": dash(n_hid),
              "dash_mem_out": dash(n_out), "dash_syn_out": dash(n_out)}
    if wild:
        levels = {"threshold": thresholds(rng, n_hid, shifts[0]),
                  "threshold_out": thresholds(rng, n_out, shifts[2]),
                  "bias_hidden": biases(rng, n_hid), "bias_out": biases(rng, n_out)}
    else:
        levels = {"threshold": gain_threshold(rng, shifts[0], dashes["dash_syn"],
                                              dashes["dash_mem"]),
                  "threshold_out": gain_threshold(rng, shifts[2], dashes["dash_syn_out"],
                                                  dashes["dash_mem_out"]),
                  "bias_hidden": biases(rng, n_hid, 16), "bias_out": biases(rng, n_out, 16)}
    return XyloConfig(
        weights_in=weights(n_in, n_hid, s), weights_rec=w_rec, weights_out=weights(n_hid, n_out),
        **dashes, **levels,
        weight_shift_in=shifts[0], weight_shift_rec=shifts[1], weight_shift_out=shifts[2],
        aliases=aliases(rng, n_hid) if rng.random() < 0.25 else [])


def gain_threshold(rng, shift: int, dash_syn: np.ndarray, dash_mem: np.ndarray) -> np.ndarray:
    """Log-uniform between the peak of v after one spike of a typical weight and that
    times the membrane's gain (2 ** dash_mem), so that a few input spikes make a spike."""
    low = np.log2(64 << shift) + dash_syn - 1
    return np.minimum(2 ** rng.uniform(low, low + dash_mem), 2 ** 15 - 1).astype(np.int64)


def thresholds(rng, n: int, shift: int) -> np.ndarray:
    """Typical (a few weights), small, large, zero, negative or a mix of them."""
    kinds = {
        "typical": lambda: rng.integers(1, min(2 ** 15, (128 << min(shift, 8)) * 4), n),
        "small": lambda: rng.integers(1, 10, n),
        "large": lambda: rng.integers(2 ** 12, 2 ** 15, n),
        "zero": lambda: np.zeros(n, np.int64),
        "negative": lambda: rng.integers(-(2 ** 15), 0, n),
    }
    names = list(kinds)
    kind = rng.choice(names + ["mix"], p=[0.55, 0.12, 0.1, 0.04, 0.07, 0.12])
    if kind != "mix":
        return kinds[kind]()
    parts = np.stack([kinds[k]() for k in names])
    return parts[rng.integers(0, len(names), n), np.arange(n)]


def biases(rng, n: int, high: int | None = None) -> np.ndarray:
    """Zero, or half of the neurons with a bias in (-high, high) (random range if None)."""
    high = high or [0, 64, 2 ** 11, 2 ** 15][rng.integers(0, 4)]
    if not high or rng.random() < 0.3:
        return np.zeros(n, np.int64)
    return np.where(rng.random(n) < 0.5, rng.integers(-high, high, n), 0)


def aliases(rng, n: int) -> list[list[int]]:
    return [sorted(set(rng.integers(0, n, rng.integers(1, 4)).tolist())) if rng.random() < 0.3
            else [] for _ in range(n)]


def random_raster(rng, n_in: int) -> np.ndarray:
    steps, batch = int(rng.integers(1, 201)), int(rng.integers(1, 4))
    rate = rng.choice([0.02, 0.1, 0.4])
    counts = rng.integers(1, 21 if rng.random() < 0.3 else 2, (steps, batch, n_in))
    return np.where(rng.random((steps, batch, n_in)) < rate, counts, 0)


@pytest.fixture(scope="module")
def xylosim():
    return pytest.importorskip(
        "xylosim.v2", reason="xylosim (SynSense's bit-exact Xylo simulator, the oracle) "
                             "is not installed: pip install xylosim==0.1.3")


@pytest.mark.parametrize("case", range(N_ORACLE_CASES))
def test_matches_xylosim(xylosim, case):
    from nirc.targets.xylo.oracle import run_xylosim

    rng = np.random.default_rng([2024, case])
    config = random_config(rng)
    raster = random_raster(rng, config.sizes[0])
    want = run_xylosim(config, raster)
    got = simulate(config, raster, record=True)
    assert sorted(got) == sorted(want)
    for key in want:
        np.testing.assert_array_equal(got[key], want[key], err_msg=key)


@pytest.mark.parametrize("seed", range(5))
def test_batch_equals_samples_alone(seed):
    rng = np.random.default_rng([7, seed])
    config = random_config(rng)
    raster = random_raster(rng, config.sizes[0])
    raster = np.concatenate([raster] * 3, axis=1)[:, :5]
    together = simulate(config, raster, record=True)
    for b in range(raster.shape[1]):
        alone = simulate(config, raster[:, b], record=True)
        for key, value in together.items():
            np.testing.assert_array_equal(value[:, b], alone[key], err_msg=key)
    assert np.array_equal(simulate(config, raster)["spikes_out"], together["spikes_out"])
