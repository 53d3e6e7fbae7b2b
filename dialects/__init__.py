"""nirc's dialects, installed as ``nirc.dialects``.

``get_all_dialects()`` maps each dialect name to a function that imports and returns
it, so that tools load a dialect only when an input uses it (fast start-up).
"""

from collections.abc import Callable

from xdsl.ir import Dialect


def get_all_dialects() -> dict[str, Callable[[], Dialect]]:
    def get_nir() -> Dialect:
        from .nir import NIR

        return NIR

    def get_snn() -> Dialect:
        from .snn import SNN

        return SNN

    def get_qsnn() -> Dialect:
        from .qsnn import QSNN

        return QSNN

    def get_xylo() -> Dialect:
        from .xylo import XYLO

        return XYLO

    def get_loihi2() -> Dialect:
        from .loihi2 import LOIHI2

        return LOIHI2

    def get_spinnaker2() -> Dialect:
        from .spinnaker2 import SPINNAKER2

        return SPINNAKER2

    def get_speck() -> Dialect:
        from .speck import SPECK

        return SPECK

    return {"nir": get_nir, "snn": get_snn, "qsnn": get_qsnn, "xylo": get_xylo,
            "loihi2": get_loihi2, "speck": get_speck, "spinnaker2": get_spinnaker2}
