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


class FakeClock:
    """``time.perf_counter`` for ThreadChoice: each run of ``call`` takes the scripted
    seconds of the thread count it was given."""

    def __init__(self, monkeypatch, choice):
        self.now, self.pending, self.choice = 0.0, 0.0, choice
        self.busy = 0  # other runnable tasks (threads.busy_cores)
        monkeypatch.setattr(threads.time, "perf_counter", self.perf_counter)
        monkeypatch.setattr(threads, "busy_cores", lambda: self.busy)
        monkeypatch.setattr(threads, "cores", lambda: choice.threads)

    def perf_counter(self):  # called twice per run: start, end
        self.now += self.pending
        self.pending = 0.0
        return self.now

    def call(self, seconds_of) -> int:
        """One kernel call through the choice; ``seconds_of(k)`` its duration with k
        threads.  Returns k."""
        k = self.choice.pick(1)

        def work():
            self.pending = seconds_of(k)
        self.choice.run(work, 1)
        return k


def test_the_faster_count_is_kept_and_a_losing_probe_waits_twice_as_long(monkeypatch):
    import numba

    pool = numba.config.NUMBA_NUM_THREADS
    if pool < 2:
        pytest.skip("needs a numba pool of two threads")
    choice = ThreadChoice(pool, 1e12, rows=128)
    clock = FakeClock(monkeypatch, choice)
    quiet = {1: 3.0, pool: 1.0}  # all threads three times faster
    picks = [clock.call(quiet.get) for _ in range(300)]
    assert picks[:4] == [1, 1, pool, pool]  # each count: a warm-up call, then a timed one
    probes = [i for i, k in enumerate(picks) if k == 1 and i >= 4]
    gaps = [b - a for a, b in zip(probes, probes[1:])]
    assert probes[0] == PROBE_EVERY - 1 and gaps == [2 * PROBE_EVERY, 4 * PROBE_EVERY,
                                                     8 * PROBE_EVERY][:len(gaps)]
    assert len(gaps) == 3  # 15, 47, 111, 239: the interval doubles after each loss
    # a lasting load arrives: all threads now take 10 s; within KEEP calls the median flips
    loaded = {1: 3.0, pool: 10.0}
    picks = [clock.call(loaded.get) for _ in range(threads.KEEP + 1)]
    assert picks[-1] == 1 and choice.best() == 1


def test_a_slow_first_parallel_call_does_not_lock_the_threads_out(monkeypatch):
    """The first timed call on all threads may pay the pool's start-up (measured: 5 ms
    per step against 0.74 after it): while a count has fewer than three timings, its
    least counts, so the second, normal timing wins the threads back at once."""
    import numba

    pool = numba.config.NUMBA_NUM_THREADS
    if pool < 2:
        pytest.skip("needs a numba pool of two threads")
    choice = ThreadChoice(pool, 1e12, rows=128)
    clock = FakeClock(monkeypatch, choice)
    durations = iter([1.0, 20.0] + [1.0] * 200)  # all threads: warm-up, the slow timing, ...
    def seconds(k):
        return 3.0 if k == 1 else next(durations)

    picks = [clock.call(seconds) for _ in range(4)]
    assert picks == [1, 1, pool, pool] and choice.seconds[pool] == 20.0
    picks += [clock.call(seconds) for _ in range(26)]
    assert picks[4:PROBE_EVERY - 1] == [1] * (PROBE_EVERY - 5)  # 20 s against 3 s: one thread
    # the probe times 1 s: with the mean of (20, 1) it would lose and wait 2 x 16 calls
    assert picks[PROBE_EVERY - 1:] == [pool] * (31 - PROBE_EVERY) and choice.best() == pool


