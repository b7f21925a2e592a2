"""`/status-pages`: managers create, change and delete pages; readers read their settings."""

from __future__ import annotations

from tests.integration.api.stack import add_system, created, new_key


def page_body(slug: str = "public", systems: tuple[str, ...] = ("shop",), **fields) -> dict:
    return {"slug": slug, "title": "Acme status", "systems": [{"systemId": s} for s in systems]} | fields


def test_a_page_is_created_read_listed_changed_and_deleted(stack):
    # given
    add_system(stack, "shop")
    add_system(stack, "api")
    # when
    page = created(stack.call("POST", "/status-pages", page_body(systems=("shop", "api"))))
    changed = stack.call(
        "PATCH", "/status-pages/public", {"title": "Acme"}, headers={"if-match": str(page["version"])}
    )
    listed = stack.call("GET", "/status-pages").body["items"]
    deleted = stack.call("DELETE", "/status-pages/public")
    # then
    assert page["public"] is True
    assert [s["systemId"] for s in page["systems"]] == ["shop", "api"]
    assert changed.status == 200
    assert (changed.body["title"], changed.body["version"]) == ("Acme", 2)
    assert [p["slug"] for p in listed] == ["public"]
    assert deleted.status == 204
    assert stack.call("GET", "/status-pages/public").status == 404


def test_a_page_of_unknown_systems_a_taken_slug_or_a_stale_version_is_refused(stack):
    # given
    add_system(stack, "shop")
    created(stack.call("POST", "/status-pages", page_body()))
    # when / then
    assert stack.call("POST", "/status-pages", page_body("other", ("ghost",))).status == 422
    assert stack.call("POST", "/status-pages", page_body()).status == 409
    assert (
        stack.call("PATCH", "/status-pages/public", {"title": "x"}, headers={"if-match": "7"}).status == 412
    )


def test_a_reader_reads_settings_but_only_a_manager_changes_them(stack):
    # given
    add_system(stack, "shop")
    created(stack.call("POST", "/status-pages", page_body()))
    reader = new_key(stack, "reader")
    # when / then
    assert stack.call("GET", "/status-pages/public", key=reader).status == 200
    assert stack.call("POST", "/status-pages", page_body("two"), key=reader).status == 403
