"""``nirc compile``: run a target's pipeline on a graph and write what the chip needs.

Steps: load the graph (.nir, .nirt or textual IR); build the target from its spec
(``generic{cores=8}``); run ``target.pipeline(options)`` as one xDSL pass pipeline
(verifying after each pass, with the IR dumps, timing and terminal feedback of
nirc/driver.py); check the target's legality rules; emit its files; write them (and the
JSON report) into the output directory, each atomically and only after everything
succeeded, so that an error leaves no partial output.  ``--stop-after PASS`` /
``--emit-stage STAGE`` end the pipeline early and write the IR instead.  The human
report (stdout) names the options used, the cores and memory used, and every warning.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import NircError


@dataclass
class CompileResult:
    """What compiling produced, nothing written yet: ``files`` (name -> bytes), ``report``
    (the dict ``--report R.json`` writes), the lowered ``module``."""

    pipeline: list[str]
    files: dict[str, bytes]
    report: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    target_lines: list[str] = field(default_factory=list)
    module: Any = None

    def write(self, directory, report: str | None = None) -> list[Path]:
        """Write every file into ``directory`` (and the JSON report to ``report``), all
        or none; returns the paths written."""
        return write_outputs(self, str(directory), report)

    def simulate(self, inputs, **options) -> dict:
        """The target's simulation of ``inputs`` (what ``nirc run --target`` runs): the
        lowered module in the interpreter, bit-exact integer arithmetic on the chip
        targets; ``options`` as ``nirc.simulate``'s (record, keep_batch_axis, ...)."""
        from nirc.targets.interp.api import simulate

        return simulate(self.module.clone(), inputs, **options)


def compile_module(module, source: str, target, sim: dict[str, Any], *,
                   print_ir_after_all: bool = False, inputs=None,
                   fidelity: bool = True, min_agreement: float | None = None,
                   printing=None, timer=None, feedback=None,
                   stop_after: str | None = None, emit_stage: str | None = None,
                   elide_over: int | None = None) -> CompileResult:
    """Compile an imported module for ``target`` (a ``Target`` or a spec string);
    nothing is written.  ``sim`` holds the discretization options the user gave (and
    ``profile``): the model's conventions; ``sim["dt"] = "auto"`` lets the target choose
    dt; ``inputs`` (T, [B,] n) feed the target's fidelity check (``fidelity=False``:
    none); below ``min_agreement`` (the fidelity's headline agreement) compilation fails.

    The driver's options (nirc/driver.py): ``printing`` the IR dumps, ``timer`` the
    time of each stage, ``feedback`` the stage lines and progress bars on a terminal
    (nirc/feedback.py); ``stop_after`` a pass of the pipeline or ``emit_stage`` one of
    ``STAGES``: run the pipeline up to there and make the IR (``<stem>.<name>.mlir``,
    arrays over ``elide_over`` elements elided) the only file, instead of the target's."""
    from .feedback import activated

    with activated(feedback):
        return _compile(module, source, target, sim, print_ir_after_all=print_ir_after_all,
                        inputs=inputs, fidelity=fidelity, min_agreement=min_agreement,
                        printing=printing, timer=timer, feedback=feedback,
                        stop_after=stop_after, emit_stage=emit_stage, elide_over=elide_over)


STAGES = {"imported": None, "discretized": "discretize", "fused": "fuse",
          "quantized": "quantize", "partitioned": "partition", "lowered": ""}
"""``--emit-stage``: each stage and the pass that ends it (None: before the pipeline,
"": after the whole pipeline and the target's legality checks)."""


def stop_index(passes: list[str], stop_after: str | None, emit_stage: str | None
               ) -> tuple[int, str] | None:
    """How many passes of ``passes`` (specs) run, and the name of the IR file's stage;
    None: the whole pipeline and the target's files.  Bad names are usage errors."""
    import click

    from .driver import unknown

    names = [p.split("{", 1)[0] for p in passes]
    if stop_after is not None and emit_stage is not None:
        raise click.UsageError("give --stop-after or --emit-stage, not both")
    if stop_after is not None:
        if stop_after not in names:
            raise click.UsageError("--stop-after: " + unknown(
                "pass", stop_after, names, " in this target's pipeline"))
        return names.index(stop_after) + 1, stop_after
    if emit_stage is None:
        return None
    available = [k for k, v in STAGES.items() if v in (None, "") or v in names]
    if emit_stage not in available:
        raise click.UsageError("--emit-stage: " + unknown(
            "stage", emit_stage, available, " for this target's pipeline"))
    last = STAGES[emit_stage]
    return (0 if last is None else len(names) if last == "" else names.index(last) + 1,
            emit_stage)


