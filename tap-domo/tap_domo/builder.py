"""Record builders: one generated function per column layout, the common values read inline."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Parser = Callable[[Any], Any]
RowBuilder = Callable[[Sequence[Any]], dict[str, Any]]

# Names the generated source defines itself; an `Inline` must not bind them.
_RESERVED = frozenset({"build", "_width", "_ValueError"})


@dataclass(frozen=True)
class Inline:
    """A parser, and an expression that the record builder writes in place of calling it.

    A Python call per value costs more than most conversions, and a row has a value per column.
    The expression gives what `parse` gives for every value, or raises a `ValueError` where
    `parse` raises one; it only handles the common shapes itself and calls `parse` for the rest.
    In it, ``{v}`` stands for the value, ``{p}`` for `parse`, ``{c}`` for `cell`; `names` binds
    the other names it uses (each starting with ``_``). Only these fixed expressions are
    compiled: column names never are.

    Attributes:
        parse: the parser.
        expression: the inline expression.
        names: constants the expression uses.
        cell: the ``[last value, last result]`` memo of `parse`, when it keeps one.
    """

    parse: Parser
    expression: str
    names: Mapping[str, Any] = field(default_factory=dict)
    cell: list[Any] | None = None

    def __call__(self, value: Any) -> Any:
        """Parse one value.

        Args:
            value: the raw value.

        Returns:
            The parsed value.
        """
        return self.parse(value)


def memo_cell(parse: Parser, nulls: tuple[str, ...] = ()) -> tuple[Parser, list[Any]]:
    """Remember the last value: `_BATCH_LAST_RUN_` and dates repeat row after row.

    Args:
        parse: the parser to call on a new value.
        nulls: texts read as None without calling `parse` (the CSV export's null spellings).

    Returns:
        The memoised parser, and its ``[last value, last result]`` cell.
    """
    cell: list[Any] = [object(), None]

    def parse_memo(value: Any) -> Any:
        if value == cell[0]:
            return cell[1]
        result = None if value in nulls else parse(value)
        cell[0], cell[1] = value, result
        return result

    return parse_memo, cell


def record_builder(names: Sequence[str], parsers: Sequence[Parser | None]) -> RowBuilder:
    """Build records from rows: each value parsed by its column's parser, or kept as it is.

    The builder is one generated function that unpacks the row and returns a dict display, so a
    row costs one Python call plus one per parsed value that no `Inline` expression handles: a
    loop over the columns, or a dict built by `zip` and then patched, costs twice as much per
    row, and rows are the tap's hot path. Only indexes and the fixed `Inline` expressions appear
    in the generated source; the column names and the parsers are bound as constants, so no name
    from Domo is ever compiled as code.

    Args:
        names: column names in row order.
        parsers: one per column; None keeps the value as it is.

    Returns:
        A function row -> record; it raises ValueError when the row has the wrong length.

    Raises:
        ValueError: when the names and parsers differ in number, or an `Inline` binds a
            reserved name.
    """
    keys = list(names)
    if len(keys) != len(parsers):
        raise ValueError(f"{len(keys)} column names for {len(parsers)} parsers")
    if not keys:
        return _empty_record
    namespace: dict[str, Any] = {"_width": len(keys), "_ValueError": ValueError}
    items = []
    for index, (name, parse) in enumerate(zip(keys, parsers, strict=True)):
        namespace[f"k{index}"] = name
        if parse is None:
            items.append(f"k{index}: v{index}")
        elif isinstance(parse, Inline):
            _bind(namespace, parse.names)
            namespace[f"p{index}"] = parse.parse
            namespace[f"c{index}"] = parse.cell
            value = parse.expression.format(v=f"v{index}", p=f"p{index}", c=f"c{index}")
            items.append(f"k{index}: {value}")
        else:
            namespace[f"p{index}"] = parse
            items.append(f"k{index}: p{index}(v{index})")
    values = ", ".join(f"v{index}" for index in range(len(keys)))
    source = (
        "def build(row):\n"
        "    try:\n"
        f"        {values}, = row\n"
        "    except ValueError:\n"
        "        raise _ValueError(\n"
        "            f'a row of {len(row)} values cannot be zipped with {_width} columns'\n"
        "        ) from None\n"
        f"    return {{{', '.join(items)}}}\n"
    )
    exec(compile(source, "<tap_domo record builder>", "exec"), namespace)  # noqa: S102
    build: RowBuilder = namespace["build"]
    return build


def _bind(namespace: dict[str, Any], names: Mapping[str, Any]) -> None:
    for name, value in names.items():
        if not name.startswith("_") or name in _RESERVED:
            raise ValueError(f"an inline expression may not bind {name!r}")
        if namespace.setdefault(name, value) is not value:
            raise ValueError(f"two inline expressions bind {name!r} to different values")


def _empty_record(row: Sequence[Any]) -> dict[str, Any]:
    if len(row):
        raise ValueError(f"a row of {len(row)} values cannot be zipped with 0 columns")
    return {}
