"""``nirc opt``: run a pass pipeline, with the conventions of mlir-opt / xdsl-opt.

- the pipeline is xDSL's syntax: ``pass-a,pass-b{option=value}``;
- ``--split-input-file`` processes each ``// -----`` chunk on its own and joins the
  outputs with ``// -----``;
- ``--verify-diagnostics`` prints each chunk's diagnostic (parse or verify error) to
  the output instead of failing, so lit tests can FileCheck them, and checks the
  ``expected-error`` / ``expected-warning`` annotations (nirc/expected_diagnostics.py);
- ``--print-ir-after-all`` (and the other dumps of nirc/driver.py) print the module to
  stderr around passes, headed ``// -----// IR Dump After <pass> //----- //`` as in MLIR;
- ``--timing`` prints mlir-opt's pass-timing table to stderr (nirc/driver.py);
- a Python warning raised by a pass prints as one line ``warning: <file>: <message>``.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import click
from xdsl.passes import PassPipeline
from xdsl.utils.exceptions import ArgSpecParseError

from .diagnostics import NircError


def list_pass_names() -> list[str]:
    from nirc.passes import get_all_passes

    return sorted(get_all_passes())


def build_pipeline(spec: str, print_ir_after_all: bool = False, elide_over: int | None = None,
                   *, printing=None, timer=None, feedback=None) -> PassPipeline:
    """Parse a pipeline spec against nirc's registry; bad specs are usage errors (an
    unknown pass or option with a "did you mean").  Between passes the module is
    verified and the IR dumps, timing and terminal feedback of nirc/driver.py run."""
    from nirc.passes import get_all_passes

    from .driver import IRPrinting, check_pipeline, pipeline_callback

    if printing is None:
        printing = IRPrinting(after_all=print_ir_after_all, elide_over=elide_over)
    try:
        check_pipeline(spec)
    except NircError as e:
        raise click.UsageError(f"invalid pass pipeline '{spec}': {e}") from None
    callback = pipeline_callback(printing=printing, timer=timer, feedback=feedback)
    try:
        return PassPipeline.parse_spec(get_all_passes(), spec, callback)
    except (Exception, ArgSpecParseError) as e:  # bad option values; xDSL's syntax
        # error ArgSpecParseError derives from BaseException
        raise click.UsageError(f"invalid pass pipeline '{spec}': {e} "
                               f"(available: {', '.join(list_pass_names())})") from None


@contextmanager
def _warnings_as_lines(source: str, into: list | None = None) -> Iterator[None]:
    """Print the warnings raised inside as ``warning: <file>: <message>`` lines (or,
    for --verify-diagnostics, append them to ``into`` as ("warning", message))."""
    with warnings.catch_warnings(record=True) as caught:
        try:
            yield
        finally:
            for w in caught:
                if into is not None:
                    into.append(("warning", str(w.message)))
                else:
                    sys.stderr.write(f"warning: {source}: {w.message}\n")


def with_profile(pipeline: PassPipeline, profile: str | None) -> PassPipeline:
    """Every ``discretize`` of the pipeline that names no profile gets ``profile``."""
    import dataclasses

    from nirc.passes.discretize import Discretize
    from nirc.profiles import profile_options

    if profile is None:
        return pipeline
    profile_options(profile)  # an unknown name is an error before anything runs
    passes = tuple(dataclasses.replace(p, profile=profile)
                   if isinstance(p, Discretize) and p.profile is None else p
                   for p in pipeline.passes)
    return dataclasses.replace(pipeline, passes=passes)


def run_opt(source: str, spec: str, *, print_ir_after_all: bool = False,
            split_input_file: bool = False, verify_diagnostics: bool = False,
            generic: bool = False, elide_over: int | None = None,
            profile: str | None = None, printing=None, timer=None) -> str:
    """The printed result of running ``spec`` on every chunk of ``source``; ``profile``
    is the default profile of its ``discretize`` passes (nirc/profiles.py);
    ``printing`` (driver.IRPrinting) the IR dumps, ``timer`` (driver.Timer) collects
    the time of parsing, of each pass and of printing.  With ``verify_diagnostics`` and
    annotations in the input, each mismatch is an ``error:`` line on stderr and then
    ``NircError`` is raised (nothing is printed to stdout)."""
    import time

    from . import expected_diagnostics as expect
    from .ir_text import make_context, print_module
    from .loading import load_module, read_text, verify

    from .driver import IRPrinting, check_pass_names

    if printing is None:
        printing = IRPrinting(after_all=print_ir_after_all, elide_over=elide_over)
    try:
        check_pass_names(printing.names(), list_pass_names(), "--print-ir-before/after")
    except NircError as e:
        raise click.UsageError(str(e)) from None
    pipeline = with_profile(build_pipeline(spec, printing=printing, timer=timer), profile)
    if source.endswith((".nir", ".nirt")):
        chunks = [None]
    else:
        text = read_text(source)
        chunks = text.split("// -----") if split_input_file else [text]
    checking = verify_diagnostics and any(c is not None and expect.has_annotations(c)
                                          for c in chunks)
    outputs, failures = [], []
    line = 0
    clock = time.perf_counter
    for chunk in chunks:
        produced = []
        try:
            began = clock()
            if chunk is None:
                module = load_module(source)
            else:
                from .ir_text import parse_module

                padded = "\n" * line + chunk  # keep line numbers of the whole file
                module = parse_module(padded, source)
                verify(module, source)
            if timer is not None:
                timer.add("parse", clock() - began)
            with _warnings_as_lines(source, produced if checking else None):
                pipeline.apply(make_context(), module)
            began = clock()
            outputs.append(print_module(module, generic=generic, elide_over=elide_over))
            if timer is not None:
                timer.add("output", clock() - began)
        except NircError as e:
            if not verify_diagnostics:
                raise e.with_file(source) from None
            outputs.append(f"error: {e}\n")
            produced.append(("error", e))
        if checking:
            failures += _check_chunk(source, chunk, line + 1, produced)
        if chunk is not None:
            line += chunk.count("\n")
    if failures:  # one line each, then the summary line of the error exit
        for failure in failures:
            sys.stderr.write(f"error: {failure}\n")
        raise NircError(f"--verify-diagnostics: {len(failures)} mismatch(es) between the "
                        "expected-* annotations and the diagnostics", file=source)
    return "// -----\n".join(outputs)


def _check_chunk(source: str, chunk: str, first_line: int, produced: list) -> list[str]:
    """The annotation mismatches of one chunk (its diagnostics as (kind, NircError or
    warning text))."""
    from . import expected_diagnostics as expect

    found = []
    for kind, what in produced:
        if isinstance(what, NircError):
            message = str(NircError(what.message, node=what.node, field=what.field))
            message = message.splitlines()[0]  # not a parse error's quoted source line
            line = expect.diagnostic_line(what.file, message, chunk, first_line)
        else:
            message = str(what)
            line = expect.diagnostic_line(None, message, chunk, first_line)
        found.append(expect.Diagnostic(kind, message, line))
    return expect.check(source, expect.annotations(chunk, first_line), found)
