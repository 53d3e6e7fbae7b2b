"""`nirc show` names the tool a graph most likely came from and the profile to run it
with.  The fingerprints are those the exporters write (nirc/producer.py cites them); the
checks use the NIR paper's files (each produced by the tool named in its file name), real
exports by sinabs (its oracle venv) and snnTorch (optional peer), and graphs that match no
fingerprint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nir
import numpy as np
import pytest

from nirc.importer import import_graph
from nirc.producer import guess_producer

REPO = Path(__file__).resolve().parents[1]
PAPER = REPO.parent / "shared" / "conformance" / "nir-paper"
needs_paper = pytest.mark.skipif(not PAPER.is_dir(), reason="../shared/conformance not present")


def guess(graph: nir.NIRGraph):
    g = guess_producer(import_graph(graph))
    return None if g is None else (g.producer, g.profile)


@needs_paper
@pytest.mark.parametrize("name, producer, profile", [
    ("lif_norse.nir", "Norse", "norse"),
    ("braille_noDelay_bias_zero.nir", "snnTorch", "snntorch"),  # exported by snnTorch
    ("cnn_sinabs.nir", "Sinabs", "sinabs"),
])
def test_paper_files(name, producer, profile):
    result = subprocess.run([sys.executable, "-m", "nirc.cli", "show", str(PAPER / name)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    line = [ln for ln in result.stdout.splitlines() if ln.startswith("producer:")]
    assert line and producer in line[0], result.stdout
    assert f"--profile {profile}" in result.stdout


def lif(tau, r):
    n = len(tau)
    return nir.LIF(tau=np.array(tau), r=np.array(r), v_leak=np.zeros(n),
                   v_threshold=np.ones(n), v_reset=np.zeros(n))


def chain(neuron, n=2):
    return nir.NIRGraph.from_list(nir.Input(np.array([n])), nir.Linear(np.eye(n)), neuron,
                                  nir.Output(np.array([n])))


def test_snntorch_formula_by_hand():
    """Leaky(beta=0.9) at snnTorch's dt = 1e-4: tau = 1e-4/0.1 = 1e-3 s, r = tau/dt = 10."""
    assert guess(chain(lif([1e-3, 1e-3], [10.0, 10.0]))) == ("snnTorch", "snntorch")
    # the same neuron at another dt (r = tau/1e-3) is not snnTorch's
    assert guess(chain(lif([1e-3, 1e-3], [1.0, 1.0]))) == ("Norse", "norse")


def test_no_fingerprint_no_guess():
    assert guess(chain(lif([1e-3, 2e-3], [2.0, 3.0]))) is None
    li = nir.LI(tau=np.array([0.01, 0.01]), r=np.array([3.0, 3.0]), v_leak=np.zeros(2))
    assert guess(chain(li)) is None


SINABS_EXPORT = """
import sys, numpy as np, torch, torch.nn as nn, sinabs.layers as sl, nir
from sinabs import to_nir
net = nn.Sequential(nn.Conv2d(2, 4, 3), sl.IAFSqueeze(batch_size=1), sl.SumPool2d(2),
                    nn.Flatten(), nn.Linear(4 * 3 * 3, 3), sl.IAFSqueeze(batch_size=1))
g = to_nir(net, torch.zeros(1, 2, 8, 8))
# sinabs 3.1.3 leaves two fields None that nir 1.0.8 cannot write; fill them as the NIR
# paper's cnn_sinabs.nir has them
g.nodes["0"].input_shape = (8, 8)
g.nodes["3"].input_type = {"input": np.array([4, 3, 3])}
nir.write(sys.argv[1], g)
"""


def test_real_sinabs_export(tmp_path):
    from nirc.targets.speck.oracle.sinabs_oracle import sinabs_python

    python = sinabs_python()
    if python is None:
        pytest.skip("no sinabs oracle venv (targets/speck/oracle/build_env.sh ../sinabs-venv)")
    path = tmp_path / "sinabs.nir"
    subprocess.run([python, "-c", SINABS_EXPORT, str(path)], check=True, capture_output=True,
                   timeout=300)
    from nirc.loading import load_module

    g = guess_producer(load_module(str(path)))
    assert g is not None and (g.producer, g.profile) == ("Sinabs", "sinabs")


def test_real_snntorch_export(tmp_path):
    torch = pytest.importorskip("torch", reason="torch not installed (pip install torch==2.13.0)")
    snn = pytest.importorskip("snntorch", reason="snntorch not installed")
    from snntorch.export_nir import export_to_nir

    def full(n, value):  # per-neuron parameters: export_to_nir gives scalars a 0-d type
        return torch.full((n,), value)

    net = torch.nn.Sequential(
        torch.nn.Linear(4, 5), snn.Leaky(beta=full(5, 0.8), threshold=full(5, 1.0), init_hidden=True),
        torch.nn.Linear(5, 3), snn.RSynaptic(alpha=full(3, 0.7), beta=full(3, 0.9),
                                             threshold=full(3, 1.0), linear_features=3,
                                             init_hidden=True))
    graph = export_to_nir(net, torch.zeros(1, 4), ignore_dims=[0])
    path = tmp_path / "snntorch.nir"
    nir.write(path, graph)
    from nirc.loading import load_module

    g = guess_producer(load_module(str(path)))
    assert g is not None and (g.producer, g.profile) == ("snnTorch", "snntorch")
    assert any("w_rec" in e for e in g.evidence)
