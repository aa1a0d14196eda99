"""The proof's forms and the engine's submission agree (issue 14, item 1), by property:

* every form the proof explores, completed with a value for each field its guards do not read,
  is accepted by submission exactly as it is;
* every form submission accepts — typed in any spelling it accepts — gives the guards the same
  truth values as some form the proof explores.
"""

from __future__ import annotations

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.support.form_gen import form_workflows, raw_values

from onething.cases.forms import check_submission
from onething.engine.engine import Engine
from onething.errors import SubmissionRejected
from onething.language import conditions as exprs
from onething.language.form_space import complete
from onething.language.load import parse
from onething.language.model import Workflow
from onething.net.build import build_net
from onething.net.model import PROMISED
from onething.soundness.proof import check, forms

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def loaded(text: str) -> Workflow:
    result = parse(text, "forms.yaml")
    assert result.workflow is not None, "\n".join(d.render() for d in result.diagnostics)
    return result.workflow


def guards(workflow: Workflow) -> list[object]:
    return [lit.condition.expr for t in build_net(workflow).transitions for lit in t.guard]


@SETTINGS
@given(form_workflows())
def test_every_form_the_proof_explores_is_accepted_as_it_is(text: str) -> None:
    workflow = loaded(text)
    explored = forms(workflow)
    assert explored
    for cell in explored:
        whole = complete(cell, workflow.form)
        clean, problems = check_submission(workflow.form, whole)
        assert not problems and clean is not None, (cell, problems)
        for name, value in cell.items():
            if name != PROMISED:
                assert type(clean.form[name]) is type(value) and clean.form[name] == value


@SETTINGS
@given(st.data(), form_workflows())
def test_every_accepted_form_falls_in_a_form_the_proof_explores(data: st.DataObject,
                                                                text: str) -> None:
    workflow = loaded(text)
    raw = data.draw(raw_values(workflow))
    clean, _ = check_submission(workflow.form, raw)
    assume(clean is not None)
    assert clean is not None
    conditions = guards(workflow)
    facts = {**clean.form, PROMISED: False}
    vector = tuple(exprs.evaluate(c, facts) for c in conditions)
    explored = {tuple(exprs.evaluate(c, cell) for c in conditions) for cell in forms(workflow)}
    assert vector in explored, (raw, clean.form)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(form_workflows())
def test_the_engine_submits_every_form_a_report_names(text: str) -> None:
    """Counterexamples and verdicts speak of forms an applicant can really submit."""
    workflow = loaded(text)
    report = check(workflow)
    engine = Engine(prove=False)
    engine.deploy(workflow)
    for violation in report.violations:
        if violation.form:
            try:
                engine.submit(workflow.id, complete(violation.form, workflow.form))
            except SubmissionRejected as exc:  # pragma: no cover - the failure message
                raise AssertionError((violation.render(), exc.problems)) from None
