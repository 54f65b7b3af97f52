"""The integration event: a context's published language.

Events are pydantic models (frozen, keyword-only, ``extra="forbid"``): pydantic gives
validation of received payloads and the JSON Schema for the event catalogue and the
AsyncAPI document, which we would otherwise write by hand.
"""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID, uuid4

from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

_PRIMITIVES: tuple[type, ...] = (str, int, float, bool, UUID, datetime, date, Decimal, type(None))


def _is_primitive(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is None:
        return annotation in _PRIMITIVES
    if origin is typing.Literal:
        return True
    if origin in (typing.Union, types.UnionType, list, tuple, frozenset, set):
        return all(_is_primitive(arg) for arg in typing.get_args(annotation) if arg is not Ellipsis)
    if origin is dict:
        key, value = typing.get_args(annotation)
        return key is str and _is_primitive(value)
    return False


class IntegrationEvent(BaseModel):
    """Base of every event. Subclasses set ``event_type``, ``version`` and ``aggregate``.

    ``aggregate`` names the payload field holding the aggregate's id: it is the
    ordering key (the Kafka partition key, the relay's per-aggregate order).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    aggregate: ClassVar[str]
    producer: ClassVar[str]

    event_id: UUID = Field(default_factory=uuid4)
    occurred_at: datetime = Field(default_factory=timezone.now)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "event_type" not in cls.__dict__:
            return  # an abstract intermediate base
        producer, _, name = cls.event_type.partition(".")
        if not producer or not name:
            raise TypeError(f"{cls.__name__}.event_type must look like 'context.thing_happened'")
        cls.producer = producer
        if cls.aggregate not in cls.model_fields:
            raise TypeError(f"{cls.__name__}.aggregate names no field: {cls.aggregate!r}")
        for field_name, info in cls.model_fields.items():
            if not _is_primitive(info.annotation):
                raise TypeError(
                    f"{cls.__name__}.{field_name}: event payloads hold primitives and ids only"
                )

    @property
    def aggregate_id(self) -> str:
        return str(getattr(self, self.aggregate))

    def payload(self) -> dict[str, Any]:
        """The event's own fields (JSON-ready), without the envelope fields."""
        return self.model_dump(mode="json", exclude={"event_id", "occurred_at"})

    def to_message(self) -> dict[str, Any]:
        """The wire and storage form: a type string and a version, never a class path."""
        return {
            "event_id": str(self.event_id),
            "event_type": self.event_type,
            "version": self.version,
            "producer": self.producer,
            "aggregate_id": self.aggregate_id,
            "occurred_at": self.occurred_at.isoformat(),
            "payload": self.payload(),
        }
