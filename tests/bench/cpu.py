"""Where a benchmark's CPU went: seconds of CPU per component of the stack, read from /proc.

The machine is shared by everything the system runs (PostgreSQL, Kafka, Keycloak, every
service's processes) and the benchmark's own clients, so a rate is bounded by the sum of their
costs; this tells each one's share of a run.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

from zhurnal_kit.pytest_plugin import Stack

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()  # the fields after the command's name


def _own(pid: int, *, reaped: bool = False) -> float:
    """CPU seconds of ``pid`` (with its exited children's when ``reaped``)."""
    try:
        fields = _stat(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # utime, stime, cutime, cstime are fields 14-17 of stat (11-14 after the name)
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICK


def _children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == parent:
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return found


def _pid_file(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def cpu_seconds(stack: Stack) -> dict[str, float]:
    """CPU seconds so far of each component (compare two readings for a run's share)."""
    run_dir = stack.infra.run_dir
    result = {name: _own(proc.pid) for name, proc in stack.procs.items() if proc.poll() is None}
    if (postmaster := _pid_file(run_dir / "postgres" / "postmaster.pid")) is not None:
        # Backends come and go: the live ones, and the exited ones through the postmaster.
        result["postgres"] = _own(postmaster, reaped=True) + sum(
            _own(child) for child in _children(postmaster)
        )
    for name in ("kafka", "keycloak", "prometheus"):
        if (pid := _pid_file(run_dir / f"{name}.pid")) is not None:
            result[name] = _own(pid, reaped=True)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["benchmark_clients"] = usage.ru_utime + usage.ru_stime
    return result


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle and iowait
    return (sum(fields) - idle) / _TICK, sum(fields) / _TICK


def per_save_ms(before: dict[str, float], after: dict[str, float], saves: int) -> dict[str, float]:
    """Milliseconds of CPU per save of each component between two readings, biggest first."""
    spent = {name: after[name] - before.get(name, 0.0) for name in after}
    return {
        name: round(seconds * 1000 / saves, 2)
        for name, seconds in sorted(spent.items(), key=lambda item: -item[1])
        if seconds > 0
    }
