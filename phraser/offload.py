"""Work handed to a second, fresh Python process while this one goes on.

Not `os.fork`: a fork of a build, which holds the mined result, starts with all of its
pages resident (1.8 GB on the large corpus, counted in the build's peak) and copies every
page it touches. Not multiprocessing's "spawn" either: it runs the caller's main script
again, which a library must not ask of the scripts that call it. The child here is
`python -c` with the function and its arguments pickled on its stdin, and its answer
pickled back on its stdout.
"""

from __future__ import annotations

import gc
import os
import pickle
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent)


class OffloadError(RuntimeError):
    """The second process failed; the message ends with its exception's line."""


class Offload:
    """`fn(*args)` in a second process; `get` waits for its value, `close` stops it.

    `fn` and `args` must pickle (a module-level function, plain data). A `nice` job runs
    at that much lower a priority (`os.nice`): work needed only at the end, which should
    take a core from this process only when this one does not want it."""

    def __init__(self, fn: Callable[..., Any], *args: Any, nice: int = 0):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_ROOT, env.get("PYTHONPATH")]))
        self.errors = tempfile.TemporaryFile()  # a file: a full pipe would stall the child
        self.proc: subprocess.Popen | None = subprocess.Popen(
            [sys.executable, "-c", f"from phraser.offload import _serve; _serve({int(nice)})"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.errors,
            env=env,
        )
        self._send((fn, args))

    def _send(self, job: tuple) -> None:
        """Pickle the job here, and write it from a thread: the child reads it only once
        it has started and imported what the job needs (≈ 0.5 s), and this process has
        better things to do than wait on a full pipe meanwhile."""
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        self.writer = threading.Thread(target=_write_all, args=(self.proc.stdin, data), daemon=True)
        self.writer.start()

    def get(self) -> Any:
        if self.proc is None:
            raise OffloadError("the second process was stopped")
        out = self.proc.stdout.read()
        code = self.proc.wait()
        self.writer.join()
        self.proc.stdout.close()
        self.proc = None
        if code != 0:
            raise OffloadError(f"a second process of the build failed: {self._last_error(code)}")
        self.errors.close()
        return pickle.loads(out)

    def _last_error(self, code: int) -> str:
        """The child's last stderr line (its exception), else its exit status."""
        self.errors.seek(0)
        lines = self.errors.read().decode("utf-8", "replace").strip().splitlines()
        self.errors.close()
        return lines[-1] if lines else f"exit status {code}"

    def close(self) -> None:
        """Stop the process if it is still running (a build that failed first)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.writer.join()
            self.proc.stdout.close()
            self.errors.close()
            self.proc = None


def _write_all(pipe, data: bytes) -> None:
    try:
        with pipe:
            pipe.write(data)
    except (BrokenPipeError, ValueError, OSError):
        pass  # the child died (its `get` reports it) or was stopped (`close`)


class Later:
    """`fn(*args)`, worked out in a second process from now when `background`, else here
    when asked: `get` gives its value either way, `close` stops the process (a build that
    failed first)."""

    def __init__(self, fn: Callable[..., Any], *args: Any, background: bool):
        self.fn, self.args, self.background = fn, args, background
        self.job = Offload(fn, *args) if background else None

    def get(self) -> Any:
        if self.job is None:
            return self.fn(*self.args)
        job, self.job = self.job, None
        return job.get()

    def close(self) -> None:
        if self.job is not None:
            self.job.close()


def _serve(nice: int = 0) -> None:
    """The child: read the job from stdin, run it, pickle its value to stdout (anything
    the job prints goes to stderr, so it cannot spoil the answer); `nice`: see `Offload`."""
    if nice:
        os.nice(nice)
    answer = sys.stdout.buffer
    sys.stdout = sys.stderr
    gc.disable()  # one job that makes many objects and exits: see build._no_cycle_collection
    fn, args = pickle.load(sys.stdin.buffer)
    pickle.dump(fn(*args), answer, protocol=pickle.HIGHEST_PROTOCOL)
    answer.flush()
