"""README.md's settings table lists every variable shared.settings reads, with the code's default."""

import re
from pathlib import Path

from shared.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"
_ROW = re.compile(r"^\| `([A-Z0-9_]+)` \| ([^|]+) \|", re.MULTILINE)


def _documented_defaults() -> dict[str, str]:
    return {name: default.strip() for name, default in _ROW.findall(README.read_text("utf-8"))}


def _as_documented(default: object) -> str:
    if default == "":
        return "empty"
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return f"`{default}`"


def test_readme_lists_every_setting_with_its_default():
    # given the settings the code reads and the README's table
    documented = _documented_defaults()
    # then every variable is a row, and the row's default is the code's
    for field in Settings.model_fields.values():
        assert field.alias in documented, f"README.md has no row for {field.alias}"
        assert documented[field.alias] == _as_documented(field.default), field.alias
