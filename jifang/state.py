"""Typed application state.

A service builds its long-lived objects once in its lifespan and stores each under one
:class:`AppSlot`; request dependencies read them back typed (``Annotated[T, Depends(slot)]``)
instead of looking up untyped ``app.state`` attributes.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from starlette.applications import Starlette
from starlette.requests import Request

T = TypeVar("T")


class AppSlot(Generic[T]):
    """One typed value on an app's state, under ``app.state.<name>``."""

    def __init__(self, name: str, kind: type[T]) -> None:
        self.name = name
        self.kind = kind

    def set(self, app: Starlette, value: T) -> None:
        setattr(app.state, self.name, value)

    def of(self, app: Starlette) -> T:
        value = getattr(app.state, self.name, None)
        if not isinstance(value, self.kind):
            raise RuntimeError(f"app.state.{self.name} holds no {self.kind.__name__}: has the lifespan run?")
        return value

    # A coroutine: FastAPI would run a plain function dependency in a worker thread per request.
    async def __call__(self, request: Request) -> T:
        return self.of(request.app)
