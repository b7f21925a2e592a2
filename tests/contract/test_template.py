"""template.yaml is deployable, least-privilege, and says what API.md and ARCHITECTURE.md say."""

import copy
import importlib
import json
import tomllib
from pathlib import Path

import pytest

from local.template import ResourceReferences, Template, load_template_document
from shared.settings import Settings

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FILE = REPO_ROOT / "template.yaml"

READS, MUTATIONS, SATELLITE = "ApiReadsFunction", "ApiMutationsFunction", "SatelliteIngestFunction"
PAGES, PING = "StatusPagesFunction", "PingFunction"
# API.md's routes and the function ARCHITECTURE.md gives each; kept here so the test needs no ../shared.
EXPECTED_ROUTES = {
    "POST /api-keys": MUTATIONS,
    "GET /api-keys": READS,
    "DELETE /api-keys/{id}": MUTATIONS,
    "GET /systems": READS,
    "POST /systems": MUTATIONS,
    "GET /systems/{systemId}": READS,
    "PATCH /systems/{systemId}": MUTATIONS,
    "DELETE /systems/{systemId}": MUTATIONS,
    "GET /strategies": READS,
    "GET /configurations": READS,
    "POST /configurations": MUTATIONS,
    "GET /configurations/{configurationId}": READS,
    "PATCH /configurations/{configurationId}": MUTATIONS,
    "DELETE /configurations/{configurationId}": MUTATIONS,
    "POST /configurations/{configurationId}/pause": MUTATIONS,
    "POST /configurations/{configurationId}/resume": MUTATIONS,
    "GET /systems/{systemId}/checks": READS,
    "PUT /systems/{systemId}/checks/{configurationId}": MUTATIONS,
    "DELETE /systems/{systemId}/checks/{configurationId}": MUTATIONS,
    "POST /systems/{systemId}/checks/{configurationId}/run": MUTATIONS,
    "GET /systems/{systemId}/health": READS,
    "POST /health/batch": READS,
    "GET /systems/{systemId}/checks/{configurationId}/runs": READS,
    "GET /systems/{systemId}/checks/{configurationId}/history": READS,
    "GET /systems/{systemId}/transitions": READS,
    "GET /systems/{systemId}/availability": READS,
    "GET /systems/{systemId}/sla": READS,
    "GET /systems/{systemId}/maintenances": READS,
    "POST /systems/{systemId}/maintenances": MUTATIONS,
    "DELETE /systems/{systemId}/maintenances/{maintenanceId}": MUTATIONS,
    "GET /satellites": READS,
    "POST /satellites": MUTATIONS,
    "POST /satellites/{satelliteId}/rotate-token": MUTATIONS,
    "DELETE /satellites/{satelliteId}": MUTATIONS,
    "GET /analysis/runs": READS,
    "GET /openapi.json": READS,
    "GET /docs": READS,
    "ANY /{proxy+}": READS,
    "GET /satellite/assignments": SATELLITE,
    "POST /satellite/results": SATELLITE,
    "POST /satellite/heartbeat": SATELLITE,
    "GET /channels": READS,
    "GET /channels/{channelId}": READS,
    "GET /alert-policies": READS,
    "GET /alert-policies/{policyId}": READS,
    "GET /incidents": READS,
    "GET /incidents/{incidentId}": READS,
    "GET /incidents/{incidentId}/deliveries": READS,
    "POST /channels": MUTATIONS,
    "PATCH /channels/{channelId}": MUTATIONS,
    "DELETE /channels/{channelId}": MUTATIONS,
    "POST /channels/{channelId}/test": MUTATIONS,
    "POST /alert-policies": MUTATIONS,
    "PATCH /alert-policies/{policyId}": MUTATIONS,
    "DELETE /alert-policies/{policyId}": MUTATIONS,
    "POST /incidents/{incidentId}/acknowledge": MUTATIONS,
    "GET /status-pages": READS,
    "GET /status-pages/{slug}": READS,
    "POST /status-pages": MUTATIONS,
    "PATCH /status-pages/{slug}": MUTATIONS,
    "DELETE /status-pages/{slug}": MUTATIONS,
    "POST /systems/{systemId}/checks/{configurationId}/ping-token": MUTATIONS,
    "GET /status/{slug}": PAGES,
    "GET /status-assets/{name}": PAGES,
    "GET /badges/{systemId}/status.svg": PAGES,
    "GET /badges/{systemId}/uptime.svg": PAGES,
    "GET /badges/{systemId}/latency.svg": PAGES,
    "GET /ui": PAGES,
    "GET /ping/{token}": PING,
    "POST /ping/{token}": PING,
    "GET /ping/{token}/{suffix}": PING,
    "POST /ping/{token}/{suffix}": PING,
}
EXPECTED_FUNCTIONS = {
    READS,
    MUTATIONS,
    SATELLITE,
    PAGES,
    PING,
    "SchedulerFunction",
    "SchedulerShardFunction",
    "SatelliteSweepFunction",
    "ExecutorFunction",
    "RetentionFunction",
    "NotifierFunction",
}

