"""``nirc opt --verify-diagnostics``: check ``expected-error`` / ``expected-warning``
annotations against the diagnostics a chunk produces, as mlir-opt's
``-verify-diagnostics`` does (xdsl-opt 0.74's flag only prints the diagnostic).

An annotation is a comment ``// expected-error {{text}}`` (or ``expected-warning``),
optionally ``@+N`` / ``@-N`` / ``@above`` / ``@below``: it expects a diagnostic whose
message contains ``text`` at its own line (or N lines after / before it).  A diagnostic's
line is the ``line:column`` of a parse error, else the line that defines the node the
message names (``node 'x'``: the first line with ``= <dialect>.<op> "x"`` or
``<dialect>.<op> "x"``); a diagnostic without a line (a module-wide one) matches an
annotation anywhere in its chunk.  The check fails when an annotation is not matched
("expected error ... was not produced") or a diagnostic is not expected ("unexpected
error"), each naming the file and line.

Inputs without any annotation keep xdsl-opt's behaviour: each chunk's diagnostic is
printed to stdout and the exit code is 0 (nirc's lit tests FileCheck those lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ANNOTATION = re.compile(
    r"//\s*expected-(?P<kind>error|warning)(?:@(?P<at>[+-]\d+|above|below))?\s*"
    r"\{\{(?P<text>.*?)\}\}")
NODE = re.compile(r"\bnode '(?P<name>[^']+)'")
LOCATION = re.compile(r":(?P<line>\d+):\d+$")


@dataclass
class Expected:
    kind: str
    text: str
    line: int  # 1-based, in the whole file
    matched: bool = False


@dataclass(frozen=True)
class Diagnostic:
    kind: str
    message: str
    line: int | None


def has_annotations(text: str) -> bool:
    return ANNOTATION.search(text) is not None


def annotations(text: str, first_line: int) -> list[Expected]:
    """The annotations of a chunk whose first line is ``first_line`` of the file."""
    found = []
    for number, line in enumerate(text.splitlines(), start=first_line):
        for m in ANNOTATION.finditer(line):
            at = m["at"]
            offset = {"above": -1, "below": 1, None: 0}.get(at)
            offset = int(at) if offset is None else offset
            found.append(Expected(m["kind"], m["text"], number + offset))
    return found


def node_line(text: str, first_line: int, node: str) -> int | None:
    """The line defining op ``"node"`` in a chunk of textual IR."""
    pattern = re.compile(r'^\s*(?:%[\w.$-]+(?::\d+)?\s*=\s*)?[\w.]+\s+"' + re.escape(node) + '"')
    for number, line in enumerate(text.splitlines(), start=first_line):
        if pattern.search(line):
            return number
    return None


def diagnostic_line(error_file: str | None, message: str, text: str, first_line: int
                    ) -> int | None:
    if error_file:
        m = LOCATION.search(error_file)
        if m:
            return int(m["line"])
    m = NODE.search(message)
    return node_line(text, first_line, m["name"]) if m else None


def check(source: str, expected: list[Expected], produced: list[Diagnostic]) -> list[str]:
    """The failures: unexpected diagnostics and expectations nothing produced."""
    failures = []
    for d in produced:
        match = next((e for e in expected if not e.matched and e.kind == d.kind
                      and e.text in d.message and (d.line is None or e.line == d.line)), None)
        if match is None:
            where = f"{source}:{d.line}" if d.line is not None else source
            failures.append(f"{where}: unexpected {d.kind}: {d.message}")
        else:
            match.matched = True
    for e in expected:
        if not e.matched:
            failures.append(f"{source}:{e.line}: expected {e.kind} \"{e.text}\" was not produced")
    return failures
