"""Start forms: fields derived from params types, and validation of submitted values."""

from __future__ import annotations

import dataclasses
import enum
from typing import Literal, NotRequired, TypedDict

import pytest
from pydantic import BaseModel, Field

from lunora_codegen.studio.backend import ParamField
from lunora_codegen.studio.forms import (
    ParamsValidationError,
    describe_fields,
    params_kind,
    validate_fields,
    validate_json,
)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@dataclasses.dataclass
class Signup:
    email: str
    seats: int
    ratio: float = 0.5
    trial: bool = False
    plan: Literal["free", "pro"] = "free"
    color: Color = Color.RED
    tags: list[str] = dataclasses.field(default_factory=list)
    referrer: str | None = None


class Order(TypedDict):
    order_id: str
    quantity: int
    note: NotRequired[str]


class Invoice(BaseModel):
    number: str = Field(description="the invoice number")
    cents: int = Field(gt=0)
    memo: str | None = None


def _by_name(tp: object) -> dict[str, ParamField]:
    fields = describe_fields(tp)
    assert fields is not None
    return {f.name: f for f in fields}


def test_dataclass_fields_pick_widgets_defaults_and_required() -> None:
    fields = _by_name(Signup)
    assert list(fields) == ["email", "seats", "ratio", "trial", "plan", "color", "tags", "referrer"]
    kinds = {name: f.kind for name, f in fields.items()}
    assert kinds == {
        "email": "text",
        "seats": "integer",
        "ratio": "number",
        "trial": "boolean",
        "plan": "select",
        "color": "select",
        "tags": "json",
        "referrer": "text",
    }
    assert fields["email"].required
    assert not fields["ratio"].required
    assert fields["plan"].choices == ("free", "pro")
    assert fields["color"].default == "red"
    assert fields["tags"].default == "[]"
    assert fields["referrer"].optional
    assert fields["referrer"].type_label == "str | None"


def test_typeddict_and_pydantic_fields() -> None:
    order = _by_name(Order)
    assert order["order_id"].required
    assert not order["note"].required
    invoice = _by_name(Invoice)
    assert invoice["number"].description == "the invoice number"
    assert invoice["cents"].kind == "integer"
    assert params_kind(Invoice) == "pydantic"
    assert params_kind(Order) == "TypedDict"
    assert params_kind(dict) is None
    assert describe_fields(dict) is None


def test_valid_form_values_become_typed_json() -> None:
    params = validate_fields(
        Signup,
        {
            "email": "a@b.c",
            "seats": " 3 ",
            "ratio": "0.25",
            "trial": True,
            "plan": "pro",
            "color": "blue",
            "tags": '["x", "y"]',
            "referrer": "",
        },
    )
    assert params == {
        "email": "a@b.c",
        "seats": 3,
        "ratio": 0.25,
        "trial": True,
        "plan": "pro",
        "color": "blue",
        "tags": ["x", "y"],
        "referrer": None,
    }


def test_form_errors_are_reported_per_field() -> None:
    with pytest.raises(ParamsValidationError) as caught:
        validate_fields(Signup, {"email": "", "seats": "three", "tags": "[1,", "bogus": "1"})
    errors = caught.value.errors
    assert errors["email"] == "required"
    assert "whole number" in errors["seats"]
    assert "valid JSON" in errors["tags"]
    assert "unknown field" in errors["bogus"]


def test_type_errors_come_from_pydantic_under_the_field_name() -> None:
    with pytest.raises(ParamsValidationError) as caught:
        validate_fields(Signup, {"email": "a", "seats": "1", "plan": "gold"})
    assert set(caught.value.errors) == {"plan"}
    with pytest.raises(ParamsValidationError) as caught:
        validate_fields(Invoice, {"number": "n1", "cents": "0"})
    assert "greater than 0" in caught.value.errors["cents"]


def test_json_editor_checks_syntax_then_type() -> None:
    with pytest.raises(ParamsValidationError) as caught:
        validate_json(Order, '{"order_id": ')
    assert caught.value.errors["_json"].startswith("Params must be valid JSON")
    with pytest.raises(ParamsValidationError) as caught:
        validate_json(Order, '{"order_id": "o1", "quantity": "many"}')
    assert "quantity" in caught.value.errors
    assert validate_json(Order, '{"order_id": "o1", "quantity": 2}') == {
        "order_id": "o1",
        "quantity": 2,
    }
    # Without a known params type any JSON value goes through unchanged.
    assert validate_json(None, "[1, 2]") == [1, 2]
    assert validate_json(None, "") == {}
