"""Loading the shipped workflow: its structure, its content hash and its source locations."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.workflow_gen import render, workflows

from onething.errors import WorkflowInvalid
from onething.language import conditions as exprs
from onething.language.load import load, parse, read
from onething.language.location import Location
from onething.language.model import Parallel, Stage, Step, StepSequence, sequences
from onething.workdays import Duration, Unit

ROOT = Path(__file__).resolve().parents[2]
PATH = ROOT / "workflows" / "enterprise_startup.yaml"
TEXT = PATH.read_text(encoding="utf-8")
NAME = "workflows/enterprise_startup.yaml"


@pytest.fixture(scope="module")
def workflow():
    result = parse(TEXT, NAME)
    assert result.ok, [d.render() for d in result.diagnostics]
    return result.workflow


def at(line: int, col: int) -> Location:
    return Location(NAME, line, col)


SHIPPED = [*sorted((ROOT / "workflows").glob("*.yaml")),
           ROOT / "src" / "onething" / "data" / "rectification.yaml",
           ROOT / "src" / "onething" / "data" / "revocation.yaml"]


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_workflow_names_each_department_step_and_material_in_chinese(
        path: Path) -> None:
    """Issue 16 item 5: a clerk reads names, not ids — every department a shipped workflow
    names (lead, stage leads, steps, signers, the government of joint handling) has a display
    name, and every step, stage, material and outcome of its own a title, all in Chinese."""
    workflow = load(path)
    named = dict(workflow.department_titles)
    assert [d for d in workflow.all_departments if d not in named] == []
    assert set(named) <= set(workflow.all_departments)
    titles = [*named.values(), workflow.title, *(s.title for s in workflow.iter_steps()),
              *(m.label for m in workflow.form.materials),
              *(o.title for s in workflow.iter_steps() for o in s.outcomes),
              *(i.title for seq in sequences(workflow.steps) for i in seq.items
                if isinstance(i, Stage))]
    assert [t for t in titles if not _chinese(t)] == []


def test_the_shipped_workflow_loads_without_any_diagnostic() -> None:
    result = read(PATH)
    assert result.ok
    assert result.diagnostics == ()
    assert result.unwrap() == load(PATH)


def test_header(workflow) -> None:
    assert workflow.id == "enterprise-startup"
    assert workflow.version == 3  # limits changed with issue 15, display names with 16
    assert workflow.title == "企业开办一件事 (enterprise start-up)"
    assert workflow.lead == "market_regulation"
    assert workflow.source.startswith("Scope: 济宁市企业开办工作规范")
    assert workflow.path == NAME
    assert workflow.time_limit.committed == Duration(Decimal("1"), Unit.WD)
    # joint handling (行政许可法 art. 42(2)): the case's statutory limit is 45 WD
    assert workflow.handling.joint and workflow.handling.source.startswith("statute:")
    assert workflow.time_limit.statutory == Duration(Decimal("45"), Unit.WD)


def test_form(workflow) -> None:
    fields = {f.name: f for f in workflow.form.fields}
    assert list(fields) == [
        "company_name", "company_type", "registered_capital", "legal_person_name",
        "legal_person_id", "legal_person_phone", "business_address", "employees",
        "needs_invoice", "delivery_method", "mail_address",
    ]  # fmt: skip
    assert fields["company_type"].values == ("limited_company", "sole_proprietorship",
                                             "partnership")
    assert fields["company_type"].default == "limited_company"
    assert fields["registered_capital"].type == "decimal"
    assert fields["registered_capital"].minimum == Decimal(0)
    assert fields["employees"].default == 0
    assert fields["needs_invoice"].default is True
    assert fields["legal_person_id"].personal  # id_card and phone fields are personal
    assert fields["legal_person_phone"].personal
    assert not fields["company_name"].personal
    assert fields["company_name"].required and fields["company_name"].label == "企业名称"
    required_if = fields["mail_address"].required_if
    assert required_if.text == "delivery_method == 'mail'"
    assert required_if.expr == exprs.Compare("delivery_method", "==", "mail")
    materials = {m.name: m for m in workflow.form.materials}
    assert list(materials) == ["articles_of_association", "address_proof",
                               "bank_reservation_form"]
    assert materials["articles_of_association"].required
    assert not materials["bank_reservation_form"].required


def test_steps_registration_then_six_parallel_branches(workflow) -> None:
    first, parallel = workflow.steps.items
    assert isinstance(first, Step) and first.id == "registration"
    assert first.produces == ("business_licence",)
    assert first.time_limit.committed == Duration(Decimal("0.5"), Unit.WD)
    assert isinstance(parallel, Parallel)
    assert len(parallel.branches) == 6
    assert all(isinstance(b, StepSequence) and len(b.items) == 1 for b in parallel.branches)
    ids = [b.items[0].id for b in parallel.branches]
    assert ids == ["seal", "tax", "social_insurance", "medical_insurance", "housing_fund",
                   "bank_appointment"]
    assert [s.id for s in workflow.iter_steps()] == ["registration", *ids]
    assert workflow.departments == (
        "market_regulation", "public_security", "tax", "human_resources", "medical_security",
        "housing_fund_centre", "bank",
    )


def test_step_details(workflow) -> None:
    seal, tax, bank = workflow.step("seal"), workflow.step("tax"), workflow.step("bank_appointment")
    assert seal.fee_waived and tax.fee_waived
    assert not workflow.step("registration").fee_waived
    assert seal.time_limit.source.startswith("policy: 深府办函〔2020〕11号")
    assert seal.time_limit.statutory is None  # 国办发〔2018〕32号's 1 WD is a policy target
    assert tax.when.text == "needs_invoice"
    assert tax.when.expr == exprs.Truth("needs_invoice")
    assert [s.id for s in workflow.iter_steps() if s.when is not None] == ["tax"]
    assert bank.optional and not seal.optional
    assert bank.reads == ("company_name", "legal_person_phone", "bank_reservation_form")
    assert tax.produces == ("tax_ukey", "invoices")
    assert all(s.goto == () for s in workflow.iter_steps())
    with pytest.raises(KeyError):
        workflow.step("nope")


def test_delivery(workflow) -> None:
    delivery = workflow.delivery
    assert delivery.bundle == ("business_licence", "seal_set", "tax_ukey", "invoices",
                               "bank_appointment_slip")
    assert delivery.methods == ("window", "mail")
    assert delivery.fee_waived
    assert delivery.reads == ("delivery_method", "mail_address", "legal_person_phone")
    assert delivery.location == find("  bundle: [business_licence", "bundle")


def find(line_text: str, token: str | None = None) -> object:
    """The location of ``token`` on the unique line containing ``line_text``."""
    [(number, line)] = [(n, text) for n, text in enumerate(TEXT.splitlines(), 1)
                        if line_text in text]
    return at(number, line.index(token if token is not None else line_text) + 1)


def test_locations_of_steps(workflow) -> None:
    registration = workflow.step("registration")
    assert registration.location == find("- id: registration", "id")
    assert registration.where("id") == find("- id: registration", "registration")
    assert registration.where("department") == find("department: market_regulation",
                                                    "market_regulation")
    reads = find("reads: [company_name, company_type", "[")
    assert registration.where("reads") == reads
    assert registration.where("reads:company_type") == find(
        "reads: [company_name, company_type", "company_type")
    assert registration.where("no-such-key") == registration.location
    parallel = workflow.steps.items[1]
    assert parallel.location == find("- parallel:", "parallel")
    assert parallel.branches[0].location == find("- id: seal", "id")
    assert workflow.step("seal").location == find("- id: seal", "id")
    assert workflow.step("tax").location == find("- id: tax", "id")
    assert workflow.step("tax").where("when") == find("when: needs_invoice", "needs_invoice")
    assert workflow.step("bank_appointment").location == find("- id: bank_appointment", "id")
    assert workflow.step("bank_appointment").where("optional") == find("optional: true",
                                                                      "true")


def test_locations_of_the_form_and_conditions(workflow) -> None:
    assert workflow.location == find("onething: 1", "onething")
    assert workflow.form.location == find("  fields:", "fields")
    assert workflow.form.field("company_name").location == find("company_name: {type",
                                                                "company_name")
    assert workflow.form.field("mail_address").location == find("mail_address: {type",
                                                                "mail_address")
    assert workflow.form.material("address_proof").location == find("address_proof: {label",
                                                                    "address_proof")
    # the condition's location is its first character, inside the quotes
    assert workflow.form.field("mail_address").required_if.location == find(
        "mail_address: {type", "delivery_method ==")
    assert workflow.step("tax").when.location == find("when: needs_invoice", "needs_invoice")


def test_content_hash_is_the_sha256_of_the_text(workflow) -> None:
    digest = hashlib.sha256(TEXT.encode("utf-8")).hexdigest()
    assert workflow.content_hash == f"sha256:{digest}"
    assert workflow.text == TEXT


def test_content_hash_is_stable() -> None:
    hashes = {parse(TEXT, name).workflow.content_hash for name in ("a.yaml", "b.yaml", NAME)}
    assert len(hashes) == 1
    assert read(PATH).workflow.content_hash in hashes


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t + "# a comment\n",
        lambda t: t.replace("title: 企业开办一件事", "title: 企业开办一件事 "),
        lambda t: t.replace("fee: waived\n  source:", "fee: waived\n  source: ", 1),
        lambda t: t.replace("statutory: 3 WD", "statutory: 2 WD"),
    ],
    ids=["comment", "title", "whitespace", "limit"],
)
def test_content_hash_changes_when_the_text_changes(workflow, change) -> None:
    changed = change(TEXT)
    assert changed != TEXT
    result = parse(changed, NAME)
    assert result.ok, [d.render() for d in result.diagnostics]
    assert result.workflow.content_hash != workflow.content_hash


def test_the_same_text_loads_to_equal_workflows(workflow) -> None:
    again = parse(TEXT, NAME).workflow
    assert again == workflow
    assert again.step("seal").key_locations == workflow.step("seal").key_locations


def test_load_raises_with_every_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(TEXT.replace("department: tax", "departmnt: tax")
                    .replace("[window, mail]\n  reads", "[window, pigeon]\n  reads"),
                    encoding="utf-8")
    with pytest.raises(WorkflowInvalid) as caught:
        load(path)
    lines = TEXT.splitlines()
    tax = next(i for i, line in enumerate(lines, 1) if "department: tax" in line)
    methods = next(i for i, line in enumerate(lines, 1) if "methods: [window, mail]" in line)
    codes = [(d.code, d.location.line) for d in caught.value.diagnostics]
    assert codes == [("missing-key", tax - 2), ("unknown-key", tax), ("bad-value", methods)]
    assert f"{path}:{tax}:9: error[unknown-key]" in str(caught.value)


# -- the libyaml fast path composes exactly what the pure-Python loader composes ------------------

def _same_tree(a: object, b: object, path: str = "root") -> None:
    import yaml

    assert type(a) is type(b), path
    for which in ("start_mark", "end_mark"):
        x, z = getattr(a, which), getattr(b, which)
        assert (x.line, x.column, x.index) == (z.line, z.column, z.index), (path, which)
    # (flow_style: libyaml says False where PyYAML says None for an empty block value; the
    # loader never reads it)
    assert (a.tag, getattr(a, "style", None), bool(getattr(a, "flow_style", None))) == (
        b.tag, getattr(b, "style", None), bool(getattr(b, "flow_style", None))), path
    if isinstance(a, yaml.ScalarNode):
        assert a.value == b.value, path
    elif isinstance(a, yaml.SequenceNode):
        assert len(a.value) == len(b.value), path
        for i, (x, z) in enumerate(zip(a.value, b.value, strict=True)):
            _same_tree(x, z, f"{path}[{i}]")
    else:
        assert len(a.value) == len(b.value), path
        for i, ((k1, v1), (k2, v2)) in enumerate(zip(a.value, b.value, strict=True)):
            _same_tree(k1, k2, f"{path}.key{i}")
            _same_tree(v1, v2, f"{path}.value{i}")


def _both(text: str) -> tuple[object, object] | None:
    from onething.language import yamlsource

    if yamlsource._FastLoader is None:
        pytest.skip("PyYAML without libyaml")
    try:
        slow = yamlsource._LimitedLoader(text).get_single_node()
    except Exception:
        return None
    return yamlsource._FastLoader(text).get_single_node(), slow


def test_the_fast_path_composes_every_shipped_file_identically() -> None:
    files = [*ROOT.glob("workflows/*.yaml"), *ROOT.glob("tests/soundness/catalogue/*.yaml"),
             *ROOT.glob("src/onething/data/*.yaml")]
    assert files
    for path in files:
        pair = _both(path.read_text(encoding="utf-8"))
        assert pair is not None, path
        _same_tree(*pair)


@settings(max_examples=150, deadline=None)
@given(workflows(), st.randoms(use_true_random=False))
def test_the_fast_path_composes_generated_and_mutated_documents_identically(
        wf: object, rng: object) -> None:
    lines = render(wf).splitlines(keepends=True)
    variants = ["".join(lines)]
    for _ in range(3):
        cut = rng.randrange(len(lines))
        mutated = list(lines)
        mutated[cut] = rng.choice(["  ", "- ", "x: 'quoted'\n", "\t", "y: |\n  text\n",
                                   "z: {a: [1, 2]}\n", "", "&a k: *a\n"]) + mutated[cut]
        variants.append("".join(mutated))
    for text in variants:
        pair = _both(text)
        if pair is not None:
            _same_tree(*pair)
