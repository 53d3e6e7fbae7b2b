"""Peer checks: nirc reproduces Norse and snnTorch spike for spike.

Skipped where torch is absent (it is never a dependency of nirc).  To run them:

    pip install torch==2.13.0          # the CPU wheel; any other spec pulls CUDA
    pip install snntorch
    pip install --no-deps norse nirtorch   # norse's dependencies pull torchvision+CUDA

What the peers do with a NIR graph (read from their importers, norse 1.1.0 and
snntorch 1.0.0), and the nirc options that match it:
- Norse, CubaLIF: forward Euler, synaptic current first and the membrane uses the
  new current, input gain dt/tau_syn*w_in, reset to value -> nirc's defaults
  (dt given to both: Norse's from_nir defaults to dt = 1e-3).
- Norse, IF: v += x, reset to 0, ignoring r and v_reset (with r = 1, v_reset = 0
  these are NIR's IF).  Norse ignores r on LIF too (it warns), so a LIF graph with
  r != 1 differs from NIR there; not tested against Norse.
- snnTorch, LIF: Leaky with beta = 1 - dt/tau (dt fixed at 1e-4) and the input
  scale r*dt/tau required to be 1 (R = tau/dt), reset to zero -> nirc euler,
  reset value with v_reset = 0.  (snnTorch maps IF to a Leaky with beta 0.9, which
  is not NIR's IF; not tested.)
"""

from __future__ import annotations

import warnings
from pathlib import Path

import nir
import numpy as np
import pytest

import nirc

torch = pytest.importorskip("torch", reason="torch not installed (pip install torch==2.13.0)")

REPO = Path(__file__).resolve().parents[1]
CONFORMANCE = (REPO / ".." / "shared" / "conformance" / "nir-paper").resolve()


def _run_torch(module, x: np.ndarray) -> np.ndarray:
    """Step a nirtorch GraphExecutor over (T, B, n) input, carrying its state."""
    state, out = None, []
    with torch.no_grad():
        for t in range(x.shape[0]):
            y, state = module(torch.from_numpy(x[t]), state)
            out.append(y.numpy().copy())
    return np.stack(out)


def _input(shape, seed=0, rate=0.2) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) < rate).astype(np.float32)


def _norse():
    return pytest.importorskip("norse.torch", reason="norse not installed (pip install --no-deps norse nirtorch)")


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="../shared/conformance not present")
def test_braille_cubalif_matches_norse():
    norse = _norse()
    graph = nir.read(CONFORMANCE / "braille_noDelay_bias_zero.nir")
    x = _input((500, 8, 12))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _run_torch(norse.from_nir(graph, dt=1e-4), x)
    ours = nirc.simulate(graph, x, dt=1e-4, method="euler", reset="value")["output"]
    assert theirs.sum() > 100, "too few spikes for a meaningful comparison"
    np.testing.assert_array_equal(ours, theirs)


def _if_network(seed=1) -> nir.NIRGraph:
    rng = np.random.default_rng(seed)
    n_in, n_hid, n_out = 20, 30, 5
    return nir.NIRGraph.from_list(
        nir.Input(input_type=np.array([n_in])),
        nir.Affine(weight=rng.normal(0, 0.5, (n_hid, n_in)).astype(np.float32),
                   bias=rng.normal(0, 0.05, n_hid).astype(np.float32)),
        nir.IF(r=np.ones(n_hid, np.float32), v_threshold=np.full(n_hid, 1.0, np.float32)),
        nir.Affine(weight=rng.normal(0, 0.5, (n_out, n_hid)).astype(np.float32),
                   bias=np.zeros(n_out, np.float32)),
        nir.IF(r=np.ones(n_out, np.float32), v_threshold=np.full(n_out, 1.0, np.float32)),
        nir.Output(output_type=np.array([n_out])),
    )


