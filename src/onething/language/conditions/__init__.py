"""The condition language of workflow files (``when:``, ``required_if:``).

A condition is parsed by hand, never handed to Python ``eval``.  It compares
form fields with literals::

    needs_invoice
    delivery_method == 'mail'
    investment >= 30000000 and on_key_list
    applicant_type in ['foreign', 'hk_macao']
    not (age < 18 or guardian_consent == false)
    expiry_date != null

LiteralValues are integers (``12``, ``-3``), decimals (``0.5``), strings in single or
double quotes (``\\'``, ``\\"`` and ``\\\\`` are the only escapes), ``true`` /
``false`` (or ``True`` / ``False``), ``null``, and lists of literals after
``in`` / ``not in``.  Operators, from loosest to tightest: ``or``, ``and``,
``not``, then the comparisons ``== != < <= > >= in``, ``not in``.  A bare field
is a condition only for bool fields.  ``3 < x`` is read as ``x > 3``.  Comparing
two fields, arithmetic, function calls and attribute access are not part of the
language.

Evaluation (:func:`evaluate`) takes already-clean values (``bool``, ``int``,
``Decimal``, ``str``, ``date``), with ``None`` or a missing key for an absent
value.  An absent value makes every comparison and membership test false,
``!=`` and ``not in`` included; only ``x == null`` is true of it (and
``x != null`` is false).  A bare field is true only when its value is ``True``.
``not`` is plain boolean negation of its operand's result, so ``not x == 'a'``
is true when ``x`` is absent.  Date fields compare with their literal read as a
``YYYY-MM-DD`` date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from onething._lazy import lazy

__all__ = [
    "And", "Compare", "ConditionSyntaxError", "Const", "Expr", "ExprProblem", "FieldInfo",
    "LiteralValue", "Member", "Not", "Or", "TooManyCells", "Truth", "evaluate",
    "fields", "parse", "to_text", "typecheck",
]

__getattr__, __dir__ = lazy(__name__, {
    "And": "onething.language.conditions.nodes",
    "Compare": "onething.language.conditions.nodes",
    "ConditionSyntaxError": "onething.errors",
    "Const": "onething.language.conditions.nodes",
    "Expr": "onething.language.conditions.nodes",
    "ExprProblem": "onething.language.conditions.nodes",
    "FieldInfo": "onething.language.conditions.nodes",
    "LiteralValue": "onething.language.conditions.nodes",
    "Member": "onething.language.conditions.nodes",
    "Not": "onething.language.conditions.nodes",
    "Or": "onething.language.conditions.nodes",
    "TooManyCells": "onething.errors",
    "Truth": "onething.language.conditions.nodes",
    "evaluate": "onething.language.conditions.evaluation",
    "fields": "onething.language.conditions.nodes",
    "parse": "onething.language.conditions.parser",
    "to_text": "onething.language.conditions.nodes",
    "typecheck": "onething.language.conditions.typechecking",
})

if TYPE_CHECKING:
    from onething.errors import ConditionSyntaxError, TooManyCells
    from onething.language.conditions.evaluation import evaluate
    from onething.language.conditions.nodes import (
        And,
        Compare,
        Const,
        Expr,
        ExprProblem,
        FieldInfo,
        LiteralValue,
        Member,
        Not,
        Or,
        Truth,
        fields,
        to_text,
    )
    from onething.language.conditions.parser import parse
    from onething.language.conditions.typechecking import typecheck
