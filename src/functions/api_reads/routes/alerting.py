"""Reading alert channels (secrets redacted), policies, incidents with their timeline and deliveries."""

from shared.domain.alerting_models import (
    AlertPolicyPage,
    AlertPolicyView,
    ChannelPage,
    ChannelView,
    DeliveryList,
    DeliveryView,
    IncidentPage,
    IncidentView,
)
from shared.http.answers import answers
from shared.http.app import page_view
from shared.http.auth import READER
from shared.http.params import Cursor, Limit, ResourceId
from shared.http.routes import GuardedRouter
from shared.services.alerting import channels, delivery, incidents, policies
from shared.services.alerting.context import default_alerting as alerting

router = GuardedRouter()


@router.get("/channels", middlewares=READER, responses=answers(200, ChannelPage))
def list_channels(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(channels.list_channels(alerting(), limit=limit, cursor=cursor))


@router.get("/channels/<channelId>", middlewares=READER, responses=answers(200, ChannelView))
def get_channel(channelId: ResourceId) -> dict:
    return channels.get_channel(alerting(), channelId).to_wire()


@router.get("/alert-policies", middlewares=READER, responses=answers(200, AlertPolicyPage))
def list_alert_policies(limit: Limit = 100, cursor: Cursor = None) -> dict:
    return page_view(policies.list_policies(alerting(), limit=limit, cursor=cursor))


@router.get("/alert-policies/<policyId>", middlewares=READER, responses=answers(200, AlertPolicyView))
def get_alert_policy(policyId: ResourceId) -> dict:
    return policies.get_policy(alerting(), policyId).to_wire()


@router.get("/incidents", middlewares=READER, responses=answers(200, IncidentPage))
def list_incidents(limit: Limit = 100, cursor: Cursor = None) -> dict:
    page = incidents.list_incidents(alerting(), limit=limit, cursor=cursor)
    return page_view(
        {"items": [IncidentView.model_validate(i) for i in page.items], "next_cursor": page.next_cursor}
    )


@router.get("/incidents/<incidentId>", middlewares=READER, responses=answers(200, IncidentView))
def get_incident(incidentId: ResourceId) -> dict:
    return IncidentView.model_validate(incidents.incident_detail(alerting(), incidentId)).to_wire()


@router.get("/incidents/<incidentId>/deliveries", middlewares=READER, responses=answers(200, DeliveryList))
def list_deliveries(incidentId: ResourceId) -> dict:
    items = delivery.deliveries_of(alerting(), incidentId)
    return {"items": [DeliveryView.model_validate(d).to_wire() for d in items], "nextCursor": None}
