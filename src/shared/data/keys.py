"""Every key format of the single table lives here, built by small named functions.

Partitions:
  SYSTEM#<id>           META, STATE (the precomputed SystemHealth, rewritten only when it changes),
                        CHECK#<configurationId>, SLICE#<configurationId> (one check's source slices,
                        written by every run of that check), MAINT#<id>,
                        OUTBOX#<entryId> (events committed with a change, deleted once published),
                        HEARTBEAT#<configurationId> (a heartbeat check's deadline and open start),
                        PUBLICPAGE#<slug> (the system is listed on that public status page: badges)
  PING#<tokenHash>      META (which heartbeat a ping token belongs to)
  STATUSPAGE#<slug>     META (a status page)
  CONFIG#<id>           META, ASSIGN#<systemId> (links for cascades and propagation)
  SATELLITE#<id>        META, ASSIGN#<systemId>#<configurationId>
  APIKEY#<id>           META
  RUNS#<sys>#<cfg>      <filedAt>#<runId> (filedAt: fixed per request, so the item is the run's
                        idempotency marker; the run's own time is its `timestamp`)
  AGG#H#<sys>#<cfg>     <hourStart>#<sourceId>   (AGG#D# for daily)
  TRANS#<sys>           <at>#<stateVersion>
  CTRANS#<sys>#<cfg>    <at>#<checkVersion> (a check's evaluated-status changes, at run time)
  AVAILDAY#<sys>        <YYYY-MM-DD> (seconds per status of the system and its checks on a UTC day)
  TOMBSTONES            SYSTEM#<id>#<deletedAt>, CHECK#<sys>#<cfg>#<deletedAt> (one per deletion of a
                        system or assignment: retention purges the history older than deletedAt)
  RATE#<owner>          <window> (request counter of a satellite, expires)
  SWEEP#<name>          META (checkpoint of a paginated background sweep)
  SCHED#<shard>         META (how far the scheduler planned that shard's runs: plannedThrough)
  CHANNEL#<id>          META (an alert channel; its secrets sealed)
  POLICY#<id>           META (an alert policy)
  ALERT#<systemId>      STATE (recent transitions, flapping, the open incident)
  INCIDENT#<id>         META, TL#<at>#<entryId> (timeline), DLV#<step>#<channelId> (deliveries)
Index ByType (gsi1pk = TYPE#<kind>, gsi1sk = id) lists resources; index ByShard (dueShard, gsi1sk)
holds only assignments the scheduler must run, spread over `due_shard`s, with what planning needs;
index ByNextDue (dueShard, nextDueAt) holds only heartbeat checks' deadlines.
"""

import zlib

from shared.domain.history_items import RunItem
from shared.settings import DEFAULT_DUE_SHARDS

META = "META"
STATE = "STATE"
# Wide enough that one scheduler worker's share of 100,000 checks a minute stays near 1,600.


def _key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def system_key(system_id: str) -> dict:
    return _key(f"SYSTEM#{system_id}", META)


def system_partition(system_id: str) -> str:
    return f"SYSTEM#{system_id}"


def system_state_key(system_id: str) -> dict:
    return _key(f"SYSTEM#{system_id}", STATE)


CHECK_STATE_PREFIX = "SLICE#"


def check_state_key(system_id: str, configuration_id: str) -> dict:
    return _key(f"SYSTEM#{system_id}", f"{CHECK_STATE_PREFIX}{configuration_id}")


def assignment_key(system_id: str, configuration_id: str) -> dict:
    return _key(f"SYSTEM#{system_id}", f"CHECK#{configuration_id}")


def maintenance_key(system_id: str, maintenance_id: str) -> dict:
    return _key(f"SYSTEM#{system_id}", f"MAINT#{maintenance_id}")


def configuration_key(configuration_id: str) -> dict:
    return _key(f"CONFIG#{configuration_id}", META)


def configuration_partition(configuration_id: str) -> str:
    return f"CONFIG#{configuration_id}"


def configuration_link_key(configuration_id: str, system_id: str) -> dict:
    return _key(f"CONFIG#{configuration_id}", f"ASSIGN#{system_id}")


def satellite_key(satellite_id: str) -> dict:
    return _key(f"SATELLITE#{satellite_id}", META)


def satellite_partition(satellite_id: str) -> str:
    return f"SATELLITE#{satellite_id}"


def satellite_link_key(satellite_id: str, system_id: str, configuration_id: str) -> dict:
    return _key(f"SATELLITE#{satellite_id}", f"ASSIGN#{system_id}#{configuration_id}")


def api_key_key(key_id: str) -> dict:
    return _key(f"APIKEY#{key_id}", META)


def runs_partition(system_id: str, configuration_id: str) -> str:
    return f"RUNS#{system_id}#{configuration_id}"


def run_key(system_id: str, configuration_id: str, filed_at: str, run_id: str) -> dict:
    return _key(runs_partition(system_id, configuration_id), f"{filed_at}#{run_id}")


def run_item_key(run: RunItem) -> dict:
    """A stored run's key: filed under `filedAt` when the request fixed one, else its own time."""
    return run_key(run.system_id, run.configuration_id, run.filed_at or run.timestamp, run.run_id)


