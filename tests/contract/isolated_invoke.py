"""Run as `python -I -S isolated_invoke.py REQUEST_FILE`: import one handler from a built artifact and
its layers only (no site-packages), invoke it once, and write what happened to the request's result file.

Standard library only: nothing but the artifact, the layers and the interpreter's stdlib is importable.
"""

import importlib
import importlib.metadata
import json
import re
import site
import sys
import sysconfig
import traceback

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[([^\]]+)\])?")


class LambdaContext:
    def __init__(self, function_name: str, memory_mb: int):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = "contract-test-request"
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "contract-test"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def missing_distributions(requirements_text: str) -> list[str]:
    """Each requirement (and each requirement its extras add) that no importable distribution provides."""
    missing = []
    for line in requirements_text.splitlines():
        match = _REQUIREMENT.match(line.split("#", 1)[0])
        if not match:
            continue
        name, extras = match.group(1), match.group(2)
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(name)
            continue
        for extra in (extras or "").split(","):
            for required in distribution.requires or ():
                if extra and f'extra == "{extra.strip()}"' in required:
                    missing += missing_distributions(required.split(";", 1)[0])
    return missing


def modules_from_elsewhere(allowed_roots: tuple[str, ...]) -> list[str]:
    """Imported modules whose file lies outside the artifact, the layers and the standard library."""
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if getattr(module, "__file__", None) and not module.__file__.startswith(allowed_roots)
    )


def main(request_file: str) -> None:
    with open(request_file, encoding="utf-8") as request_stream:
        request = json.load(request_stream)
    # As in Lambda: the function's code first, then each layer's python/ directory.
    sys.path.insert(0, request["artifact"])
    for layer in request["layers"]:
        site.addsitedir(layer)
    outcome: dict = {}
    try:
        module_name, _, attribute = request["handler"].rpartition(".")
        handler = getattr(importlib.import_module(module_name.replace("/", ".")), attribute)
        outcome["result"] = handler(
            request["event"], LambdaContext(request["function"], request["memory_mb"])
        )
    except BaseException:
        outcome["error"] = traceback.format_exc()
    stdlib = tuple({sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")})
    allowed_roots = (request["artifact"], *request["layers"], *stdlib, __file__)
    outcome["modules_from_elsewhere"] = modules_from_elsewhere(allowed_roots)
    outcome["missing_distributions"] = missing_distributions(request["requirements"])
    with open(request["result_file"], "w", encoding="utf-8") as result_stream:
        json.dump(outcome, result_stream, default=str)


if __name__ == "__main__":
    main(sys.argv[1])