def test_if_network_matches_norse():
    norse = _norse()
    graph = _if_network()
    x = _input((400, 8, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _run_torch(norse.from_nir(graph, dt=1e-4), x)
    ours = nirc.simulate(graph, x, reset="value")["output"]
    assert theirs.sum() > 100
    np.testing.assert_array_equal(ours, theirs)


def test_lif_network_with_r_tau_over_dt_matches_snntorch():
    snn_import = pytest.importorskip("snntorch.import_nir", reason="snntorch not installed")
    dt, rng = 1e-4, np.random.default_rng(2)
    n_in, n_hid, n_out = 16, 24, 4
    tau_h, tau_o = np.full(n_hid, 2e-3), np.full(n_out, 5e-3)

    def lif(tau):
        n = tau.size
        return nir.LIF(tau=tau.astype(np.float32), r=(tau / dt).astype(np.float32),
                       v_leak=np.zeros(n, np.float32), v_threshold=np.ones(n, np.float32),
                       v_reset=np.zeros(n, np.float32))

    graph = nir.NIRGraph.from_list(
        nir.Input(input_type=np.array([n_in])),
        nir.Affine(weight=rng.normal(0, 0.6, (n_hid, n_in)).astype(np.float32),
                   bias=np.zeros(n_hid, np.float32)),
        lif(tau_h),
        nir.Affine(weight=rng.normal(0, 0.6, (n_out, n_hid)).astype(np.float32),
                   bias=np.zeros(n_out, np.float32)),
        lif(tau_o),
        nir.Output(output_type=np.array([n_out])),
    )
    x = _input((300, 4, n_in), seed=3, rate=0.3)
    module = snn_import.import_from_nir(graph)
    out = []
    with torch.no_grad():
        for t in range(x.shape[0]):
            y = module(torch.from_numpy(x[t]))
            out.append((y[0] if isinstance(y, tuple) else y).numpy().copy())
    theirs = np.stack(out)
    ours = nirc.simulate(graph, x, dt=dt, method="euler", reset="value")["output"]
    assert theirs.sum() > 50
    np.testing.assert_array_equal(ours, theirs)


def test_recurrent_cubalif_with_delayed_subtractive_reset_matches_snntorch_under_its_profile():
    """snnTorch's own neurons as they train (RSynaptic/Synaptic with reset_mechanism=
    'subtract' and the default reset_delay=True), exported with snntorch.export_to_nir
    (which records neither the reset nor its delay): nirc's snntorch profile reproduces
    snnTorch's forward pass spike for spike; NIR's own semantics do not."""
    snn = pytest.importorskip("snntorch", reason="snntorch not installed")
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(0)
    n_in, n_hid, n_out = 12, 24, 5

    def full(n, value):  # per-neuron parameters: export_to_nir gives scalars a 0-d type
        return torch.full((n,), value)

    lif1 = snn.RSynaptic(alpha=full(n_hid, 0.8), beta=full(n_hid, 0.9), threshold=full(n_hid, 1.0),
                         linear_features=n_hid, reset_mechanism="subtract", init_hidden=True)
    lif2 = snn.Synaptic(alpha=full(n_out, 0.7), beta=full(n_out, 0.85), threshold=full(n_out, 1.0),
                        reset_mechanism="subtract", init_hidden=True)
    net = torch.nn.Sequential(torch.nn.Linear(n_in, n_hid), lif1, torch.nn.Linear(n_hid, n_out),
                              lif2).eval()
    with torch.no_grad():
        net[0].weight.mul_(3.0)
        lif1.recurrent.weight.mul_(0.5)
        net[2].weight.mul_(3.0)
    x = _input((300, 6, n_in), seed=5, rate=0.3)
    graph = export_to_nir(net, torch.zeros(1, n_in), ignore_dims=[0])
    from snntorch import utils as snn_utils

    snn_utils.reset(net)
    with torch.no_grad():
        theirs = np.stack([net(torch.from_numpy(x[t])).numpy().copy() for t in range(x.shape[0])])
    ours = next(iter(nirc.simulate(graph, x, profile="snntorch", dtype="float64").values()))
    assert theirs.sum() > 100 and assert_reset_matters(graph, x, theirs)
    np.testing.assert_array_equal(ours, theirs)


def assert_reset_matters(graph, x, theirs) -> bool:
    """NIR's default reading (reset to v_reset at once) differs: the profile is needed."""
    default = next(iter(nirc.simulate(graph, x, dtype="float64").values()))
    return not np.array_equal(default, theirs)
