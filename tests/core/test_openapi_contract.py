"""The OpenAPI schema is a contract a client can be generated from: every request and
answer typed, every documented answer with its schema, the bounds the server enforces
written down, and descriptions written for the API's users, not the code's readers."""

import inspect
from typing import Any

import pytest
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator

NO_BODY = {"204", "304"}
COMBINATORS = ("allOf", "oneOf", "anyOf")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _untyped(node: Any, where: str) -> list[str]:
    """Every place in a schema where a generated client would get an untyped value."""
    if not isinstance(node, dict) or "$ref" in node:
        return []
    problems = []
    kind = node.get("type")
    if kind is None and not any(key in node for key in (*COMBINATORS, "enum")):
        problems.append(f"{where}: no type")
    if kind == "object":
        extra = node.get("additionalProperties")
        typed_extra = isinstance(extra, dict) and bool(extra)
        if not node.get("properties") and not typed_extra:
            problems.append(f"{where}: object without properties")
        if extra is True or extra == {}:
            problems.append(f"{where}: untyped additional properties")
    if kind == "array" and not node.get("items"):
        problems.append(f"{where}: array without items")
    for name, child in node.get("properties", {}).items():
        problems += _untyped(child, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            problems += _untyped(node[key], f"{where}.{key}")
    for key in COMBINATORS:
        for index, child in enumerate(node.get(key, [])):
            problems += _untyped(child, f"{where}.{key}[{index}]")
    return problems


def _operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def test_every_request_and_answer_is_typed(schema):
    problems = []
    for name, component in schema["components"]["schemas"].items():
        problems += _untyped(component, f"#/components/schemas/{name}")
    for where, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            problems += _untyped(parameter.get("schema"), f"{where} {parameter['name']}")
        for media in operation.get("requestBody", {}).get("content", {}).values():
            problems += _untyped(media.get("schema"), f"{where} body")
        for status, answer in operation["responses"].items():
            if status not in NO_BODY and not answer.get("content"):
                problems.append(f"{where} {status}: no schema")
            for media in answer.get("content", {}).values():
                problems += _untyped(media.get("schema"), f"{where} {status}")
    assert problems == []


def test_operation_descriptions_are_written_for_the_api_users_not_docstrings(schema):
    docstrings = set()
    for pattern in get_resolver().url_patterns:
        for callback in _callbacks(pattern):
            view = getattr(callback, "cls", None)
            for klass in inspect.getmro(view) if view else ():
                if doc := inspect.getdoc(klass):
                    docstrings.add(" ".join(doc.split()))
    described = {
        where: " ".join(operation.get("description", "").split())
        for where, operation in _operations(schema)
    }
    assert [where for where, text in described.items() if not text] == []
    assert {where: text for where, text in described.items() if text in docstrings} == {}


def _callbacks(pattern: Any) -> list[Any]:
    if hasattr(pattern, "url_patterns"):
        return [callback for inner in pattern.url_patterns for callback in _callbacks(inner)]
    return [pattern.callback]


def test_the_bounds_the_server_enforces_are_in_the_schema(schema):
    components = schema["components"]["schemas"]
    listing = schema["paths"]["/api/v1/agent/registrations"]["get"]
    (page_size,) = [p for p in listing["parameters"] if p["name"] == "page_size"]
    assert page_size["schema"] | {"default": None} == {
        "type": "integer",
        "minimum": 1,
        "maximum": 200,
        "default": None,
    }

    programs = components["RegistrationInputRequest"]["properties"]["programs"]
    assert programs["uniqueItems"] is True

    items = components["RegistrationSyncInputRequest"]["properties"]["items"]
    assert items["type"] == "array"
    assert items["minItems"] == 1
    assert items["maxItems"] == 500
    assert items["items"] == {"$ref": "#/components/schemas/RegistrationInputRequest"}

    sync = schema["paths"]["/api/v1/agent/registrations/sync"]["post"]["responses"]["200"]
    results = components[sync["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
    result = results["properties"]["results"]["items"]
    assert "$ref" in result
    assert "registration" in components[result["$ref"].split("/")[-1]]["properties"]


@pytest.mark.parametrize(
    ("path", "method", "status"),
    [
        ("/api/v1/agent/registrations", "post", "409"),
        ("/api/v1/agent/registrations", "post", "422"),
        ("/api/v1/partner/payments", "post", "409"),
        ("/api/v1/partner/payments", "post", "422"),
    ],
)
def test_conflict_and_unprocessable_answers_have_the_error_schema(schema, path, method, status):
    answer = schema["paths"][path][method]["responses"][status]
    assert answer["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
