"""Text a person must have written: something that shows.

A field of blanks, or of characters that display nothing (a zero-width space, a direction mark,
a byte order mark), says nothing however long it is: a purpose of three zero-width spaces is
no purpose. What shows nothing: whitespace, control characters, and Unicode's
Default_Ignorable_Code_Point characters (DerivedCoreProperties.txt, Unicode 15: the format
characters that render invisibly, the Hangul fillers, the variation selectors and the tag
characters). The visible format characters (the Arabic number signs, U+0600..U+0605) are not
among them.
"""

from __future__ import annotations

# Default_Ignorable_Code_Point, as Unicode derives it; with the controls (Cc), which show nothing
# either. Whitespace is Python's (str.isspace, the regex's \s).
INVISIBLE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x001F),
    (0x007F, 0x009F),
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
_INVISIBLE = frozenset(c for first, last in INVISIBLE_RANGES for c in range(first, last + 1))


def shows_nothing(value: str) -> bool:
    """True when the text is empty, or every character is whitespace or invisible."""
    return all(ch.isspace() or ord(ch) in _INVISIBLE for ch in value)


def _in_class(code: int) -> str:
    # \uXXXX reads alike in Python's and ECMA-262's regular expressions; a character beyond
    # the BMP has no escape both read, and stands as itself (ECMA-262 with its "u" flag).
    return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)


_SHOWING = "".join(
    _in_class(first) if first == last else f"{_in_class(first)}-{_in_class(last)}"
    for first, last in INVISIBLE_RANGES
)
# The JSON Schema pattern of such text (without NUL characters, which no text column holds): at
# least one character that is neither whitespace nor invisible.
VISIBLE_TEXT_PATTERN = rf"^[^\u0000]*[^\s{_SHOWING}][^\u0000]*$"
