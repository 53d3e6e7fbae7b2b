"""``spinnaker2.brian2_sim`` of the test double."""

from __future__ import annotations

from .backend import run_network


class Brian2Backend:
    def run(self, net, timesteps, **kwargs):
        run_network(net, timesteps)
