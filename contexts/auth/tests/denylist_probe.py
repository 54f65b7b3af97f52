"""Run in a separate process by the cross-process revocation test (``python -m``).

Verifies one access token offline, as any other context would, then answers probes on
stdin: ``check`` -> ``ok`` / ``revoked`` / ``invalid``; ``memory`` -> 1/0 (is its jti in
this process's deny list memory?); ``redis_checks`` -> how many checks asked Redis
directly (0 while the pub/sub listener is up); ``quit``.
"""

from __future__ import annotations

import os
import sys


def _say(*parts: object) -> None:
    sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
    sys.stdout.flush()


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import jwt

    from bazaar_platform.tokens import RevokedTokenError, TokenError, authenticate_principal
    from bazaar_platform.tokens.revocation import deny_list

    token = sys.argv[1]
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]

    def check() -> str:
        try:
            authenticate_principal(token)
        except RevokedTokenError:
            return "revoked"
        except TokenError:
            return "invalid"
        return "ok"

    first = check()
    _say("ready", first, int(deny_list().listening))
    for line in sys.stdin:
        command = line.strip()
        if command == "check":
            _say(check())
        elif command == "memory":
            _say(int(deny_list().in_memory(jti)))
        elif command == "redis_checks":
            _say(deny_list().redis_checks)
        elif command == "quit":
            break


if __name__ == "__main__":
    main()
