"""The fast engine's thread choice (targets/interp/threads.py).

Samples are independent and each is computed by one thread in a fixed order of
operations, so any thread count must give the bits of the reference engine; the
choice itself is a rule on work estimates and on recorded timings, checked here on
given timings (tests never time).
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import nirc
from nirc.cli import main
from nirc.targets.interp import threads
from nirc.targets.interp.threads import PROBE_EVERY, ThreadChoice


def test_one_thread_below_the_work_threshold_or_for_one_row():
    assert ThreadChoice(2, threads.WORK_THRESHOLD / 10, rows=128).pick(steps=9) == 1
    assert ThreadChoice(2, 1e12, rows=1).pick(steps=100) == 1  # one sample: nothing to split
    assert ThreadChoice(1, 1e12, rows=128).pick(steps=100) == 1


def test_above_the_threshold_the_faster_count_is_kept_and_the_other_probed():
    choice = ThreadChoice(2, 1e12, rows=128)
    # first each count is tried (a warm-up call, then a timed one)
    assert choice.pick(10) == 1
    choice.seconds[1] = 3.0  # as if one thread took 3 s per step...
    assert choice.pick(10) == 2
    choice.seconds[2] = 1.0  # ...and two threads 1 s: two win
    picks = []
    for _ in range(2 * PROBE_EVERY):
        picks.append(choice.pick(10))
        choice.count += 1
    assert picks.count(1) == 2 and picks.count(2) == 2 * PROBE_EVERY - 2
    choice.seconds[2] = 5.0  # a load arrived: one thread is now faster
    assert choice.pick(10) == 1


def _recurrent(n_in=5, n_hidden=9, n_out=3, seed=0, cuba=True):
    import nir

    rng = np.random.default_rng(seed)
    f = np.float32
    plain = nir.LIF(tau=np.full(n_hidden, 4e-3, f), r=np.full(n_hidden, 20.0, f),
                    v_leak=np.zeros(n_hidden, f), v_threshold=np.ones(n_hidden, f),
                    v_reset=np.zeros(n_hidden, f))
    return nir.NIRGraph(
        nodes={"input": nir.Input(input_type=np.array([n_in])),
               "fc": nir.Affine(weight=rng.normal(0, 1, (n_hidden, n_in)).astype(f),
                                bias=rng.normal(0, .1, n_hidden).astype(f)),
               "rec": nir.Linear(weight=rng.normal(0, .5, (n_hidden, n_hidden)).astype(f)),
               "lif": nir.CubaLIF(tau_syn=np.full(n_hidden, 2e-3, f), tau_mem=np.full(n_hidden, 4e-3, f),
                                  r=np.full(n_hidden, 20.0, f), v_leak=np.zeros(n_hidden, f),
                                  v_threshold=np.ones(n_hidden, f), v_reset=np.zeros(n_hidden, f))
               if cuba else plain,
               "out": nir.Affine(weight=rng.normal(0, 1, (n_out, n_hidden)).astype(f),
                                 bias=np.zeros(n_out, f)),
               "lif2": nir.LIF(tau=np.full(n_out, 3e-3, f), r=np.full(n_out, 20.0, f),
                             v_leak=np.zeros(n_out, f), v_threshold=np.ones(n_out, f),
                             v_reset=np.zeros(n_out, f)),
               "output": nir.Output(output_type=np.array([n_out]))},
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "out"),
               ("out", "lif2"), ("lif2", "output")])


@pytest.mark.parametrize("count", [1, 2])
def test_any_thread_count_gives_the_reference_bits(monkeypatch, count):
    """With the threshold at 0 every kernel may run on two threads (the choice then
    alternates 1 and 2 over the chunks); each sample's spikes and v still equal the
    reference engine's bit for bit."""
    monkeypatch.setattr(threads, "WORK_THRESHOLD", 0.0)
    graph = _recurrent()
    x = (np.random.default_rng(1).random((400, 16, 5)) < 0.3).astype(np.float32)
    ref = nirc.simulate(graph, x, engine="reference", record=["lif.v", "lif2.v"])
    fast = nirc.simulate(graph, x, engine="fast", threads=count, record=["lif.v", "lif2.v"])
    for key in ref:
        np.testing.assert_array_equal(fast[key], ref[key])
    assert ref["output"].sum() > 0  # the network spikes at all


def test_threads_must_be_positive():
    with pytest.raises(nirc.diagnostics.NircError, match="threads must be a positive integer"):
        nirc.Simulator(_recurrent(), threads=0)


