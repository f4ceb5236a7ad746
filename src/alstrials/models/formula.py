"""The restricted formula grammar accepted by every model fit: :func:`check_formula`.

Formulas are parsed by formulaic, which evaluates the Python code in a formula's terms (a
``{...}`` block, ``np.log(x)``, ``I(x**2)``) with ``eval``. A formula is therefore code, and
``'{__import__("os").system(...)}'`` would run a shell command. No file or CLI option of
alstrials accepts a formula; in addition, every fit that takes a formula from the API checks it
against this grammar before formulaic sees it:

* column names (Python identifiers), or any name quoted in backticks (```ph.ecog```);
* numbers, and string literals without a prefix (``'placebo'``, ``"M"``) and without braces or
  backslashes;
* the formula operators ``~ + - * / : ^ ** | ( ) , = .`` and whitespace, and list brackets
  ``[ ]`` for literal lists of arguments (``bs(x, knots=[6, 12])``, never a subscript);
* calls of the transforms in :data:`ALLOWED_FUNCTIONS` only, and attribute access only as
  ``np.<f>`` / ``numpy.<f>`` with ``f`` in :data:`ALLOWED_NUMPY` (math functions, no file I/O)
  or ``contr.<f>`` with ``f`` in :data:`ALLOWED_CONTRASTS` (``contr.treatment("placebo")``).

Rejected: ``{...}`` Python blocks, dunder names, other attribute access, Python keywords
(``lambda``, ``import``, ...), calls of anything else (``eval``, ``open``, ``getattr``, a call on
the result of a call), string prefixes (f-strings), and every other character (``;`` ``@`` ``!``
``$`` ``&`` ``#`` ``\\`` ...). The error is :class:`~alstrials.errors.FormulaError`.
"""

from __future__ import annotations

import keyword

from alstrials.errors import FormulaError

__all__ = ["check_formula", "ALLOWED_FUNCTIONS", "ALLOWED_NUMPY", "ALLOWED_CONTRASTS"]

ALLOWED_FUNCTIONS = frozenset(
    {
        # categorical coding
        "C",
        "Treatment",
        "Sum",
        "Helmert",
        "Diff",
        "Poly",
        # identity / quoting
        "I",
        "Q",
        # transforms formulaic provides
        "log",
        "log2",
        "log10",
        "exp",
        "exp2",
        "exp10",
        "sqrt",
        "poly",
        "bs",
        "cr",
        "cc",
        "cs",
        "scale",
        "center",
        "standardize",
        "lag",
        "abs",
    }
)
"""Bare function names a formula may call."""

ALLOWED_NUMPY = frozenset(
    {
        "log",
        "log1p",
        "log2",
        "log10",
        "exp",
        "expm1",
        "exp2",
        "sqrt",
        "square",
        "cbrt",
        "abs",
        "absolute",
        "power",
        "sin",
        "cos",
        "tan",
        "arctan",
        "tanh",
        "sign",
        "floor",
        "ceil",
        "round",
        "clip",
        "minimum",
        "maximum",
        "where",
        "isnan",
        "pi",
        "e",
    }
)
"""Functions (and constants) a formula may use as ``np.<name>`` or ``numpy.<name>``."""

ALLOWED_CONTRASTS = frozenset({"treatment", "sum", "helmert", "poly", "diff"})
"""formulaic's contrast constructors a formula may use as ``contr.<name>``."""

_NAMESPACES = {"np": ALLOWED_NUMPY, "numpy": ALLOWED_NUMPY, "contr": ALLOWED_CONTRASTS}

_OPERATORS = ("**", "~", "+", "-", "*", "/", ":", "^", "|", "(", ")", ",", "=", ".", "[", "]")
_CONSTANTS = frozenset({"True", "False", "None"})


def _fail(text: str, pos: int, why: str, what: str = "formula") -> FormulaError:
    snippet = text[max(0, pos - 15) : pos + 15]
    return FormulaError(
        f"{what} {text!r} is not allowed: {why} (at position {pos}, near {snippet!r}). "
        "Formulas may use column names (backticks for other names), numbers, quoted strings, "
        "the operators ~ + - * / : ^ ** | ( ) , = ., and the transforms "
        f"{sorted(ALLOWED_FUNCTIONS)}, np.<f> for f in {sorted(ALLOWED_NUMPY)} and contr.<f> "
        f"for f in {sorted(ALLOWED_CONTRASTS)}."
    )


