"""Optional py-spy profiles of the processes a stage measures (`rapport bench --profile DIR`).

py-spy samples another process from outside, so the measured code is unchanged; the raw
(collapsed-stack) output is summarised into the frames that take the most time.
"""

import os
import shutil
import signal
import subprocess
from collections import Counter
from contextlib import contextmanager
from pathlib import Path


def py_spy() -> str | None:
    return shutil.which("py-spy")


@contextmanager
def profiled(folder: Path | None, name: str, pid: int | None):
    """Record `pid` with py-spy while the block runs, into FOLDER/NAME.txt; a no-op without a folder or py-spy."""
    binary = py_spy()
    if folder is None or binary is None or pid is None:
        yield None
        return
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"{name}.txt"
    recorder = subprocess.Popen([binary, "record", "--pid", str(pid), "--format", "raw", "--rate", "100",
                                 "--output", str(out), "--nonblocking"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield out
    finally:
        recorder.send_signal(signal.SIGINT)  # py-spy writes its output when interrupted
        try:
            recorder.wait(30)
        except subprocess.TimeoutExpired:
            os.kill(recorder.pid, signal.SIGKILL)
        summary = summarise(out) if out.exists() else "py-spy wrote nothing"
        (folder / f"{name}.summary.txt").write_text(summary)


def hot_frames(collapsed_lines, top: int = 25) -> tuple[int, list[tuple[str, float]], list[tuple[str, float]]]:
    """(samples, frames by inclusive share, frames by own share) from py-spy's collapsed stacks."""
    inclusive, own, total = Counter(), Counter(), 0
    for line in collapsed_lines:
        stack, _, count = line.rstrip().rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames, n = stack.split(";"), int(count)
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            inclusive[frame] += n
    share = lambda counter: [(f, n / total) for f, n in counter.most_common(top)]  # noqa: E731
    return total, share(inclusive) if total else [], share(own) if total else []


def summarise(path: Path) -> str:
    with path.open() as lines:
        total, inclusive, own = hot_frames(lines)
    text = [f"{total} samples", "", "inclusive:"] + [f"{s:6.1%} {f}" for f, s in inclusive]
    return "\n".join(text + ["", "own time:"] + [f"{s:6.1%} {f}" for f, s in own]) + "\n"
