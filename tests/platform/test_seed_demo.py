"""``seed_demo`` runs every context's part, shows progress and is idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from bazaar_platform.seeding import seeders


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.app_label
        not in {"contenttypes", "auth", "sessions", "admin", "platform_events"}
    }


@pytest.mark.django_db
def test_seed_demo_twice_changes_nothing_the_second_time():
    out, err = StringIO(), StringIO()
    call_command("seed_demo", stdout=out, stderr=err)
    first = _counts()
    assert sum(first.values()) > 0
    assert "login: admin@bazaar.local" in out.getvalue()
    assert "seed auth" in err.getvalue() or "seed accounts" in err.getvalue(), "no progress shown"
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert _counts() == first


def test_every_installed_context_contributes_a_seeder():
    names = {name for name, _ in seeders()}
    contexts = {
        c.name.split(".")[1] for c in apps.get_app_configs() if c.name.startswith("contexts.")
    }
    assert contexts <= names
