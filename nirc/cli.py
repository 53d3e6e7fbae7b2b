"""The ``nirc`` command line (click).

Only click is imported at start-up; each command imports what it needs, so
``nirc --help`` stays fast.  Every user-facing failure prints one line
``error: <file>: <node>, field '<f>': <rule>`` to stderr and exits with 1 (click
reports bad usage with 2); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from .cli_driver import complete_passes, complete_stages, complete_targets, ir_options


def _versions() -> str:
    from importlib.metadata import version

    return f"nirc {__version__} (xdsl {version('xdsl')}, nir {version('nir')})"


def _print_version(ctx: click.Context, on: bool) -> None:
    if on and not ctx.resilient_parsing:
        click.echo(_versions())
        ctx.exit()


class NircGroup(click.Group):
    """Turns nirc's diagnostics into one-line errors with exit code 1."""

    def invoke(self, ctx: click.Context):
        from .warning_lines import capture

        try:
            with capture():  # Python warnings -> one 'warning: FILE: ...' line each
                return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BrokenPipeError:  # `nirc ... | head`: the reader has gone; not an error of ours
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout
            sys.exit(0)
        except Exception as e:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            from .diagnostics import NircError, error_line

            if isinstance(e, NircError):
                click.echo(error_line(e), err=True)
            else:
                click.echo(f"internal error: {e.__class__.__name__}: {e} "
                           "(run with --debug for a traceback)", err=True)
            sys.exit(1)


@click.group(cls=NircGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, _, on: _print_version(ctx, on),
              help="Show the versions of nirc, xDSL and nir, and exit.")
