"""Small NIR building blocks for the chip-target tests (test_xylo_target.py,
test_loihi2_target.py)."""

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
