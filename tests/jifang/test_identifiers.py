from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jifang.identifiers import USCC_ALPHABET, InvalidCode, make_uscc, validate_uscc

# Published examples of valid codes (GB 32100-2015 annex, and a registered company).
VALID = ["91350100M000100Y43", "91110000600037341L"]


@pytest.mark.parametrize("code", VALID)
def test_published_codes_are_valid(code: str) -> None:
    assert validate_uscc(code.lower()) == code


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        ("91350100M000100Y4", "uscc-length"),
        ("91350100M000100YI3", "uscc-charset"),
        ("913501O0M000100Y43", "uscc-charset"),
        ("91AB0100M000100Y43", "uscc-region"),
        ("91350100M000100Y44", "uscc-checksum"),
        ("91350100M000101Y43", "uscc-org-checksum"),
    ],
)
def test_invalid_codes_name_the_rule(code: str, rule: str) -> None:
    with pytest.raises(InvalidCode) as info:
        validate_uscc(code)
    assert info.value.rule == rule


org_body = st.text(alphabet="0123456789ABCDEFGH", min_size=8, max_size=8)


@given(org_body, st.integers(min_value=0, max_value=17), st.sampled_from(USCC_ALPHABET))
def test_any_single_substitution_is_detected(body: str, pos: int, replacement: str) -> None:
    code = make_uscc("91230100", body)
    assert validate_uscc(code) == code
    mutated = code[:pos] + replacement + code[pos + 1 :]
    if mutated != code:
        with pytest.raises(InvalidCode):
            validate_uscc(mutated)
