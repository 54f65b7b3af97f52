"""Two explicit maps: event type strings to classes, and event types to handlers.

Nothing is discovered by magic: each context lists its events in ``events.py`` (the
classes register themselves on definition) and its handlers in ``handlers.py``,
which its ``AppConfig.ready()`` passes to :func:`register_handlers`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bazaar_platform.events.base import IntegrationEvent

Handler = Callable[[Any], None]


class EventDecodeError(Exception):
    """A message that cannot become an event. ``reason`` is a stable code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Subscription:
    handler_name: str  # stable: "<context>.<function name>"; the inbox key
    context: str  # the consuming context: its queue, its consumer group
    event_type: str
    func: Handler


_event_classes: dict[tuple[str, int], type[IntegrationEvent]] = {}
_subscriptions: dict[str, Subscription] = {}


def event_classes() -> list[type[IntegrationEvent]]:
    _ensure_collected()
    return sorted(_event_classes.values(), key=lambda c: (c.event_type, c.version))


def _ensure_collected() -> None:
    for cls in _all_subclasses(IntegrationEvent):  # type: type[IntegrationEvent]
        if "event_type" in cls.__dict__:
            key = (cls.event_type, cls.version)
            existing = _event_classes.get(key)
            if (
                existing is not None
                and existing is not cls
                and (
                    existing.__qualname__ != cls.__qualname__
                    or existing.__module__ != cls.__module__
                )
            ):
                raise TypeError(f"two classes claim event type {key}: {existing} and {cls}")
            _event_classes[key] = cls


def _all_subclasses(cls: type[IntegrationEvent]) -> Iterable[type[IntegrationEvent]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


def event_class(event_type: str, version: int) -> type[IntegrationEvent]:
    key = (event_type, version)
    if key not in _event_classes:
        _ensure_collected()
    try:
        return _event_classes[key]
    except KeyError:
        raise EventDecodeError("unknown_event_type", f"{event_type} v{version}") from None


def decode(message: Mapping[str, Any]) -> IntegrationEvent:
    """Turn a stored or received message back into its event, by type string."""
    if not isinstance(message, Mapping):
        raise EventDecodeError(
            "malformed_message", f"expected an object, got {type(message).__name__}"
        )
    try:
        event_type = message["event_type"]
        version = int(message.get("version", 1))
        payload = message["payload"]
        envelope_fields = {"event_id": message["event_id"], "occurred_at": message["occurred_at"]}
    except (KeyError, TypeError, ValueError) as exc:
        raise EventDecodeError(
            "malformed_message", f"missing or bad envelope field {exc}"
        ) from None
    if not isinstance(event_type, str) or not isinstance(payload, Mapping):
        raise EventDecodeError(
            "malformed_message", "event_type must be a string, payload an object"
        )
    cls = event_class(event_type, version)
    try:
        return cls.model_validate({**payload, **envelope_fields})
    except ValidationError as exc:
        raise EventDecodeError("invalid_payload", str(exc)[:2000]) from None


def register_handlers(
    context: str, handlers: Mapping[type[IntegrationEvent], Iterable[Handler]]
) -> None:
    """Subscribe ``context``'s handlers; called from the context's ``AppConfig.ready()``."""
    for event_cls, funcs in handlers.items():
        for func in funcs:
            name = f"{context}.{func.__name__}"
            existing = _subscriptions.get(name)
            if existing is not None and existing.func is not func:
                raise ValueError(f"handler name {name!r} is registered twice")
            if existing is not None and existing.event_type != event_cls.event_type:
                # The handler name is the inbox key and what a Celery task names: one
                # function answers one event type (it used to be silently overwritten).
                raise ValueError(
                    f"{name} is already subscribed to {existing.event_type}; "
                    f"write one handler per event type ({event_cls.event_type})"
                )
            _subscriptions[name] = Subscription(
                handler_name=name, context=context, event_type=event_cls.event_type, func=func
            )


def subscriptions_for(event_type: str) -> list[Subscription]:
    return [s for s in _subscriptions.values() if s.event_type == event_type]


def subscriptions_of_context(context: str) -> list[Subscription]:
    return [s for s in _subscriptions.values() if s.context == context]


def subscription(handler_name: str) -> Subscription:
    try:
        return _subscriptions[handler_name]
    except KeyError:
        raise EventDecodeError("unknown_handler", handler_name) from None


def all_subscriptions() -> list[Subscription]:
    return sorted(_subscriptions.values(), key=lambda s: s.handler_name)


def unregister_handler(handler_name: str) -> None:
    """For tests that subscribe a throwaway handler."""
    _subscriptions.pop(handler_name, None)
