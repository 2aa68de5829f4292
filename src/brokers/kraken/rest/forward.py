"""Typed forwarding of an adapter method to the raw REST client it is composed of.

``get_ticker = forward(KrakenRestClient.get_ticker)`` on a class with a ``rest`` attribute makes
``adapter.get_ticker(...)`` call ``adapter.rest.get_ticker(...)`` with the same signature as
far as mypy knows, so the adapter keeps the guide's endpoint methods without inheriting them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, TypeVar, overload

P = ParamSpec("P")
R = TypeVar("R")
C = TypeVar("C")


class HasRest(Protocol):
    """An object composed of a raw REST client named ``rest``."""

    @property
    def rest(self) -> Any:
        """The raw REST client the calls go to."""
        ...


class forward(Generic[C, P, R]):
    """A descriptor that reads ``name`` off the instance's ``rest`` client."""

    def __init__(self, method: Callable[Concatenate[C, P], R]) -> None:
        self._name = method.__name__
        self.__doc__ = method.__doc__

    @overload
    def __get__(self, instance: None, owner: type) -> forward[C, P, R]: ...

    @overload
    def __get__(self, instance: HasRest, owner: type) -> Callable[P, R]: ...

    def __get__(self, instance: HasRest | None, owner: type) -> forward[C, P, R] | Callable[P, R]:
        if instance is None:
            return self
        bound: Callable[P, R] = getattr(instance.rest, self._name)
        return bound
