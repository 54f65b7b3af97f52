"""A bench-only app: one event and one handler that records when it ran.

The consuming context's name comes from ``BAZAAR_BENCH_CONTEXT`` (unique per run), so
the Celery queue and broker names of a run never meet another run's.
"""

import os

CONTEXT = os.environ.setdefault("BAZAAR_BENCH_CONTEXT", "benchctx")