def _compile(module, source: str, target, sim: dict[str, Any], *, print_ir_after_all,
             inputs, fidelity, min_agreement, printing, timer, feedback, stop_after,
             emit_stage, elide_over) -> CompileResult:
    from nirc.passes.discretize import recorded_options
    from nirc.targets import make_target

    from nirc.passes.records import record_attr
    from nirc.targets.fidelity import TRAINED

    from .driver import IRPrinting, timed
    from .ir_text import make_context
    from .opt import build_pipeline

    if isinstance(target, str):
        target = make_target(target)
    chosen_dt = None
    model_sim = {k: v for k, v in sim.items() if v != "auto"}  # the model's own options
    if sim.get("dt") == "auto":
        try:
            chosen_dt = target.choose_dt(module, {k: v for k, v in sim.items() if k != "dt"})
        except NircError as e:
            raise e.with_file(source) from None
        sim = {**sim, "dt": chosen_dt["dt"]}
    reference = module.clone() if fidelity and target.USES_REFERENCE else None
    if reference is not None:
        reference.attributes[TRAINED] = record_attr(_trained_options(module, model_sim))
    passes = target.pipeline(sim)
    if printing is None:
        printing = IRPrinting(after_all=print_ir_after_all, elide_over=elide_over)
    _check_printed_names(printing, passes)
    stop = stop_index(passes, stop_after, emit_stage)
    if stop is not None and min_agreement is not None:
        import click

        raise click.UsageError("--min-agreement needs the fidelity check, which "
                               "--stop-after and --emit-stage skip")
    ran = passes if stop is None else passes[:stop[0]]
    pipeline = build_pipeline(",".join(ran), printing=printing, timer=timer, feedback=feedback)
    stem = Path(source).stem if source != "-" else "module"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pipeline.apply(make_context(), module)
        except NircError as e:
            raise e.with_file(source) from None
        legal_warnings = []
        try:
            if len(ran) == len(passes):  # the whole pipeline ran: the target's rules apply
                with timed(timer, "legalize"):
                    legal_warnings = target.legalize(module)
        except NircError as e:
            raise e.with_file(source) from None
    found = [str(w.message) for w in caught] + list(legal_warnings)
    if stop is not None:
        return _stopped(module, source, target, ran, stop[1], stem, found, elide_over)
    with timed(timer, "emit"):
        files = target.emit(module, stem)
    with timed(timer, "report and fidelity check"):
        sections = target.report(module, reference=reference, inputs=inputs)
    check = fidelity_of(sections)
    if check:
        found += check.get("warnings", [])
    if chosen_dt and chosen_dt.get("behaves") is False:
        found.append(f"--dt auto: none of the {chosen_dt['checked']} steps that fit the time "
                     "constants best keeps the float graph's behaviour at its own step (agreement "
                     f">= 0.9), so dt stays {chosen_dt['dt']:.6g} s (worst time-constant error "
                     f"{100 * chosen_dt['worst_tau_error']:.1f}%)")
    if min_agreement is not None:
        _require_agreement(check, min_agreement, source)
    report = {
        "source": source,
        "target": target.spec(),
        "pipeline": passes,
        "options": recorded_options(module) or {},
        **({"dt_auto": chosen_dt} if chosen_dt else {}),
        **sections,
        "warnings": found,
    }
    return CompileResult(passes, files, report, found, target.report_lines(report), module)


def _check_printed_names(printing, passes: list[str]) -> None:
    """--print-ir-before/after name passes of the target's pipeline (usage errors)."""
    import click

    from .driver import check_pass_names

    try:
        check_pass_names(printing.names(), [p.split("{", 1)[0] for p in passes],
                         "--print-ir-before/after", " in this target's pipeline")
    except NircError as e:
        raise click.UsageError(str(e)) from None


def _stopped(module, source: str, target, ran: list[str], name: str, stem: str,
             found: list[str], elide_over: int | None) -> CompileResult:
    """--stop-after / --emit-stage: the IR as the only file, a report without the
    target's sections."""
    from nirc.passes.discretize import recorded_options

    from .ir_text import print_module

    text = print_module(module, elide_over=elide_over)
    report = {"source": source, "target": target.spec(), "pipeline": ran, "stopped_at": name,
              "options": recorded_options(module) or {}, "warnings": found}
    return CompileResult(ran, {f"{stem}.{name}.mlir": text.encode()}, report, found)


