"""A test double of py-spinnaker2 (``from spinnaker2 import snn, hardware, brian2_sim``),
for running the scripts nirc emits without the toolchain (which no registry reachable
here has).

It records every Population, Projection, Conv2DProjection and Network and their
arguments, and validates them as py-spinnaker2 would, by the rules of
../shared/docs/targets.md (SpiNNaker2) and the NIR paper's scripts: known neuron models
and parameter names, sizes, index ranges, int8 weights (+-127), delays 0..7, one spike
list entry per input neuron.  ``hw.run(net, timesteps)`` simulates the network with its
own plain implementation of the documented neuron update (``backend.py``: connection
rows, conv kernels expanded into rows) and records what the populations were asked to
record, one step late as SpiNNaker2 does (the NIR paper's scripts drop the first
recorded step).  ``RUNS`` lists (network, timesteps) of every run.

Nothing here is imported by nirc; tests put this folder first on ``sys.path``.
"""

RUNS: list = []
