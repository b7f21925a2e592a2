"""What `sam build` makes of template.yaml runs: every function's handler imports from its built artifact
and the dependencies layer alone, in an isolated interpreter, and answers one of its events/ against moto.

The build is the template on this machine's architecture and Python (tests/contract/sam_build.py),
offline from a wheelhouse downloaded once; the first run takes about a minute more than later ones.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from local.emulation_setup import start_emulation
from local.invoke import LOCAL_ADMIN_API_KEY, LocalInvokeSettings
from local.template import Template
from tests.contract.sam_build import LAYER_REQUIREMENTS, REPO_ROOT, SAM_BUILD_TIMEOUT_SECONDS, sam_build

# The first test also waits for the build: two pip downloads and `sam build`, each bounded, when cold.
pytestmark = pytest.mark.timeout(3 * SAM_BUILD_TIMEOUT_SECONDS)

ISOLATED_INVOKE = Path(__file__).with_name("isolated_invoke.py")
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024
# One event per function; a function added to the template needs one here.
FUNCTION_EVENTS = {
    "ApiReadsFunction": "api-health-batch.json",
    "ApiMutationsFunction": "api-create-system.json",
    "SatelliteIngestFunction": "satellite-assignments.json",
    "SchedulerFunction": "scheduler-tick.json",
    "SchedulerShardFunction": "scheduler-shard-sqs.json",
    "SatelliteSweepFunction": "satellite-sweep-scheduled.json",
    "ExecutorFunction": "executor-sqs-batch.json",
    # Its hourly schedule and its continuation queue.
    "RetentionFunction": ("retention-daily.json", "retention-continuation-sqs.json"),
    "NotifierFunction": "notifier-sqs-transition.json",
    "StatusPagesFunction": "status-page-get.json",
    "PingFunction": "ping-success.json",
}


@pytest.fixture(scope="module")
def template() -> Template:
    return Template.load()


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    build_dir = tmp_path_factory.mktemp("sam") / "build"
    completed = sam_build(build_dir)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return build_dir


@pytest.fixture(scope="module")
def emulation(template):
    emulation = start_emulation(template, LocalInvokeSettings())
    yield emulation
    emulation.stop()


def _layer_dirs(build_dir: Path) -> list[Path]:
    return [layer / "python" for layer in sorted(build_dir.iterdir()) if (layer / "python").is_dir()]


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def _installed_distributions(layer: Path) -> set[str]:
    return {
        path.name.split("-")[0].lower().replace("_", "-")
        for path in layer.glob("*.dist-info")
        if path.is_dir()
    }


def _normalized_name(requirement: str) -> str:
    return (
        requirement.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip().lower().replace("_", "-")
    )


def test_every_function_has_an_event_for_the_artifact_test(template):
    assert set(FUNCTION_EVENTS) == set(template.functions)


def test_the_layer_holds_every_runtime_dependency_and_no_development_one(build_dir):
    # given pyproject.toml's runtime and development requirements
    with open(REPO_ROOT / "pyproject.toml", "rb") as pyproject_file:
        project = tomllib.load(pyproject_file)["project"]
    runtime = {_normalized_name(requirement) for requirement in project["dependencies"]}
    development_only = {
        _normalized_name(requirement) for requirement in project["optional-dependencies"]["dev"]
    } - runtime
    # when we list what the build installed in the layer
    (layer,) = _layer_dirs(build_dir)
    installed = _installed_distributions(layer)
    # then every runtime requirement is there, no development one is, and nothing sits in the functions
    assert runtime - installed == set()
    assert development_only & installed == set()
    for function_name in FUNCTION_EVENTS:
        assert not list((build_dir / function_name).glob("*.dist-info")), function_name


def test_each_function_with_its_layer_fits_lambdas_unzipped_limit(build_dir):
    # given the built layer and functions
    layer_bytes = sum(_size(layer) for layer in _layer_dirs(build_dir))
    # then each function with the layer stays well under 250 MB unzipped
    for function_name in FUNCTION_EVENTS:
        function_bytes = _size(build_dir / function_name)
        print(f"{function_name}: {function_bytes / 1e6:.1f} MB + layer {layer_bytes / 1e6:.1f} MB")
        assert function_bytes + layer_bytes < LAMBDA_UNZIPPED_LIMIT_BYTES / 2, function_name


def _function_events() -> list[tuple[str, str]]:
    """(function, event file) for every event source of every function."""
    return [
        (name, event)
        for name, events in sorted(FUNCTION_EVENTS.items())
        for event in ((events,) if isinstance(events, str) else events)
    ]


@pytest.mark.parametrize(("function_name", "event_file"), _function_events())
def test_handler_imports_from_the_artifact_and_answers_its_event(
    function_name, event_file, template, build_dir, emulation, tmp_path
):
    # given the function's built artifact, its layer, the environment the template declares, and moto
    function = template.function(function_name)
    event = json.loads((REPO_ROOT / "events" / event_file).read_text("utf-8"))
    environment = {
        **template.function_environment(function, emulation.references),
        **emulation.aws_environment(),
        "HC_ADMIN_API_KEY": LOCAL_ADMIN_API_KEY,
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "PATH": os.environ.get("PATH", ""),
    }
    request = {
        "function": function_name,
        "handler": function.handler,
        "memory_mb": function.memory_mb,
        "artifact": str(build_dir / function_name),
        "layers": [str(layer) for layer in _layer_dirs(build_dir)],
        "event": event,
        "requirements": LAYER_REQUIREMENTS.read_text("utf-8"),
        "result_file": str(tmp_path / "outcome.json"),
    }
    request_file = tmp_path / "request.json"
    request_file.write_text(json.dumps(request), encoding="utf-8")
    # when an interpreter that sees no site-packages imports and invokes the handler
    completed = subprocess.run(
        [sys.executable, "-I", "-S", str(ISOLATED_INVOKE), str(request_file)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # then it answered, and everything it imported came from the artifact, the layer or the stdlib
    assert completed.returncode == 0, completed.stderr[-3000:]
    outcome = json.loads((tmp_path / "outcome.json").read_text("utf-8"))
    assert "error" not in outcome, outcome["error"]
    assert outcome["modules_from_elsewhere"] == []
    assert outcome["missing_distributions"] == []
    _assert_answer(function_name, event, outcome["result"])
    _assert_alarmed_metrics_are_emitted(
        function_name, template, emulation, _emitted_metrics(completed.stdout)
    )


def _emitted_metrics(stdout: str) -> set[tuple[str, str, tuple]]:
    """(namespace, metric, dimensions) of every metric in the embedded-metric-format lines of stdout."""
    emitted = set()
    for line in stdout.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        for directive in (
            record.get("_aws", {}).get("CloudWatchMetrics", []) if isinstance(record, dict) else ()
        ):
            for dimension_set in directive["Dimensions"]:
                dimensions = tuple(sorted((name, record[name]) for name in dimension_set))
                for metric in directive["Metrics"]:
                    emitted.add((directive["Namespace"], metric["Name"], dimensions))
    return emitted


def _assert_alarmed_metrics_are_emitted(function_name, template, emulation, emitted) -> None:
    """An alarm or dashboard figure on a metric the function emits names it as the code does."""
    expected = {
        "SchedulerFunction": {"SchedulerTickCompleted", "SchedulerLagSeconds"},
        "ApiReadsFunction": {"HealthRead"},
    }.get(function_name, set())
    alarms = template.resources_of_type("AWS::CloudWatch::Alarm").values()
    environment = template.function_environment(template.function(function_name), emulation.references)
    namespace, service = environment["POWERTOOLS_METRICS_NAMESPACE"], environment["POWERTOOLS_SERVICE_NAME"]
    for metric_name in expected:
        assert (namespace, metric_name, (("service", service),)) in emitted, (metric_name, emitted)
    for alarm in alarms:
        if alarm["MetricName"] in expected:
            dimensions = tuple(sorted((d["Name"], d["Value"]) for d in alarm["Dimensions"]))
            resolved_namespace = template.resolve(alarm["Namespace"], emulation.references)
            assert (resolved_namespace, alarm["MetricName"], dimensions) in emitted, alarm


def _assert_answer(function_name: str, event: dict, result: dict) -> None:
    if "routeKey" in event:
        assert 200 <= result["statusCode"] < 500, result
        if function_name == "ApiMutationsFunction":
            assert result["statusCode"] == 201, result
    elif function_name == "SchedulerFunction":
        assert result["shardsDispatched"] == 0  # an empty table: its census finds no occupied shard
    elif function_name == "SchedulerShardFunction":
        assert {"due", "enqueued", "skipped"} <= set(result)
    elif function_name == "ExecutorFunction":
        assert isinstance(result["batchItemFailures"], list)