ELASTICACHE_PARAMETERS = {
    "EnableElastiCache": "true",
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetIds": "subnet-0123456789abcdef0,subnet-0fedcba9876543210",
}


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load(TEMPLATE_FILE)


@pytest.fixture(scope="module")
def transformed() -> dict:
    """The CloudFormation that the SAM transform makes of template.yaml, offline."""
    from samtranslator.translator.transform import transform

    document = load_template_document(TEMPLATE_FILE)
    document["Globals"]["Function"]["CodeUri"] = "s3://artifacts/healthcheck.zip"
    for resource in document["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function" and "CodeUri" in resource["Properties"]:
            resource["Properties"]["CodeUri"] = "s3://artifacts/healthcheck.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://artifacts/dependencies.zip"
    return transform(copy.deepcopy(document), {}, _OfflineManagedPolicies())


class _OfflineManagedPolicies:
    """SAM asks IAM for managed policy ARNs; these are the ones it may attach here."""

    def load(self) -> dict[str, str]:
        names = (
            "service-role/AWSLambdaBasicExecutionRole",
            "service-role/AWSLambdaSQSQueueExecutionRole",
            "service-role/AWSLambdaVPCAccessExecutionRole",
            "AWSXrayWriteOnlyAccess",
        )
        return {name.rpartition("/")[2]: f"arn:aws:iam::aws:policy/{name}" for name in names}


def _resources_of_type(cloudformation: dict, resource_type: str) -> dict[str, dict]:
    return {
        logical_id: resource
        for logical_id, resource in cloudformation["Resources"].items()
        if resource["Type"] == resource_type
    }


def _actions_by_role(cloudformation: dict) -> dict[str, set[str]]:
    """Every IAM action a role may be granted, counting both branches of a condition."""

    def collect(node, into: set[str]) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "Action":
                    into.update([value] if isinstance(value, str) else value)
                else:
                    collect(value, into)
        elif isinstance(node, list):
            for item in node:
                collect(item, into)

    actions: dict[str, set[str]] = {}
    for logical_id, role in _resources_of_type(cloudformation, "AWS::IAM::Role").items():
        actions[logical_id] = set()
        collect(role["Properties"].get("Policies", []), actions[logical_id])
    return actions


def test_cfn_lint_reports_nothing_at_all():
    from cfnlint.api import lint_file

    # given the template as committed
    # when cfn-lint checks it (with the SAM transform it runs itself), as `sam validate --lint` does
    findings = lint_file(TEMPLATE_FILE)
    # then there is no match, warnings included
    assert [str(finding) for finding in findings] == []


def test_sam_transform_produces_every_function_schedule_and_queue_mapping(transformed):
    # given the transformed template
    # when we count what it deploys
    functions = _resources_of_type(transformed, "AWS::Lambda::Function")
    schedules = _resources_of_type(transformed, "AWS::Scheduler::Schedule")
    mappings = _resources_of_type(transformed, "AWS::Lambda::EventSourceMapping")
    # then every function, the three schedules and the queue mappings are there
    assert set(functions) == EXPECTED_FUNCTIONS
    assert len(schedules) == 3
    assert all("Name" not in schedule["Properties"] for schedule in schedules.values())
    by_function = {m["Properties"]["FunctionName"]["Ref"]: m["Properties"] for m in mappings.values()}
    assert set(by_function) == {
        "ExecutorFunction",
        "SchedulerShardFunction",
        "NotifierFunction",
        "RetentionFunction",
    }
    for queue_consumer in ("ExecutorFunction", "NotifierFunction"):
        assert by_function[queue_consumer]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert by_function[queue_consumer]["BatchSize"] == 10
    # one shard per worker, and every shard of a tick at once
    assert by_function["SchedulerShardFunction"]["BatchSize"] == 1
    assert by_function["SchedulerShardFunction"]["ScalingConfig"]["MaximumConcurrency"] == 64
    # a retention continuation is one invocation; the checkpoint lets only one of two go on
    assert by_function["RetentionFunction"]["BatchSize"] == 1
    assert by_function["RetentionFunction"]["ScalingConfig"]["MaximumConcurrency"] == 2


def test_every_function_is_python312_on_arm64_with_json_logs(transformed):
    # given the functions as deployed
    functions = _resources_of_type(transformed, "AWS::Lambda::Function")
    # then each one runs the same runtime, architecture and log format
    for logical_id, function in functions.items():
        properties = function["Properties"]
        assert properties["Runtime"] == "python3.12", logical_id
        assert properties["Architectures"] == ["arm64"], logical_id
        assert properties["LoggingConfig"]["LogFormat"] == "JSON", logical_id


def test_every_api_route_is_declared_once_on_the_function_that_owns_it(template):
    # given the HTTP routes of the template
    route_keys = [route.route_key for route in template.http_routes]
    # then no route is declared twice, and each maps where ARCHITECTURE.md says
    assert len(route_keys) == len(set(route_keys))
    assert {route.route_key: route.function for route in template.http_routes} == EXPECTED_ROUTES


def test_http_api_deploys_every_route(transformed):
    # given the OpenAPI body SAM generates for the HTTP API
    (http_api,) = _resources_of_type(transformed, "AWS::ApiGatewayV2::Api").values()
    paths = http_api["Properties"]["Body"]["paths"]
    # when we list its operations
    deployed = {
        f"{'ANY' if method == 'x-amazon-apigateway-any-method' else method.upper()} {path}"
        for path, operations in paths.items()
        for method in operations
    }
    # then they are exactly API.md's routes
    assert deployed == set(EXPECTED_ROUTES)


@pytest.mark.parametrize("logical_id", sorted(EXPECTED_FUNCTIONS))
def test_every_handler_in_the_template_imports(template, logical_id):
    # given a function's handler as the template names it
    function = template.function(logical_id)
    # when it is imported the way the Lambda runtime imports it (src/ is the root)
    handler = getattr(importlib.import_module(function.module_name), function.handler_attribute)
    # then it is a callable
    assert callable(handler)


def test_every_setting_the_code_reads_is_declared_for_every_function(template):
    # given the variables shared.settings reads
    aliases = {field.alias for field in Settings.model_fields.values()}
    # then each function declares them (only declared variables reach a function under sam local)
    for function in template.functions.values():
        missing = aliases - set(function.environment)
        assert missing == set(), function.logical_id
        assert {"POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"} <= set(
            function.environment
        )


def test_only_the_scheduler_and_the_mutations_may_enqueue_and_only_recorders_publish(transformed):
    # given every action each role may be granted
    actions = _actions_by_role(transformed)
    # then SQS sends and event publishing are limited to the functions that need them
    senders = {
        role for role, granted in actions.items() if any(a.startswith("sqs:SendMessage") for a in granted)
    }
    publishers = {role for role, granted in actions.items() if "events:PutEvents" in granted}
    assert senders == {
        "SchedulerFunctionRole",
        "SchedulerShardFunctionRole",
        "ApiMutationsFunctionRole",
        "NotifierFunctionRole",
        "AlertSchedulerRole",
        "RetentionFunctionRole",  # its own continuation queue
    }
    assert publishers == {
        "ApiMutationsFunctionRole",
        "ExecutorFunctionRole",
        "SatelliteIngestFunctionRole",
        "SatelliteSweepFunctionRole",
        "RetentionFunctionRole",
        "PingFunctionRole",
    }


def test_only_writers_seal_and_only_probes_unseal_secret_config_fields(transformed):
    # given every action each role may be granted
    actions = _actions_by_role(transformed)
    # then the mutations seal under a KMS data key; only the executor and satellite pulls (check
    # secrets), the notifier and a channel test (channel secrets) decrypt
    sealers = {role for role, granted in actions.items() if "kms:GenerateDataKey" in granted}
    unsealers = {role for role, granted in actions.items() if "kms:Decrypt" in granted}
    assert sealers == {"ApiMutationsFunctionRole"}
    assert unsealers == {
        "ExecutorFunctionRole",
        "SatelliteIngestFunctionRole",
        "NotifierFunctionRole",
        "ApiMutationsFunctionRole",
    }
    environment = transformed["Resources"]["ExecutorFunction"]["Properties"]["Environment"]["Variables"]
    assert environment["HC_SECRETS_KMS_KEY_ID"] == {"Ref": "SecretsKey"}


def test_reads_cannot_write_the_main_table(transformed):
    # given the reads role
    reads_policies = transformed["Resources"]["ApiReadsFunctionRole"]["Properties"]["Policies"]
    # when we keep the statements on the main table
    main_table_statements = [
        statement
        for policy in reads_policies
        if "PolicyDocument" in policy
        for statement in policy["PolicyDocument"]["Statement"]
        if '"HealthcheckTable"' in json.dumps(statement["Resource"])
    ]
    # then they only read
    granted = {action for statement in main_table_statements for action in statement["Action"]}
    assert granted
    assert not {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"} & granted


def test_checks_queue_outlasts_the_executor_and_redrives_to_the_dead_letter_queue(template):
    # given the executor and its queue
    executor = template.function("ExecutorFunction")
    checks_queue = template.resources_of_type("AWS::SQS::Queue")["ChecksQueue"]
    # then a batch in flight is never redelivered, and poison messages leave after five tries
    assert checks_queue["VisibilityTimeout"] >= 6 * executor.timeout_seconds
    assert checks_queue["RedrivePolicy"]["maxReceiveCount"] == 5
    assert checks_queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["ChecksDeadLetterQueue", "Arn"]
    }


def test_main_table_has_the_keys_and_indexes_the_repository_uses(template):
    # given the main table
    table = template.resources_of_type("AWS::DynamoDB::Table")["HealthcheckTable"]
    document = load_template_document(TEMPLATE_FILE)["Resources"]["HealthcheckTable"]
    # then its layout and protections are as designed
    assert table["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    assert indexes["ByType"]["Projection"] == {"ProjectionType": "ALL"}
    assert indexes["ByNextDue"]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert [key["AttributeName"] for key in indexes["ByNextDue"]["KeySchema"]] == ["dueShard", "nextDueAt"]
    assert {"AttributeName": "nextDueAt", "AttributeType": "N"} in table["AttributeDefinitions"]
    # the scheduler's shards carry what planning needs, so a tick reads nothing else per check
    assert [key["AttributeName"] for key in indexes["ByShard"]["KeySchema"]] == ["dueShard", "gsi1sk"]
    assert indexes["ByShard"]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["intervalSeconds", "strategyId", "scheduledSince"],
    }
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert document["DeletionPolicy"] == document["UpdateReplacePolicy"] == "Retain"


def test_elasticache_switches_the_cache_backend_and_drops_the_cache_table():
    # given the template with ElastiCache enabled
    template = Template.load(TEMPLATE_FILE, parameter_overrides=ELASTICACHE_PARAMETERS)
    references = ResourceReferences(
        refs={
            "HealthcheckTable": "t",
            "ChecksQueue": "q",
            "SchedulerQueue": "s",
            "RetentionContinuationQueue": "r",
            "HealthcheckEventBus": "b",
            "SecretsKey": "key-id",
            "NotificationsQueue": "n",
            "AlertScheduleGroup": "g",
        },
        attributes={
            ("NotificationsQueue", "Arn"): "arn:n",
            ("AlertSchedulerRole", "Arn"): "arn:r",
            ("StatusCache", "Endpoint.Address"): "cache.example",
            ("StatusCache", "Endpoint.Port"): "6379",
        },
    )
    # when the executor's environment is resolved
    environment = template.function_environment(template.function("ExecutorFunction"), references)
    # then it talks TLS to the cache, and no cache table exists
    assert environment["CACHE_BACKEND"] == "redis"
    assert environment["REDIS_URL"] == "rediss://cache.example:6379"
    assert environment["CACHE_TABLE_NAME"] == ""
    assert "CacheTable" not in template.resources_of_type("AWS::DynamoDB::Table")
    assert "StatusCache" in template.resources_of_type("AWS::ElastiCache::ServerlessCache")


def test_without_elasticache_no_function_is_placed_in_a_vpc(transformed):
    # given the deployed functions
    functions = _resources_of_type(transformed, "AWS::Lambda::Function")
    # then VPC placement exists only behind the ElastiCache condition
    for logical_id, function in functions.items():
        vpc_config = function["Properties"].get("VpcConfig")
        if vpc_config is not None:
            assert vpc_config["Fn::If"][0] == "UseElastiCache", logical_id
            assert vpc_config["Fn::If"][2] == {"Ref": "AWS::NoValue"}, logical_id


def test_samconfig_deploys_dev_by_default_and_prod_on_request():
    # given samconfig.toml
    with open(REPO_ROOT / "samconfig.toml", "rb") as samconfig_file:
        samconfig = tomllib.load(samconfig_file)
    # then the SAM CLI can read it and both environments are there
    assert samconfig["version"] == 0.1
    assert samconfig["default"]["global"]["parameters"]["stack_name"]
    default_deploy = samconfig["default"]["deploy"]["parameters"]
    assert default_deploy["resolve_s3"] is True
    assert "CAPABILITY_IAM" in default_deploy["capabilities"]
    assert "Stage=prod" in samconfig["prod"]["deploy"]["parameters"]["parameter_overrides"]
