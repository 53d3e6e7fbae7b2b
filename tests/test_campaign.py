"""Generated-graph campaign (issue 16): no input file reaches an internal error.

Every graph of tests/campaign.py's draw (every node kind and variant, nested graphs,
cycles) is compiled for every target and the compiled module run; each outcome must
be a success with finite recorded values or a clean refusal (one error line, exit 1,
nothing written), never an internal error, a partial output or a hang.

The CI size is 8 graphs x 6 targets; ``NIRC_CAMPAIGN=1000 pytest
tests/test_campaign.py -s`` runs 1000 and prints the counts per target
(``NIRC_CAMPAIGN_KEEP=DIR`` keeps the .nir of each graph with a problem,
``NIRC_CAMPAIGN_SEED=S`` draws other graphs, e.g. for shards run in parallel,
``NIRC_CAMPAIGN_LOG=FILE`` keeps the counts so far).
"""

from __future__ import annotations

import os
from pathlib import Path

from campaign import run_campaign


def test_campaign_has_no_internal_error_partial_output_nonfinite_or_hang():
    n = int(os.environ.get("NIRC_CAMPAIGN", "8"))
    keep, log = os.environ.get("NIRC_CAMPAIGN_KEEP"), os.environ.get("NIRC_CAMPAIGN_LOG")
    seed = os.environ.get("NIRC_CAMPAIGN_SEED")
    tally = run_campaign(n, Path(keep) if keep else None, int(seed) if seed else None,
                         Path(log) if log else None)
    print("\n" + tally.table())
    for name, target, what in tally.problems:
        print(f"{name} {target}: {what}")
    assert tally.graphs == n
    assert sum(c["compiled"] for c in tally.counts.values()) > 0  # the campaign ran commands
    assert tally.bad() == 0, "\n".join(f"{g} {t}: {w}" for g, t, w in tally.problems[:20])
