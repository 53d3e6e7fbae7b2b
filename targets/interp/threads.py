"""How many threads the fast engine's kernels use, and when.

Samples are independent, so every compiled kernel splits its batch rows over
threads (numba ``prange``) and gives the same bits with any thread count.  Threads
only help when a call has enough work to pay for waking them, and on a machine
where other processes hold the cores a static split waits for its slowest thread
(issue 18: braille b1 took 27.8 ms per run with two threads under load vs 0.4 ms
with one).  So:

* ``WORK_THRESHOLD``: below this estimated work per call (flops), a kernel runs on
  one thread (``numba.set_num_threads(1)``: numba's OpenMP layer then runs the loop
  on the calling thread, no pool wake-up).
* ``ThreadChoice``: above it, the runner times the kernel with one thread and with
  all of them on the first chunks and keeps the faster, trying the other again every
  ``PROBE_EVERY`` calls, so that a load that comes or goes is followed and a run is
  not slower than on one thread (beyond the probes).  A probe that loses doubles the
  interval to the next (up to ``PROBE_MAX``): under a load one parallel call can wait
  a whole scheduler time slice for its preempted thread, milliseconds where the chunk
  takes a fraction of one, so fixed probes every 16 calls alone cost more than the
  threads could win.  And before each call that would use threads, the cores are
  checked: where another process is runnable on the cores they would need
  (``busy_cores``, Linux's instantaneous count of runnable tasks in /proc/loadavg),
  the call runs on one thread and no probe is made.  A count's time is the median of
  its last ``KEEP`` timings (the least of the first two: measured on bench_interp.py's
  CNN, the first timed call on two threads took 5.0 ms per step, the next 0.74, and
  the mean of the two against one thread's 1.4 kept one thread for the rest), not the
  least: under a load, a parallel call waits for
  its preempted thread most of the time but not always, so its least time is that of
  a quiet machine (measured, braille b128 with two busy processes on the 2 cores: the
  least-time rule kept two threads and ran 67 ms against one thread's 43 ms).  All
  threads must also beat one by ``MARGIN``: they cost another core.
* The OpenMP threads do not busy-wait: ``OMP_WAIT_POLICY=passive`` (libgomp reads it
  when numba's OpenMP layer loads it, at the first parallel call) unless the user set
  it (``quiet_openmp`` says what spinning would win and cost).  numba's ``workqueue``
  layer does not spin either, but aborts the process when two Python threads call
  parallel kernels at once, so OpenMP stays numba's choice.
* The thread count: ``threads`` given to the engine (``nirc run --threads``), else
  ``NUMBA_NUM_THREADS`` (numba reads it at import; it also bounds ``threads``).
* BLAS (numpy's matrix products: im2col convolutions, dense layers on non-spike
  input): one thread during a fast-engine run unless ``threads`` is given
  (threadpoolctl, restored after the run).  Measured on this 2-core machine, quiet:
  the CNN of bench_interp.py b32 1.23 s per run with BLAS's two threads and 1.22 s with
  one, at 2.44 vs 1.26 s of CPU; with one busy process beside it 2.1 vs 1.25 s; the MLP
  784-512-512-10 b128 0.204 vs 0.207 s (its spike inputs skip BLAS).  ``limit_blas_env``
  sets ``OPENBLAS_NUM_THREADS`` and the like for ``nirc run --threads`` before numpy
  loads.
"""

from __future__ import annotations

import functools
import math
import os
import statistics
import time

WORK_THRESHOLD = 2e6
"""Flops per kernel call below which one thread runs it: ~1-2 ms of scalar work,
some 50x the cost of waking numba's OpenMP pool (tens of microseconds, more under load)."""

PROBE_EVERY = 16
"""Calls before the first re-timing of the thread count not in use (and again after a
probe that won)."""

PROBE_MAX = 1024
"""The longest interval between probes (it doubles after each probe that lost)."""

KEEP = 5
"""Timings kept per thread count (their median is the count's time)."""

MARGIN = 0.9
"""All threads are chosen only when their time is below MARGIN times one thread's."""

BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                  "VECLIB_MAXIMUM_THREADS")