TIER_CODES = {"hourly": "H", "daily": "D"}


def aggregate_partition(tier: str, system_id: str, configuration_id: str) -> str:
    """`tier` is "hourly" or "daily"; the stored code is one letter."""
    return f"AGG#{TIER_CODES[tier]}#{system_id}#{configuration_id}"


def aggregate_key(tier: str, system_id: str, configuration_id: str, start: str, source_id: str) -> dict:
    return _key(aggregate_partition(tier, system_id, configuration_id), f"{start}#{source_id}")


def transitions_partition(system_id: str) -> str:
    return f"TRANS#{system_id}"


def transition_key(system_id: str, at: str, state_version: int) -> dict:
    return _key(transitions_partition(system_id), f"{at}#{state_version:012d}")


def check_transitions_partition(system_id: str, configuration_id: str) -> str:
    return f"CTRANS#{system_id}#{configuration_id}"


def check_transition_key(system_id: str, configuration_id: str, at: str, check_version: int) -> dict:
    return _key(check_transitions_partition(system_id, configuration_id), f"{at}#{check_version:012d}")


def availability_days_partition(system_id: str) -> str:
    return f"AVAILDAY#{system_id}"


def availability_day_key(system_id: str, day: str) -> dict:
    return _key(availability_days_partition(system_id), day)


OUTBOX_PREFIX = "OUTBOX#"


def outbox_key(system_id: str, entry_id: str) -> dict:
    return _key(f"SYSTEM#{system_id}", f"{OUTBOX_PREFIX}{entry_id}")


def rate_window_key(owner: str, window: str) -> dict:
    return _key(f"RATE#{owner}", window)


def tombstone_key(system_id: str) -> dict:
    return _key("TOMBSTONES", f"SYSTEM#{system_id}")


TOMBSTONES = "TOMBSTONES"


def system_tombstone_key(system_id: str, deleted_at: str) -> dict:
    """One per deletion, so deleting, re-creating and deleting again keeps both records."""
    return _key(TOMBSTONES, f"SYSTEM#{system_id}#{deleted_at}")


def check_tombstone_key(system_id: str, configuration_id: str, deleted_at: str) -> dict:
    return _key(TOMBSTONES, f"CHECK#{system_id}#{configuration_id}#{deleted_at}")


def heartbeat_key(system_id: str, configuration_id: str) -> dict:
    return _key(f"SYSTEM#{system_id}", f"HEARTBEAT#{configuration_id}")


def ping_token_key(token_hash: str) -> dict:
    return _key(f"PING#{token_hash}", META)


def ping_rate_owner(token_hash: str) -> str:
    return f"PING-{token_hash[:32]}"


def status_page_key(slug: str) -> dict:
    return _key(f"STATUSPAGE#{slug}", META)


PUBLIC_PAGE_PREFIX = "PUBLICPAGE#"


def public_page_marker_key(system_id: str, slug: str) -> dict:
    return _key(f"SYSTEM#{system_id}", f"{PUBLIC_PAGE_PREFIX}{slug}")


def type_index(kind: str, resource_id: str) -> dict:
    return {"gsi1pk": {"S": f"TYPE#{kind}"}, "gsi1sk": {"S": resource_id}}


def type_partition(kind: str) -> str:
    return f"TYPE#{kind}"


def due_shard(system_id: str, configuration_id: str, shards: int = DEFAULT_DUE_SHARDS) -> str:
    return f"DUE#{zlib.crc32(f'{system_id}/{configuration_id}'.encode()) % shards}"


def all_due_shards(shards: int = DEFAULT_DUE_SHARDS) -> list[str]:
    return [f"DUE#{n}" for n in range(shards)]


def schedule_checkpoint_key(shard: str) -> dict:
    return _key(f"SCHED#{shard}", META)


def sweep_checkpoint_key(sweep: str) -> dict:
    return _key(f"SWEEP#{sweep}", META)


def channel_key(channel_id: str) -> dict:
    return _key(f"CHANNEL#{channel_id}", META)


def alert_policy_key(policy_id: str) -> dict:
    return _key(f"POLICY#{policy_id}", META)


def alert_state_key(system_id: str) -> dict:
    return _key(f"ALERT#{system_id}", STATE)


def incident_partition(incident_id: str) -> str:
    return f"INCIDENT#{incident_id}"


def incident_key(incident_id: str) -> dict:
    return _key(incident_partition(incident_id), META)


def incident_index(opened_at: str, incident_id: str) -> dict:
    """Incidents are listed newest first: the index sort key starts with the opening time."""
    return type_index("incident", f"{opened_at}#{incident_id}")


TIMELINE_PREFIX = "TL#"
DELIVERY_PREFIX = "DLV#"


def timeline_entry_key(incident_id: str, at: str, entry_id: str) -> dict:
    return _key(incident_partition(incident_id), f"{TIMELINE_PREFIX}{at}#{entry_id}")


def delivery_key(incident_id: str, step: str, channel_id: str) -> dict:
    return _key(incident_partition(incident_id), f"{DELIVERY_PREFIX}{step}#{channel_id}")
