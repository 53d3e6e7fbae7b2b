"""``nirc opt``: run a pass pipeline, with the conventions of mlir-opt / xdsl-opt.

- the pipeline is xDSL's syntax: ``pass-a,pass-b{option=value}``;
- ``--split-input-file`` processes each ``// -----`` chunk on its own and joins the
  outputs with ``// -----``;
- ``--verify-diagnostics`` prints each chunk's diagnostic (parse or verify error) to
  the output instead of failing, so lit tests can FileCheck them;
- ``--print-ir-after-all`` dumps the module to stderr after each pass, headed
  ``// -----// IR Dump After <pass> //----- //`` as in MLIR;
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


def build_pipeline(spec: str, print_ir_after_all: bool = False, elide_over: int | None = None
                   ) -> PassPipeline:
    """Parse a pipeline spec against nirc's registry; bad specs are usage errors."""
    from nirc.passes import get_all_passes

    from .ir_text import print_module
    from .loading import verify

    def after_each(previous, module, _next) -> None:
        if previous is None:
            return
        try:
            verify(module, None)
        except NircError as e:
            raise NircError(f"after pass '{previous.name}': {e}") from None
        if print_ir_after_all:
            sys.stderr.write(f"// -----// IR Dump After {previous.name} //----- //\n")
            sys.stderr.write(print_module(module, elide_over=elide_over))

    try:
        return PassPipeline.parse_spec(get_all_passes(), spec, after_each)
    except (Exception, ArgSpecParseError) as e:  # unknown pass, bad option; xDSL's syntax
        # error ArgSpecParseError derives from BaseException
        raise click.UsageError(f"invalid pass pipeline '{spec}': {e} "
                               f"(available: {', '.join(list_pass_names())})") from None


@contextmanager
def _warnings_as_lines(source: str) -> Iterator[None]:
    """Print the warnings raised inside as ``warning: <file>: <message>`` lines."""
    with warnings.catch_warnings(record=True) as caught:
        try:
            yield
        finally:
            for w in caught:
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
            profile: str | None = None) -> str:
    """The printed result of running ``spec`` on every chunk of ``source``; ``profile``
    is the default profile of its ``discretize`` passes (nirc/profiles.py)."""
    from .ir_text import make_context, print_module
    from .loading import load_module, read_text, verify

    pipeline = with_profile(build_pipeline(spec, print_ir_after_all, elide_over), profile)
    if source.endswith((".nir", ".nirt")):
        chunks = [None]
    else:
        text = read_text(source)
        chunks = text.split("// -----") if split_input_file else [text]
    outputs = []
    line = 0
    for chunk in chunks:
        try:
            if chunk is None:
                module = load_module(source)
            else:
                from .ir_text import parse_module

                padded = "\n" * line + chunk  # keep line numbers of the whole file
                module = parse_module(padded, source)
                verify(module, source)
            with _warnings_as_lines(source):
                pipeline.apply(make_context(), module)
            outputs.append(print_module(module, generic=generic, elide_over=elide_over))
        except NircError as e:
            if not verify_diagnostics:
                raise e.with_file(source) from None
            outputs.append(f"error: {e}\n")
        if chunk is not None:
            line += chunk.count("\n")
    return "// -----\n".join(outputs)
