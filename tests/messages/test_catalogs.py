"""The message catalogs against the code: every code raised anywhere in src has a Chinese and
an English entry, every entry is documented in docs/messages.md and raised somewhere, every
raise site gives its code and the parameters its texts fill in, and the catalogs ship with the
package (docs/decisions/0021-message-catalogs.md)."""

from __future__ import annotations

import ast
import re
from importlib import resources
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from onething.messages import KINDS, LANGS, Message, codes, kind_of, language, template
from onething.messages.catalog import placeholders

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "onething"
DOCS = ROOT / "docs" / "messages.md"

#: a dotted code as it is written in src: family.kind.name
DOTTED = re.compile(r"[\"']((?:submission|refused|invalid|missing|busy|broken)"
                    r"\.(?:field|material|step|case)\.[a-z0-9_]+)[\"']")
#: the errors whose every construction in src must name its code
CODED = {"ActionRefused", "NotAuthorized", "CaseEnded", "ErasureRefused", "IdempotencyMismatch",
         "ValueProblem"}
#: filled by the message itself: the subject, and the label (the subject when not given)
IMPLICIT = {"subject", "label"}


def sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted(SRC.rglob("*.py"))}


def dotted_codes() -> set[str]:
    """Every dotted code written in src (raise sites, class defaults, code tables)."""
    return {code for text in sources().values() for code in DOTTED.findall(text)}


def diagnostic_codes() -> set[str]:
    """Every code the workflow loader emits (found as tests/language/test_diagnostics.py
    finds them)."""
    text = "".join((SRC / "language" / name).read_text(encoding="utf-8")
                   for name in ("load.py", "checks.py", "yamlsource.py", "opens_check.py",
                                "sources.py", "time_check.py"))
    emitted = set(re.findall(r'(?:self\.error|Diagnostic)\(\s*"([a-z-]+)"', text))
    # a condition's literal that the field never holds is reported by the condition checks
    literals = (SRC / "language" / "conditions" / "literals.py").read_text(encoding="utf-8")
    emitted |= set(re.findall(r'ExprProblem\(\s*"([a-z-]+)"', literals))
    return (emitted - {"unused-"}) | {"unused-field", "unused-material", "expression-type"}


def raw_catalog(lang: str) -> dict[str, tuple[str, bool]]:
    """The catalog file as it is: code -> (text, fuzzy)."""
    path = resources.files("onething.messages").joinpath("locale", lang, "LC_MESSAGES",
                                                         "onething.po")
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id): (str(m.string), m.fuzzy) for m in catalog if m.id}


def documented() -> dict[str, tuple[str, str, str]]:
    """docs/messages.md's table: code -> (kind, zh, en)."""
    rows = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        found = re.fullmatch(r"\| `([^`]+)` \| (\w+) \| (.*) \| (.*) \|", line)
        if found:
            code, kind, zh, en = found.groups()
            assert code not in rows, f"{code} is documented twice"
            rows[code] = (kind, zh.replace(r"\|", "|"), en.replace(r"\|", "|"))
    return rows


def test_every_code_raised_in_src_has_both_languages() -> None:
    used = dotted_codes() | diagnostic_codes()
    assert len(used) > 200
    for lang in LANGS:
        assert used - codes(lang) == set(), f"missing from the {lang} catalog"


def test_both_catalogs_hold_the_same_codes_none_empty_or_fuzzy() -> None:
    zh, en = raw_catalog("zh"), raw_catalog("en")
    assert set(zh) == set(en)
    for lang, catalog in (("zh", zh), ("en", en)):
        assert [c for c, (text, fuzzy) in catalog.items() if not text.strip() or fuzzy] == [], \
            lang
    # the Chinese text is Chinese, the English text is not
    assert [c for c, (text, _) in zh.items() if not re.search(r"[\u4e00-\u9fff]", text)] == []
    assert [c for c, (text, _) in en.items()
            if re.search(r"[\u4e00-\u9fff]", re.sub(r"\([^)]*\)", "", text))] == []


def test_every_catalog_code_is_raised_somewhere_and_documented() -> None:
    catalogued = codes("zh")
    assert catalogued - (dotted_codes() | diagnostic_codes()) == set(), "never raised"
    docs = documented()
    assert set(docs) - catalogued == set(), "documented, but in no catalog"
    assert catalogued - set(docs) == set(), "in the catalogs, but not in docs/messages.md"


def test_the_documented_kind_and_texts_are_the_catalogs() -> None:
    for code, (kind, zh, en) in documented().items():
        expected = (kind_of(code), template(code, "zh"), template(code, "en"))
        assert (kind, zh, en) == expected, \
            f"| `{code}` | {expected[0]} | {expected[1]} | {expected[2]} |"


def test_every_code_has_a_kind_and_only_plain_placeholders() -> None:
    for code in codes("zh"):
        assert kind_of(code) in KINDS
        for lang in LANGS:
            text = template(code, lang)
            stray = re.sub(r"\{[a-z_][a-z0-9_]*\}", "", text)
            assert "{" not in stray and "}" not in stray, (code, lang, text)


