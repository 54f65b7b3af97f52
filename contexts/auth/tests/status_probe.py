"""Run in a separate process by the cross-process invalidation test (``python -m``).

Warms the status cache for one user, then answers probes on stdin:
``memory`` -> 1/0 (is the user in this process's memory?), ``active`` -> 1/0
(customer_active through the cache), ``loads`` -> loader calls so far, ``quit``.
"""

from __future__ import annotations

import os
import sys
import uuid


def _say(*parts: object, flush: bool = True) -> None:
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def main() -> None:

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from bazaar_platform.tokens.status import status_cache

    user_id = uuid.UUID(sys.argv[1])
    cache_ = status_cache()
    status = cache_.get(user_id)
    _say(f"ready {int(status.customer_active)} {int(cache_.in_memory(user_id))}", flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "memory":
            _say(int(cache_.in_memory(user_id)), flush=True)
        elif command == "active":
            _say(int(cache_.get(user_id).customer_active), flush=True)
        elif command == "loads":
            _say(cache_.loads, flush=True)
        elif command == "quit":
            break


if __name__ == "__main__":
    main()
