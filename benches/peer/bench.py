#!/usr/bin/env python3
"""Side by side: `mawb prepare` and the two pandas peers on one batch, interleaved, then "same requests?".

`python bench.py --mawb target/release/mawb --batch BATCH --work DIR [--runs 5]` runs, `--runs` times
over, `mawb prepare BATCH --out …`, `peer.py --engine openpyxl` and `peer.py --engine calamine` (each
into an output folder of its own, `DIR/out-<tool>-<run>`, the order rotating each round so no tool
always runs after the same one), and prints the median wall time of each, their CPU time (user + system) and peak RSS, and the ratios
peer / mawb. Then it compares the last output of each peer with mawb's, file by file (see `compare`), and
exits 1 on any difference, after printing every one of them; the outputs are removed at the end, but
the last ones are kept when they differ.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent


def run_once(cmd: list[str], out: Path, log: Path) -> dict:
    """Runs `cmd` writing into a fresh `out`; its wall time, CPU time and peak RSS."""
    if out.exists():
        shutil.rmtree(out)
    # The previous tool's output may still be waiting to reach the disk: flush it now, so no tool's time
    # includes writing another's files (mawb syncs the file system it wrote to once before renaming its
    # output into place; the peers do not sync).
    os.sync()
    with open(log, "wb") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        sys.exit(f"bench: {' '.join(cmd)} exited with {proc.returncode}:\n{tail}")
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


# The file `mawb prepare` leaves at the root of its output to recognise it as its own (and replace it whole
# next time); not a request, so not compared.
MARKER = ".mawb-prepare"


def files_of(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
            if p.is_file() and p.relative_to(root).as_posix() != MARKER}


def c14n(path: Path) -> bytes:
    return etree.tostring(etree.parse(str(path), etree.XMLParser(huge_tree=True)), method="c14n")


def summary_json(path: Path) -> dict:
    """`summary.json` without `out_dir`, the one field that names where it was written."""
    doc = json.loads(path.read_bytes())
    doc.pop("out_dir", None)
    return doc


def compare(expected: Path, actual: Path) -> tuple[list[str], dict[str, int]]:
    """Every difference between two prepared batches, and how the equal files were equal.

    Request XML, `.params` and the HAWB file must be byte-identical; an XML file that is not is also
    compared after canonicalisation (C14N) so the report says whether only its bytes differ.
    `summary.json` is compared as JSON without `out_dir`.
    """
    exp, act = files_of(expected), files_of(actual)
    problems = [f"missing: {n}" for n in sorted(exp.keys() - act.keys())]
    problems += [f"not written by mawb: {n}" for n in sorted(act.keys() - exp.keys())]
    counts = {"byte-identical": 0, "equal after C14N": 0, "equal as JSON": 0}
    for name in sorted(exp.keys() & act.keys()):
        a, b = exp[name], act[name]
        if name.endswith("summary.json"):
            x, y = summary_json(a), summary_json(b)
            if x == y:
                counts["equal as JSON"] += 1
            else:
                keys = sorted(k for k in x.keys() | y.keys() if x.get(k) != y.get(k))
                problems.append(f"differs: {name} (keys {', '.join(keys)})")
        elif a.read_bytes() == b.read_bytes():
            counts["byte-identical"] += 1
        elif name.endswith(".xml") and c14n(a) == c14n(b):
            counts["equal after C14N"] += 1
            problems.append(f"differs in bytes, equal after C14N: {name}")
        else:
            problems.append(f"differs: {name} ({first_difference(a.read_bytes(), b.read_bytes())})")
    return problems, counts


def first_difference(x: bytes, y: bytes) -> str:
    i = next((k for k, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
    return f"{len(x)} vs {len(y)} bytes, first difference at byte {i}: {x[i:i + 60]!r} vs {y[i:i + 60]!r}"


# How long after the bench last deleted outputs it waits before timing anything. On ext4 without a journal
# (this project's machines), allocating an inode skips every inode of its block group freed in the last 60
# seconds, or 5 minutes more while their inode table block is not yet on disk (the kernel's
# `recently_deleted` in fs/ext4/ialloc.c: RECENTCY_MIN and RECENTCY_DIRTY), and each skip reads that
# block: right after tens of thousands of files are deleted, creating a file in the same place costs about
# a tenth of a millisecond more of system time. Output folders land in the block group of their parent,
# where the previous bench deleted its own, and `mawb prepare` writes 5,351 files in about a second:
# measured 2.1-2.6 s of CPU instead of 1.7-1.9 s, when the Python peers hardly notice.
QUIET_AFTER_DELETE_S = 400


def removed(stamp: Path) -> None:
    """Notes that outputs were just deleted (see `QUIET_AFTER_DELETE_S`)."""
    stamp.write_text(f"{time.time()}\n")


def wait_for_quiet(stamp: Path) -> None:
    """Waits until `QUIET_AFTER_DELETE_S` have passed since outputs were last deleted."""
    try:
        since = time.time() - float(stamp.read_text())
    except (OSError, ValueError):
        return
    if 0 <= since < QUIET_AFTER_DELETE_S:
        left = QUIET_AFTER_DELETE_S - since
        print(f"bench: outputs were deleted {since:.0f} s ago; waiting {left:.0f} s, until creating files "
              "costs what it normally does (see QUIET_AFTER_DELETE_S)", flush=True)
        time.sleep(left)


def load() -> str:
    """The 1, 5 and 15 minute load averages (the machine is shared: they say how quiet it was)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mawb", type=Path, required=True, help="the mawb binary (a release build)")
    ap.add_argument("--batch", type=Path, required=True, help="the batch folder both prepare")
    ap.add_argument("--work", type=Path, required=True, help="where outputs and logs go")
    ap.add_argument("--runs", type=int, default=5, help="runs of each tool (default 5)")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    tools = {
        "mawb prepare": [str(args.mawb), "prepare", str(args.batch), "--out"],
        "pandas+openpyxl+lxml": [sys.executable, str(HERE / "peer.py"), "--engine", "openpyxl",
                                 str(args.batch), "--out"],
        "pandas+calamine+lxml": [sys.executable, str(HERE / "peer.py"), "--engine", "calamine",
                                 str(args.batch), "--out"],
    }
    # Every run writes a folder of its own, and all are removed at the end: a file system creating
    # thousands of files right after deleting thousands spends its time looking past the freed inodes,
    # which would charge one tool for the deletion of another's output.
    def out_of(t: str, r: int) -> Path:
        return args.work / f"out-{t.split()[0].replace('+', '-')}-{r + 1}"

    stamp = args.work / "outputs-removed-at"
    leftovers = [out_of(t, r) for t in tools for r in range(args.runs) if out_of(t, r).exists()]
    for out in leftovers:  # from a bench that was stopped before its end
        shutil.rmtree(out)
    if leftovers:
        removed(stamp)
    wait_for_quiet(stamp)
    results: dict[str, list[dict]] = {t: [] for t in tools}
    names = list(tools)
    print(f"bench: {args.runs} runs of each, interleaved; load average before: {load()}", flush=True)
    for r in range(args.runs):
        for t in names[r % len(names):] + names[:r % len(names)]:
            res = run_once(tools[t] + [str(out_of(t, r))], out_of(t, r), args.work / "stderr.log")
            results[t].append(res)
            print(f"  run {r + 1}/{args.runs}  {t:<22} {res['wall']:8.2f} s wall  {res['cpu']:8.2f} s cpu"
                  f"  {res['rss_mb']:7.0f} MB", flush=True)
    print(f"bench: load average after: {load()}")

    base = statistics.median(x["wall"] for x in results["mawb prepare"])
    base_cpu = statistics.median(x["cpu"] for x in results["mawb prepare"])
    print()
    print("| | median wall | min wall | median CPU (user+sys) | peak RSS | wall ratio vs mawb | CPU ratio vs mawb |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for t in tools:
        walls = [x["wall"] for x in results[t]]
        cpu = statistics.median(x["cpu"] for x in results[t])
        rss = max(x["rss_mb"] for x in results[t])
        print(f"| {t} | {statistics.median(walls):.2f} s | {min(walls):.2f} s | {cpu:.2f} s | {rss:.0f} MB "
              f"| {statistics.median(walls) / base:.1f}× | {cpu / base_cpu:.1f}× |")
    print()

    outs = {t: out_of(t, args.runs - 1) for t in tools}
    failed = False
    for t in names[1:]:
        problems, counts = compare(outs["mawb prepare"], outs[t])
        equal = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
        real = [p for p in problems if not p.startswith("differs in bytes, equal after C14N")]
        verdict = "SAME REQUESTS" if not real else "MISMATCH"
        print(f"{t} vs mawb prepare: {verdict} ({equal})")
        for p in problems[:50]:
            print(f"  {p}")
        if len(problems) > 50:
            print(f"  ... and {len(problems) - 50} more")
        failed |= bool(real)
    if failed:
        for t in tools:
            for r in range(args.runs - 1):
                shutil.rmtree(out_of(t, r), ignore_errors=True)
        removed(stamp)
        print("\n!!! MISMATCH: a peer did not write the requests mawb prepare writes (see above) !!!",
              file=sys.stderr)
        print(f"the outputs are kept for a look: {', '.join(str(o) for o in outs.values())}", file=sys.stderr)
        return 1
    for t in tools:  # hundreds of MB each for the standard batch; kept only when they differ
        for r in range(args.runs):
            shutil.rmtree(out_of(t, r), ignore_errors=True)
    removed(stamp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
