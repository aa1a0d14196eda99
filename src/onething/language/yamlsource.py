"""Safe YAML reading into located nodes, with limits against hostile documents.

Only PyYAML's ``SafeLoader`` composer is used: no Python objects are ever constructed from
tags, and every node keeps its line and column. Aliases are followed, but every node visit is
counted against a budget, so an alias bomb ("billion laughs") stops quickly.
"""

from __future__ import annotations

import bisect
import re
from typing import TYPE_CHECKING, Protocol

import attrs
import yaml

from onething.errors import YamlRefused
from onething.language.location import Diagnostic, Location

STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + t
    for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
MERGE_TAG = "tag:yaml.org,2002:merge"


@attrs.frozen
class Limits:
    """Bounds on what the loader accepts; all configurable."""

    max_bytes: int = 1_000_000
    max_nodes: int = 100_000
    max_depth: int = 64


DEFAULT_LIMITS = Limits()


def node_location(path: str, node: yaml.Node) -> Location:
    """Where ``node`` starts in file ``path`` (1-based line and column)."""
    mark = node.start_mark
    return Location(path, mark.line + 1, mark.column + 1)


def value_offset(node: yaml.Node) -> int:
    """Columns between a scalar node's start and its text (1 for quoted scalars)."""
    return 1 if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"') else 0


class _Mark(Protocol):
    """A position in the text as PyYAML's and libyaml's marks give it (0-based)."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


class _TooDeep(Exception):
    def __init__(self, mark: _Mark) -> None:
        self.mark = mark


class _TooMany(_TooDeep):
    pass


class _Limited(yaml.composer.Composer):
    """The safe composer, stopping as soon as nesting or the node count passes the limits.

    PyYAML composes recursively, its scanner slows down quadratically with flow nesting, and
    it composes about 40,000 nodes a second: a deep or huge document is refused while it is
    composed, not after.
    """

    limits = DEFAULT_LIMITS
    depth = 0
    nodes = 0

    if TYPE_CHECKING:
        # from the parser each loader mixes in (PyYAML's Parser or libyaml's CParser)
        def peek_event(self) -> yaml.Event | None: ...

    def compose_node(self, parent: yaml.Node | None, index: object) -> yaml.Node | None:
        self.depth += 1
        self.nodes += 1
        try:
            if self.depth > self.limits.max_depth:
                raise _TooDeep(self._next_mark())
            if self.nodes > self.limits.max_nodes:
                raise _TooMany(self._next_mark())
            # types-PyYAML says index is an int; a mapping's value is composed with its key node
            return super().compose_node(parent, index)  # type: ignore[arg-type]  # stub: int
        finally:
            self.depth -= 1

    def _next_mark(self) -> _Mark:
        """Where the node being composed starts (its event is next: the composer peeked)."""
        event = self.peek_event()
        assert event is not None and event.start_mark is not None
        return event.start_mark


class _LimitedLoader(_Limited, yaml.SafeLoader):
    """The pure-Python safe loader with the limits (its errors are the reference)."""


class SourceLines:
    """Character indexes of one text to and from 1-based lines and columns, as PyYAML counts.

    PyYAML breaks lines at LF, CRLF, CR, NEL, LS and PS, and never counts a BOM as a column.
    """

    BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0, *(m.end() for m in self.BREAK.finditer(text))]

    def location(self, path: str, index: int) -> Location:
        """The location of a 0-based offset in the text."""
        line = bisect.bisect_right(self.starts, index)
        start = self.starts[line - 1]
        return Location(path, line, index - start - self.text.count("\ufeff", start, index) + 1)

    def index(self, location: Location) -> int | None:
        """The 0-based offset in the text of a 1-based line and column."""
        if not 1 <= location.line <= len(self.starts) or location.col < 1:
            return None
        at, col = self.starts[location.line - 1], 1
        while col < location.col and at < len(self.text):
            col += self.text[at] != "\ufeff"
            at += 1
        return at

    def in_value(self, start: Location, value: str, offset: int) -> Location:
        """Where character ``offset`` of a scalar's ``value`` is, its first character at ``start``.

        Folded lines, indentation, escapes and doubled quotes make the source longer than the
        value, so the value's characters are matched in order, skipping what the source adds.
        """
        begin = self.index(start)
        past = offset >= len(value)
        target = len(value) - 1 if past else offset
        if begin is None or target < 0:
            return start.shifted(offset)
        at, limit = begin, min(len(self.text), begin + 8 * (target + 1) + 256)
        for char in value[: target + 1]:
            while at < limit and self.text[at] != char and not (
                char.isspace() and self.text[at].isspace()
            ):
                at += 1
            if at >= limit:
                return start.shifted(offset)
            at += 1
        return self.location(start.file, at if past else at - 1)


def scalar_start(node: yaml.ScalarNode, text: str) -> int:
    """The index in ``text`` of a scalar's first character: past its quote or block header."""
    index = node.start_mark.index
    if node.style in ("|", ">"):
        header_end = SourceLines.BREAK.search(text, index)
        return header_end.end() if header_end else index
    return index + value_offset(node)


