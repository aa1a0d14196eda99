"""Where a workflow's numbers come from: every time limit in a file says what sets it.

A number of time (``20 WD``, ``5 WD``, ``8 WH``) is covered by the ``source:`` of the mapping
that holds it, or of the mapping right above (a step's source covers its ``time_limit``, the
green channel's its ``milestones``); the workflow's own ``source:`` covers nothing, because it
speaks of the whole. A source opens with what kind of rule it cites:

``statute:``     a law, an administrative regulation or rules (法律、行政法规、规章)
``policy:``      a policy target of a government document (国办发〔2018〕32号: 1 WD)
``local:``       a local rule or practice (a city's 办事指南, a hall's work rule)
``assumption:``  a number chosen by the author, to be confirmed

(法定、政策、地方、假设 in Chinese). ``source: {statutory: "statute: ...", committed: "policy:
..."}`` gives each number of a mapping its own. These are warnings, never errors: a workflow
with an unsourced limit still runs, but ``onething check`` says which number no one can
defend. A ``statutory:`` limit must cite a statute: a policy target is a committed limit.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import yaml

from onething.language.location import Diagnostic, Severity
from onething.language.yamlsource import node_location

#: the kinds of rule a number's source names, and their Chinese names
KINDS = {"statute": "statute", "policy": "policy", "local": "local",
         "assumption": "assumption", "法定": "statute", "政策": "policy", "地方": "local",
         "假设": "assumption"}
_KIND = re.compile(r"^\s*([A-Za-z]+|[\u4e00-\u9fff]{2})\s*[:：]")
#: a duration as Duration.parse reads it (any case: ``5 wd`` is 5 WD)
_TIME = re.compile(r"^\s*[0-9]+(?:\.[0-9]+)?\s*(?:WD|ND|WH|NH)\s*$", re.IGNORECASE)
#: the most source diagnostics one file gets (a file may alias one number thousands of times)
MAX_REPORTED = 100
_HINT = ('open the source with what sets the number: "statute: 行政许可法 art. 42", '
         '"policy: 国办发〔2018〕32号", "local: <city> 办事指南" or "assumption: <why>"')


def kind_of(text: str) -> str | None:
    """The kind a source text opens with (``statute``, ``policy``, ``local``,
    ``assumption``), or None."""
    match = _KIND.match(text)
    return KINDS.get(match.group(1).lower()) if match else None


def check(root: yaml.Node | None, path: str, text: str) -> list[Diagnostic]:
    """Every number of time in the file without a source, with a source that does not say
    what it is, or declared statutory on a source that is not a statute; and every
    ``source:`` mapping entry that names no number of its mapping."""
    if not isinstance(root, yaml.MappingNode):
        return []
    found = list(itertools.islice(_walk(root, None, path, set(), top=True), MAX_REPORTED + 1))
    if len(found) > MAX_REPORTED:
        found[MAX_REPORTED:] = [Diagnostic("unsourced-number", "more numbers have no source "
                                           "or one that does not say what sets it", found[-1]
                                           .location, _HINT, Severity.WARNING)]
    return found


def _walk(node: yaml.MappingNode, parent: yaml.MappingNode | None, path: str,
          seen: set[int], top: bool = False) -> Iterator[Diagnostic]:
    if id(node) in seen:  # an alias: its numbers were reported where it is defined
        return
    seen.add(id(node))
    own = _source(node)
    if isinstance(own, yaml.MappingNode):
        # its own numbers, and those of the mappings right below that it covers
        numbers = {_text(k) for k, v in node.value if _is_time(v)} | {
            _text(k) for _, child in node.value if isinstance(child, yaml.MappingNode)
            for k, v in child.value if _is_time(v)}
        for key_node, _ in own.value:
            if _text(key_node) not in numbers:
                yield Diagnostic("source-key", f"the source names '{_text(key_node)}', which "
                                 "is not a number of this mapping", node_location(path, key_node),
                                 "name the keys whose numbers it covers: "
                                 + (", ".join(sorted(numbers)) or "(none here)"),
                                 Severity.WARNING)
    for key_node, value in node.value:
        key = _text(key_node)
        if key == "source":
            continue
        if _is_time(value):
            if not top and id(value) not in seen:
                seen.add(id(value))
                yield from _judge(key, value, node, parent, path)
        elif isinstance(value, yaml.MappingNode):
            yield from _walk(value, None if top else node, path, seen)
        elif isinstance(value, yaml.SequenceNode):
            yield from _each(value, None if top else node, path, seen)
    if top and isinstance(handling := _value(node, "handling"), yaml.MappingNode):
        source = _source(handling)
        if isinstance(source, yaml.ScalarNode) and kind_of(_text(source)) is None:
            yield Diagnostic("source-kind", "the source of the handling does not say what "
                             "sets it", node_location(path, source), _HINT, Severity.WARNING)


def _each(sequence: yaml.SequenceNode, parent: yaml.MappingNode | None, path: str,
          seen: set[int]) -> Iterator[Diagnostic]:
    """The mappings of a list, and of the lists in it (a branch written as a list of steps)."""
    if id(sequence) in seen:
        return
    seen.add(id(sequence))
    for item in sequence.value:
        if isinstance(item, yaml.MappingNode):
            yield from _walk(item, parent, path, seen)
        elif isinstance(item, yaml.SequenceNode):
            yield from _each(item, parent, path, seen)


def _judge(key: str, value: yaml.Node, holder: yaml.MappingNode,
           parent: yaml.MappingNode | None, path: str) -> Iterator[Diagnostic]:
    where = node_location(path, value)
    text = _covering(key, holder) or (_covering(key, parent) if parent is not None else None)
    if text is None:
        yield Diagnostic("unsourced-number", f"'{key}: {_text(value)}' has no source",
                         where, _HINT, Severity.WARNING)
        return
    kind = kind_of(text)
    if kind is None:
        yield Diagnostic("source-kind", f"the source of '{key}: {_text(value)}' does not say "
                         "what sets it", where, _HINT, Severity.WARNING)
    elif key == "statutory" and kind != "statute":
        yield Diagnostic("statutory-source", f"the statutory limit {_text(value)} cites a "
                         f"{kind}, not a statute", where,
                         "a statutory limit (法定时限) is one a law sets: cite the law, or make "
                         "the number a committed limit (承诺时限)", Severity.WARNING)


def _covering(key: str, mapping: yaml.MappingNode) -> str | None:
    """The source text that covers ``key`` in ``mapping``: its own entry of a source mapping,
    or the whole source text."""
    source = _source(mapping)
    if isinstance(source, yaml.ScalarNode):
        return _text(source)
    if isinstance(source, yaml.MappingNode):
        for key_node, value in source.value:
            if _text(key_node) == key and isinstance(value, yaml.ScalarNode):
                return _text(value)
    return None


def _source(mapping: yaml.MappingNode) -> yaml.Node | None:
    return _value(mapping, "source")


def _value(mapping: yaml.MappingNode, key: str) -> yaml.Node | None:
    return next((v for k, v in mapping.value if _text(k) == key), None)


def _is_time(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and len(node.value) <= 40 \
        and _TIME.match(node.value) is not None


def _text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""