def test_run_threads_option(tmp_path, monkeypatch):
    """--threads 1 gives the default run's outputs; 0 is bad usage."""
    import os

    import nir

    monkeypatch.setattr(os, "environ", dict(os.environ))  # --threads sets BLAS variables

    path = tmp_path / "rec.nir"
    nir.write(path, _recurrent())
    args = ["run", str(path), "--generate-input", "rate=0.3,steps=60,batch=4"]
    one = CliRunner().invoke(main, [*args, "--threads", "1", "-o", str(tmp_path / "a.npz")])
    default = CliRunner().invoke(main, [*args, "-o", str(tmp_path / "b.npz")])
    assert one.exit_code == 0 and default.exit_code == 0, one.output + default.output
    with np.load(tmp_path / "a.npz") as a, np.load(tmp_path / "b.npz") as b:
        np.testing.assert_array_equal(a["output"], b["output"])
    bad = CliRunner().invoke(main, [*args, "--threads", "0"])
    assert bad.exit_code == 2 and "--threads" in bad.output


def test_generated_loops_are_cached_as_modules_keyed_by_their_source(tmp_path, monkeypatch):
    """A cyclic group's loop is written once to $NIRC_CACHE_DIR/loops as a module whose
    name hashes its source (numba caches it beside it); an unwritable directory falls
    back to compiling in memory.  Either way the results are the reference's."""
    from nirc.targets.interp import loop_cache

    monkeypatch.setenv("NIRC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(loop_cache, "_LOADED", {})
    graph = _recurrent(seed=2)
    x = (np.random.default_rng(3).random((50, 1, 5)) < 0.3).astype(np.float32)
    ref = nirc.simulate(graph, x, engine="reference")["output"]
    np.testing.assert_array_equal(nirc.simulate(graph, x, engine="fast")["output"], ref)
    (module,) = (tmp_path / "cache" / "loops").glob("group_*.py")
    text = module.read_text()
    assert "def group_step(" in text and "cache=True" in text and "parallel=False" in text
    # the same graph in a new process state: the same file, not a second one
    monkeypatch.setattr(loop_cache, "_LOADED", {})
    nirc.simulate(graph, x, engine="fast")
    assert len(list((tmp_path / "cache" / "loops").glob("group_*.py"))) == 1
    # another width is the same loop (shapes are arguments); another neuron is not
    nirc.simulate(_recurrent(n_hidden=4), x, engine="fast")
    assert len(list((tmp_path / "cache" / "loops").glob("group_*.py"))) == 1
    nirc.simulate(_recurrent(cuba=False), x, engine="fast")
    assert len(list((tmp_path / "cache" / "loops").glob("group_*.py"))) == 2
    # a directory that cannot be created: compiled in memory, same results
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("NIRC_CACHE_DIR", str(blocker / "sub"))
    monkeypatch.setattr(loop_cache, "_LOADED", {})
    np.testing.assert_array_equal(nirc.simulate(graph, x, engine="fast")["output"], ref)


def test_one_preempted_call_does_not_flip_the_choice_but_a_lasting_load_does(monkeypatch):
    """Timings are scripted (a fake clock): a count's time is the least of its last
    KEEP timings, so one slow call is ignored and KEEP slow calls are not."""
    import numba

    pool = numba.config.NUMBA_NUM_THREADS
    if pool < 2:
        pytest.skip("needs a numba pool of two threads")
    durations = iter([0, 5, 0, 1])  # warm-up 1, timed 1: 5 s; warm-up N, timed N: 1 s
    clock = {"now": 0.0}

    def fake_perf_counter():  # called twice per run: start, end
        clock["now"] += clock.pop("pending", 0.0)
        return clock["now"]

    monkeypatch.setattr(threads.time, "perf_counter", fake_perf_counter)
    choice = ThreadChoice(pool, 1e12, rows=128)

    def call(seconds):
        clock["pending"] = 0.0
        k = choice.pick(1)

        def work():
            clock["pending"] = seconds
        choice.run(work, 1)
        return k

    assert [call(next(durations)) for _ in range(4)] == [1, 1, pool, pool]
    assert choice.seconds == {1: 5, pool: 1}
    assert call(50) == pool and choice.seconds[pool] == 1  # one preempted call: kept
    for _ in range(threads.KEEP):
        choice.count = 1  # no probe of one thread meanwhile
        call(9)
    assert choice.seconds[pool] == 9 and choice.pick(1) == 1  # a lasting load: one thread