def _code_and_params(call: ast.Call) -> tuple[ast.expr | None, set[str] | None]:
    """The code= argument of a call, and the names its params= literal gives (None when
    they are not written as a literal there)."""
    found = {k.arg: k.value for k in call.keywords}
    params = found.get("params")
    if params is None or (isinstance(params, ast.Constant) and params.value is None):
        names: set[str] | None = set()
    elif isinstance(params, ast.Dict) and all(isinstance(k, ast.Constant) for k in params.keys):
        names = {str(k.value) for k in params.keys if isinstance(k, ast.Constant)}
    elif isinstance(params, ast.IfExp):  # {...} if close else None
        names = {str(k.value) for side in (params.body, params.orelse)
                 if isinstance(side, ast.Dict) for k in side.keys if isinstance(k, ast.Constant)}
    else:
        names = None
    return found.get("code"), names


def calls() -> list[tuple[str, ast.Call]]:
    out = []
    for path, text in sources().items():
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call):
                out.append((f"{path.relative_to(SRC)}:{node.lineno}", node))
    return out


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        inner = _name(func.value)
        return f"{inner}.{func.attr}" if inner else func.attr
    return ""


def test_every_refusal_and_problem_in_src_names_its_code() -> None:
    uncoded = []
    for where, call in calls():
        name = _name(call.func)
        if name in CODED and "code" not in {k.arg for k in call.keywords}:
            uncoded.append(f"{where}: {name}")
        if name == "Problem" and not where.startswith("errors.py"):
            uncoded.append(f"{where}: Problem(...) without a code: use Problem.of")
        if name == "Problem.of" and "code" not in {k.arg for k in call.keywords}:
            uncoded.append(f"{where}: {name}")
    assert uncoded == []


def test_every_raise_site_gives_the_parameters_its_texts_fill_in() -> None:
    checked, missing = 0, []
    for where, call in calls():
        code, names = _code_and_params(call)
        literal = [code.value] if isinstance(code, ast.Constant) else [
            side.value for side in (code.body, code.orelse) if isinstance(side, ast.Constant)
        ] if isinstance(code, ast.IfExp) else []
        if names is None:
            continue
        for value in literal:
            checked += 1
            for lang in LANGS:
                needed = placeholders(template(str(value), lang)) - IMPLICIT - names
                if needed:
                    missing.append(f"{where}: {value} ({lang}) needs {sorted(needed)}")
    assert checked > 120
    assert missing == []


def test_a_diagnostic_fills_every_placeholder_of_its_code() -> None:
    from onething.language.location import Diagnostic, Location

    for code in diagnostic_codes():
        message = Diagnostic(code, "a located message", Location("wf.yaml", 3, 5)).to_message()
        assert message.kind == "workflow" and message.subject == "wf.yaml:3:5"
        for lang in LANGS:
            text = message.text(lang)
            assert "{" not in text and text.startswith("wf.yaml:3:5"), (code, lang, text)


def test_the_class_defaults_quote_the_english_message() -> None:
    from onething.errors import ActionRefused, NotAuthorized, Problem, ValueProblem

    for made in (ActionRefused("the clock stopped"), NotAuthorized("the clock stopped"),
                 ValueProblem("the clock stopped")):
        assert made.params == {"detail": "the clock stopped"}
        assert "the clock stopped" in made.text("zh") and "{" not in made.text("en")
    bare = Problem("field", "the clock stopped")
    assert bare.code == "submission.field.refused" and "the clock stopped" in bare.text()


def test_languages_are_read_from_tags_and_chinese_is_the_default() -> None:
    assert language() == "zh" == language(None)
    assert [language(t) for t in ("zh-CN", "zh_Hans", "ZH", "en-US", "en_GB.UTF-8")] == [
        "zh", "zh", "zh", "en", "en"]
    with pytest.raises(ValueError, match="zh, en"):
        language("fr")
    message = Message("submission.field.required", "company_name", {"label": "企业名称"})
    assert message.text() == message.text("zh") == "“企业名称”为必填项，请填写"
    assert message.text("en") == "company_name is required"


def test_a_malformed_code_is_refused_where_it_is_made() -> None:
    for bad in ("refused.nothing", "refused.person.x", "", "a.b.c.d", "refused..x"):
        with pytest.raises(ValueError, match="not a message code"):
            Message(bad)


def test_the_package_data_ships_the_catalogs() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"messages/locale/*/LC_MESSAGES/*.po"' in pyproject
    shipped = sorted(p.relative_to(SRC).as_posix()
                     for p in (SRC / "messages" / "locale").rglob("*") if p.is_file())
    assert shipped == [f"messages/locale/{lang}/LC_MESSAGES/onething.po"
                       for lang in sorted(LANGS)]
