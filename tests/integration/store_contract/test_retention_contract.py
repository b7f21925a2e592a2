"""The retention port's contract, on DynamoDB and in memory: history keys a page at a time in order,
deletes by sort key, expiry moves that never re-create an item, the stored-retention record set only
at the assignment's version, and the timeline partitions a deleted system leaves."""

from shared.domain.history_items import CheckTransitionItem, RunItem
from shared.domain.records import AggregateIncrement, RunCommit
from shared.domain.state_items import CheckStateItem
from tests.integration.store_contract.conftest import NOW, SETTINGS

MOMENTS = [f"2030-01-0{d}T12:00:00.000Z" for d in range(1, 6)]


def put_runs(store, moments: list[str] = MOMENTS) -> list[str]:
    runs = [
        {
            "runId": f"run-{n}",
            "systemId": "shop",
            "configurationId": "web",
            "sourceId": "local",
            "status": "healthy",
            "timestamp": moment,
            "expiresAt": 1_900_000_000,
        }
        for n, moment in enumerate(moments)
    ]
    store.put_runs([RunItem.model_validate(r) for r in runs])
    return [f"{r['timestamp']}#{r['runId']}" for r in runs]


def every_key(store, partition: str, limit: int) -> tuple[list[str], int]:
    found, after, pages = [], None, 0
    while True:
        page = store.key_page(partition, after=after, limit=limit)
        pages += 1
        found += [i["sk"] for i in page.items]
        if not page.next_cursor:
            return found, pages
        after = page.next_cursor


def test_keys_come_a_page_at_a_time_in_order_and_a_full_last_page_ends_the_list(shop):
    # given five runs
    stored = put_runs(shop)
    raw = shop.history_partition("raw", "shop", "web")
    # when paged by two, and by five
    by_two, pages_of_two = every_key(shop, raw, limit=2)
    by_five, pages_of_five = every_key(shop, raw, limit=5)
    # then every key once, in order; a page says there is more only when an item lies past it
    assert by_two == by_five == sorted(stored)
    assert (pages_of_two, pages_of_five) == (3, 1)


def test_a_page_before_a_moment_holds_only_older_keys(shop):
    # given
    stored = put_runs(shop)
    raw = shop.history_partition("raw", "shop", "web")
    # when
    older = shop.key_page(raw, before=MOMENTS[2], limit=10)
    between = shop.key_page(raw, after=stored[0], before=MOMENTS[3], limit=10)
    # then
    assert [i["sk"] for i in older.items] == stored[:2]
    assert older.next_cursor is None
    assert [i["sk"] for i in between.items] == stored[1:3]


def test_deletes_take_only_the_keys_named(shop):
    # given
    stored = put_runs(shop)
    raw = shop.history_partition("raw", "shop", "web")
    # when
    shop.delete_keys(raw, [stored[0], stored[3], "2029-01-01T00:00:00.000Z#never-stored"])
    # then
    assert every_key(shop, raw, limit=10)[0] == [stored[1], stored[2], stored[4]]


def test_an_expiry_moves_on_a_stored_item_and_never_recreates_a_gone_one(shop):
    # given
    stored = put_runs(shop, MOMENTS[:1])
    raw = shop.history_partition("raw", "shop", "web")
    gone = "2030-01-02T00:00:00.000Z#gone"
    # when
    shop.set_expiry(raw, stored[0], 2_000_000_000)
    shop.set_expiry(raw, gone, 2_000_000_000)
    # then
    runs = shop.list_runs(
        "shop", "web", start=MOMENTS[0], end=MOMENTS[-1], source=None, status=None, limit=10, cursor=None
    )
    assert [r.expires_at for r in runs.items] == [2_000_000_000]
    assert every_key(shop, raw, limit=10)[0] == stored


def test_the_stored_retention_is_recorded_only_at_the_version_read(shop):
    # given an assignment at version 2
    shop.put_assignment("shop", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=0)
    shorter = SETTINGS | {"retention": SETTINGS["retention"] | {"rawDays": 3}}
    shop.put_assignment("shop", "web", shorter, expected_version=1, now=NOW, now_epoch=0)
    floors = {"raw": NOW}
    # when
    stale = shop.record_stored_retention(
        "shop", "web", seen_version=1, stored=shorter["retention"], floors=floors
    )
    current = shop.record_stored_retention(
        "shop", "web", seen_version=2, stored=shorter["retention"], floors=floors
    )
    missing = shop.record_stored_retention("nope", "web", seen_version=1, stored={}, floors={})
    # then
    assert (stale, current, missing) == (False, True, False)
    assignment = shop.get_assignment("shop", "web")
    assert assignment.stored_retention == shorter["retention"]
    assert assignment.history_floors == floors
    assert assignment.version == 2


def test_a_deleted_system_leaves_its_tombstone_and_timeline_partitions_keyed_alike(shop):
    # given a run that wrote an hourly aggregate, a check transition and a stale availability day
    shop.put_assignment("shop", "web", SETTINGS, expected_version=None, now=NOW, now_epoch=0)
    run = RunItem(run_id="r1", system_id="shop", configuration_id="web", status="healthy", timestamp=NOW)
    hour = "2030-01-01T00:00:00Z"
    shop.commit_run(
        RunCommit(
            run=run,
            check_state=CheckStateItem(system_id="shop", configuration_id="web", version=1),
            expected_check_version=None,
            aggregates=[AggregateIncrement("hourly", hour, "local", {"runCount": 1}, 1_900_000_000)],
            check_transitions=[
                CheckTransitionItem(
                    system_id="shop",
                    configuration_id="web",
                    previous_status="unknown",
                    new_status="healthy",
                    at=NOW,
                    check_version=1,
                )
            ],
            stale_days=["2030-01-01"],
        )
    )
    # when
    shop.delete_system("shop", deleted_at=NOW)
    # then
    tombstones = shop.tombstones(limit=10)
    assert [(t["sk"], t["kind"], t["configurationIds"]) for t in tombstones] == [
        (f"SYSTEM#shop#{NOW}", "system", ["web"])
    ]
    partitions = [
        shop.history_partition("hourly", "shop", "web"),
        shop.check_transitions_partition("shop", "web"),
        *shop.system_partitions("shop"),
    ]
    assert [every_key(shop, p, limit=10)[0] for p in partitions] == [
        [f"{hour}#local"],
        [f"{NOW}#{1:012d}"],
        [],
        ["2030-01-01"],
    ]
    shop.delete_tombstone(tombstones[0]["sk"])
    assert shop.tombstones(limit=10) == []
