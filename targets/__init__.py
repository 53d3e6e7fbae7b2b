"""nirc's targets, installed as ``nirc.targets``.

``get_all_targets()`` maps each target name to a function that imports and returns
its ``Target`` class (see ``base.py``), so that the CLI imports a target only when it
is used.  A new target is one folder plus one entry here.
"""

from collections.abc import Callable


def get_all_targets() -> dict[str, Callable[[], type]]:
    def interp() -> type:
        from .interp.target import InterpTarget

        return InterpTarget

    def generic() -> type:
        from .generic import GenericTarget

        return GenericTarget

    def xylo() -> type:
        from .xylo.target import XyloTarget

        return XyloTarget

    def loihi2() -> type:
        from .loihi2.target import Loihi2Target

        return Loihi2Target

    def spinnaker2() -> type:
        from .spinnaker2.target import Spinnaker2Target

        return Spinnaker2Target

    def speck() -> type:
        from .speck.target import SpeckTarget

        return SpeckTarget

    return {"interp": interp, "generic": generic, "xylo": xylo, "loihi2": loihi2,
            "speck": speck, "spinnaker2": spinnaker2}


def make_target(spec: str):
    """A target from ``name`` or ``name{key=value ...}`` (xDSL's pipeline syntax)."""
    from xdsl.utils.arg_spec import parse_spec
    from xdsl.utils.exceptions import ArgSpecParseError

    from nirc.diagnostics import NircError

    try:
        parsed = parse_spec(spec)
    except (Exception, ArgSpecParseError) as e:  # ArgSpecParseError is a BaseException
        raise NircError(f"invalid target '{spec}': {e}") from None
    targets = get_all_targets()
    if parsed.name not in targets:
        from nirc.driver import unknown

        raise NircError(unknown("target", parsed.name, targets))
    return targets[parsed.name]()(**parsed.parameters)
