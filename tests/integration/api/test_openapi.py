"""The API describes itself: an OpenAPI 3.1 document with every path of API.md, and Swagger UI."""

import base64
import gzip
import re
from pathlib import Path

from functions.api_reads.api_document import openapi_document

API_MD = Path(__file__).resolve().parents[3] / "docs" / "api.md"  # the project's copy of the contract
DOCUMENTED_PATHS = sorted(
    {
        "/api-keys",
        "/api-keys/{id}",
        "/systems",
        "/systems/{systemId}",
        "/strategies",
        "/configurations",
        "/configurations/{configurationId}",
        "/configurations/{configurationId}/pause",
        "/configurations/{configurationId}/resume",
        "/systems/{systemId}/checks",
        "/systems/{systemId}/checks/{configurationId}",
        "/systems/{systemId}/checks/{configurationId}/run",
        "/systems/{systemId}/health",
        "/health/batch",
        "/systems/{systemId}/checks/{configurationId}/runs",
        "/systems/{systemId}/checks/{configurationId}/history",
        "/systems/{systemId}/transitions",
        "/systems/{systemId}/availability",
        "/systems/{systemId}/sla",
        "/systems/{systemId}/maintenances",
        "/systems/{systemId}/maintenances/{maintenanceId}",
        "/satellites",
        "/satellites/{satelliteId}/rotate-token",
        "/satellites/{satelliteId}",
        "/analysis/runs",
        "/satellite/assignments",
        "/satellite/results",
        "/satellite/heartbeat",
        "/channels",
        "/channels/{channelId}",
        "/channels/{channelId}/test",
        "/alert-policies",
        "/alert-policies/{policyId}",
        "/incidents",
        "/incidents/{incidentId}",
        "/incidents/{incidentId}/acknowledge",
        "/incidents/{incidentId}/deliveries",
    }
)


def api_md_routes() -> set[tuple[str, str]]:
    """(method, path) of every row of the route tables of docs/api.md."""
    routes = set()
    for line in API_MD.read_text().splitlines():
        if not line.startswith("| `"):
            continue
        for method, path in re.findall(r"`(GET|POST|PUT|PATCH|DELETE) (/[^`]*)`", line):
            routes.add((method, path))
    return routes


def test_openapi_document_is_3_1_and_lists_every_path(stack):
    # given / when
    answer = stack.call("GET", "/openapi.json", key=None)
    # then
    assert answer.status == 200, answer.body
    assert answer.body["openapi"].startswith("3.1")
    assert answer.body["info"]["title"]
    paths = {re.sub(r"<(\w+)>", r"{\1}", p) for p in answer.body["paths"]}
    assert sorted(set(DOCUMENTED_PATHS) - paths) == []


def test_openapi_document_has_every_route_of_api_md(stack):
    # given
    document = stack.call("GET", "/openapi.json", key=None).body
    described = {
        (method.upper(), re.sub(r"<(\w+)>", r"{\1}", path))
        for path, operations in document["paths"].items()
        for method in operations
    }
    # when
    missing = api_md_routes() - described - {("GET", "/openapi.json"), ("GET", "/docs")}
    # then
    assert sorted(missing) == []


def test_openapi_document_needs_no_key_and_hides_no_errors(stack):
    # given / when
    answer = stack.call("GET", "/openapi.json", key="not-a-key")
    # then
    assert answer.status == 200
    assert "components" in answer.body


def test_docs_serve_swagger_ui(stack):
    # given / when
    answer = stack.call("GET", "/docs", key=None, headers={"Accept-Encoding": "gzip"})
    # then
    assert answer.status == 200
    content_type = {k.lower(): v for k, v in answer.headers.items()}.get("content-type", "")
    assert content_type.startswith("text/html")
    body = answer.body
    if isinstance(body, str) and "<" not in body:
        body = gzip.decompress(base64.b64decode(body)).decode()
    assert "swagger" in body.lower()


def test_describing_the_api_leaves_every_function_s_routes_bound_to_their_own_app(stack):
    # given: the local runtime runs every function in one process, and the reads function builds
    # the document from the satellite and mutation routers too
    token = stack.call("POST", "/satellites", {"id": "eu-1", "name": "EU"}).body["token"]
    assert stack.call("POST", "/satellite/heartbeat", {}, key=token).status == 204
    openapi_document.cache_clear()  # described after the satellite function loaded, as in a warm process
    assert stack.call("GET", "/openapi.json", key=None).status == 200
    assert stack.call("GET", "/docs", key=None).status == 200
    # when
    heartbeat = stack.call("POST", "/satellite/heartbeat", {}, key=token)
    # then
    assert heartbeat.status == 204, heartbeat.body


# Pages, badges, their assets and the SLA report as CSV answer documents, not JSON: their media type
# is what is documented.
TEXT_MEDIA_TYPES = {
    "text/html; charset=utf-8",
    "text/csv; charset=utf-8",
    "image/svg+xml",
    "text/css; charset=utf-8",
    "text/javascript; charset=utf-8",
}


def _typed(content: dict) -> bool:
    """A JSON answer names its model; any other answer is one of the documents above, as a string."""
    json_model = content.get("application/json", {}).get("schema", {}).get("$ref")
    texts = {media_type: answer for media_type, answer in content.items() if media_type != "application/json"}
    documents_only = set(texts) <= TEXT_MEDIA_TYPES and all(
        answer == {"schema": {"type": "string"}} for answer in texts.values()
    )
    return documents_only and bool(json_model or texts)


def test_every_operation_documents_its_answer_model_and_the_real_error_shape(stack):
    # given
    document = stack.call("GET", "/openapi.json", key=None).body
    # when
    operations = [
        (f"{method.upper()} {path}", operation["responses"])
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    # then
    untyped = [
        name
        for name, responses in operations
        for status, answer in responses.items()
        if status not in ("204", "304") and not _typed(answer.get("content", {}))
    ]
    assert untyped == []
    wrong_errors = [
        (name, status)
        for name, responses in operations
        for status, answer in responses.items()
        if int(status) >= 400
        and answer["content"]["application/json"]["schema"] != {"$ref": "#/components/schemas/ErrorView"}
    ]
    assert wrong_errors == []
    assert all({"401", "422", "500"} <= set(responses) for _, responses in operations)
    assert not {"HTTPValidationError", "ValidationError"} & set(document["components"]["schemas"])
    assert "405" in document["info"]["description"]
