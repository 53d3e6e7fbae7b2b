"""The .nirt grammar (``nirt.lark``, lark LALR with positions) and its syntax errors.

A syntax error becomes one line: ``file:line:col: expected <what>, found <text>``,
where <what> lists lark's expected terminals in readable words (``a name``, ``')'``,
``a value`` for the whole set of value openers) and <text> is the offending token (or
character, or "end of file").  Common mistakes are recognised from examples
that fail in the same LALR state (as lark's ``match_examples`` does) and get a hint
first (``a .nirt file starts with 'nirt 1'``).
"""

from __future__ import annotations

from functools import cache

from lark import Lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from .diagnostics import NircError

_READABLE = {
    "NAME": "a name", "STRING": "a quoted string", "INT": "an integer", "FLOAT": "a number",
    "SPECIAL": "inf or nan", "DTYPE": "a dtype (f32, i64, bool, ...)", "TRUE": "true",
    "FALSE": "false", "$END": "end of file",
}  # fmt: skip
_LITERALS = {"FLOAT", "INT", "SPECIAL", "TRUE", "FALSE"}
_VALUE_OPENERS = _LITERALS | {"DTYPE", "STRING", "LPAR", "LSQB", "LBRACE", "NONE"}

# hints for common mistakes: lark finds the example that fails in the same parser state
_EXAMPLES = {
    "a .nirt file starts with the version line 'nirt 1'": [
        "x = LIF(tau=f32 1.0)", "metadata {}", "a -> b", "", "nirt", "nirt x"],
    "a parameter is written name=value": ["nirt 1 x = LIF(tau)", "nirt 1 x = LIF(tau f32 1.0)"],
    "parameters are separated by ','": [
        f"nirt 1 x = LIF(tau={v} r=1)" for v in (
            "f32 1.0", "f32[] 1.0", "f32[2] fill 1.0", 'f32[2] @"k"', 'f32[2] base64 "AA=="',
            "f32[0] []", "f32[1] [1.0]", "f32[2] [1.0, 2.0]", "f32[1,0] [[]]", "f32[1,1] [[1.0]]",
            "f32[2,2] [[1.0, 2.0], [3.0, 4.0]]", "f32[1,1,1] [[[1.0]]]", "1", "1.0", "true",
            '"s"', "none", "()", "(1,)", "(1, 2)", "[]", "[1]", "[1, 2]", "{}", "{a: 1}",
            "{a: 1, b: 2}")],
    "an array is <dtype>[<shape>] followed by its data, e.g. f32[2] [0.5, 1.0]": [
        "nirt 1 x = LIF(tau=f32[2])", "nirt 1 x = LIF(tau=f32[2], r=f32 1.0)",
        "nirt 1 x = LIF(tau=f32[2] )"],
    "a node is written name = Type(field=value, ...)": ["nirt 1 x", "nirt 1 x = ", "nirt 1 x y"],
}


@cache
def get_parser() -> Lark:
    """The LALR parser of ``nirt.lark`` (built once per process)."""
    return Lark.open_from_package("nirc", "nirt.lark", parser="lalr", propagate_positions=True,
                                  maybe_placeholders=False)


def syntax_error(e: UnexpectedInput, text: str, source: str) -> NircError:
    """A lark parse error as one line: where, what was expected, what was found."""
    expected: set[str] = set()
    if isinstance(e, UnexpectedCharacters):
        found = repr(text[e.pos_in_stream]) if e.pos_in_stream < len(text) else "end of file"
        expected = set(e.allowed or ())
    elif isinstance(e, UnexpectedToken):
        token = e.token
        found = "end of file" if token.type == "$END" else repr(_short(str(token)))
        expected = set(e.accepts or e.expected or ())
    elif isinstance(e, UnexpectedEOF):
        found, expected = "end of file", set(e.expected or ())
    else:  # pragma: no cover - lark raises only the three above
        found = "?"
    message = f"expected {_readable(expected)}, found {found}"
    hint = _hint(e)
    if hint:
        message = f"{hint}: {message}"
    line, column = getattr(e, "line", None), getattr(e, "column", None)
    if not isinstance(line, int) or line < 1:
        line, column = _end_position(text)
    return NircError(message, file=f"{source}:{line}:{column}")


def _hint(e: UnexpectedInput) -> str | None:
    return _hints().get(_state_of(e))


@cache
def _hints() -> dict[object, str]:
    """Parser state -> hint, from the examples (like lark's ``match_examples``, but keyed
    by the LALR state alone, so a mistake gets its hint at any depth of nesting)."""
    table: dict[object, str] = {}
    for label, examples in _EXAMPLES.items():
        for example in examples:
            try:
                get_parser().parse(example)
            except UnexpectedInput as e:
                table.setdefault(_state_of(e), label)
    return table


def _state_of(e: UnexpectedInput) -> object:
    state = getattr(e, "state", None)
    position = getattr(state, "position", state)  # lark's ParserState, or a lexer state
    return (type(e).__name__ == "UnexpectedCharacters", position)


def _readable(names: set[str]) -> str:
    names = {n for n in names if n != "DIGEST"}  # read-only summaries are not suggested
    words = []
    if _VALUE_OPENERS <= names:
        names -= _VALUE_OPENERS
        words.append("a value")
    elif _LITERALS <= names:
        names -= _LITERALS
        words.append("a number")
    for name in sorted(names):
        words.append(_READABLE.get(name) or _pattern(name))
    words = sorted(set(words), key=lambda w: (not w[0].isalpha(), w))
    if not words:
        return "nothing more"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _pattern(name: str) -> str:
    try:
        pattern = get_parser().get_terminal(name).pattern
    except KeyError:
        return name
    return f"'{pattern.value}'" if pattern.type == "str" else name.lower()


def _short(text: str) -> str:
    return text if len(text) <= 30 else text[:27] + "..."


def _end_position(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1