_FastLoader: type[_LibyamlLoader] | None = None

if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _LibyamlLoader(_Limited, yaml.composer.Composer, CParser,
                         yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
        """libyaml scans and parses (in C, about ten times faster); the limited composer
        above still builds the nodes, so the limits hold the same. Only for documents that
        parse: any problem is reported by the pure-Python loader, whose messages and
        locations the diagnostics are written against."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

        # types-PyYAML types the anchor as a dict; PyYAML passes the anchor's name
        def compose_scalar_node(  # type: ignore[override]  # stub: anchor is a dict
                self, anchor: str | None) -> yaml.ScalarNode:
            node = super().compose_scalar_node(anchor)  # type: ignore[arg-type]  # stub: dict
            node.style = node.style or None  # libyaml says '' for plain, PyYAML None
            return node

    _FastLoader = _LibyamlLoader


def _compose(text: str, limits: Limits) -> yaml.Node | None:
    # a BOM (SourceLines never counts it as a column) is left to the pure-Python reader, the
    # reference for where things are
    if _FastLoader is not None and "\ufeff" not in text:
        fast = None
        try:
            fast = _FastLoader(text)  # libyaml encodes the text first: a lone surrogate fails
            fast.limits = limits
            return fast.get_single_node()
        except Exception:  # the slow loader below says what is wrong
            pass
        finally:
            if fast is not None:
                fast.dispose()
    loader = _LimitedLoader(text)
    loader.limits = limits
    try:
        return loader.get_single_node()
    except (ValueError, OverflowError):
        # the scanner turns an out-of-range escape such as "\UFFFFFFFF" into chr(...)
        raise yaml.scanner.ScannerError(
            None, None, "a character escape is out of range", loader.get_mark()
        ) from None
    finally:
        loader.dispose()


def compose(text: str, path: str, limits: Limits = DEFAULT_LIMITS) -> yaml.Node | None:
    """Parse ``text`` into a node tree, refusing oversize, malformed or hostile input."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > limits.max_bytes:
        raise YamlRefused(
            Diagnostic(
                "too-large",
                f"the file is {size:,} bytes; the limit is {limits.max_bytes:,}",
                Location(path, 1, 1),
                "split the workflow or raise Limits.max_bytes",
            )
        )
    try:
        node = _compose(text, limits)
    except _TooMany as exc:
        raise YamlRefused(_too_many(Location(path, exc.mark.line + 1, exc.mark.column + 1),
                                    limits)) from None
    except _TooDeep as exc:
        raise YamlRefused(
            Diagnostic(
                "too-deep",
                f"the document nests deeper than {limits.max_depth} levels",
                Location(path, exc.mark.line + 1, exc.mark.column + 1),
                "flatten the structure, or raise Limits.max_depth",
            )
        ) from None
    except yaml.reader.ReaderError as exc:
        loc = SourceLines(text).location(path, exc.position)
        raise YamlRefused(
            Diagnostic(
                "yaml-syntax",
                f"not valid YAML: the character {chr(exc.character)!r} is not allowed"
                if isinstance(exc.character, int)
                else f"not valid YAML: {exc.reason}",
                loc,
                "remove the control character; a workflow is plain UTF-8 text",
            )
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path, 1, 1)
        problem = exc.problem or exc.context or "cannot parse"
        if exc.context and exc.problem:
            problem = f"{exc.context}: {exc.problem}"
        hint = _yaml_hint(problem)
        if (exc.context or "").startswith("while") and exc.context_mark not in (None, mark):
            opened = exc.context_mark
            hint += f"; {exc.context} from line {opened.line + 1}, column {opened.column + 1}"
        raise YamlRefused(Diagnostic("yaml-syntax", f"not valid YAML: {problem}", loc, hint)) \
            from None
    except yaml.YAMLError as exc:
        raise YamlRefused(
            Diagnostic("yaml-syntax", f"not valid YAML: {exc}", Location(path, 1, 1),
                       "check indentation and quoting")
        ) from None
    except RecursionError:
        raise YamlRefused(
            Diagnostic(
                "too-deep",
                "the document nests too deeply to read",
                Location(path, 1, 1),
                f"keep nesting under {limits.max_depth} levels",
            )
        ) from None
    if node is not None:
        _check_shape(node, path, limits)
    return node


def _too_many(location: Location, limits: Limits) -> Diagnostic:
    return Diagnostic(
        "too-many-nodes",
        f"the document expands to more than {limits.max_nodes:,} nodes "
        "(an alias bomb, or a workflow far larger than any real one)",
        location,
        "remove repeated aliases, or raise Limits.max_nodes",
    )


def _yaml_hint(problem: str) -> str:
    if "tab" in problem or "'\\t'" in problem:
        return "indent with spaces, not tabs"
    if "flow sequence" in problem:
        return "a '[' list is not closed with ']', or an entry lacks its ','"
    if "flow mapping" in problem:
        return "a '{' mapping is not closed with '}', or an entry lacks its ','"
    if "single document" in problem:
        return "a workflow file holds one YAML document; remove the second '---'"
    if "escape" in problem:
        return "check the \\x, \\u and \\U escapes in double-quoted strings"
    if "mapping values are not allowed" in problem:
        return "a value containing ': ' must be quoted"
    if "could not find expected ':'" in problem:
        return "each key needs a ':' after it"
    return "check indentation and quoting around this position"


def _check_shape(root: yaml.Node, path: str, limits: Limits) -> None:
    """Count node visits (aliases included), depth and tags, iteratively."""
    visits = 0
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        visits += 1
        if visits > limits.max_nodes:
            raise YamlRefused(_too_many(node_location(path, node), limits))
        if depth > limits.max_depth:
            raise YamlRefused(
                Diagnostic(
                    "too-deep",
                    f"the document nests deeper than {limits.max_depth} levels",
                    node_location(path, node),
                    "flatten the structure, or raise Limits.max_depth",
                )
            )
        if node.tag == MERGE_TAG:
            raise YamlRefused(
                Diagnostic(
                    "unknown-tag",
                    "merge keys ('<<') are not supported",
                    node_location(path, node),
                    "write the keys out in full",
                )
            )
        if node.tag not in STANDARD_TAGS:
            raise YamlRefused(
                Diagnostic(
                    "unknown-tag",
                    f"the YAML tag {node.tag!r} is not allowed",
                    node_location(path, node),
                    "workflows use plain YAML values; remove the '!' tag",
                )
            )
        kind = MAP_TAG if isinstance(node, yaml.MappingNode) else \
            SEQ_TAG if isinstance(node, yaml.SequenceNode) else None
        if (kind is not None or node.tag in (MAP_TAG, SEQ_TAG)) and node.tag != kind:
            raise YamlRefused(
                Diagnostic(
                    "unknown-tag",
                    f"the YAML tag {node.tag!r} does not fit this kind of value",
                    node_location(path, node),
                    "remove the '!!' tag",
                )
            )
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
