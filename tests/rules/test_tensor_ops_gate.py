"""The MLS122/123 file gate's ``@`` test finds what the pattern it replaces finds."""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mlsense.analyzers.rules.tensor_ops import has_matmul_operator

_PATTERN = re.compile(r"[\w)\]] *@ *[\w(]")


@settings(max_examples=2000)
@given(st.text(alphabet="a_)](@ \n\t1.é", max_size=12))
def test_same_answer_as_the_pattern(text: str) -> None:
    assert has_matmul_operator(text) == bool(_PATTERN.search(text))


def test_decorators_are_not_products() -> None:
    assert not has_matmul_operator("@register\ndef f(x):\n    return x\n")
    assert has_matmul_operator("@register\ndef f(x, w):\n    return x  @  w\n")
    assert has_matmul_operator("y = f(x)@w[0]\n")
