"""Text that shows something: the validator and the JSON Schema pattern the documents publish
agree on every character (schemathesis generates from the pattern; the service judges with
the validator)."""

from __future__ import annotations

import re

from jifang.text import VISIBLE_TEXT_PATTERN, shows_nothing


def test_the_pattern_and_the_validator_agree_on_every_character() -> None:
    pattern = re.compile(VISIBLE_TEXT_PATTERN)
    disagree = [
        f"U+{code:04X}"
        for code in range(1, 0x110000)
        if not 0xD800 <= code <= 0xDFFF
        and (pattern.fullmatch(chr(code)) is not None) == shows_nothing(chr(code))
    ]
    assert disagree == []


def test_what_shows_nothing() -> None:
    for blank in ("", " ", "\u3000", "\u200b\u200b", " \u2060 ", "\ufeff\u200e", "\u3164", "\U000e0041"):
        assert shows_nothing(blank), repr(blank)
    for text in ("追查", "a\u200b", "\u0600", "。"):
        assert not shows_nothing(text), repr(text)
    assert re.fullmatch(VISIBLE_TEXT_PATTERN, "追查\x00") is None
