"""``nirc compile``: run a target's pipeline on a graph and write what the chip needs.

Steps: load the graph (.nir, .nirt or textual IR); build the target from its spec
(``generic{cores=8}``); run ``target.pipeline(options)`` as one xDSL pass pipeline
(verifying after each pass, dumping the IR with ``--print-ir-after-all``); check the
target's legality rules; emit its files; write them (and the JSON report) into the
output directory, each atomically and only after everything succeeded, so that an
error leaves no partial output.  The human report (stdout) names the options used,
the cores and memory used, and every warning.
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
    pipeline: list[str]
    files: dict[str, bytes]
    report: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    target_lines: list[str] = field(default_factory=list)


def compile_module(module, source: str, target, sim: dict[str, Any], *,
                   print_ir_after_all: bool = False, inputs=None,
                   fidelity: bool = True) -> CompileResult:
    """Compile an imported module for ``target`` (a ``Target`` or a spec string);
    nothing is written.  ``sim["dt"] = "auto"`` lets the target choose dt;
    ``inputs`` (T, [B,] n) feed the target's fidelity check (``fidelity=False``: none)."""
    from nirc.passes.discretize import recorded_options
    from nirc.targets import make_target

    from .ir_text import make_context
    from .opt import build_pipeline

    if isinstance(target, str):
        target = make_target(target)
    chosen_dt = None
    if sim.get("dt") == "auto":
        try:
            dt, error = target.choose_dt(module, sim.get("method"))
        except NircError as e:
            raise e.with_file(source) from None
        sim = {**sim, "dt": dt}
        chosen_dt = {"dt": dt, "worst_tau_error": error}
    reference = module.clone() if fidelity and target.USES_REFERENCE else None
    passes = target.pipeline(sim)
    pipeline = build_pipeline(",".join(passes), print_ir_after_all)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            pipeline.apply(make_context(), module)
        except NircError as e:
            raise e.with_file(source) from None
        try:
            legal_warnings = target.legalize(module)
        except NircError as e:
            raise e.with_file(source) from None
    found = [str(w.message) for w in caught] + list(legal_warnings)
    stem = Path(source).stem if source != "-" else "module"
    files = target.emit(module, stem)
    report = {
        "source": source,
        "target": target.spec(),
        "pipeline": passes,
        "options": recorded_options(module) or {},
        **({"dt_auto": chosen_dt} if chosen_dt else {}),
        **target.report(module, reference=reference, inputs=inputs),
        "warnings": found,
    }
    return CompileResult(passes, files, report, found, target.report_lines(report))


def write_outputs(result: CompileResult, outdir: str, report_path: str | None) -> list[Path]:
    """Write every emitted file (and the report) atomically into ``outdir``."""
    from .atomic import write_with

    outputs = {Path(outdir) / name: data for name, data in result.files.items()}
    if report_path:
        text = json.dumps(result.report, indent=1, default=_jsonable) + "\n"
        outputs[Path(report_path)] = text.encode()
    for path, data in outputs.items():
        write_with(path, lambda tmp, data=data: Path(tmp).write_bytes(data))
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


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
