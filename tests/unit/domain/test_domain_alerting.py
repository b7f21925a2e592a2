"""Pure alerting rules on a fixed clock: scope, forSeconds, reminders, escalation, flapping,
dependencies and back-off."""

from datetime import UTC, datetime, timedelta

from shared.domain.alerting import (
    PolicyRule,
    blocking_dependencies,
    due_steps,
    in_suppressing_maintenance,
    is_flapping,
    next_wakeup,
    policy_covers,
    retry_delay_seconds,
    settles_at,
)
from shared.domain.catalog_items import MaintenanceItem
from shared.domain.models import format_timestamp

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def keys(steps) -> list[str]:
    return [s.key for s in steps]


def test_unscoped_policy_covers_every_system_and_scoped_one_only_its_scope():
    # given
    everything = PolicyRule(id="all")
    scoped = PolicyRule(id="db", tags=("db",), check_ids=("pg",))
    # then
    assert policy_covers(everything, "web", [], [])
    assert policy_covers(scoped, "web", ["db"], [])
    assert policy_covers(scoped, "web", [], ["pg"])
    assert not policy_covers(scoped, "web", ["frontend"], ["http"])


def test_open_notice_waits_for_seconds_then_is_due_once():
    # given
    policy = PolicyRule(id="p", channel_ids=("c",), for_seconds=120)
    # when / then
    assert due_steps(policy, T0, at(119), acknowledged=False, done=set()) == []
    assert keys(due_steps(policy, T0, at(120), acknowledged=False, done=set())) == ["p:open"]
    assert due_steps(policy, T0, at(500), acknowledged=False, done={"p:open"}) == []
    assert next_wakeup(policy, T0, at(10), acknowledged=False, done=set()) == at(120)


def test_reminders_follow_the_open_notice_and_stop_on_acknowledge():
    # given
    policy = PolicyRule(id="p", channel_ids=("c",), for_seconds=60, remind_every_seconds=300)
    # when
    due = due_steps(policy, T0, at(60 + 300), acknowledged=False, done={"p:open"})
    acked = due_steps(policy, T0, at(60 + 300), acknowledged=True, done={"p:open"})
    # then
    assert keys(due) == ["p:remind:1"]
    assert acked == []
    assert next_wakeup(policy, T0, at(61), acknowledged=False, done={"p:open"}) == at(360)
    assert next_wakeup(policy, T0, at(61), acknowledged=True, done={"p:open"}) is None


def test_a_late_wakeup_sends_the_latest_reminder_only():
    # given
    policy = PolicyRule(id="p", channel_ids=("c",), remind_every_seconds=60)
    # when
    due = due_steps(policy, T0, at(60 * 5 + 1), acknowledged=False, done={"p:open", "p:remind:1"})
    # then
    assert keys(due) == ["p:remind:5"]


def test_escalation_goes_to_its_own_channels_after_its_time_unless_acknowledged():
    # given
    policy = PolicyRule(id="p", channel_ids=("chat",), escalations=((900, ("pager",)),))
    # when
    before = due_steps(policy, T0, at(899), acknowledged=False, done={"p:open"})
    after = due_steps(policy, T0, at(900), acknowledged=False, done={"p:open"})
    # then
    assert before == []
    assert [(s.key, s.channel_ids) for s in after] == [("p:escalate:1", ("pager",))]
    assert due_steps(policy, T0, at(900), acknowledged=True, done={"p:open"}) == []
    assert next_wakeup(policy, T0, at(1), acknowledged=False, done={"p:open"}) == at(900)


def test_a_held_back_open_notice_is_looked_at_again_soon():
    # given
    policy = PolicyRule(id="p", channel_ids=("c",))
    # when
    wake = next_wakeup(policy, T0, at(5), acknowledged=False, done=set())
    # then
    assert wake == at(65)


def test_more_than_five_transitions_in_ten_minutes_is_flapping_and_settles_after_a_quiet_window():
    # given
    five = [format_timestamp(at(60 * i)) for i in range(5)]
    six = [*five, format_timestamp(at(300))]
    # then
    assert not is_flapping(five, at(300), threshold=5, window_seconds=600)
    assert is_flapping(six, at(300), threshold=5, window_seconds=600)
    assert not is_flapping(six, at(60 * 11), threshold=5, window_seconds=600)
    assert settles_at(six, 600) == at(900)


def test_only_unhealthy_dependencies_hold_a_dependent_back():
    # then
    assert blocking_dependencies(["db", "cache"], {"db": "unhealthy", "cache": "degraded"}) == ["db"]
    assert blocking_dependencies(["db"], {"db": "healthy"}) == []


def test_suppressing_maintenance_covers_its_window_only():
    # given
    windows = [
        MaintenanceItem(
            id="m1",
            system_id="web",
            title="upgrade",
            suppress_notifications=True,
            starts_at="2026-01-05T12:00:00.000Z",
            ends_at="2026-01-05T13:00:00.000Z",
            created_at="2026-01-05T11:00:00.000Z",
        )
    ]
    # then
    assert in_suppressing_maintenance(windows, "2026-01-05T12:30:00.000Z")
    assert not in_suppressing_maintenance(windows, "2026-01-05T13:00:00.000Z")
    assert not in_suppressing_maintenance(
        [windows[0].model_copy(update={"suppress_notifications": False})], "2026-01-05T12:30:00.000Z"
    )


def test_back_off_doubles_up_to_its_cap():
    # then
    assert [retry_delay_seconds(n) for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert retry_delay_seconds(30) == 900
