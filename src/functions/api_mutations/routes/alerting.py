"""Changing alert channels and policies, testing a channel, acknowledging an incident."""

from aws_lambda_powertools.event_handler import Response

from shared.domain.alerting_models import (
    AlertPolicyCreate,
    AlertPolicyPatch,
    AlertPolicyView,
    ChannelCreate,
    ChannelCreated,
    ChannelPatch,
    ChannelTestResult,
    ChannelView,
    IncidentView,
)
from shared.http.answers import WRITE_ERRORS, answers
from shared.http.app import if_match, json_response, no_content
from shared.http.auth import MANAGER
from shared.http.params import ResourceId
from shared.http.routes import GuardedRouter
from shared.services.alerting import channels, incidents, policies
from shared.services.alerting.context import default_alerting as alerting
from shared.services.context import default_collaborators

router = GuardedRouter()


@router.post("/channels", middlewares=MANAGER, responses=answers(201, ChannelCreated, errors=WRITE_ERRORS))
def create_channel(request: ChannelCreate) -> Response[dict]:
    return json_response(channels.create_channel(alerting(), request), 201)


@router.patch(
    "/channels/<channelId>", middlewares=MANAGER, responses=answers(200, ChannelView, errors=WRITE_ERRORS)
)
def patch_channel(channelId: ResourceId, request: ChannelPatch) -> dict:
    return channels.update_channel(
        alerting(), channelId, request, expected_version=if_match(router)
    ).to_wire()


@router.delete("/channels/<channelId>", middlewares=MANAGER, responses=answers(204, errors=WRITE_ERRORS))
def delete_channel(channelId: ResourceId) -> Response[None]:
    channels.delete_channel(alerting(), channelId)
    return no_content()


@router.post(
    "/channels/<channelId>/test",
    middlewares=MANAGER,
    responses=answers(200, ChannelTestResult, errors=WRITE_ERRORS),
)
def test_channel(channelId: ResourceId) -> dict:
    return channels.test_channel(alerting(), channelId).to_wire()


@router.post(
    "/alert-policies", middlewares=MANAGER, responses=answers(201, AlertPolicyView, errors=WRITE_ERRORS)
)
def create_alert_policy(request: AlertPolicyCreate) -> Response[dict]:
    return json_response(policies.create_policy(alerting(), request), 201)


@router.patch(
    "/alert-policies/<policyId>",
    middlewares=MANAGER,
    responses=answers(200, AlertPolicyView, errors=WRITE_ERRORS),
)
def patch_alert_policy(policyId: ResourceId, request: AlertPolicyPatch) -> dict:
    return policies.update_policy(alerting(), policyId, request, expected_version=if_match(router)).to_wire()


@router.delete("/alert-policies/<policyId>", middlewares=MANAGER, responses=answers(204, errors=WRITE_ERRORS))
def delete_alert_policy(policyId: ResourceId) -> Response[None]:
    policies.delete_policy(alerting(), policyId)
    return no_content()


@router.post(
    "/incidents/<incidentId>/acknowledge",
    middlewares=MANAGER,
    responses=answers(200, IncidentView, errors=WRITE_ERRORS),
)
def acknowledge_incident(incidentId: ResourceId) -> dict:
    principal = router.context["principal"]
    by = incidents.actor_name(default_collaborators(), principal)
    incidents.acknowledge(alerting(), incidentId, by=by)
    return IncidentView.model_validate(incidents.incident_detail(alerting(), incidentId)).to_wire()