def test_one_preempted_call_does_not_flip_the_choice_but_a_lasting_load_does(monkeypatch):
    """A count's time is the median of its last KEEP timings: one slow call is ignored,
    a majority of slow calls is not."""
    import numba

    pool = numba.config.NUMBA_NUM_THREADS
    if pool < 2:
        pytest.skip("needs a numba pool of two threads")
    choice = ThreadChoice(pool, 1e12, rows=128)
    clock = FakeClock(monkeypatch, choice)
    for _ in range(4):
        clock.call({1: 5.0, pool: 1.0}.get)
    assert choice.seconds == {1: 5, pool: 1}
    for _ in range(threads.KEEP - 1):
        clock.call({1: 5.0, pool: 1.0}.get)
    assert clock.call({1: 5.0, pool: 50.0}.get) == pool  # one preempted call...
    assert choice.seconds[pool] == 1 and choice.best() == pool  # ...changes nothing
    for _ in range(threads.KEEP // 2 + 1):
        clock.call({1: 5.0, pool: 9.0}.get)
    assert choice.seconds[pool] == 9 and choice.best() == 1  # a lasting load: one thread


def test_while_other_processes_hold_the_cores_one_thread_runs_and_nothing_is_probed(monkeypatch):
    """All threads win on a quiet machine; once another process is runnable on the
    second core, every call runs on one thread (no warm-up, timing or probe of more)
    until the core is free again."""
    choice = ThreadChoice(2, 1e12, rows=128)
    clock = FakeClock(monkeypatch, choice)
    clock.busy = 1
    assert [clock.call({1: 3.0, 2: 1.0}.get) for _ in range(100)] == [1] * 100
    assert 2 not in choice.seconds  # never tried while the core was taken
    clock.busy = 0
    picks = [clock.call({1: 3.0, 2: 1.0}.get) for _ in range(12)]
    assert picks[:2] == [2, 2] and picks.count(2) >= 11  # the warm-up, timing, one probe of 1
    clock.busy = 1
    assert clock.call({1: 3.0, 2: 1.0}.get) == 1


def test_busy_cores_reads_the_runnable_tasks():
    busy = threads.busy_cores()
    assert busy is None or busy >= 0


def test_all_threads_must_win_by_the_margin():
    choice = ThreadChoice(2, 1e12, rows=128)
    choice.seconds = {1: 1.0, 2: 0.95}  # 5% faster: not worth another core
    assert choice.best() == 1
    choice.seconds = {1: 1.0, 2: 0.5}
    assert choice.best() == 2


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


def test_blas_runs_on_one_thread_during_a_fast_run_and_is_restored_after(monkeypatch):
    """The fast engine's matrix products (here the reference dense kernel it calls on
    float input) see BLAS limited to one thread unless threads are given; the caller's
    setting comes back after the run."""
    from threadpoolctl import threadpool_info

    from nirc.targets.interp import fast

    def blas_threads():
        counts = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
        return counts[0] if counts else None

    before = blas_threads()
    if before is None:
        pytest.skip("numpy has no BLAS threadpoolctl can see")
    seen = []
    original = fast.kernels.STATELESS["dense"]

    def spy(*args, **kwargs):
        seen.append(blas_threads())
        return original(*args, **kwargs)

    monkeypatch.setitem(fast.kernels.STATELESS, "dense", spy)
    graph = _recurrent(seed=1)
    x = np.random.default_rng(0).normal(size=(40, 3, 5)).astype(np.float32)  # dense input
    nirc.simulate(graph, x, engine="fast")
    assert seen and set(seen) == {1}
    assert blas_threads() == before


def test_a_one_thread_call_runs_the_serial_twin(monkeypatch):
    """Where a parallel kernel has a serial twin, every call the choice puts on one thread
    runs the twin (the code threads=1 runs), and the threaded calls the parallel kernel;
    the fast engine's kernels have their twins registered."""
    from nirc.targets.interp import fast_conv, fast_kernels

    import numba

    pool = numba.config.NUMBA_NUM_THREADS
    if pool < 2:
        pytest.skip("needs a numba pool of two threads")
    ran = []

    def parallel():
        ran.append("parallel")

    def serial():
        ran.append("serial")

    monkeypatch.setitem(threads.SERIAL, parallel, serial)
    choice = ThreadChoice(pool, 1e12, rows=128)
    FakeClock(monkeypatch, choice)  # every call takes 0 s: a tie keeps one thread
    picks = []
    for _ in range(6):
        picks.append(choice.pick(1))
        choice.run(parallel, 1)
    assert picks == [1, 1, pool, pool, 1, 1]
    assert ran == ["serial", "serial", "parallel", "parallel", "serial", "serial"]
    assert threads.SERIAL[fast_kernels.dense_rows_sparse] is fast_kernels.dense_rows_sparse_serial
    assert threads.SERIAL[fast_conv._scatter] is fast_conv._scatter_serial
