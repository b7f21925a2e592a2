"""A check strategy: its config and result models, how it judges a result, and where its probe lives."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.strategies.schema import StrategyConfig, StrategyResult

ProbeError = dict[str, str]
Judge = Callable[[Any, dict[str, Any]], ProbeError | None]


@dataclass(frozen=True)
class Strategy:
    id: str
    display_name: str
    description: str
    config_model: type[StrategyConfig]
    result_model: type[StrategyResult]
    judge: Judge
    """Pure verdict on a result: None when the probe itself succeeded, else an error {code, message}."""
    latency_field: str
    """Result key (alias) that is the run's latencyMs."""
    probe_reference: str
    """`module:function` of the async probe, imported on first use (keeps network clients off cold starts)."""

    def load_probe(self) -> Callable[..., Any]:
        return _import_probe(self.probe_reference)


_probes: dict[str, Callable[..., Any]] = {}


def _import_probe(reference: str) -> Callable[..., Any]:
    probe = _probes.get(reference)
    if probe is None:
        module_name, function_name = reference.split(":")
        probe = getattr(importlib.import_module(module_name), function_name)
        _probes[reference] = probe
    return probe