def quiet_openmp() -> None:
    """Passive OpenMP waiting, unless the user chose a policy (before numba's first
    parallel call loads libgomp).  Measured alternative, not taken: GOMP_SPINCOUNT=10000
    (~0.1 ms of spinning) made braille b128 on two threads 28.6 -> 18.5 ms per run on a
    quiet machine, but under a load of two busy processes some runs were 1.5x slower
    than one thread (bench_interp.py --loaded), which the thread rule must never be."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("KMP_BLOCKTIME", "0")  # Intel's OpenMP, if numba picks it


def busy_cores() -> int | None:
    """Cores other processes (and this process's other threads) want right now: the
    runnable tasks of /proc/loadavg's fourth field minus the calling thread (Linux;
    None where it cannot be read).  Instantaneous, unlike the load averages; a reading
    is reused for BUSY_EVERY seconds (a read costs ~20 us, 10% of a b128 braille run
    when every kernel call read it)."""
    now = time.monotonic()
    if _BUSY and now - _BUSY[0] < BUSY_EVERY:
        return _BUSY[1]
    try:
        with open("/proc/loadavg") as f:
            busy = max(0, int(f.read().split()[3].split("/")[0]) - 1)
    except (OSError, IndexError, ValueError):
        busy = None
    _BUSY[:] = [now, busy]
    return busy


_BUSY: list = []  # (time, value) of the last reading
BUSY_EVERY = 0.005


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def limit_blas_env(threads: int) -> None:
    """BLAS thread count through the environment: effective only before numpy loads."""
    for name in BLAS_VARIABLES:
        os.environ[name] = str(threads)


def available(threads: int | None) -> int:
    """The thread count to use: ``threads`` (capped by numba's pool size,
    NUMBA_NUM_THREADS) or the pool size."""
    import numba

    pool = int(numba.config.NUMBA_NUM_THREADS)
    return max(1, min(pool, threads)) if threads else pool


def limit_blas(threads: int):
    """A context limiting BLAS to ``threads`` threads (threadpoolctl; one controller per
    process, so that a run pays microseconds, not the library scan)."""
    return _blas_controller().limit(limits=threads, user_api="blas")


@functools.cache
def _blas_controller():
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


SERIAL: dict = {}
"""A parallel kernel -> its serial twin (the same loop compiled without ``parallel``):
what a call on one thread runs.  A parallel function on one thread runs code numba
compiled for its parallel loop, measured slower than the plain loop (the CNN's scatter
8.2 vs 6.4 ms on 224 rows; braille b128's loop group 33.0 vs 31.9 ms per run), so that a
run under load would be slower than the same run with ``threads=1``."""


def twin(parallel, serial) -> None:
    """Register ``serial`` as what a one-thread call of ``parallel`` runs."""
    SERIAL[parallel] = serial


def choice_for(plan, key, threads: int, work_per_step: float, rows: int) -> "ThreadChoice":
    """The ThreadChoice of call site ``key`` of ``plan``, kept on the plan, so that a
    Simulator's later runs start from the timings of the earlier ones."""
    memo = plan.__dict__.setdefault("thread_choices", {})
    k = (key, threads, work_per_step, rows)
    if k not in memo:
        memo[k] = ThreadChoice(threads, work_per_step, rows)
    return memo[k]


class ThreadChoice:
    """The thread count of one kernel call site: 1 below WORK_THRESHOLD or with one
    row; else the faster of 1 and ``threads``, by time per step, the other re-timed
    after PROBE_EVERY calls, then at doubling intervals while it keeps losing.  The
    first call of each count is not timed (it may compile); a count's time is the median
    of its last KEEP timings (one preempted call does not count, a load that slows most
    calls does)."""

    def __init__(self, threads: int, work_per_step: float, rows: int):
        self.threads = threads if rows > 1 else 1
        self.work_per_step = work_per_step
        self.seconds: dict[int, float] = {}  # least recent time per step with each count
        self.recent: dict[int, list[float]] = {}
        self.calls: dict[int, int] = {}
        self.count = 0
        self.interval = PROBE_EVERY
        self.next_probe = PROBE_EVERY - 1  # the call number of the next probe

    def pick(self, steps: int) -> int:
        if self.threads <= 1 or self.work_per_step * steps < WORK_THRESHOLD:
            return 1
        untimed = [k for k in (1, self.threads) if k not in self.seconds]
        if untimed:  # each count twice: a warm-up, then a timing
            k = untimed[0]
        else:
            best = self.best()
            other = self.threads if best == 1 else 1
            k = other if self.count >= self.next_probe else best
        if k > 1 and not self.cores_free():
            return 1  # other processes hold the cores: threads would wait for them
        return k

    def cores_free(self) -> bool:
        """Whether ``threads - 1`` cores besides the calling thread's are idle now."""
        busy = busy_cores()
        return busy is None or cores() - 1 - busy >= self.threads - 1

    def best(self) -> int:
        """The count in use: all threads if timed below MARGIN times one thread."""
        return self.threads if self.seconds[self.threads] < MARGIN * self.seconds[1] else 1

    def run(self, function, steps: int, *args):
        """Call ``function(*args)`` with the chosen thread count."""
        import numba

        k = self.pick(steps)
        probe = len(self.seconds) == 2 and k != self.best() and self.count >= self.next_probe
        self.count += 1
        serial = SERIAL.get(function) if k == 1 else None
        if serial is not None:  # the one-thread code, as with threads=1
            start = time.perf_counter()
            result = serial(*args)
            elapsed = time.perf_counter() - start
        else:
            previous = numba.get_num_threads()
            numba.set_num_threads(k)
            try:
                start = time.perf_counter()
                result = function(*args)
                elapsed = time.perf_counter() - start
            finally:
                numba.set_num_threads(previous)
        calls = self.calls[k] = self.calls.get(k, 0) + 1
        if calls > 1 and k in (1, self.threads):
            recent = self.recent.setdefault(k, [])
            recent.append(elapsed / max(1, steps))
            del recent[:-KEEP]
            # the median once there are three; before that the least (a first parallel
            # call that paid the thread pool's start-up must not lock the threads out)
            self.seconds[k] = statistics.median(recent) if len(recent) >= 3 else min(recent)
        if probe:  # a probe that lost: wait twice as long for the next
            won = self.best() == k
            self.interval = PROBE_EVERY if won else min(2 * self.interval, PROBE_MAX)
            self.next_probe = self.count + self.interval - 1
        return result


def work_per_step(node) -> float:
    """Estimated flops of one sample's step of a node (for the thread choice): a
    product 2*in*out, a convolution 2*out*(in channels/groups)*kernel, a neuron ~10
    per neuron, anything else one per element."""
    out = float(math.prod(node.out_shape))
    if node.kind == "dense":
        return 2.0 * out * float(math.prod(node.in_shape))
    if node.kind == "conv":
        return 2.0 * out * float(math.prod(node.params["weight"].shape[1:]))
    if node.kind in ("leaky", "cuba"):
        return 10.0 * out
    return out
