"""Small NIR building blocks for the chip-target tests (test_xylo_target.py,
test_loihi2_target.py, test_spinnaker2_*.py)."""

from __future__ import annotations

import nir
import numpy as np


def cuba(n: int, tau_syn: float, tau_mem: float, dt: float, threshold: float = 1.0) -> nir.CubaLIF:
    """A CubaLIF with gains 1 at step dt (r = tau_mem/dt, w_in = tau_syn/dt), so that its
    Euler decays are 1 - dt/tau_syn and 1 - dt/tau_mem."""
    return nir.CubaLIF(tau_syn=np.full(n, tau_syn), tau_mem=np.full(n, tau_mem),
                       r=np.full(n, tau_mem / dt), v_leak=np.zeros(n),
                       v_threshold=np.full(n, threshold), v_reset=np.zeros(n),
                       w_in=np.full(n, tau_syn / dt))


def linear(n_out: int, n_in: int, seed: int, std: float = 1.0) -> nir.Linear:
    """Normal random weights (seeded) with standard deviation ``std``."""
    rng = np.random.default_rng(seed)
    return nir.Linear(weight=rng.normal(0, std, (n_out, n_in)).astype(np.float32))


def li_readout() -> nir.NIRGraph:
    """Input(6) -> Linear -> LIF(10) -> Linear -> LI(3): a voltage readout."""
    nodes = {"input": nir.Input(np.array([6])), "w0": linear(10, 6, 0, 1.0),
             "a": nir.LIF(tau=np.full(10, 2e-3), r=np.full(10, 20.0), v_leak=np.zeros(10),
                          v_threshold=np.ones(10), v_reset=np.zeros(10)),
             "w1": linear(3, 10, 1, 1.0),
             "li": nir.LI(tau=np.full(3, 5e-3), r=np.full(3, 50.0), v_leak=np.zeros(3)),
             "output": nir.Output(np.array([3]))}
    edges = [("input", "w0"), ("w0", "a"), ("a", "w1"), ("w1", "li"), ("li", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)
