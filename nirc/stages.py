"""Which stage of the pipeline a module is at, read from the dialects of its ops.

The stages, in pipeline order (../shared/docs/architecture.md):

- ``nir``: only ``nir.*`` ops (continuous time, the form a .nir file has);
- ``snn``: ``snn.*`` neuron ops (after ``discretize``);
- ``snn.layer``: neurons grouped with their synapses (after ``fuse``);
- ``qsnn``: integer neurons (after ``quantize``);
- ``<chip>``: a chip's network op (after ``lower-to-<chip>``: xylo, loihi2, speck,
  spinnaker2).

Only the ``nir`` stage has a NIR (.nir/.nirt) form.
"""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp

CHIPS = ("xylo", "loihi2", "speck", "spinnaker2")

MADE_BY = {"snn": "discretize", "snn.layer": "fuse", "qsnn": "quantize",
           **{chip: f"lower-to-{chip}" for chip in CHIPS}}
"""The pass that produces each stage after ``nir``."""


def stage_of(module: ModuleOp) -> str:
    """The latest stage any op of ``module`` belongs to (see the module docstring)."""
    dialects = {op.name.split(".")[0] for op in module.walk()}
    for chip in CHIPS:
        if chip in dialects:
            return chip
    if "qsnn" in dialects:
        return "qsnn"
    if any(op.name == "snn.layer" for op in module.walk()):
        return "snn.layer"
    if "snn" in dialects:
        return "snn"
    return "nir"


def no_nir_form(stage: str) -> str:
    """Why a module at ``stage`` cannot be exported (one sentence)."""
    return (f"the module is at stage '{stage}' (after {MADE_BY[stage]}), which has no NIR form; "
            "only the 'nir' stage (before discretize) exports to .nir/.nirt")
