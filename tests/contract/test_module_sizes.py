"""STYLE.md: one module, one idea. A file of src/ over 300 lines is usually two ideas: split it."""

from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
MAX_LINES = 300


def test_no_module_of_src_is_over_300_lines():
    # given every Python module of src/
    modules = sorted(SRC.rglob("*.py"))
    # when their lines are counted
    too_long = [
        f"{path.relative_to(SRC)}: {count}"
        for path in modules
        if (count := len(path.read_text().splitlines())) > MAX_LINES
    ]
    # then none is over the bound
    assert modules
    assert too_long == [], "\n".join(too_long)
