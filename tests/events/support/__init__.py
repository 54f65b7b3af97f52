"""A test-only Django app: the events and handlers the event-platform tests publish and consume.

It is *not* a bounded context. The pytest process registers its handlers by importing
:mod:`tests.events.support.handlers`; subprocesses (Celery workers, ``consume_events``,
``relay_outbox``) load it as an installed app through ``tests.events.support.settings``.

The consuming context's name comes from ``BAZAAR_EVTEST_CONTEXT`` (unique per test
session and xdist worker) so its Celery queue ``events.<context>`` and broker queue or
consumer group never collide with another run on the same RabbitMQ or Kafka.
"""

import os

CONTEXT = os.environ.setdefault("BAZAAR_EVTEST_CONTEXT", "evtest")
