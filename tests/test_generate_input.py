"""``nirc run --generate-input kind=...``: regular trains against hand-computed rasters,
Poisson counts against their distribution (seeded, so deterministic), bad specs exit 2."""

from __future__ import annotations

import math

import numpy as np
import pytest
from click.testing import CliRunner

from nirc.cli import main
from nirc.input_arrays import rate_trains


@pytest.fixture(scope="module")
def srnn(examples):
    from nirc.loading import load_module

    return examples["srnn"], load_module(str(examples["srnn"]))


def generated(path, tmp_path, spec, *extra):
    result = CliRunner().invoke(main, ["run", str(path), "--generate-input", spec, "--record",
                                       "input", "-o", str(tmp_path / "o.npz"), *extra])
    assert result.exit_code == 0, result.output
    return np.load(tmp_path / "o.npz")["input"]


def test_regular_by_hand(srnn, tmp_path):
    # 2500 Hz at dt 1e-4: r = 0.25 spikes per step, a spike when floor((t+1)r) steps up: t = 3, 7
    x = generated(srnn[0], tmp_path, "kind=regular,rate=2500,steps=8,batch=2")
    assert x.shape == (8, 2, 12)
    assert (x == np.array([0, 0, 0, 1, 0, 0, 0, 1])[:, None, None]).all()
    # phase 0.5: floor((t+1)/4 + 1/2) > floor(t/4 + 1/2) at t = 1, 5
    x = generated(srnn[0], tmp_path, "kind=regular,rate=2500,steps=8,phase=0.5")
    assert np.flatnonzero(x[:, 0, 0]).tolist() == [1, 5]


def test_poisson_counts_and_clip(srnn):
    module = srnn[1]
    rate, dt = 5000.0, 1e-4  # mean 0.5 events per step
    x = rate_trains(module, "poisson", rate, 2000, 8, seed=1, dt=dt)["input"]
    assert abs(x.mean() - 0.5) < 0.01            # Poisson mean rate*dt (192000 draws)
    assert abs((x >= 2).mean() - (1 - 1.5 * math.exp(-0.5))) < 0.01  # P(N >= 2) = 0.090
    clipped = rate_trains(module, "poisson", rate, 2000, 8, seed=1, dt=dt, clip=True)["input"]
    assert set(np.unique(clipped)) == {0.0, 1.0}
    assert abs(clipped.mean() - (1 - math.exp(-0.5))) < 0.01  # 1 - exp(-rate dt) = 0.393
    np.testing.assert_array_equal(clipped, np.minimum(x, 1))  # same draws, clipped


@pytest.mark.parametrize("spec", ["kind=gauss", "kind=regular,phase=1.5", "rate=2",
                                  "kind=poisson,clip=maybe"])
def test_bad_specs_are_usage_errors(srnn, spec):
    result = CliRunner().invoke(main, ["run", str(srnn[0]), "--generate-input", spec])
    assert result.exit_code == 2 and "--generate-input" in result.output


def test_run_target_states_latency_aligns_and_decides(srnn, tmp_path):
    """Xylo's srnn mapping lags by 1 step (one hidden block + the readout, README); --align
    shifts the output back; the argmax line is each sample's most active output neuron."""
    x = (np.random.default_rng(3).random((60, 3, 12)) < 0.2).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    outs = []
    for extra in ((), ("--align",)):
        result = CliRunner().invoke(main, ["run", str(srnn[0]), "--input", str(tmp_path / "x.npy"),
                                           "--target", "xylo", "-o", str(tmp_path / "o.npz"), *extra])
        assert result.exit_code == 0, result.output
        assert "lags the graph by 1 step(s)" in result.output
        outs.append(np.load(tmp_path / "o.npz")["output"])
    raw, aligned = outs
    np.testing.assert_array_equal(aligned[:-1], raw[1:])
    assert not aligned[-1].any()
    decisions = " ".join(str(d) for d in aligned.sum(axis=0).argmax(axis=1))
    assert f"argmax per sample {decisions};" in result.output
    counts = " ".join(str(int(c)) for c in aligned.sum(axis=(0, 1)))
    assert f"counts per neuron {counts}" in result.output
