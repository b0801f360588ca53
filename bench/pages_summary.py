"""Several runs of bench/pages.py side by side: one row per path, the runs' range and mean.

    .venv/bin/python bench/pages.py --duration 5 --warmup 1
    cp var/bench/pages.json var/bench/pages-1.json
    for run in 2 3; do
        .venv/bin/python bench/pages.py --duration 5 --warmup 1 --keep-database
        cp var/bench/pages.json var/bench/pages-$run.json
    done
    .venv/bin/python bench/pages_summary.py var/bench/pages-1.json var/bench/pages-2.json \\
        var/bench/pages-3.json

Prints a Markdown table: req/s (mean and range), p99 ms (worst), CPU ms per request (mean), the
ratio to bare Django (range), the target and in how many runs it was met.
"""

import argparse
import json
import statistics
from pathlib import Path


def _load(paths: list[Path]) -> list[dict]:
    return [json.loads(path.read_text()) for path in paths]


def summary(runs: list[dict]) -> str:
    bare = [run["bare"]["rps"] for run in runs]
    lines = [
        f"{len(runs)} runs; bare Django {statistics.fmean(bare):,.1f} req/s "
        f"(runs: {', '.join(f'{value:,.1f}' for value in bare)}); "
        "load average before each run: "
        + ", ".join(f"{run['machine']['load_average_before'][0]:.2f}" for run in runs),
        "",
        "| path | req/s mean (min-max) | p99 ms worst | CPU ms/req mean | x bare (min-max) "
        "| target | met |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    by_path: dict[str, list[dict]] = {}
    for run in runs:
        for row in run["paths"]:
            by_path.setdefault(row["path"], []).append(row)
    for path, rows in by_path.items():
        rps = [row["rps"] for row in rows]
        ratios = [row["ratio"] for row in rows if row["ratio"]]
        met = sum(bool(row["met"]) for row in rows)
        ratio = f"{min(ratios):g}-{max(ratios):g}x" if ratios else "-"
        lines.append(
            f"| {path} | {statistics.fmean(rps):,.1f} ({min(rps):,.1f}-{max(rps):,.1f}) "
            f"| {max(row['p99_ms'] for row in rows)} "
            f"| {statistics.fmean(row['cpu_ms_per_request'] for row in rows):.2f} "
            f"| {ratio} | {rows[0]['target']:g}x | {met} of {len(rows)} |"
        )
    errors = sum(run["errors"] for run in runs)
    lines += ["", f"failed requests over all runs: {errors}"]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="pages.json files, one per run")
    print(summary(_load(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
