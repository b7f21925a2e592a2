"""The dependencies layer's requirements.txt, generated from pyproject.toml's [project].dependencies.

`make requirements` writes it; tests/contract/test_dependencies_layer.py fails when it is out of date.
"""

import sys
import tomllib
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = REPO_ROOT / "pyproject.toml"
LAYER_REQUIREMENTS = REPO_ROOT / "layers" / "dependencies" / "requirements.txt"
HEADER = (
    "# Generated from pyproject.toml [project].dependencies by `make requirements`: do not edit.\n"
    "# `sam build` installs these into the DependenciesLayer that every function uses.\n"
)


def runtime_dependencies(pyproject: Path = PYPROJECT) -> list[str]:
    """The runtime requirements as pyproject.toml declares them, in its order."""
    with open(pyproject, "rb") as pyproject_file:
        return list(tomllib.load(pyproject_file)["project"]["dependencies"])


def render_requirements(pyproject: Path = PYPROJECT) -> str:
    """The text requirements.txt must hold for the given pyproject.toml."""
    return HEADER + "".join(f"{requirement}\n" for requirement in runtime_dependencies(pyproject))


if __name__ == "__main__":
    LAYER_REQUIREMENTS.write_text(render_requirements(), encoding="utf-8")
    sys.stdout.write(f"wrote {LAYER_REQUIREMENTS.relative_to(REPO_ROOT)}\n")