def _trained_options(module, sim: dict[str, Any]) -> dict[str, Any]:
    """The conventions the model was trained with: the options the user gave (and their
    profile) over nirc's defaults, or those a discretized module already records."""
    from nirc.passes.discretize import SPEC_NAMES, recorded_options, resolve_options

    recorded = recorded_options(module)
    if recorded is not None:
        return recorded
    return resolve_options(**{k: v for k, v in sim.items() if k in SPEC_NAMES}).recorded()


def fidelity_of(sections: dict[str, Any]) -> dict | None:
    """The fidelity record of a target's report sections (None if it has none)."""
    for section in sections.values():
        if isinstance(section, dict) and isinstance(section.get("fidelity"), dict):
            return section["fidelity"]
    return None


def _require_agreement(check: dict | None, floor: float, source: str) -> None:
    """--min-agreement: the headline agreement (vs the model as trained, else vs the
    graph under the chip's rules) must reach ``floor``; an undefined one fails too."""
    if not check or not check.get("steps"):
        raise NircError(f"--min-agreement {floor}: this target runs no fidelity check "
                        "(or fidelity-steps=0)", file=source)
    head = check.get("trained") or check
    value = head.get("mean")
    if value is None or value < floor:
        causes = check.get("causes") or ["unknown"]
        shown = "undefined" if value is None else f"{value:.3f}"
        raise NircError(f"fidelity: agreement {shown} is below --min-agreement {floor}; "
                        f"main cause: {causes[0]}", file=source)


def write_outputs(result: CompileResult, outdir: str, report_path: str | None) -> list[Path]:
    """Write every emitted file and the JSON report as one set (nirc/atomic.py
    ``write_all``): an unwritable report path leaves the other files unwritten too."""
    from .atomic import write_all

    outputs = {Path(outdir) / name: data for name, data in result.files.items()}
    if report_path:
        text = json.dumps(result.report, indent=1, default=_jsonable) + "\n"
        outputs[Path(report_path)] = text.encode()
    write_all(outputs)
    return list(outputs)


def human_report(result: CompileResult, written: list[Path]) -> str:
    """A short summary: options, pipeline, cores and memory, warnings, files."""
    r = result.report
    lines = [f"target     {r['target']}"]
    options = r.get("options") or {}
    if options:
        lines.append("options    " + ", ".join(f"{k}={v}" for k, v in options.items()))
    lines.append("pipeline   " + ",".join(r["pipeline"]))
    partition = r.get("partition")
    if partition:
        lines.append(f"cores      {partition['cores_used']} used (lower bound "
                     f"{partition['lower_bound_cores']}), est. {partition['traffic']:.4g} "
                     "spikes/step cross cores")
        lines.append(partition["table"].rstrip("\n"))
        for node in partition.get("unplaced", []):
            lines.append(f"not placed {node}")
    auto = r.get("dt_auto")
    if auto:
        line = (f"dt auto    {auto['dt']:.6g} s: worst time-constant error "
                f"{100 * auto['worst_tau_error']:.1f}%")
        if "agreement" in auto:
            line += (f"; the float graph at this step agrees {_fraction(auto['agreement'])} with "
                     f"itself at its own step ({auto['checked']} step(s) checked)")
        lines.append(line)
    quantization = r.get("quantization")
    if quantization:
        lines.append(f"{'layer':>10} {'bits':>5} {'scheme':>22} {'SQNR dB':>8} {'agreement':>10}")
        for q in quantization:
            agreement = f"{q['agreement']:.4f}" if "agreement" in q else "-"
            lines.append(f"{q['layer']:>10} {q['weight_bits']:>5} "
                         f"{q['scheme'] + ' ' + q['granularity']:>22} {q['sqnr_db']:>8.1f} "
                         f"{agreement:>10}")
    lines.extend(result.target_lines)
    for w in result.warnings:
        lines.append(f"warning    {w}")
    for path in written:
        lines.append(f"wrote      {path}")
    return "\n".join(lines) + "\n"


def _fraction(value) -> str:
    return "undefined (both silent)" if value is None else f"{value:.3f}"


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
