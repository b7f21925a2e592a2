"""Write-only config fields: which fields a strategy marks secret, and how a config carries them.

A strategy marks a field with `secret_field(...)` (JSON Schema `writeOnly` and `x-secret`). Stored
configs hold such values sealed (`sealed:` + the encryptor's token); answers show them as `***`;
a `***` or an omitted secret in a PATCH keeps the stored value. Pure: encryption is passed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, get_args, get_origin

from pydantic import BaseModel, Field

SEALED_PREFIX = "sealed:"
REDACTED = "***"
SECRET_MARK = {"writeOnly": True, "x-secret": True}


def secret_field(default: Any = None, **kwargs: Any) -> Any:
    """A pydantic Field that is write-only: stored encrypted, answered as `***`."""
    return Field(default, json_schema_extra=dict(SECRET_MARK), **kwargs)


def _model_of(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *get_args(annotation)]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _is_map(annotation: Any) -> bool:
    return get_origin(annotation) is dict or any(get_origin(a) is dict for a in get_args(annotation))


def secret_paths(model: type[BaseModel]) -> list[tuple[tuple[str, ...], bool]]:
    """(alias path, is a map of secrets) of every secret field of a config model, nested models included."""
    paths: list[tuple[tuple[str, ...], bool]] = []
    for name, field in model.model_fields.items():
        alias = field.alias or name
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        if extra.get("x-secret"):
            paths.append(((alias,), _is_map(field.annotation)))
        elif (inner := _model_of(field.annotation)) is not None:
            paths += [((alias, *path), is_map) for path, is_map in secret_paths(inner)]
    return paths


_ABSENT = object()


def _get(document: Any, path: tuple[str, ...], default: Any = None) -> Any:
    for part in path:
        if not isinstance(document, dict) or part not in document:
            return default
        document = document[part]
    return document


def _has(document: Any, path: tuple[str, ...]) -> bool:
    return _get(document, path, _ABSENT) is not _ABSENT


def _put(document: dict, path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        if not isinstance(document.get(part), dict):
            return
        document = document[part]
    document[path[-1]] = value


def seal_secrets(
    model: type[BaseModel],
    given: dict[str, Any],
    validated: dict[str, Any],
    previous: dict[str, Any] | None,
    encrypt: Callable[[str], str],
) -> dict[str, Any]:
    """`validated` with secrets sealed; those omitted from `given` or sent as `***` keep `previous`'s."""
    sealed = _copy(validated)
    previous = previous or {}
    for path, is_map in secret_paths(model):
        top = path[:1]
        if not _has(given, top) and _has(previous, top):
            sealed[top[0]] = _copy(previous[top[0]])
            continue
        if not _has(given, path) and _has(previous, path):
            _put(sealed, path, _copy(_get(previous, path)))
            continue
        value = _get(sealed, path)
        if is_map and isinstance(value, dict):
            kept = _get(previous, path) if isinstance(_get(previous, path), dict) else {}
            _put(sealed, path, {k: _sealed_one(v, kept.get(k), encrypt) for k, v in value.items()})
        elif isinstance(value, str):
            _put(sealed, path, _sealed_one(value, _get(previous, path), encrypt))
    return sealed


def _sealed_one(value: str, previous: Any, encrypt: Callable[[str], str]) -> Any:
    if value == REDACTED and isinstance(previous, str) and previous.startswith(SEALED_PREFIX):
        return previous
    if value.startswith(SEALED_PREFIX):
        return value
    return SEALED_PREFIX + encrypt(value)


def redact_secrets(document: Any) -> Any:
    """The document with every sealed value shown as `***` (for answers and logs)."""
    return _mapped(document, lambda text: REDACTED)


def unseal_secrets(document: Any, decrypt: Callable[[str], str]) -> Any:
    """The document with every sealed value decrypted (for the probes only)."""
    return _mapped(document, lambda text: decrypt(text[len(SEALED_PREFIX) :]))


def _mapped(document: Any, sealed: Callable[[str], str]) -> Any:
    if isinstance(document, dict):
        return {key: _mapped(value, sealed) for key, value in document.items()}
    if isinstance(document, list):
        return [_mapped(value, sealed) for value in document]
    if isinstance(document, str) and document.startswith(SEALED_PREFIX):
        return sealed(document)
    return document


def _copy(document: Any) -> Any:
    return _mapped(document, lambda text: text)
