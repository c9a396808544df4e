"""The results as a Markdown table with notes, as JSON, and as a bar chart of the ratios."""

from __future__ import annotations

import json
import textwrap

from .case import COLUMNS, peer_name


def ms_text(ms: float) -> str:
    for limit, digits in ((100, 0), (10, 1), (1, 2)):
        if ms >= limit:
            return f"{ms:.{digits}f} ms"
    return f"{ms:.3f} ms"


def ratio_text(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 100 else f"{ratio:.2g}x"


def _cell(peer: dict | None, ms: str = "ms", ratio: str = "ratio", of: str = "") -> str:
    """A timed cell: "RoiAlign 510 ms (8.5x)"; `ms` and `ratio` name the figures
    (wall or CPU), `of` what the ratio divides by, where it is not ort_roi."""
    if peer is None:
        return "—"
    label = "" if peer.get("label") in (None, peer.get("column")) else peer["label"] + " "
    if "check" in peer and not peer["check"]["ok"]:  # an ort_roi dtype run, off
        return "**MISMATCH**"
    if peer["status"] == "timed":
        share = f" ({ratio_text(peer[ratio])}{of})" if peer.get(ratio) is not None else ""
        return f"{label}{ms_text(peer[ms])}{share}"
    return f"{label}{peer['status']}"


def _table(result: dict, ms: str, ratio: str) -> list[str]:
    """The rows' table, of wall (ms, ratio) or CPU (cpu_ms, cpu_ratio) medians."""
    dtypes = result["meta"].get("dtypes", [])
    lines = [
        "| workload | inputs | ort_roi | " + " | ".join(COLUMNS.values()) +
        "".join(f" | ort_roi {d}" for d in dtypes) + " | ort_roi vs torchvision |",
        "|---|---|---|" + "---|" * (len(COLUMNS) + len(dtypes)) + "---|",
    ]
    for row in result["rows"]:
        peers = {p["column"]: p for p in row["peers"]}
        ours = ms_text(row[f"ort_roi_{ms}"]) if row.get(f"ort_roi_{ms}") is not None else "failed"
        check = row["check"]
        verdict = ("ok, " if check["ok"] else "**MISMATCH**, ") + check["detail"]
        cells = [row["title"], row["shape"], ours,
                 *(_cell(peers.get(c), ms, ratio) for c in COLUMNS),
                 *(_cell(row.get("dtypes", {}).get(d), ms, ratio, " float32") for d in dtypes),
                 verdict]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return lines


def markdown(result: dict) -> str:
    meta = result["meta"]
    dtypes = meta.get("dtypes", [])
    lines = [
        f"`{meta['command']}`, {meta['date']}",
        "",
        f"Machine: {meta['machine']}. Versions: {meta['versions']}.",
        f"Threads: {meta['threads_text']}; idle threads: {meta['idle_threads']}. Each row: "
        "every runtime on the same inputs in this "
        f"one process, one warm-up run each, then {meta['repeat_text']} rounds in which the "
        "runtimes take turns" + (f", {meta['pause_ms']} ms apart" if meta.get("pause_ms") else "")
        + (f"; a runtime whose warm-up took under {meta['rewarm_ms']} ms runs once more, "
           "untimed, right before each timed run" if meta.get("rewarm_ms") else "")
        + "; medians.",
        "Ratio = the peer's median / ort_roi's median: above 1x ort_roi is faster."
        + (f" In the {', '.join('ort_roi ' + d for d in dtypes)} column"
           f"{'s' if len(dtypes) > 1 else ''}: ort_roi on the inputs in that type, its median "
           "/ its float32 median (above 1x: slower than float32), checked against torchvision "
           "on the same values." if dtypes else ""),
        "",
        *_table(result, "ms", "ratio"),
    ]
    if meta.get("cpu_time"):
        lines += ["", "Process CPU time per call (every thread of this process; medians): the "
                      "work each runtime does, whoever else holds the cores.", "",
                  *_table(result, "cpu_ms", "cpu_ratio")]
    notes = _notes(result["rows"])
    if notes:
        lines += ["", "Notes:", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def _notes(rows: list[dict]) -> list[str]:
    notes = []
    for row in rows:
        name = f"{row['title']} ({row['id']})"
        if row.get("error"):
            notes.append(f"{name}: ort_roi failed: {row['error']}")
        for p in row["peers"]:
            who = f"{name}, {peer_name(p['column'], p['label'])}"
            if p["status"] != "timed" and p.get("reason"):
                notes.append(f"{who}: {p['status']}: {p['reason']}")
            elif p.get("vs_torchvision") and not p["vs_torchvision"]["ok"]:
                why = f" ({p['note']})" if p.get("note") else ""
                notes.append(f"{who}: output differs from torchvision's: "
                             f"{p['vs_torchvision']['detail']}{why}")
        for dtype, d in row.get("dtypes", {}).items():
            if d["status"] != "timed":
                notes.append(f"{name}, ort_roi {dtype}: {d['status']}: {d['reason']}")
            elif not d["check"]["ok"]:
                notes.append(f"{name}, ort_roi {dtype}: output differs from torchvision's on the "
                             f"same values: {d['check']['detail']}")
        if row.get("extra_text"):
            notes.append(f"{name}: {row['extra_text']}")
    return notes


def write_json(path: str, result: dict) -> None:
    with open(path, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


def write_png(path: str, result: dict) -> str | None:
    """The ratios as horizontal bars on a log scale; None when written, else why not."""
    try:
        import matplotlib
        import matplotlib.ticker
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install matplotlib, the bench extra)"
    rows = [r for r in result["rows"] if any(p["status"] == "timed" for p in r["peers"])]
    columns = [c for c in COLUMNS if any(p["column"] == c and p["status"] == "timed"
                                         for r in rows for p in r["peers"])]
    height = 0.8 / max(len(columns), 1)
    fig, ax = plt.subplots(figsize=(11, 1.5 + 0.3 * len(columns) * len(rows)))
    for i, column in enumerate(columns):
        ys, ratios = [], []
        for y, row in enumerate(rows):
            for p in row["peers"]:
                if p["column"] == column and p["status"] == "timed":
                    ys.append(y - 0.4 + (i + 0.5) * height)
                    ratios.append(p["ratio"])
        bars = ax.barh(ys, ratios, height=height, label=COLUMNS[column])
        ax.bar_label(bars, labels=[ratio_text(r) for r in ratios], fontsize=7, padding=2)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}x"))
    ax.axvline(1.0, color="black", linewidth=1)
    labels = [r["title"] + "\n" + "\n".join(textwrap.wrap(r["shape"], 40)) for r in rows]
    ax.set_yticks(range(len(rows)), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("peer median / ort_roi median (log scale; right of the line: ort_roi faster)")
    meta = result["meta"]
    ax.set_title(f"ort_roi vs peers, {meta['threads']} threads each, {meta['date']}", fontsize=10)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")  # long row labels stay whole
    plt.close(fig)
    return None
