"""Defects of real files whose intent is plain: read them as meant, with a warning.

``nir.read`` (1.0.8) refuses them all; nirc loads them and says what it did (a Python
warning, printed as one ``warning: FILE: ...`` line by nirc/warning_lines.py).  The
module then holds the corrected form, so ``nirc export`` writes it.

- **Input/Output shape that is only a reshape.**  An Output whose ``shape`` field
  differs from the shape its incoming edge delivers, or an Input whose ``shape``
  differs from the one every successor's parameters fix, but with the same number of
  elements (rockpool's export ``lif_rockpool.nir``: Output ``[1, 1, 1]`` after a LIF of shape ``[1]``): the
  node is a per-sample signal, so both shapes hold the same values in the same
  (row-major) order and the field is read as the delivered shape.  A different
  element count stays an error (the verifier's).
- **Edge endpoint that names a node of a subgraph.**  An endpoint ``lif`` that is no
  node of its graph (nor ``<subgraph>.<node>``) but is the name of a node in exactly
  one direct subgraph (``lif`` inside ``lif1``) is read as ``lif1.lif``.  Two or more
  subgraphs holding ``lif`` stay an error listing the candidates.
- **Edge endpoint that names a renamed node.**  If the edges of a graph name exactly
  one name that is no node (nor resolves as above) and exactly one of its nodes
  (other than Input/Output) is named by no edge, the name is read as that node (the
  NIR paper's ``paper/03_rnn/extras/braille_noDelay_*_subgraph.nir``: inside subgraph
  ``lif1`` the edges name ``lif``, but the CubaLIF is keyed ``lif1``).  Otherwise a
  name that is no node stays a dangling-edge error.
"""

from __future__ import annotations

import warnings

import nir
import numpy as np

from .diagnostics import NircError

Shape = tuple[int, ...]


class PlainIntentWarning(UserWarning):
    """A file defect read by its plain intent (see this module's docstring)."""


def _dims(shape) -> str:
    return "[" + ",".join(str(int(d)) for d in shape) + "]"


def subgraph_endpoint(nodes: dict, name: str, edge: tuple[str, str], where: str) -> str | None:
    """``<subgraph>.<name>`` if exactly one direct subgraph in ``nodes`` holds ``name``
    (with a warning), None if none does; an error naming the candidates if several do.
    ``where`` is the graph's path ('' for the top level)."""
    candidates = [f"{key}.{name}" for key, node in nodes.items()
                  if isinstance(node, nir.NIRGraph) and name in node.nodes]
    if not candidates:
        return None
    graph = f"graph '{where}'" if where else "the top-level graph"
    if len(candidates) > 1:
        raise NircError(
            f"edge {edge} refers to node '{name}', which is not in {graph} and is ambiguous: "
            f"subgraphs hold {', '.join(repr(c) for c in candidates)}", node=where or None)
    warnings.warn(PlainIntentWarning(
        f"edge {edge}: node '{name}' is not in {graph}; read as '{candidates[0]}', "
        "the only subgraph node of that name"))
    return candidates[0]


def renamed_endpoint(nodes: dict, edges, name: str, edge: tuple[str, str],
                     where: str) -> str | None:
    """The one node of ``nodes`` that no edge names, if ``name`` is the only edge
    name that names no node (with a warning); else None.  ``where`` as above."""
    def names_node(n: str) -> bool:
        return n in nodes or any(n.startswith(k + ".") for k in nodes) or any(
            isinstance(g, nir.NIRGraph) and n in g.nodes for g in nodes.values())

    used = {str(n) for e in edges for n in e}
    dangling = {n for n in used if not names_node(n)}
    orphans = [k for k, node in nodes.items()
               if not isinstance(node, (nir.Input, nir.Output))
               and not any(n == k or n.startswith(k + ".") for n in used)]
    if dangling != {name} or len(orphans) != 1:
        return None
    graph = f"graph '{where}'" if where else "the top-level graph"
    warnings.warn(PlainIntentWarning(
        f"edges name node '{name}', which is not in {graph}: read as '{orphans[0]}', "
        "the only node no edge names"))  # one line for all its edges
    return orphans[0]


def reshaped(field: np.ndarray, delivered: Shape | None, node: str, kind: str,
             other: str) -> np.ndarray | None:
    """The ``shape`` field to use instead of ``field`` when it is a reshape of
    ``delivered`` (same element count, different dims), with a warning; else None.
    ``other`` says where ``delivered`` comes from ("its input delivers", ...)."""
    if delivered is None:
        return None
    have = tuple(int(d) for d in np.asarray(field).reshape(-1))
    want = tuple(int(d) for d in delivered)
    if have == want or int(np.prod(have)) != int(np.prod(want)):
        return None
    warnings.warn(PlainIntentWarning(
        f"node '{node}' ({kind}), field 'shape': {_dims(have)} does not match the "
        f"{_dims(want)} {other} (same size): read as a reshape"))
    dtype = field.dtype if field.dtype.kind in "iu" else np.int64
    return np.array(want, dtype=dtype)
