"""Rules that keep every bounded context extractable, checked on the real code.

import-linter guards imports; these guard what imports cannot show: foreign keys
across contexts, and facades that leak models or querysets.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import pytest
from django.apps import apps
from django.db import models

from bazaar_platform.events import IntegrationEvent

CONTEXT_APPS = [c for c in apps.get_app_configs() if c.name.startswith("contexts.")]
PRIMITIVES = (str, int, float, bool, UUID, datetime, date, Decimal, type(None), bytes)


def _context_of(model: type[models.Model]) -> str | None:
    module = model.__module__
    return module.split(".")[1] if module.startswith("contexts.") else None


def test_contexts_are_installed():
    assert CONTEXT_APPS


@pytest.mark.parametrize("app_config", CONTEXT_APPS, ids=lambda c: c.name)
def test_no_foreign_key_crosses_a_context_boundary(app_config):
    own = app_config.name.split(".")[1]
    for model in app_config.get_models():
        for field in model._meta.get_fields():
            related = getattr(field, "related_model", None)
            if (
                not field.is_relation
                or related is None
                or (not field.concrete and not field.many_to_many)
            ):
                continue
            target = _context_of(related)
            assert target in (None, own), (
                f"{model.__name__}.{field.name} points into the {target} context; store its UUID instead"
            )


def _allowed(annotation: object) -> bool:
    if annotation in PRIMITIVES or annotation is typing.Any:
        return True
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return bool(annotation.__dataclass_params__.frozen)  # type: ignore[attr-defined]
    if isinstance(annotation, type) and issubclass(annotation, models.Model | models.QuerySet):
        return False
    if isinstance(annotation, type) and issubclass(annotation, str):  # TextChoices and friends
        return True
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, dict, set, frozenset, typing.Union, types.UnionType, typing.Literal):
        return origin is typing.Literal or all(
            _allowed(a) for a in typing.get_args(annotation) if a is not Ellipsis
        )
    if origin is not None and getattr(origin, "__module__", "") == "collections.abc":
        return all(_allowed(a) for a in typing.get_args(annotation))
    return False


@pytest.mark.parametrize("app_config", CONTEXT_APPS, ids=lambda c: c.name)
def test_facades_take_and_return_serialisable_values_only(app_config):
    facade = importlib.import_module(f"{app_config.name}.facade")
    functions = [
        f
        for name, f in inspect.getmembers(facade, inspect.isfunction)
        if f.__module__ == facade.__name__ and not name.startswith("_")
    ]
    assert functions, f"{facade.__name__} publishes no functions"
    for function in functions:
        assert function.__doc__, f"{function.__name__} needs a docstring: it is a published API"
        hints = typing.get_type_hints(function)
        for name, annotation in hints.items():
            assert _allowed(annotation), (
                f"{function.__name__}({name}: {annotation}) is not serialisable"
            )


@pytest.mark.parametrize("app_config", CONTEXT_APPS, ids=lambda c: c.name)
def test_events_modules_declare_only_integration_events(app_config):
    events = importlib.import_module(f"{app_config.name}.events")
    own = app_config.name.split(".")[1]
    declared = [
        c for _, c in inspect.getmembers(events, inspect.isclass) if c.__module__ == events.__name__
    ]
    for cls in declared:
        assert issubclass(cls, IntegrationEvent), (
            f"{cls.__name__} in {events.__name__} is not an event"
        )
        if "event_type" in cls.__dict__:
            assert cls.event_type.startswith(f"{own}."), f"{cls.event_type} must be prefixed {own}."
