"""The browser benchmark's markdown tables for RESULTS.md: each page against Datasette, an A/B
of two checkouts, and where a filter change's time goes."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any


def _ms(seconds: list[float]) -> str:
    p50 = statistics.median(seconds)
    return f"{p50 * 1000:.0f} ms" if p50 < 10 else f"{p50:.1f} s"


KINDS = ("filter cold", "filter cached", "link cold", "link cached")


def render(label, rows, repeat, results, peer, copy_seconds) -> str:
    lines = [f"#### Browser, {label} records ({rows:,}), n = {repeat} per page", ""]
    filtered = statistics.median(peer["filtered"]) if peer else None
    if peer:
        lines += [
            f"Datasette over the same rows in SQLite (copied in {copy_seconds:.0f} s, four "
            f"indexes): table filtered by borough with three facets p50 {_ms(peer['filtered'])} "
            f"(n = {len(peer['filtered'])}), the faceted table without a filter p50 "
            f"{_ms(peer['unfiltered'])}.",
            "",
        ]
    lines += [
        "| Page | Filter change, cold | Filter change, cached | Cached / cold | Shared link, cold "
        "| Shared link, cached | Bytes sent (filter cold / cached) "
        "| Datasette filtered / filter change cold |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for title, runs in results.items():
        if not runs:
            continue
        t = {k: [r[k][0] for r in runs] for k in KINDS}
        b = {k: statistics.median(r[k][1] for r in runs) for k in KINDS}
        ratio = statistics.median(r["filter cached"][0] / r["filter cold"][0] for r in runs)
        versus = f"{filtered / statistics.median(t['filter cold']):.1f}x" if peer else "-"
        lines.append(
            f"| {title} | {_ms(t['filter cold'])} | {_ms(t['filter cached'])} | {ratio:.2f} "
            f"| {_ms(t['link cold'])} | {_ms(t['link cached'])} "
            f"| {b['filter cold'] / 1024:.0f} / {b['filter cached'] / 1024:.0f} KiB "
            f"| {versus} |"
        )
    return "\n".join(lines) + "\n"


def render_ab(label, repeat, this, other, against: Path) -> str:
    """This checkout against another, measured in the same run, alternating."""
    lines = [
        f"#### Browser A/B, {label} records, n = {repeat} per page and side: "
        f"before (`{against}`) → after (this checkout)",
        "",
        "| Page | Filter change, cold: before → after | Cached: before → after "
        "| Cached / cold: before → after | Bytes cold / cached: before → after "
        "| Shared link, cold: before → after | Shared link, cached: before → after |",
        "|---|---|---|---|---|---|---|",
    ]
    for title, runs in this.items():
        was = other[title]
        if not runs or not was:
            continue

        def p50(rs, kind):
            return _ms([r[kind][0] for r in rs])

        def ratio(rs):
            return statistics.median(r["filter cached"][0] / r["filter cold"][0] for r in rs)

        def kib(rs):
            cold = statistics.median(r["filter cold"][1] for r in rs) / 1024
            return f"{cold:.0f} / {statistics.median(r['filter cached'][1] for r in rs) / 1024:.0f}"

        lines.append(
            f"| {title} | {p50(was, 'filter cold')} → {p50(runs, 'filter cold')} "
            f"| {p50(was, 'filter cached')} → {p50(runs, 'filter cached')} "
            f"| {ratio(was):.2f} → {ratio(runs):.2f} | {kib(was)} → {kib(runs)} KiB "
            f"| {p50(was, 'link cold')} → {p50(runs, 'link cold')} "
            f"| {p50(was, 'link cached')} → {p50(runs, 'link cached')} |"
        )
    return "\n".join(lines) + "\n"


PHASES = ("script end", "last message", "drawn", "renderer busy", "renderer JS", "style+layout",
          "server CPU", "messages", "page updates")  # fmt: skip


def render_phases(label: str, results: dict[str, dict[str, list[dict[str, Any]]]]) -> str:
    """Medians of each change's phases (see `Phases`), per side, page and kind of change."""
    lines = [
        f"#### Where a filter change's time goes, {label} records (p50, ms; charts and tables: "
        "shown / drawn anew)",
        "",
        "| Side | Page | Change | " + " | ".join(PHASES) + " | Charts | Tables | Elements |",
        "|---|---|---|" + "---|" * (len(PHASES) + 3),
    ]
    for side, by_page in results.items():
        for title, runs in by_page.items():
            for kind in ("filter cold", "filter cached"):
                got = [r[kind][2] for r in runs]
                if not got:
                    continue

                def med(key, got=got):
                    return statistics.median(g[key] for g in got)

                lines.append(
                    f"| {side} | {title} | {kind.split()[1]} | "
                    + " | ".join(f"{med(k):.0f}" for k in PHASES)
                    + f" | {med('charts'):.0f} / {med('charts anew'):.0f}"
                    f" | {med('tables'):.0f} / {med('tables anew'):.0f} | {med('elements'):.0f} |"
                )
    return "\n".join(lines) + "\n"
