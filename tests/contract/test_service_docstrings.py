"""STYLE.md: every public service function says in one line what it does."""

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "src" / "shared" / "services"


def is_protocol(node: ast.ClassDef) -> bool:
    return any(getattr(base, "id", getattr(base, "attr", None)) == "Protocol" for base in node.bases)


def public_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level public functions, and the public methods of public classes (not of the ports'
    Protocols: a port's method is a declaration, its implementations carry the docstring)."""
    found = []
    for node in tree.body:
        members = [node]
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_") and not is_protocol(node):
            members = node.body
        found += [
            member
            for member in members
            if isinstance(member, ast.FunctionDef | ast.AsyncFunctionDef) and not member.name.startswith("_")
        ]
    return found


def public_functions_without_a_one_line_docstring() -> list[str]:
    missing = []
    for path in sorted(SERVICES.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for function in public_functions(tree):
            docstring = ast.get_docstring(function)
            if not docstring or not docstring.splitlines()[0].strip():
                missing.append(f"{path.relative_to(SERVICES)}:{function.lineno} {function.name}")
    return missing


def test_every_public_service_function_has_a_one_line_docstring():
    # given the modules of shared/services
    # when their public functions are read
    missing = public_functions_without_a_one_line_docstring()
    # then each opens with a one-line docstring
    assert missing == [], "\n".join(missing)
