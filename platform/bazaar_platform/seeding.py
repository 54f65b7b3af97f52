"""``seed_demo``: each context registers its own part; the command runs them in order.

Seeders must be idempotent (``seed_demo`` twice leaves the same data) and report
progress through :meth:`SeedContext.progress`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TypeVar

from tqdm import tqdm

T = TypeVar("T")


@dataclass
class DemoLogin:
    email: str
    password: str
    note: str = ""


@dataclass
class SeedContext:
    out: IO[str]
    quiet: bool = False
    logins: list[DemoLogin] = field(default_factory=list)

    def progress(self, items: Iterable[T], label: str, total: int | None = None) -> Iterator[T]:
        yield from tqdm(
            items,
            desc=f"seed {label}",
            total=total,
            file=self.out,
            disable=self.quiet,
            dynamic_ncols=True,
            leave=True,
        )

    def login(self, *, email: str, password: str, note: str = "") -> None:
        self.logins.append(DemoLogin(email, password, note))


Seeder = Callable[[SeedContext], None]


@dataclass(frozen=True)
class _Registered:
    name: str
    func: Seeder
    order: int


_seeders: dict[str, _Registered] = {}


def register_seeder(name: str, func: Seeder, *, order: int = 100) -> None:
    """Called from a context's ``AppConfig.ready()``; lower ``order`` runs first."""
    _seeders[name] = _Registered(name, func, order)


def seeders() -> list[tuple[str, Seeder]]:
    return [(s.name, s.func) for s in sorted(_seeders.values(), key=lambda s: (s.order, s.name))]
