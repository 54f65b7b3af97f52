"""``platform/`` must never shadow the standard-library ``platform`` module.

A ``platform/__init__.py`` would break ``uuid`` (and so Django) for ``manage.py``
and ``python -m pytest`` while plain ``pytest``, celery and daphne still start, so
a green suite could hide a broken ``manage.py``. Each entry point is checked here.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PLATFORM_DIR = ROOT / "platform"
CHECK = (
    "import uuid, platform; assert callable(platform.system), platform; print(platform.system())"
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # each entry point must find platform/ by itself
    return env


def _run(*args: str, cwd: Path = ROOT, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout
    )


def test_platform_folder_has_no_init():
    assert not (PLATFORM_DIR / "__init__.py").exists()


def test_no_name_inside_platform_shadows_a_module():
    for entry in PLATFORM_DIR.iterdir():
        if entry.name.startswith((".", "__")):
            continue
        name = entry.stem if entry.is_file() else entry.name
        assert name not in sys.stdlib_module_names, f"platform/{entry.name} shadows the stdlib"
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            assert str(PLATFORM_DIR) in spec.origin or any(
                str(PLATFORM_DIR) in loc for loc in (spec.submodule_search_locations or [])
            ), f"platform/{entry.name} shadows the installed module {spec.origin}"


def test_manage_py_runs():
    result = _run(sys.executable, "manage.py", "shell", "-c", CHECK + "; import bazaar_platform")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_python_dash_m_pytest_starts():
    result = _run(
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "tests/architecture/test_platform_folder_guard.py",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_plain_python_in_repo_root_keeps_the_stdlib_module():
    result = _run(sys.executable, "-c", CHECK)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("module", ["config.asgi", "config.wsgi", "config.celery"])
def test_server_and_worker_entry_points_import(module):
    code = f"import {module}; {CHECK}"
    result = _run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr


def test_celery_worker_entry_point_loads_the_app():
    celery = Path(sys.executable).with_name("celery")
    result = _run(str(celery), "-A", "config", "report")
    assert result.returncode == 0, result.stderr
    assert "bazaar" in result.stdout


def test_installed_package_does_not_install_a_platform_module(tmp_path):
    # Build from a copy: setuptools writes build/ and *.egg-info next to the sources.
    source = tmp_path / "src"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".venv",
            ".git",
            ".local",
            "build",
            "*.egg-info",
            "artifacts",
            "__pycache__",
            "node_modules",
        ),
    )
    target = tmp_path / "site"
    result = _run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--target",
        str(target),
        str(source),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    installed = {p.name for p in target.iterdir()}
    assert {"bazaar_platform", "config", "contexts"} <= installed
    assert "platform" not in installed and "platform.py" not in installed
    check = _run(
        sys.executable,
        "-c",
        f"import sys; sys.path.insert(0, {str(target)!r}); import bazaar_platform; {CHECK}",
        cwd=tmp_path,
    )
    assert check.returncode == 0, check.stderr
