"""Starting the embedded catalog's child process, before its catalog is known.

The child (:mod:`ocean.store.sqlite.child`) takes a tenth of a second to start its
interpreter and import what it runs. ``ocean sail`` starts one first thing, beside its own
imports and the integration's, and tells it which file to open once the configuration
is read (:meth:`CatalogProcess.start <ocean.store.sqlite.process.CatalogProcess.start>`):
by the resync's first write it is ready. This module imports next to nothing, so that
the start costs the parent no more than a fork.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import IO

from ocean.store.catalog_url import sqlite_path


class SpareCatalog:
    """A catalog process waiting to be told its file; start with :meth:`start`, hand it to
    the store (which :meth:`take` s it), and :meth:`close` it in any case (it ends there if
    no store took it)."""

    def __init__(self, process: subprocess.Popen[bytes], requests: IO[bytes], answers: int):
        self._process, self._requests, self._answers = process, requests, answers
        self._taken = False

    @classmethod
    def start(cls) -> SpareCatalog:
        """A new child (OSError if it cannot start: the catalog then stays on a thread)."""
        theirs, ours = os.pipe()
        answered, answers = os.pipe()
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "ocean.store.sqlite.child"],
                stdin=theirs,
                stdout=answers,
                env=child_environment(),
            )
        except BaseException:
            os.close(ours)
            os.close(answered)
            raise
        finally:
            os.close(theirs)
            os.close(answers)
        return cls(process, open(ours, "wb"), answered)

    @classmethod
    def start_for(cls, url: str | None) -> SpareCatalog | None:
        """One started ahead for a resync into ``url`` (None: not known yet), unless that
        is not an embedded catalog or no process starts (the store then says why)."""
        if url is not None and sqlite_path(url) is None:
            return None
        try:
            return cls.start()
        except OSError:
            return None

    @property
    def pid(self) -> int:
        return self._process.pid

    def take(self) -> tuple[subprocess.Popen[bytes], IO[bytes], int]:
        """The child, the pipe to it and (its descriptor) the pipe from it, now the
        taker's to close."""
        self._taken = True
        return self._process, self._requests, self._answers

    def close(self) -> None:
        """End it unless a store took it: its input ends and it exits."""
        if self._taken:
            return
        self._taken = True
        with contextlib.suppress(OSError):
            self._requests.close()
        with contextlib.suppress(OSError):
            os.close(self._answers)
        self._process.wait()


def child_environment() -> dict[str, str]:
    """This environment, with the folder this ``ocean`` package was imported from first on
    the child's path: the child runs the same code, however the parent found it."""
    home = str(Path(__file__).resolve().parents[3])
    path = os.environ.get("PYTHONPATH")
    return os.environ | {"PYTHONPATH": home + (os.pathsep + path if path else "")}
