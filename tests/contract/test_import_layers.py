"""The layers of ../shared/ARCHITECTURE.md hold: import-linter's contracts in pyproject.toml (no upward
import, no cycle between packages of `shared`, services never import the store or boto3)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_are_kept():
    # given the contracts in pyproject.toml
    lint_imports = Path(sys.executable).with_name("lint-imports")
    environment = os.environ | {"PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    # when import-linter checks the code
    answer = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # then every contract is kept
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "0 broken" in answer.stdout
