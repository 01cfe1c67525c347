"""Document extraction in worker processes with memory and time limits (issues 13 and 14).

A hostile document must cost the night one ``parse_error``, nothing more. A PDF whose content stream
inflates without bound, an XLSX with one giant row, a DOCX with a huge XML part: parsed in the crawl
process they exhausted its memory (SIGABRT), or blocked the event loop for seconds. Here each document is
parsed by a ``pebble.ProcessPool`` worker whose address space is capped (``RLIMIT_AS``) and whose task is
killed after a wall-clock limit; a worker that dies or is killed fails only its own task (pebble starts a
new worker), and the crawl process awaits the result without blocking the reactor.

Workers start from a fork server (``forkserver``: never a fork of the crawl process, which runs threads
and the reactor), preloading the extraction modules once; each worker dies with its crawl process
(``PR_SET_PDEATHSIG``) and is replaced after ``max_tasks`` documents.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import resource
import signal
from concurrent.futures import CancelledError
from dataclasses import dataclass
from typing import Any

from crawler.documents import Extraction, extract

#: Defaults of the ``VIGIA_EXTRACT_*`` settings (crawler/settings.py).
WORKERS = 1
MEMORY_MB = 1024
SECONDS = 60.0
MAX_TASKS = 500
#: exit code of a worker that left after a document exhausted its memory
MEMORY_EXIT = 86
#: modules imported once in the fork server, so every worker starts with them
PRELOAD = ["crawler.documents", "pypdfium2", "openpyxl", "lxml.etree"]
#: document types read by a library that a hostile file can blow up: only these go to a worker (CSV is
#: decoded in place — its cost is bounded by its size —, other types have nothing to read)
ISOLATED_TYPES = {"pdf", "xlsx", "docx"}


@dataclass(frozen=True)
class Limits:
    workers: int = WORKERS
    memory_mb: int = MEMORY_MB
    seconds: float = SECONDS
    max_tasks: int = MAX_TASKS

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(
            workers=max(1, settings.getint("VIGIA_EXTRACT_WORKERS", WORKERS)),
            memory_mb=settings.getint("VIGIA_EXTRACT_MEMORY_MB", MEMORY_MB),
            seconds=settings.getfloat("VIGIA_EXTRACT_SECONDS", SECONDS),
            max_tasks=settings.getint("VIGIA_EXTRACT_MAX_TASKS", MAX_TASKS),
        )


def _limit_worker(memory_mb: int) -> None:
    """Pool initializer, in each worker: cap its address space, die with the crawl process."""
    if memory_mb > 0:
        cap = memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a crash leaves no multi-GB core file
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _near_cap() -> bool:
    cap, _ = resource.getrlimit(resource.RLIMIT_AS)
    if cap == resource.RLIM_INFINITY:
        return False
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    return peak > cap // 2


def extract_timed(doc_type: str, body: bytes) -> tuple[Extraction, float]:
    """In a worker: the extraction and the CPU seconds it took (the crawl's CPU figures include it)."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    result = extract(doc_type, body)
    if result.error and _near_cap():
        # the reader hit the memory cap and Python survived it (a MemoryError caught, a fallback reader
        # tried), but this worker's heap stays full: it could not even receive the next document. Leave
        # now; the pool reports this document's worker as dead of memory, and starts a fresh one.
        os._exit(MEMORY_EXIT)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return result, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _describe_death(exc: BaseException, limits: Limits) -> str:
    code = getattr(exc, "exitcode", None)
    if isinstance(code, int) and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"señal {-code}"
        how = f"terminó por {name}"
    elif code == MEMORY_EXIT:
        how = "agotó su memoria"
    elif code is not None:
        how = f"terminó con código {code}"
    else:
        how = "terminó"
    return (
        f"el proceso de extracción {how} (límite de memoria {limits.memory_mb} MB): "
        "documento demasiado grande o malformado"
    )


class ExtractionPool:
    """``await pool.extract(doc_type, body)`` → :class:`Extraction`; never raises for a bad document."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._pool: Any = None
        self.submitted = 0
        self.failed = 0
        #: CPU seconds the workers spent on documents that finished (killed tasks are not counted)
        self.cpu_seconds = 0.0

    def _ensure(self) -> Any:
        if self._pool is None or not self._pool.active:
            from pebble import ProcessPool

            context = multiprocessing.get_context("forkserver")
            # the readers' libraries are mapped once, in the fork server, before any limit applies: a
            # worker near its memory cap could not map libpdfium any more
            context.set_forkserver_preload(PRELOAD)
            self._pool = ProcessPool(
                max_workers=self.limits.workers,
                max_tasks=self.limits.max_tasks,
                initializer=_limit_worker,
                initargs=(self.limits.memory_mb,),
                context=context,
            )
        return self._pool

    def submit(self, doc_type: str, body: bytes) -> Any:
        """A ``concurrent.futures`` future of the raw result (see :meth:`result`)."""
        self.submitted += 1
        timeout = self.limits.seconds if self.limits.seconds > 0 else None
        return self._ensure().schedule(extract_timed, args=(doc_type, body), timeout=timeout)

    def result(self, future: Any) -> Extraction:
        """The finished future's extraction; a time-out, a dead worker or a broken pool becomes an
        ``Extraction`` with ``error``."""
        return self._outcome(future)[0]

    def _outcome(self, future: Any) -> tuple[Extraction, bool]:
        """(extraction, whether the document itself was never tried: the pool broke before it ran)."""
        from pebble import ProcessExpired

        try:
            extraction, cpu = future.result()
        except TimeoutError:
            self.failed += 1
            limit = f"extracción interrumpida tras {self.limits.seconds:g} s (límite de tiempo)"
            return Extraction(error=limit), False
        except ProcessExpired as exc:
            self.failed += 1
            return Extraction(error=_describe_death(exc, self.limits)), False
        except CancelledError:
            self.failed += 1
            return Extraction(error="extracción cancelada al cerrar el rastreo"), False
        except Exception as exc:  # noqa: BLE001 - a broken pool, an unpicklable result: this document only
            self.failed += 1
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            return Extraction(error=f"error del proceso de extracción: {type(exc).__name__}: {first}"), True
        self.cpu_seconds += cpu
        return extraction, False

    async def extract(self, doc_type: str, body: bytes) -> Extraction:
        """Extract in a worker; the caller's event loop keeps running meanwhile. A document the pool
        never ran (a worker that died before it, after another document's blow-up) is tried once more."""
        if doc_type not in ISOLATED_TYPES:
            return extract(doc_type, body)  # a worker round trip costs more than this
        for attempt in (1, 2):
            try:
                future = self.submit(doc_type, body)
            except Exception as exc:  # noqa: BLE001 - the pool cannot start: one line, this document only
                self.failed += 1
                self._pool = None
                return Extraction(
                    error=f"no se pudo iniciar la extracción: {type(exc).__name__}: {exc}"[:300]
                )
            # the pool's own time limit applies once a worker starts the document; this one is a safety
            # net for a document that never reaches a worker (one dying as it is sent)
            waiting = asyncio.wrap_future(future)
            await asyncio.wait({waiting}, timeout=self.deadline())
            if waiting.done() and not waiting.cancelled():
                waiting.exception()  # read below, from the pool's future; retrieved here for asyncio
            if not future.done():
                waiting.cancel()
                future.cancel()
                self.failed += 1
                return Extraction(error="el proceso de extracción no respondió: documento no leído")
            extraction, untried = self._outcome(future)
            if not (untried and attempt == 1):
                break
        return extraction

    def deadline(self) -> float:
        """Longest wait for one document, queueing behind the others included."""
        per_document = self.limits.seconds if self.limits.seconds > 0 else 600.0
        return 4 * per_document + 60.0

    def extract_now(self, doc_type: str, body: bytes) -> Extraction:
        """Blocking variant (tests, tools)."""
        for attempt in (1, 2):
            future = self.submit(doc_type, body)
            with contextlib.suppress(Exception):
                future.result(timeout=self.deadline())
            extraction, untried = self._outcome(future)
            if not (untried and attempt == 1):
                break
        return extraction

    def close(self) -> None:
        if self._pool is not None:
            self._pool.stop()
            self._pool.join(timeout=10)
            self._pool = None
