"""Watches the command lines of every process on the machine while a test runs
dbt: what `ps` and /proc/<pid>/cmdline show any local user.

/proc/<pid>/environ is readable only by the process's own user (and root), so
the environment is the channel the key takes; the sampler reads a process's
environment only to confirm that the Spark driver really got the key there.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

PROC = Path("/proc")
SPARK_DRIVER_CLASS = b"org.apache.spark.deploy.SparkSubmit"


@dataclass
class Sampled:
    """One process as the sampler saw it: its argv and, for a Spark driver JVM,
    whether the named variable was in its environment."""

    pid: int
    argv: list[bytes]
    environ_names: frozenset[bytes] = frozenset()

    @property
    def is_spark_driver(self) -> bool:
        return bool(self.argv) and self.argv[0].endswith(b"java") and SPARK_DRIVER_CLASS in self.argv


@dataclass
class CommandLineSampler:
    """Reads /proc/*/cmdline of every process every `interval` seconds, in a
    thread, between `with` and the end of the block. Keeps every distinct
    (pid, command line) seen."""

    interval: float = 0.2
    seen: dict[tuple[int, bytes], Sampled] = field(default_factory=dict)
    rounds: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> CommandLineSampler:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="cmdline-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self.sample()  # one last round

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        for entry in PROC.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                raw = (entry / "cmdline").read_bytes()
            except OSError:  # gone, or a kernel thread we may not read
                continue
            if not raw or (int(entry.name), raw) in self.seen:
                continue
            process = Sampled(int(entry.name), raw.rstrip(b"\0").split(b"\0"))
            if process.is_spark_driver:
                try:
                    environ = (entry / "environ").read_bytes()
                    process.environ_names = frozenset(item.split(b"=", 1)[0] for item in environ.split(b"\0"))
                except OSError:
                    pass
            self.seen[(process.pid, raw)] = process
        self.rounds += 1

    @property
    def processes(self) -> list[Sampled]:
        return list(self.seen.values())

    def leaks(self, needles: dict[str, bytes]) -> list[str]:
        """Which processes' command lines hold which needle: pid, program and
        the needle's name, never the command line itself."""
        return [f"pid {p.pid} ({Path(p.argv[0].decode(errors='replace')).name}): {name}"
                for p in self.processes for name, needle in needles.items()
                if needle in b" ".join(p.argv)]
