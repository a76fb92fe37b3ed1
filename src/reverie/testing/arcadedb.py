"""Start and stop a local ArcadeDB server with Bolt, for the test suite and the benchmarks.

ArcadeDB (PyPI ``arcadedb-embedded``) bundles a Java runtime, its jars and the
Bolt plugin, and reports itself Neo4j 5.26 compatible. :class:`ArcadeDBServer`
runs it as a plain child process on free loopback ports with its root path in
a folder you give (a temporary one by default), creates the database, waits
until a Cypher query over Bolt answers (polling against a bounded deadline),
and stops it. ``kill()`` ends it abruptly (SIGKILL), as a crash would; ``start()``
on the same folder brings the same data back.

This is test and benchmark machinery, not something Reverie needs in
production: point ``[store] uri`` at your Neo4j or ArcadeDB instead.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from reverie.errors import StoreError

__all__ = ["ArcadeDBServer", "arcadedb_home", "free_port"]

_MAIN_CLASS = "com.arcadedb.server.ArcadeDBServer"
_BOLT_PLUGIN = "Bolt:com.arcadedb.bolt.BoltProtocolPlugin"


def arcadedb_home() -> Path:
    """The folder of the installed ``arcadedb_embedded`` package (holds ``jre/`` and ``jars/``)."""
    try:
        import arcadedb_embedded
    except ImportError as exc:  # pragma: no cover - dev dependency
        raise StoreError(
            "the ArcadeDB test server needs the `arcadedb-embedded` package "
            "(pip install 'reverie[dev]')"
        ) from exc
    home = Path(arcadedb_embedded.__file__).resolve().parent
    if not (home / "jars").is_dir():
        raise StoreError(f"{home} has no jars/ folder; reinstall arcadedb-embedded")
    return home


def _java(home: Path) -> str:
    bundled = home / "jre" / "bin" / "java"
    if bundled.is_file():
        return str(bundled)
    found = shutil.which("java")
    if found is None:
        raise StoreError(f"no Java runtime: neither {bundled} nor `java` on PATH")
    return found


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ArcadeDBServer:
    """One ArcadeDB server process with Bolt on loopback; a context manager.

    ``root`` keeps the databases, config and log (``server.log``); it is made
    in the system temp folder when not given and removed by :meth:`cleanup`.
    Ports are chosen once, so a restart on the same root answers on the same URI.
    """

    def __init__(
        self,
        root: Path | None = None,
        *,
        database: str = "reverie",
        heap: str = "1g",
        user: str = "root",
        password: str | None = None,
    ) -> None:
        self._owns_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="reverie-arcadedb-")) if root is None else root
        self.database = database
        self.heap = heap
        self.user = user
        self.password = password or "rv-" + secrets.token_hex(12)
        self.bolt_port = free_port()
        self.http_port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.bolt_port}"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.user, self.password)

    @property
    def log_path(self) -> Path:
        return self.root / "server.log"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def command(self) -> list[str]:
        home = arcadedb_home()
        return [
            _java(home),
            f"-Xmx{self.heap}",
            "-Xms64m",
            "-XX:+UseG1GC",  # SerialGC paused 7.5 s while 120k events were written (2g heap)
            "-cp",
            str(home / "jars" / "*"),
            f"-Darcadedb.server.rootPath={self.root}",
            f"-Darcadedb.server.rootPassword={self.password}",
            f"-Darcadedb.server.plugins={_BOLT_PLUGIN}",
            "-Darcadedb.bolt.host=127.0.0.1",
            f"-Darcadedb.bolt.port={self.bolt_port}",
            "-Darcadedb.server.httpIncomingHost=127.0.0.1",
            f"-Darcadedb.server.httpIncomingPort={self.http_port}",
            f"-Darcadedb.server.defaultDatabases={self.database}[{self.user}]",
            _MAIN_CLASS,
        ]

    def start(self, timeout: float = 90.0) -> ArcadeDBServer:
        """Launch the server and return once the database answers over Bolt."""
        if self.running:
            return self
        self.root.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self._proc = subprocess.Popen(
                self.command(),
                cwd=self.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            log.close()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        import neo4j
        from neo4j.exceptions import Neo4jError, ServiceUnavailable, SessionExpired

        deadline = time.monotonic() + timeout
        last: Exception | None = None
        assert self._proc is not None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise StoreError(
                    f"ArcadeDB exited with code {self._proc.returncode} while starting; "
                    f"log: {self.log_path}\n{self.log_tail()}"
                )
            try:
                with (
                    neo4j.GraphDatabase.driver(
                        self.uri, auth=self.auth, connection_timeout=2.0
                    ) as driver,
                    driver.session(database=self.database) as session,
                ):
                    session.run("RETURN 1 AS ok").consume()
                return
            except (ServiceUnavailable, SessionExpired, Neo4jError, OSError) as exc:
                last = exc
            # poll interval: returns early if the process dies
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=0.25)
        self.stop()
        raise StoreError(
            f"ArcadeDB did not answer on {self.uri} within {timeout:.0f}s ({last}); "
            f"log: {self.log_path}\n{self.log_tail()}"
        )

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far (user + system), where ``/proc`` tells."""
        if self._proc is None:
            return None
        try:
            fields = Path(f"/proc/{self._proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path.is_file():
            return ""
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self, timeout: float = 30.0) -> None:
        """Shut the server down cleanly (SIGTERM), killing it if it does not exit in time."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=timeout)

    def kill(self) -> None:
        """End the server abruptly (SIGKILL), as a crash or a pulled plug would."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.kill()
        proc.wait(timeout=30)

    def cleanup(self) -> None:
        """Stop the server and remove its root folder if this object made it."""
        self.stop()
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def env(self) -> dict[str, str]:
        """``REVERIE_NEO4J_*`` variables that point Reverie at this server."""
        return {
            "REVERIE_NEO4J_URI": self.uri,
            "REVERIE_NEO4J_USER": self.user,
            "REVERIE_NEO4J_PASSWORD": self.password,
            "REVERIE_NEO4J_DATABASE": self.database,
        }

    def __enter__(self) -> ArcadeDBServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


if __name__ == "__main__":  # pragma: no cover - manual use: python -m reverie.testing.arcadedb
    with ArcadeDBServer() as server:
        for key, value in server.env().items():
            print(f"export {key}={value}")
        print(f"# pid {os.getpid()}; Ctrl-C stops the server", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server._proc.wait() if server._proc else None