@click.option("--debug", is_flag=True, help="Show Python tracebacks on errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """nirc: compile NIR spiking neural network graphs for neuromorphic chips.

    Inputs are .nir files (HDF5), .nirt files (NIR text) or textual IR (.mlir, '-' for
    stdin).
    """
    ctx.obj = {"debug": debug}


output_option = click.option("-o", "--output", default=None,
                             help="Output file ('-' or absent: stdout). Written atomically.")
generic_option = click.option("--generic", is_flag=True,
                              help="Print ops in MLIR's generic form.")
elide_option = click.option("--elide-large", "elide_over", type=click.IntRange(min=0), default=None,
                            metavar="N", help="Print arrays of more than N elements as "
                            "dense_resource<__elided__> (for reading; does not re-parse).")


@main.command("import")
@click.argument("graph", type=click.Path(dir_okay=False, allow_dash=True))
@output_option
@generic_option
@elide_option
def import_cmd(graph: str, output: str | None, generic: bool, elide_over: int | None) -> None:
    """Import a .nir or .nirt GRAPH ('-': stdin, format detected) into the nir dialect and
    print it as textual IR."""
    from .ir_text import print_module
    from .loading import emit_text, load_module

    module = load_module(graph)
    emit_text(print_module(module, generic=generic, elide_over=elide_over), output)


@main.command("export")
@click.argument("source", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-o", "--output", required=True, help="The .nir file to write (atomically).")
def export_cmd(source: str, output: str) -> None:
    """Export textual IR (a nir-dialect module) SOURCE to a .nir file."""
    from .diagnostics import NircError
    from .exporter import export_module
    from .loading import load_module
    from .nir_file import write_nir

    module = load_module(source)
    try:
        graph = export_module(module)
    except NircError as e:
        raise e.with_file(source) from None
    write_nir(graph, output)


@main.command("opt")
@click.argument("source", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@click.option("-p", "--passes", "pipeline", default="", metavar="PIPELINE",
              shell_complete=complete_passes,
              help="Comma-separated passes with options, e.g. 'flatten-subgraphs,dce'.")
@output_option
@ir_options
@click.option("--split-input-file", is_flag=True,
              help="Process each '// -----' separated chunk of the input independently.")
@click.option("--verify-diagnostics", is_flag=True,
              help="Print diagnostics to stdout; with expected-error/expected-warning "
              "annotations in the input, fail (exit 1) on a missing or unexpected one.")
@click.option("--list-passes", is_flag=True,
              help="List the available passes with their options and exit.")
@click.option("--profile", default=None, metavar="NAME",
              help="Default profile of the pipeline's discretize passes (docs/conventions.md).")
@generic_option
@elide_option
def opt_cmd(source: str, pipeline: str, output: str | None, printing, timing: bool,
            split_input_file: bool, verify_diagnostics: bool, list_passes: bool,
            profile: str | None, generic: bool, elide_over: int | None) -> None:
    """Run a pass PIPELINE on SOURCE (textual IR or .nir) and print the result."""
    import dataclasses

    from .driver import Timer, describe_passes
    from .opt import run_opt

    if list_passes:
        click.echo(describe_passes(), nl=False)
        return
    timer = Timer() if timing else None
    text = run_opt(source, pipeline, split_input_file=split_input_file,
                   verify_diagnostics=verify_diagnostics, generic=generic,
                   elide_over=elide_over, profile=profile, timer=timer,
                   printing=dataclasses.replace(printing, elide_over=elide_over))
    from .loading import emit_text

    emit_text(text, output)
    if timer is not None:
        click.echo(timer.table(), err=True, nl=False)


@main.command("convert")
@click.argument("source", type=click.Path(dir_okay=False, allow_dash=True))
@click.argument("target", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@click.option("--inline-max", type=click.IntRange(min=0), default=16, show_default=True,
              metavar="N", help="Write arrays of more than N elements to the side file "
              "<stem>.npz (uniform ones as 'fill x').")
@click.option("--base64", "use_base64", is_flag=True,
              help="Write large arrays inline as base64 instead of a side file.")
@click.option("--digest-large", is_flag=True, help="Print large arrays as a one-token "
              "summary (sha256, min/max/mean) for reading diffs; does not parse back.")
def convert_cmd(source: str, target: str, inline_max: int, use_base64: bool,
                digest_large: bool) -> None:
    """Convert SOURCE to TARGET between .nir (HDF5) and .nirt (NIR text), by extension.

    TARGET '-' or absent prints .nirt text (large arrays inline as base64), so
    'nirc convert --digest-large' works as a git textconv driver.
    """
    from .convert import convert

    if target != "-" and target.endswith(".nir") and (use_base64 or digest_large):
        raise click.UsageError("--base64 and --digest-large shape .nirt text; TARGET is .nir")
    convert(source, target, inline_max=inline_max, base64=use_base64, digest_large=digest_large)


@main.command("show")
@click.argument("source", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--max-cycles", default=20, show_default=True, help="Cycles to list at most.")
def show_cmd(source: str, max_cycles: int) -> None:
    """Summarise a graph: nodes in topological order, shapes, parameters, edges, cycles."""
    from .loading import load_module
    from .show import summarize

    click.echo(summarize(load_module(source), source, max_cycles=max_cycles), nl=False)


class DtParam(click.ParamType):
    """A time step in seconds, or ``auto``."""

    name = "SECONDS|auto"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, float) or value == "auto":
            return value
        try:
            return float(value)
        except ValueError:
            self.fail(f"{value!r} is neither a number of seconds nor 'auto'", param, ctx)


SIM_OPTIONS = ("dt", "method", "reset", "v_init", "current", "profile", "spikes", "max_spikes",
               "max_spikes_out", "spike_test", "firing", "v_min", "synapse_delay", "loop_start")
"""The discretization options the simulation commands take (passes/discretize.py)."""


def sim_options(command):
    """The discretization options (``discretize``'s), shared by run and compile; the
    command receives the given ones as one ``sim`` dict (unset options left out)."""
    import functools

    from .profiles import PROFILES

    options = [
        click.option("--profile", default=None, metavar="NAME",
                     help="Another simulator's conventions: " + ", ".join(PROFILES)
                     + " (docs/conventions.md); the options below override it."),
        click.option("--dt", type=DtParam(), default=None,
                     help="Time step in seconds [default: 1e-4]; 'auto': the target chooses "
                     "(with --target, for targets whose decays prefer some steps, e.g. xylo)."),
        click.option("--method", default=None,
                     help="euler | exact | exp-euler [default: euler]."),
        click.option("--reset", default=None, help="value | subtract [default: value]."),
        click.option("--v-init", default=None, help="zero | leak: initial membrane [default: zero]."),
        click.option("--current", default=None,
                     help="new | previous: the synaptic current CubaLIF's membrane uses "
                     "[default: new]."),
        click.option("--spikes", default=None,
                     help="single | multi: spikes per neuron and step [default: single]."),
        click.option("--max-spikes", type=int, default=None,
                     help="Cap on spikes per step with --spikes multi [default: 0, none]."),
        click.option("--max-spikes-out", type=int, default=None,
                     help="The cap of neurons feeding an Output [default: 0, as --max-spikes]."),
        click.option("--spike-test", default=None, help="gt | ge: v > or >= threshold [default: gt]."),
        click.option("--firing", default=None,
                     help="immediate | delayed-reset | late [default: immediate]."),
        click.option("--v-min", default=None,
                     help="none | zero | neg-threshold | if-neg-threshold: lower bound of v "
                     "[default: none]."),
        click.option("--synapse-delay", type=int, default=None,
                     help="0 | 1: weight nodes deliver one step late [default: 0]."),
        click.option("--loop-start", default=None,
                     help="zero | rest: what a delayed edge delivers at step 0 [default: zero]."),
    ]

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        sim = {name: kwargs.pop(name) for name in SIM_OPTIONS}
        return command(*args, sim={k: v for k, v in sim.items() if v is not None}, **kwargs)

    for option in reversed(options):
        wrapped = option(wrapped)
    return wrapped


@main.command("compile")
@click.argument("graph", type=click.Path(dir_okay=False, allow_dash=True), required=False)
@click.option("-t", "--target", "target", default="interp", show_default=True,
              metavar="TARGET[{OPTIONS}]", shell_complete=complete_targets,
              help="The target, with options: 'generic{cores=8}'.")
@click.option("-o", "--output-dir", "outdir", default="out", show_default=True,
              help="Directory for the target's files (written atomically, all or none).")
@sim_options
@click.option("--report", "report_path", default=None, metavar="R.json",
              help="Also write the compile report as JSON.")
@click.option("--input", "fidelity_input", default=None, metavar="X.npy",
              help="Input (T, [B,] n) for the target's fidelity check (default: generated).")
@click.option("--min-agreement", type=click.FloatRange(0, 1), default=None, metavar="X",
              help="Fail (exit 1, nothing written) if the chip's agreement with the model "
              "is below X (the fidelity check's headline, 0..1).")
@click.option("--print-pipeline", is_flag=True, help="Print the target's pass pipeline and exit.")
@ir_options
@click.option("--stop-after", default=None, metavar="PASS", shell_complete=complete_passes,
              help="Run the pipeline up to PASS and write the IR (OUTDIR/<stem>.PASS.mlir) "
              "instead of the target's files.")
@click.option("--emit-stage", default=None, metavar="STAGE", shell_complete=complete_stages,
              help="As --stop-after, at a stage: imported, discretized, fused, quantized, "
              "partitioned, lowered (those of the target's pipeline).")
@elide_option
@click.option("--list-targets", is_flag=True, help="List the available targets and exit.")
def compile_cmd(graph: str | None, target: str, outdir: str, sim: dict, report_path: str | None,
                fidelity_input: str | None, min_agreement: float | None, print_pipeline: bool,
                printing, timing: bool, stop_after: str | None, emit_stage: str | None,
                elide_over: int | None, list_targets: bool) -> None:
    """Compile GRAPH (.nir, .nirt or textual IR) for TARGET and write its files.

    On a terminal, stderr shows each stage with its time and the fidelity check's
    progress."""
    import dataclasses

    from nirc.targets import make_target

    from .compiler import compile_module, human_report, write_outputs
    from .diagnostics import NircError
    from .driver import Timer, timed
    from .feedback import activated, for_terminal

    if list_targets:
        from nirc.targets import get_all_targets

        for name, load_target in sorted(get_all_targets().items()):
            click.echo(f"{name:10s} {load_target().summary}")
        return
    try:
        chosen = make_target(target)
    except NircError as e:
        raise click.BadParameter(str(e), param_hint="'--target'") from None
    if print_pipeline:
        click.echo(",".join(chosen.pipeline(sim)))
        return
    if graph is None:
        raise click.UsageError("Missing argument 'GRAPH' (not needed with --list-targets "
                               "or --print-pipeline).")
    from .loading import load_module

    timer = Timer() if timing else None
    feedback = for_terminal()
    with activated(feedback), timed(timer, "load"):
        module = load_module(graph)
    data = _read_array(fidelity_input) if fidelity_input else None
    result = compile_module(module, graph, chosen, sim, inputs=data, min_agreement=min_agreement,
                            printing=dataclasses.replace(printing, elide_over=elide_over),
                            timer=timer, feedback=feedback, stop_after=stop_after,
                            emit_stage=emit_stage, elide_over=elide_over)
    with activated(feedback), timed(timer, "write"):
        written = write_outputs(result, outdir, report_path)
    if timer is not None:
        click.echo(timer.table(), err=True, nl=False)
    click.echo(human_report(result, written), nl=False)


@main.command("run")
@click.argument("graph", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("-i", "--input", "inputs", multiple=True, metavar="[NAME=]FILE",
              help="Input array (.npy, shape (T, B, *shape) or (T, *shape)); NAME=FILE.npy "
              "per Input node, or an .npz keyed by Input node name.")
@click.option("--generate-input", metavar="SPEC",
              help="Generate spike input instead: 'rate=0.1,steps=1000,batch=8' (Bernoulli, rate "
              "per step); kind=poisson|regular with rate in Hz at --dt (poisson: clip=true for "
              "0/1; regular: phase=0..1).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of --generate-input (>= 0).")
@sim_options
@click.option("--round-delays", is_flag=True, help="Round delays that are not whole steps.")
@click.option("--record", "record", multiple=True, metavar="NODE[.v|.i]",
              help="Also record an internal node's output (NODE) or state (NODE.v, NODE.i); "
              "repeat or separate with commas.  With --target, a neuron layer's spikes and "
              "states on the chip, in chip units (--align shifts them too).")
@click.option("--float64", is_flag=True, help="Simulate in float64 (default float32).")
@click.option("--engine", default="auto", show_default=True, help="auto | fast | reference.")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Threads for the kernels and BLAS (default: NUMBA_NUM_THREADS, all cores); "
              "small workloads use one either way.")
@click.option("-t", "--target", "target", default=None, metavar="TARGET[{OPTIONS}]",
              shell_complete=complete_targets,
              help="Compile for TARGET first and simulate what the chip would run (bit-exact "
              "integer arithmetic), e.g. 'xylo'.")
@click.option("-o", "--output", default=None, help="The .npz to write (atomically).")
@click.option("--events", "event_unit", type=click.Choice(["s", "ms", "us"]), default=None,
              help="--input is an event list (t, channel) or (t, x, y, p), t in this unit: "
              "binned into the Input's raster at --dt (nirc/events.py).")
@click.option("--align", "align_output", is_flag=True,
              help="With --target: shift the outputs back by the chip's latency.")
@click.option("--plot", "plot_path", default=None, metavar="FILE.png|svg",
              help="Also plot the results (rasters, counts, traces; needs nirc[plot]).")
def run_cmd(graph: str, inputs: tuple[str, ...], generate_input: str | None, seed: int,
            sim: dict, round_delays: bool, record: tuple[str, ...], float64: bool,
            engine: str, threads: int | None, target: str | None, output: str | None,
            event_unit: str | None, align_output: bool, plot_path: str | None) -> None:
    """Simulate GRAPH (.nir, .nirt or textual IR) and save the Output nodes' signals."""
    if threads is not None:  # before numpy and numba load: their thread pools read these
        from nirc.targets.interp.threads import limit_blas_env

        limit_blas_env(threads)
    import numpy as np

    from .input_arrays import rate_trains
    from .run import (parse_generate_spec, progress_bar, read_inputs,
                      save_npz, summary_lines)
    from nirc.targets.interp.api import Simulator, load

    if bool(inputs) == bool(generate_input):
        raise click.UsageError("give either --input or --generate-input")
    if sim.get("dt") == "auto" and target is None:
        raise click.UsageError("--dt auto: the target chooses dt; give --target (e.g. xylo) "
                               "or --dt SECONDS")
    spec = parse_generate_spec(generate_input) if generate_input else None
    module = load(graph)
    if event_unit and not inputs:
        raise click.UsageError("--events describes the --input file; give --input EVENTS.npy")
    if spec:
        data = rate_trains(module, seed=seed, dt=sim.get("dt") or 1e-4, **spec)
    elif event_unit:
        from .run import event_inputs

        data = event_inputs(module, inputs, sim.get("dt") or 1e-4, event_unit)
    else:
        data = read_inputs(inputs)
    steps = spec["steps"] if spec else _steps_of(data)
    latency = 0
    if target is not None:
        module, latency = _compiled(module, graph, target, sim)
        sim = {}  # the compiled module records them
    update, bar = progress_bar(steps)
    from .diagnostics import NircError

    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # checked below
            simulator = Simulator(module, **sim, round_delays=round_delays,
                                  dtype="float64" if float64 else "float32", engine=engine,
                                  threads=threads)
            results = simulator.run(data, record=[r for item in record for r in item.split(",")
                                                  if r],
                                    progress=update, keep_batch_axis=True)
    except NircError as e:
        raise e.with_file(graph) from None
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
    from .run import align, decision_lines
    from .warning_lines import emit

    outputs = [n for n in results if n not in set(r for i in record for r in i.split(","))]
    from nirc.targets.interp.whole import recorded_signals

    # the recorded chip signals (latency, threshold), from the plan the run used
    signals = recorded_signals(simulator.plan, [r for r in results if r not in outputs])
    if target is not None:
        click.echo(f"latency: the chip's output lags the graph by {latency} step(s)"
                   + ("; shifted back (--align)" if align_output and latency else
                      "; --align shifts it back" if latency else ""))
    if align_output:
        results = align(results, {**{n: latency for n in outputs},
                                  **{k: s.latency for k, s in signals.items()}})
    # before writing: no output unless all succeeds
    summary = "\n".join(summary_lines(results) + decision_lines(results, outputs))
    if plot_path:
        from .plot import plot_results, recorded_thresholds

        plot_results(results, plot_path, title=graph,
                     thresholds={**recorded_thresholds(module, results),
                                 **{k: s.threshold for k, s in signals.items()
                                    if s.threshold is not None}})
    if output:
        save_npz(output, results)
    click.echo(summary)


@main.command("plot")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("-o", "--output", default=None, metavar="FILE.png|svg",
              help="The figure to write [default: SOURCE with .png].")
def plot_cmd(source: str, output: str | None) -> None:
    """Plot SOURCE: an .npz of `nirc run` (spike rasters, spike counts, traces) or a
    compile report .json (float vs chip agreement, latency-aligned rasters)."""
    from .plot import default_output, plot_file

    output = output or default_output(source)
    plot_file(source, output)
    click.echo(f"wrote      {output}")


def _compiled(module, source: str, spec: str, sim: dict):
    """The module as ``nirc compile --target spec`` lowers it (nothing written)."""
    from nirc.targets import make_target

    from .compiler import compile_module
    from .diagnostics import NircError

    try:
        chosen = make_target(spec)
    except NircError as e:
        raise click.BadParameter(str(e), param_hint="'--target'") from None
    from .run import latency_of
    from .warning_lines import emit

    result = compile_module(module, source, chosen, sim, fidelity=False)  # we simulate next
    for message in result.warnings:
        emit(message, source)
    return module, latency_of(result.report)


def _read_array(path: str):
    import numpy as np

    from .diagnostics import NircError

    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        raise NircError(f"cannot read input array: {e}", file=path) from None


def _steps_of(data) -> int:
    first = data if not isinstance(data, dict) else next(iter(data.values()), None)
    return 0 if first is None else int(first.shape[0])


if __name__ == "__main__":  # pragma: no cover
    main()
