"""`sam build` of template.yaml for this machine: a copy on its architecture and Python, built offline
from a wheelhouse that is downloaded once and kept, with SAM's dependency cache kept beside it."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from local.template import load_template_document

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_FILE = REPO_ROOT / "template.yaml"
LAYER_REQUIREMENTS = REPO_ROOT / "layers" / "dependencies" / "requirements.txt"
# Under .venv: `make clean` forgets it, and each worktree has its own.
CACHE_ROOT = REPO_ROOT / ".venv" / "cache" / "sam-contract"
LOCAL_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
LOCAL_ARCHITECTURE = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
SAM_BUILD_TIMEOUT_SECONDS = 300


def local_template() -> dict:
    """template.yaml with every function and layer on this machine's architecture and Python."""
    document = load_template_document(TEMPLATE_FILE)
    function_globals = document["Globals"]["Function"]
    function_globals["Runtime"], function_globals["Architectures"] = LOCAL_RUNTIME, [LOCAL_ARCHITECTURE]
    for resource in document["Resources"].values():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function":
            properties.pop("Runtime", None)
            properties.pop("Architectures", None)
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            properties["CompatibleRuntimes"] = [LOCAL_RUNTIME]
            properties["CompatibleArchitectures"] = [LOCAL_ARCHITECTURE]
            resource["Metadata"] = {"BuildMethod": LOCAL_RUNTIME, "BuildArchitecture": LOCAL_ARCHITECTURE}
    return document


def wheelhouse() -> Path:
    """Every wheel the layer needs, for this machine and for Lambda's manylinux tags, downloaded once."""
    requirements = LAYER_REQUIREMENTS.read_bytes()
    key = hashlib.sha256(requirements + f"{LOCAL_RUNTIME} {LOCAL_ARCHITECTURE}".encode()).hexdigest()[:16]
    directory = CACHE_ROOT / f"wheelhouse-{key}"
    complete = directory / ".complete"
    if complete.exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    download = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "-q",
        "-r",
        str(LAYER_REQUIREMENTS),
        "-d",
        str(directory),
    ]
    platforms = [argument for platform in _lambda_platforms() for argument in ("--platform", platform)]
    abi = f"cp{sys.version_info.major}{sys.version_info.minor}"
    _run(download)
    _run([*download, "--only-binary=:all:", *platforms, "--implementation", "cp", "--abi", abi])
    complete.touch()
    return directory


def _lambda_platforms() -> list[str]:
    """The manylinux tags the SAM builder accepts for this runtime (it re-downloads wheels outside them)."""
    from aws_lambda_builders.workflows.python_pip.packager import DependencyBuilder
    from aws_lambda_builders.workflows.python_pip.utils import OSUtils

    # Only its platform table is read, so it needs no pip runner of its own.
    builder = DependencyBuilder(
        OSUtils(), LOCAL_RUNTIME, sys.executable, pip_runner=object(), architecture=LOCAL_ARCHITECTURE
    )
    return builder.compatible_platforms


def sam_build(build_dir: Path) -> subprocess.CompletedProcess:
    """Build the local copy of the template into build_dir with no network (pip reads the wheelhouse)."""
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    template_copy = CACHE_ROOT / "template.json"
    template_copy.write_text(json.dumps(local_template(), indent=1), encoding="utf-8")
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse()),
    }
    command = [
        str(Path(sys.executable).parent / "sam"),
        "build",
        "--template-file", str(template_copy),
        "--base-dir", str(REPO_ROOT),
        "--build-dir", str(build_dir),
        # SAM keeps its dependency cache (.aws-sam/deps) relative to the working directory (CACHE_ROOT).
        "--cached",
        "--cache-dir", str(CACHE_ROOT / "sam-cache"),
    ]  # fmt: skip
    # SAM reads and writes build.toml (what each cached build was made from) beside the build directory.
    kept_build_definitions, build_definitions = CACHE_ROOT / "build.toml", build_dir.parent / "build.toml"
    if kept_build_definitions.exists():
        shutil.copyfile(kept_build_definitions, build_definitions)
    completed = subprocess.run(
        command,
        cwd=CACHE_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=SAM_BUILD_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode == 0 and build_definitions.exists():
        shutil.copyfile(build_definitions, kept_build_definitions)
    return completed


def _run(command: list[str]) -> None:
    completed = subprocess.run(command, capture_output=True, text=True, timeout=SAM_BUILD_TIMEOUT_SECONDS)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-4000:]}")
