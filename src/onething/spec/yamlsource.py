"""Safe YAML reading into located nodes, with limits against hostile documents.

Only PyYAML's ``SafeLoader`` composer is used: no Python objects are ever constructed from
tags, and every node keeps its line and column. Aliases are followed, but every node visit is
counted against a budget, so an alias bomb ("billion laughs") stops quickly.
"""

from __future__ import annotations

import attrs
import yaml

from onething.spec.location import Diagnostic, Location

STANDARD_TAGS = frozenset(
    "tag:yaml.org,2002:" + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


@attrs.frozen
class Limits:
    """Bounds on what the loader accepts; all configurable."""

    max_bytes: int = 1_000_000
    max_nodes: int = 100_000
    max_depth: int = 64


DEFAULT_LIMITS = Limits()


class YamlRefused(Exception):
    """The document is not YAML the loader will read; carries one located diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.render())
        self.diagnostic = diagnostic


def node_location(path: str, node: yaml.Node) -> Location:
    mark = node.start_mark
    return Location(path, mark.line + 1, mark.column + 1)


def value_offset(node: yaml.Node) -> int:
    """Columns between a scalar node's start and its text (1 for quoted scalars)."""
    return 1 if isinstance(node, yaml.ScalarNode) and node.style in ("'", '"') else 0


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
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(path, mark.line + 1, mark.column + 1) if mark else Location(path, 1, 1)
        problem = exc.problem or exc.context or "cannot parse"
        if exc.context and exc.problem:
            problem = f"{exc.context}: {exc.problem}"
        raise YamlRefused(
            Diagnostic("yaml-syntax", f"not valid YAML: {problem}", loc, _yaml_hint(problem))
        ) from None
    except yaml.YAMLError as exc:
        raise YamlRefused(
            Diagnostic("yaml-syntax", f"not valid YAML: {exc}", Location(path, 1, 1))
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


def _yaml_hint(problem: str) -> str:
    if "tab" in problem:
        return "indent with spaces, not tabs"
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
            raise YamlRefused(
                Diagnostic(
                    "too-many-nodes",
                    f"the document expands to more than {limits.max_nodes:,} nodes "
                    "(an alias bomb, or a workflow far larger than any real one)",
                    node_location(path, node),
                    "remove repeated aliases, or raise Limits.max_nodes",
                )
            )
        if depth > limits.max_depth:
            raise YamlRefused(
                Diagnostic(
                    "too-deep",
                    f"the document nests deeper than {limits.max_depth} levels",
                    node_location(path, node),
                    "flatten the structure, or raise Limits.max_depth",
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
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)
