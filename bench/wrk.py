"""Drive load with wrk and read its ``--latency`` report."""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

WRK = shutil.which("wrk") or "/usr/bin/wrk"

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


@dataclass
class Result:
    """One wrk measurement."""

    url: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx responses plus socket errors
    connections: int
    #: Server CPU milliseconds per request, when the caller measured it.
    cpu_ms: float | None = None


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse(output: str, url: str = "", connections: int = 0) -> Result:
    """Parse wrk's text report (run with ``--latency``)."""
    def find(pattern: str, default=None):
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            if default is not None:
                return default
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match.group(1)

    requests = int(find(r"^\s*(\d+) requests in"))
    seconds = _ms(find(r"requests in ([\d.]+\w+),")) / 1000
    errors = int(find(r"Non-2xx or 3xx responses: (\d+)", "0"))
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket:
        errors += sum(int(x) for x in socket.groups())
    return Result(url=url, requests=requests, seconds=seconds, rps=float(find(r"^Requests/sec:\s+([\d.]+)")),
                  p50_ms=_ms(find(r"^\s+50%\s+(\S+)")), p99_ms=_ms(find(r"^\s+99%\s+(\S+)")),
                  errors=errors, connections=connections)


def run(url: str, *, seconds: int = 10, connections: int = 8, threads: int = 2,
        headers: dict | None = None) -> Result:
    """Load ``url`` for ``seconds`` with wrk and return the parsed result."""
    cmd = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        cmd += ["-H", f"{name}: {value}"]
    cmd.append(url)
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return parse(done.stdout, url, connections)
