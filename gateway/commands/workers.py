"""The worker processes of ``publicpay serve``: a listening socket for each, and uvicorn's
supervisor taught to give each worker its own socket and stop within the shutdown timeout."""

from __future__ import annotations

import logging
import socket
import time

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

log = logging.getLogger(__name__)


class AddressInUse(Exception):
    """The address cannot be listened on (another server has it, or it is not this host's)."""


def listening_sockets(host: str, port: int, count: int) -> list[socket.socket]:
    """``count`` sockets bound to one address with SO_REUSEPORT, one per worker: the kernel
    spreads new connections evenly over them. With one socket shared by all, the worker that
    wakes first accepted a burst of connections (32 split 4/28 between two workers, where
    these split 16/16 … 10/22), and the busier worker's one core bounded the whole.

    SO_REUSEPORT would also let another server of this user's join the address unnoticed and
    take a share of its connections: a socket without it claims the address first, so that an
    address in use is refused as it was with one socket."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sockets: list[socket.socket] = []
    try:
        with socket.socket(family) as claim:
            claim.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            claim.bind((host, port))
        for _ in range(count):
            sockets.append(socket.socket(family))
            sockets[-1].setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sockets[-1].setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sockets[-1].bind((host, port))
    except OSError as error:
        for bound in sockets:
            bound.close()
        raise AddressInUse(f"cannot listen on {host}:{port}: {error.strerror}") from error
    return sockets


class Workers(Multiprocess):
    """uvicorn's supervisor of the worker processes (it restarts one that dies), one worker
    included, worker i serving ``sockets[i]`` only, and stopping within the shutdown timeout.

    This process keeps its copy of every socket while it runs: connections that arrive at a
    dead worker's socket wait in its queue for the replacement, which is given the same
    socket, instead of being lost. uvicorn's own methods that start a worker hand it every
    socket; those are the methods overridden here. The number of workers is fixed (SIGTTIN
    and SIGTTOU are declined): a worker fewer would leave its socket's connections waiting.

    On SIGTERM it closes its copies of the sockets before it tells the workers to stop (they
    close theirs, and finish the requests in flight): while any copy is open the kernel keeps
    accepting connections into the socket's queue, which then wait unanswered, instead of
    being refused at once and retried elsewhere. A worker still busy at the timeout is
    killed: what it leaves is what a crash leaves, which loses nothing (a request's
    transaction rolls back; a webhook delivery is due again when its lease ends)."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], *, stop_within_s: float) -> None:
        assert len(sockets) == config.workers, "a socket per worker"
        super().__init__(config, sockets)
        self.stop_within_s = stop_within_s

    def _start_worker(self, index: int) -> Process:
        worker = Process(self.config, [self.sockets[index]])
        worker.start()
        return worker

    def init_processes(self) -> None:
        self.processes = [self._start_worker(index) for index in range(self.processes_num)]

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for index, worker in enumerate(self.processes):
            if worker.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            worker.kill()  # it may be hung rather than dead
            worker.join()
            if worker.exitcode == STARTUP_FAILURE:
                # It failed before it served: the app or its settings are broken, and every
                # restart would fail the same way.
                log.error("worker %s failed to start: stopping", worker.pid)
                self.should_exit.set()
                return
            log.warning("worker %s died (exit code %s): starting another on its socket", worker.pid, worker.exitcode)
            self.processes[index] = self._start_worker(index)

    def restart_all(self) -> None:
        """SIGHUP: each worker replaced in turn, its replacement serving before it stops."""
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start_worker(index)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                log.error("worker %s was not ready in time: keeping %s, restart abandoned", new.pid, old.pid)
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def handle_ttin(self) -> None:
        log.warning("SIGTTIN ignored: the number of workers is set by `serve --workers`")

    def handle_ttou(self) -> None:
        log.warning("SIGTTOU ignored: the number of workers is set by `serve --workers`")

    def terminate_all(self) -> None:
        for listening in self.sockets:
            listening.close()
        super().terminate_all()

    def failed_to_start(self) -> bool:
        return any(worker.exitcode == STARTUP_FAILURE for worker in self.processes)

    def join_all(self) -> None:
        deadline = time.monotonic() + self.stop_within_s
        for worker in self.processes:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                log.warning("worker %s still busy after the shutdown timeout: killed", worker.pid)
                worker.kill()
                worker.process.join()
