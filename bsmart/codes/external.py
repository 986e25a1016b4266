"""An external program that reads and writes SLHA files (SPheno, micrOMEGAs, simsusy, ...).

Each point runs in its own folder, without a shell, in a new session with a timeout: on
timeout, and after every run, its process group and every process that carries its tag
(daemons that left the group, see :mod:`bsmart.processes`) are killed, so that nothing is
left behind. A crash, a timeout, a non-zero exit or a missing/unparsable output raises
CodeError, which makes the point invalid and never stops the scan.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path
from typing import Any, Mapping, Sequence

from bsmart.codes.base import Code, CodeOutput
from bsmart.errors import CodeError
from bsmart.processes import TAG, kill_group, kill_tagged
from bsmart.slha import Template, read_slha

PLACEHOLDERS = ("{InputFile}", "{OutputFile}")


def _tail(path: Path, limit: int = 300) -> str:
    """The reason a program gave for failing: the error lines among its last output lines
    (e.g. simsusy's "invalid EWSB spec (mu^2 < 0)" before "Model set-up failed"), else the
    last line. Traceback frames are skipped; the exception line itself is kept."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 4096))
            lines = [line.strip() for line in fh.read().decode(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    last = lines[-5:]
    errors = [line for line in last if "error" in line.lower() and not line.startswith(("File ", "raise ", "Traceback"))]
    return " | ".join(errors[-2:] or last[-1:])[:limit]


class ExternalCode(Code):
    kind = "external"
    needs_workdir = True
    self_timed = True

    def __init__(self, name: str, command: Sequence[str], input_file: str | None = None,
                 output_file: str | None = None, template: Template | None = None, timeout: float = 600.0,
                 environment: Mapping[str, str] | None = None, **kwargs: Any):
        super().__init__(name, timeout=timeout, **kwargs)
        self.command = list(command)
        self.input_file, self.output_file = input_file, output_file
        self.template = template
        self.environment = dict(environment or {})

    @property
    def writes_slha(self) -> bool:
        return bool(self.output_file)

    def arguments(self) -> list[str]:
        files = {"{InputFile}": self.input_file or "", "{OutputFile}": self.output_file or ""}
        args = []
        for arg in self.command:
            for key, value in files.items():
                arg = arg.replace(key, value)
            args.append(arg)
        return args

    def run(self, env: Mapping[str, Any], workdir: Path | None) -> CodeOutput:
        assert workdir is not None
        self.write_input(env, workdir)
        # never read a stale output from an earlier code or point; but a code that updates its
        # input in place (OutputFile == InputFile, e.g. adding HiggsTools blocks) must find it
        if self.output_file and self.output_file != self.input_file:
            (workdir / self.output_file).unlink(missing_ok=True)
        self.execute(self.arguments(), workdir, self.timeout)
        if not self.output_file:
            return CodeOutput()
        try:
            return CodeOutput(slha=self.read_output(workdir / self.output_file))
        except CodeError as exc:
            raise CodeError(f"{self.name}: {exc}") from None

    def execute(self, args: list[str], workdir: Path, timeout: float, stdin: Path | None = None) -> None:
        """Run the program once in the point's folder (its standard input: ``stdin``, else nothing);
        CodeError unless it ends by itself with status 0."""
        stdout, stderr = workdir / f"{self.name}.stdout", workdir / f"{self.name}.stderr"
        tag = f"{os.environ.get(TAG, '')}{self.name}-{uuid.uuid4().hex}"  # this run of this program
        process_env = {**os.environ, **self.environment, TAG: tag}
        with open(stdout, "wb") as out, open(stderr, "wb") as err, \
                open(stdin if stdin is not None else os.devnull, "rb") as given:
            try:
                process = subprocess.Popen(args, cwd=workdir, stdin=given, stdout=out,
                                           stderr=err, start_new_session=True, env=process_env)
            except OSError as exc:
                raise CodeError(f"{self.name}: cannot start {args[0]}: {exc.strerror}") from None
            try:
                returncode = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                kill_group(process.pid)
                process.wait()
                raise CodeError(f"{self.name} timed out after {self.timeout:g} s") from None
            finally:
                kill_group(process.pid)  # children it left behind, in its group
                kill_tagged(tag)  # and those that left the group (double-forked daemons)
        if returncode < 0:
            try:
                signame = signal.Signals(-returncode).name
            except ValueError:
                signame = f"signal {-returncode}"
            raise CodeError(f"{self.name} was killed by {signame}")
        if returncode != 0:
            detail = _tail(stderr) or _tail(stdout)
            raise CodeError(f"{self.name} exited with status {returncode}" + (f": {detail}" if detail else ""))

    def read_output(self, path: Path) -> Any:
        """The parsed output; a tool whose program writes another format overrides this."""
        return read_slha(path)