def _tokens(text: str) -> list[tuple[str, str, int]]:
    """``(kind, value, position)`` with kind name / number / string / quoted / op."""
    out: list[tuple[str, str, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c == "`":
            j = text.find("`", i + 1)
            if j < 0:
                raise _fail(text, i, "a backtick-quoted name is not closed")
            name = text[i + 1 : j]
            if not name or any(ch in name for ch in "{}\\\n") or "__" in name:
                raise _fail(text, i, "a backtick-quoted name holds a forbidden character")
            out.append(("quoted", name, i))
            i = j + 1
            continue
        if c in "'\"":
            j = text.find(c, i + 1)
            if j < 0:
                raise _fail(text, i, "a string is not closed")
            body = text[i + 1 : j]
            if any(ch in body for ch in "{}\\\n"):
                raise _fail(text, i, "strings may not hold braces, backslashes or newlines")
            out.append(("string", body, i))
            i = j + 1
            continue
        if c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            j = i
            while j < n and (text[j].isdigit() or text[j] in "._"):
                j += 1
            if j < n and text[j] in "eE":
                k = j + 1
                if k < n and text[k] in "+-":
                    k += 1
                if k < n and text[k].isdigit():
                    j = k
                    while j < n and text[j].isdigit():
                        j += 1
            if j < n and (text[j].isalnum() or text[j] == "_"):
                raise _fail(text, j, "a number runs into a name")
            out.append(("number", text[i:j], i))
            i = j
            continue
        if c.isalpha() or c == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            out.append(("name", text[i:j], i))
            i = j
            continue
        for op in _OPERATORS:
            if text.startswith(op, i):
                out.append(("op", op, i))
                i += len(op)
                break
        else:
            raise _fail(text, i, f"character {c!r} is not part of the formula grammar")
    return out


def check_formula(text: str, *, what: str = "formula") -> str:
    """Check that ``text`` uses only the restricted formula grammar (module docstring).

    Parameters
    ----------
    text : str
        A formulaic formula (two-sided, one-sided, or a right-hand side).
    what : str
        What the formula is, for the message (e.g. "random").

    Returns
    -------
    str
        ``text`` unchanged.

    Raises
    ------
    FormulaError
        The formula uses anything outside the grammar.

    Examples
    --------
    >>> check_formula("alsfrs_total ~ months * C(arm, Treatment('placebo')) + np.log(age)")
    "alsfrs_total ~ months * C(arm, Treatment('placebo')) + np.log(age)"
    >>> check_formula('y ~ {__import__("os").system("echo pwned")}')
    Traceback (most recent call last):
    ...
    alstrials.errors.FormulaError: formula 'y ~ {__import__("os").system("echo pwned")}' ...
    """

    def _fail_what(why: str) -> FormulaError:
        return _fail(text, pos, why, what)

    pos = 0
    if not isinstance(text, str):
        raise FormulaError(f"{what} must be a string, got {type(text).__name__}")
    try:
        toks = _tokens(text)
    except FormulaError as exc:
        raise FormulaError(str(exc).replace("formula", what, 1)) from None
    for k, (kind, value, pos) in enumerate(toks):
        prev = toks[k - 1] if k > 0 else None
        nxt = toks[k + 1] if k + 1 < len(toks) else None
        if (
            kind == "string"
            and prev is not None
            and prev[0] == "name"
            and prev[2] + len(prev[1]) == pos
        ):
            raise _fail_what("string prefixes (f-strings, b-strings) are not allowed")
        if kind == "name":
            if "__" in value:
                raise _fail_what("dunder names are not allowed")
            if keyword.iskeyword(value) and value not in _CONSTANTS:
                raise _fail_what(f"the Python keyword {value!r} is not allowed")
            if prev is not None and prev[:2] == ("op", ".") and k >= 2:
                owner = toks[k - 2]
                if owner[0] != "name" or owner[1] not in _NAMESPACES:
                    raise _fail_what("attribute access is allowed only as np.<function>")
                if k >= 3 and toks[k - 3][:2] == ("op", "."):
                    raise _fail_what("nested attribute access is not allowed")
                if value not in _NAMESPACES[owner[1]]:
                    raise _fail_what(f"{owner[1]}.{value} is not an allowed function")
                continue
            called = nxt is not None and nxt[:2] == ("op", "(")
            if called and value not in ALLOWED_FUNCTIONS:
                raise _fail_what(f"calling {value!r} is not allowed")
            if value in _NAMESPACES and not (nxt is not None and nxt[:2] == ("op", ".")):
                raise _fail_what(f"{value} may only be used as {value}.<function>")
        elif kind == "op" and value == ".":
            after_value = prev is not None and (
                prev[0] in ("name", "string", "quoted") or prev[1] in (")", "]")
            )
            if after_value and not (prev is not None and prev[1] in _NAMESPACES):
                raise _fail_what("attribute access is allowed only as np.<function>")
        elif kind == "op" and value == "(":
            if prev is not None and (
                prev[0] in ("string", "number", "quoted")
                or prev[1]
                in (
                    ")",
                    "]",
                )
            ):
                raise _fail_what("only the allowed transforms may be called")
        elif kind == "op" and value == "[":
            if prev is not None and (prev[0] != "op" or prev[1] in (")", "]")):
                raise _fail_what("subscripts are not allowed (lists only as arguments)")
    return text
