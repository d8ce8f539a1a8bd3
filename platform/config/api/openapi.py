"""What the OpenAPI document adds to every operation, so that it says what the API answers.

- A list read (a GET answering an array) is a cursor page: ``{"results": [...], "next"}``
  (``config.api.pagination``), whatever view wrote it.
- Every operation may answer the problem documents of ``config.api.problems``: bad input
  (400), no or bad credentials (401), not allowed (403), no such thing - or not yours -
  (404); writes also a read-only institution (423); bodies an unsupported type (415);
  uploads no length (411), too large (413) or storage unavailable (503); sign-in too
  many failures (429).

Checked by tests/platform/config/test_openapi_contract.py (schemathesis).
"""

from __future__ import annotations

from typing import Any

PROBLEM_TYPE = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "the messages of each bad field (non_field_errors for the whole)",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
}
REASONS = {
    400: "Invalid input: `errors` names each bad field.",
    401: "No credentials, or bad ones.",
    403: "The caller may not do this.",
    404: "No such resource, or one the caller may not see (the same answer).",
    411: "A raw-body upload without Content-Length.",
    413: "The body is larger than the institution's limit.",
    415: "The body's content type is not one this operation reads.",
    423: "The institution is read-only for now.",
    429: "Too many attempts: wait for Retry-After seconds.",
    503: "The file could not be stored just now; nothing was saved.",
}
UPLOAD_TYPES = ("multipart/form-data", "application/octet-stream")


def _page_of(items: dict) -> dict:
    return {
        "type": "object",
        "required": ["results", "next"],
        "properties": {
            "results": items,
            "next": {"type": "string", "format": "uri", "nullable": True},
        },
    }


def _statuses(path: str, method: str, operation: dict) -> set[int]:
    statuses = {400, 401, 403, 404}
    body_types = set(operation.get("requestBody", {}).get("content", {}))
    if method != "get":
        statuses.add(423)
    if body_types:
        statuses.add(415)
    if body_types & set(UPLOAD_TYPES):
        statuses |= {413, 503}
    if "application/octet-stream" in body_types:
        statuses.add(411)
    if path.endswith("/auth/token"):
        statuses.add(429)
    return statuses


def document_pages_and_problems(result: dict, generator, request, public) -> dict:
    """drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"])."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Problem", PROBLEM_SCHEMA)
    problem = {PROBLEM_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            ok = responses.get("200", {})
            if method == "get":
                for media in ok.get("content", {}).values():
                    if media.get("schema", {}).get("type") == "array":
                        media["schema"] = _page_of(media["schema"])
            for status in sorted(_statuses(path, method, operation)):
                responses.setdefault(
                    str(status), {"description": REASONS[status], "content": problem}
                )
    return result
