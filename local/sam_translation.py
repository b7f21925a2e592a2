"""template.yaml through the SAM translator, offline: the transform CloudFormation runs on deploy."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "template.yaml"
# The translator takes a few seconds; its output is kept per template text and parameters.
TRANSLATION_CACHE = Path(__file__).resolve().parent.parent / ".local" / "translated"
# The translator checks that code lives in S3; locally the code is the repository.
_PLACEHOLDER_CODE = "s3://local/code.zip"


def load_template_document(path: Path = TEMPLATE_PATH) -> dict:
    """The template as the SAM translator reads it (short tags such as `!Ref` in their long form)."""
    from samtranslator.yaml_helper import yaml_parse

    return yaml_parse(path.read_text(encoding="utf-8"))


def translate(document: dict, parameters: Mapping[str, str], region: str = "us-east-1") -> dict:
    """The CloudFormation the SAM transform makes of `document`, offline (no managed policy lookups)."""
    import boto3
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    document = copy.deepcopy(document)
    document.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    for resource in document.get("Resources", {}).values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = _PLACEHOLDER_CODE
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource.setdefault("Properties", {})["ContentUri"] = _PLACEHOLDER_CODE
    translator = Translator({}, Parser(), boto_session=boto3.session.Session(region_name=region))
    return translator.translate(document, dict(parameters), get_managed_policy_map=lambda: {})


def cached_translation(document: dict, parameters: Mapping[str, str]) -> dict:
    from samtranslator import __version__ as translator_version

    text = json.dumps([document, dict(parameters), translator_version], sort_keys=True, default=str)
    cached = TRANSLATION_CACHE / f"{hashlib.sha256(text.encode()).hexdigest()[:32]}.json"
    try:
        return json.loads(cached.read_text("utf-8"))
    except (OSError, ValueError):
        pass
    translated = translate(document, parameters)
    try:
        TRANSLATION_CACHE.mkdir(parents=True, exist_ok=True)
        temporary = cached.with_suffix(f".{id(translated)}.tmp")
        temporary.write_text(json.dumps(translated), "utf-8")
        temporary.replace(cached)
    except OSError:
        pass  # a read-only checkout translates at every start
    return translated
