"""``spinnaker2.hardware`` of the test double."""

from __future__ import annotations

from .backend import run_network


class SpiNNaker2Chip:
    def __init__(self, eth_ip=None, **kwargs):
        if not isinstance(eth_ip, str):
            raise ValueError("SpiNNaker2Chip needs eth_ip='a.b.c.d'")
        self.eth_ip = eth_ip

    def run(self, net, timesteps, **kwargs):
        run_network(net, timesteps)
