"""The simulator's summary: a rich table for people, one JSON line for scripts."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from hub.simulate.run import SimOptions, SimResult


def figures(result: SimResult, opts: SimOptions) -> dict[str, Any]:
    """The summary as plain values."""
    devices = max(1, result.devices)
    days = min(1.0, opts.hours * 3600 / (10 * 3600))
    return {
        "halls": result.halls,
        "windows": opts.windows,
        "speed": opts.speed,
        "devices": result.devices,
        "connected": result.connected,
        "device_processes": result.processes,
        "sent": result.sent_total,
        "stored": result.stored.facts,
        "lost": result.lost,
        "not_delivered": result.not_delivered,
        "projectors_caught_up": result.caught_up,
        "dead_letters": result.stored.dead_letters,
        "sequence_gaps": result.stored.gaps,
        "outbox_left": result.outbox_left,
        "play_s": round(result.play_s, 1),
        "drain_s": round(result.drain_s, 1),
        "msgs_per_s": round(result.rate, 1),
        "facts_per_device_day": round(result.sent_total / devices / days, 1),
        "by_type": result.stored.by_type,
        "actions": result.actions,
        "derived": result.stored.derived,
        "duty": result.duty,
        "errors": result.errors,
    }


def to_json(result: SimResult, opts: SimOptions) -> str:
    """One JSON line."""
    return json.dumps(figures(result, opts), ensure_ascii=False, sort_keys=True)


def render(result: SimResult, opts: SimOptions, console: Console) -> None:
    """Tables: totals, events per type, derived records."""
    f = figures(result, opts)
    totals = Table(title=f"simulated day: {f['halls']} halls x {f['windows']} windows")
    totals.add_column("figure")
    totals.add_column("value", justify="right")
    for key in (
        "devices", "connected", "device_processes", "sent", "stored", "not_delivered", "lost",
        "projectors_caught_up", "dead_letters",
        "sequence_gaps", "outbox_left", "play_s", "drain_s", "msgs_per_s", "facts_per_device_day",
    ):  # fmt: skip
        totals.add_row(key.replace("_", " "), str(f[key]))
    types = Table(title="events stored, by type")
    types.add_column("type")
    types.add_column("count", justify="right")
    for etype, n in sorted(f["by_type"].items()):
        types.add_row(etype, str(n))
    derived = Table(title="records derived")
    derived.add_column("record")
    derived.add_column("count", justify="right")
    for label, n in f["derived"].items():
        derived.add_row(label, "n/a" if n < 0 else str(n))
    for table in (totals, types, derived):
        console.print(table)
    for error in result.errors:
        console.print(f"[red]device process error:[/red] {error}")
