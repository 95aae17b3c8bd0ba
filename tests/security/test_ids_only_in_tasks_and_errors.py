"""Celery messages and EHR error messages carry ids at most (SECURITY.md 4.4; issue 6, point 6)."""

import ast
import inspect
from pathlib import Path

from django.conf import settings

import smartapp
from smartapp.celery import app
from smartapp.ehr import errors

# A parameter named like one of these would put PHI or a secret into the broker (and its logs).
FORBIDDEN_PARAMETER_WORDS = (
    "name",
    "given",
    "family",
    "birth",
    "dob",
    "text",
    "note",
    "body",
    "content",
    "token",
    "secret",
    "code",
    "state",
    "phone",
    "address",
    "email",
    "identifier",
    "mrn",
    "url",
    "bundle",
    "resource",
)
ID_TYPES = {str, int, "str", "int", inspect.Parameter.empty}
ERROR_CLASSES = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type) and issubclass(value, errors.EhrError)
}


def _smartapp_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if name.startswith("smartapp.")}


def test_every_smartapp_task_takes_ids_only():
    tasks = _smartapp_tasks()
    assert "smartapp.referrals.tasks.sync_patient" in tasks  # the registry really was read
    for name, task in tasks.items():
        for parameter in inspect.signature(task.run).parameters.values():
            assert not any(word in parameter.name.lower() for word in FORBIDDEN_PARAMETER_WORDS), (
                name,
                parameter.name,
            )
            assert parameter.annotation in ID_TYPES, (name, parameter.name, parameter.annotation)
            assert parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD), name


def test_task_results_are_not_stored():
    assert settings.CELERY_TASK_IGNORE_RESULT is True
    assert all(task.ignore_result for task in _smartapp_tasks().values())


def test_ehr_error_messages_are_fixed_strings():
    for name in ERROR_CLASSES:
        message = getattr(errors, name).message
        assert isinstance(message, str) and message
        assert not any(mark in message for mark in ("{", "%s", "%(")), name


def _raises_with_a_built_message(tree: ast.AST):
    """`raise EhrError(f"...")`, `raise LaunchRejected(x)`, `message=...` not a literal."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        func = node.exc.func
        called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if called not in ERROR_CLASSES:
            continue
        messages = list(node.exc.args[:1]) + [k.value for k in node.exc.keywords if k.arg == "message"]
        if any(not (isinstance(m, ast.Constant) and isinstance(m.value, str)) for m in messages):
            yield node.lineno


def test_no_code_raises_an_ehr_error_with_a_built_message():
    offenders = []
    for path in Path(smartapp.__file__).parent.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        offenders += [f"{path}:{line}" for line in _raises_with_a_built_message(tree)]
    assert offenders == []


def test_the_guard_sees_a_built_message():
    tree = ast.parse('raise EhrBadResponse(f"bad patient {name}")\nraise LaunchRejected(reason="x")')
    assert list(_raises_with_a_built_message(tree)) == [1]
