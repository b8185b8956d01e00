"""A typed slot on an app's state: what its lifespan set, typed; a clear error before that."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from jifang.state import AppSlot


class Thing:
    pass


def test_a_slot_gives_back_what_was_set_and_nothing_else() -> None:
    app = FastAPI()
    slot = AppSlot("thing", Thing)
    with pytest.raises(RuntimeError, match=r"app\.state\.thing holds no Thing"):
        slot.of(app)
    app.state.thing = "not a thing"
    with pytest.raises(RuntimeError):
        slot.of(app)
    thing = Thing()
    slot.set(app, thing)
    assert slot.of(app) is thing
