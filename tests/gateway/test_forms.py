"""The form decoder against what Stripe's own client encodes."""

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stripe._encode import _api_encode

from gateway.api.forms import decode_body, decode_form, decode_query
from gateway.errors import InvalidParameter

# Names without brackets; values non-empty (the empty string means "unset" on the wire);
# neither with NUL, which is refused (test_a_nul_anywhere_is_refused_by_name).
names = st.text(st.characters(codec="utf-8", exclude_characters="[]\x00"), min_size=1, max_size=8)
# Keys of a nested object must not look like list indexes, or the object reads as a list.
object_keys = names.filter(lambda name: not name.isdigit())
values = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=12)
trees = st.recursive(
    values,
    lambda children: st.lists(children, min_size=1, max_size=4) | st.dictionaries(object_keys, children, min_size=1, max_size=4),
    max_leaves=20,
)
params = st.dictionaries(object_keys, trees, max_size=6)


@given(params)
def test_decodes_what_the_stripe_client_encodes(tree):
    body = urlencode(list(_api_encode(tree)))
    assert decode_query(body) == tree


@given(params)
def test_json_bodies_are_taken_as_they_are(tree):
    import json

    assert decode_body(json.dumps(tree).encode(), "application/json; charset=utf-8") == tree


def test_stripe_shapes():
    body = ("amount=200000&currency=vnd&metadata[dossier]=H01.22-240101-0001&metadata[note]=ph%C3%AD+c%E1%BA%A5p"
            "&line_items[0][price_data][unit_amount]=50000&line_items[0][quantity]=2"
            "&payment_method_types[]=card&payment_method_types[]=vietqr&expand[0]=customer&description=")
    assert decode_query(body) == {
        "amount": "200000",
        "currency": "vnd",
        "metadata": {"dossier": "H01.22-240101-0001", "note": "phí cấp"},
        "line_items": [{"price_data": {"unit_amount": "50000"}, "quantity": "2"}],
        "payment_method_types": ["card", "vietqr"],
        "expand": ["customer"],
        "description": None,
    }


def test_index_gaps_keep_an_object():
    assert decode_form([("a[0]", "x"), ("a[2]", "y")]) == {"a": {"0": "x", "2": "y"}}


@pytest.mark.parametrize("pairs, param", [
    ([("amount", "1"), ("amount", "2")], "amount"),
    ([("metadata", "x"), ("metadata[k]", "v")], "metadata"),
    ([("metadata[k]", "v"), ("metadata[k][j]", "w")], "metadata[k]"),
    ([("a]b", "1")], "a]b"),
])
def test_ambiguous_forms_are_refused_by_name(pairs, param):
    with pytest.raises(InvalidParameter) as refused:
        decode_form(pairs)
    assert refused.value.param == param


def test_a_json_body_must_be_an_object():
    with pytest.raises(InvalidParameter):
        decode_body(b"[1, 2]", "application/json")


@pytest.mark.parametrize(("body", "content_type", "param"), [
    (b"description=a%00b", "", "description"),
    (b"metadata[k%00]=v", "", "metadata[k\x00]"),
    (b'{"metadata": {"k": "\\u0000"}}', "application/json", "metadata[k]"),
    (b'{"line_items": [{"name": "\\u0000"}]}', "application/json", "line_items[0][name]"),
])
def test_a_nul_anywhere_is_refused_by_name(body, content_type, param):
    # PostgreSQL text cannot hold NUL: found by tests/gateway/test_fuzzing.py as a 500.
    with pytest.raises(InvalidParameter) as refused:
        decode_body(body, content_type)
    assert refused.value.param == param
