"""SLHA in and out: input templates with expressions, and values read back with pyslha.

An input template is an SLHA file whose entry values may be variable names or
arithmetic expressions (``m0``, ``0.25*m12``, ``VARIABLE[1]+VARIABLE[3]``). It cannot be
read by an SLHA library as it stands, so it is compiled here once, line by line: literal
lines stay as written, expression entries are evaluated per point with :mod:`bsmart.expr`.
Outputs of codes are plain SLHA and are read with pyslha.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from bsmart.errors import CodeError, ConfigError, ExpressionError
from bsmart.expr import Expression
from bsmart.space import CODE_DIGITS

_BLOCK_RE = re.compile(r"^\s*block\s+(\S+)", re.IGNORECASE)
_SECTION_RE = re.compile(r"^\s*(decay|xsection)\b", re.IGNORECASE)
_INT_RE = re.compile(r"^[+-]?\d+$")
MAX_TEMPLATE_BYTES = 10_000_000


def _fortran_float(text: str) -> float:
    """A number as Fortran codes write it (1.0D+02 too); ValueError when it is none."""
    return float(text.replace("D", "E").replace("d", "e"))


def _is_number(text: str) -> bool:
    try:
        _fortran_float(text)
        return True
    except ValueError:
        return False


def section_name(line: str) -> str | None:
    """What an SLHA line starts: a block (its name, upper case), a DECAY or XSECTION section
    (""), or nothing (None: an entry, a comment, a blank line)."""
    code = line.partition("#")[0]
    block = _BLOCK_RE.match(code)
    if block:
        return block.group(1).upper()
    return "" if _SECTION_RE.match(code) else None


def format_value(value: float) -> str:
    return f"{float(value): .{CODE_DIGITS - 1}E}"


@dataclass
class _Entry:
    block: str
    indices: tuple[int, ...]
    value: Expression | str  # str: a literal number kept exactly as written
    comment: str = ""

    def render(self, env: Mapping[str, Any]) -> str:
        head = " ".join(f"{i:>5d}" for i in self.indices)
        if isinstance(self.value, Expression):
            try:
                number = float(self.value.evaluate(env))
            except (ExpressionError, TypeError, ValueError) as exc:
                raise CodeError(f"template entry {self.block} {self.indices}: {exc}") from None
            if not math.isfinite(number):
                raise CodeError(f"template entry {self.block} {self.indices} '{self.value.source}' is {number}")
            text = format_value(number)
        else:
            text = self.value
        return f" {head}   {text}   {self.comment}".rstrip()


def _split_entry(body: str) -> tuple[tuple[int, ...], str] | None:
    """Split 'i j value...' into indices and the value text (which may contain spaces)."""
    tokens = body.split()
    if not tokens:
        return None
    n_int = 0
    while n_int < len(tokens) and _INT_RE.match(tokens[n_int]):
        n_int += 1
    for k in range(min(n_int, len(tokens) - 1), -1, -1):
        rest = " ".join(tokens[k:])
        if _is_number(rest):
            return tuple(int(t) for t in tokens[:k]), rest
        try:
            Expression(rest)
            return tuple(int(t) for t in tokens[:k]), rest
        except ExpressionError:
            continue
    return None


def parse_entry_key(key: str | int) -> tuple[int, ...]:
    """JSON ``Blocks`` keys: ``"1"`` or ``"3,3"``."""
    try:
        return tuple(int(p) for p in str(key).replace(" ", "").split(","))
    except ValueError:
        raise ValueError(f"entry key '{key}' is not a list of integers") from None


class Template:
    """A compiled SLHA input template; ``render(env)`` returns the file text for one point."""

    def __init__(self, text: str, known_names: Iterable[str], source: str = "template",
                 overrides: Mapping[str, Mapping[str, Any]] | None = None):
        self.source = source
        known = set(known_names) | {"VARIABLE"}
        self._lines: list[str | _Entry] = []
        block: str | None = None
        for lineno, line in enumerate(text.splitlines(), 1):
            code, _, comment = line.partition("#")
            section = section_name(code)
            if section:
                block = section
                self._lines.append(line)
                continue
            if section == "":
                block = None
            if block is None or not code.strip():
                self._lines.append(line)
                continue
            split = _split_entry(code)
            if split is None:
                raise ConfigError(f"line {lineno} in block {block} is not 'index value': '{line.strip()}'",
                                  file=source)
            indices, value = split
            self._lines.append(self._entry(block, indices, value, "#" + comment if comment else "",
                                           known, f"line {lineno}"))
        for block_name, entries in (overrides or {}).items():
            if not isinstance(entries, Mapping):
                raise ConfigError("must map entry keys to values", where=f"Blocks.{block_name}")
            for key, value in entries.items():
                try:
                    indices = parse_entry_key(key)
                except ValueError as exc:
                    raise ConfigError(str(exc), where=f"Blocks.{block_name}") from None
                # file=None: the error is in the JSON file's Blocks, which the caller names
                self.set_entry(block_name.upper(), indices,
                               self._entry(block_name.upper(), indices, str(value), "", known,
                                           f"Blocks.{block_name}.{key}", file=None))

    def _entry(self, block: str, indices: tuple[int, ...], value: str, comment: str,
               known: set[str], where: str, file: str | None = "") -> _Entry:
        file = self.source if file == "" else file
        if _is_number(value):
            return _Entry(block, indices, value.strip(), comment)
        try:
            expr = Expression(value)
        except ExpressionError as exc:
            raise ConfigError(f"{exc}", file=file, where=f"{where} (block {block})") from None
        unknown = sorted(expr.names - known)
        if unknown:
            raise ConfigError(f"'{value}' uses unknown name(s) {unknown}", file=file,
                              where=f"{where} (block {block})")
        return _Entry(block, indices, expr, comment)

    def variable_entries(self, names: Sequence[str]) -> dict[str, tuple[str, tuple[int, ...]]]:
        """Variable -> the (block, indices) of an entry that is just that variable (``m0`` or
        ``VARIABLE[0]``): where a filled file holds its value (read_dir reads it back)."""
        found: dict[str, tuple[str, tuple[int, ...]]] = {}
        for line in self._lines:
            if isinstance(line, _Entry) and isinstance(line.value, Expression):
                source = line.value.source.replace(" ", "")
                index = re.fullmatch(r"VARIABLE\[(\d+)\]", source)
                name = names[int(index.group(1))] if index and int(index.group(1)) < len(names) else source
                if name in names:
                    found.setdefault(name, (line.block, line.indices))
        return found

    def set_entry(self, block: str, indices: tuple[int, ...], entry: _Entry) -> None:
        """Replace an entry, or add it to its block (adding the block if needed)."""
        last_in_block = None
        for i, line in enumerate(self._lines):
            if isinstance(line, _Entry):
                if line.block == block and line.indices == indices:
                    self._lines[i] = entry
                    return
                if line.block == block:
                    last_in_block = i
            elif section_name(line) == block:  # the block's header line
                last_in_block = i
        if last_in_block is None:
            self._lines.append(f"Block {block}")
            self._lines.append(entry)
        else:
            self._lines.insert(last_in_block + 1, entry)

    def render(self, env: Mapping[str, Any]) -> str:
        return "\n".join(line if isinstance(line, str) else line.render(env) for line in self._lines) + "\n"

    @classmethod
    def from_file(cls, path: Path, known_names: Iterable[str],
                  overrides: Mapping[str, Mapping[str, Any]] | None = None) -> "Template":
        path = Path(path)
        if not path.is_file():  # a FIFO would hang, /dev/zero never end
            why = "it is not a regular file (a folder, FIFO or device)" if path.exists() else "it does not exist"
            raise ConfigError(f"cannot read SLHA template: {why}", file=str(path))
        if path.stat().st_size > MAX_TEMPLATE_BYTES:
            raise ConfigError(f"SLHA template is larger than {MAX_TEMPLATE_BYTES // 1_000_000} MB", file=str(path))
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read SLHA template: {getattr(exc, 'strerror', None) or 'not UTF-8 text'}",
                              file=str(path)) from None
        return cls(text, known_names, source=str(path), overrides=overrides)


# -- reading ------------------------------------------------------------------------------

def read_slha(path: Path, fix: Callable[[str], str] | None = None):
    """Parse an SLHA file with pyslha; any failure is a CodeError (the point becomes invalid).
    ``fix`` turns the text into SLHA first (for a program that writes an SLHA-like format)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        raise CodeError(f"output file {path.name} was not written") from None
    if size > 50_000_000:
        raise CodeError(f"output file {path.name} is {size} bytes, too large to be an SLHA spectrum")
    try:
        text = path.read_text(errors="strict")
    except (UnicodeDecodeError, OSError):
        raise CodeError(f"output file {path.name} is not a text file") from None
    return parse_slha(fix(text) if fix is not None else text, f"output file {path.name}")


_DECAY1L = re.compile(r"^(\s*)DECAY1L\b", re.IGNORECASE | re.MULTILINE)
_BLOCK_HEADER = re.compile(r"^\s*BLOCK\s+(\S+)", re.IGNORECASE | re.MULTILINE)
# HackAnalysis' results: "BLOCK PROCESS <analysis>" (XS, Events, ...) and "BLOCK EFFICIENCIES
# <analysis>" (a signal region's efficiency and uncertainties per line), entries keyed by name
ANALYSIS_BLOCKS = ("PROCESS", "EFFICIENCIES")
_ANALYSIS_HEADER = re.compile(rf"^\s*BLOCK\s+({'|'.join(ANALYSIS_BLOCKS)})\s+([^\s#=]+)", re.IGNORECASE)


def parse_slha(text: str, what: str = "the SLHA text"):
    """Parse SLHA text with pyslha; CodeError naming ``what`` when it is not SLHA."""
    import pyslha

    # SPheno's one-loop decays (DECAY1L) are no section pyslha knows: it would add their branching
    # ratios to the DECAY before them (summing to 2); skipped, as BSMArt's br keeps tree level only
    text = _DECAY1L.sub(r"\1SKIPPED_DECAY1L", text)
    text, analyses = _split_analyses(text)
    text, repeats = _number_repeated_blocks(text)
    try:
        # pyslha writes "Ignoring unknown section" to stderr on garbage; that belongs in the
        # point's error, not on the user's console
        with contextlib.redirect_stderr(io.StringIO()):
            doc = pyslha.readSLHA(text, ignorenobr=True, ignorenomass=True)
    except Exception as exc:  # pyslha raises several kinds on garbage
        message = (str(exc).splitlines() or [type(exc).__name__])[0][:200]
        raise CodeError(f"{what} is not valid SLHA: {message}") from None
    for alias, name in repeats.items():  # a block written again (e.g. ZPEEDIN once per Z') adds its entries
        for key, value in doc.blocks.pop(alias, {}).items():
            doc.blocks[name][key] = value
    if not doc.blocks and not doc.decays and not analyses:
        raise CodeError(f"{what} is not valid SLHA: no BLOCK or DECAY found")
    doc.analyses = analyses
    return doc


def _split_analyses(text: str) -> tuple[str, dict[str, dict[str, dict[str, list[float]]]]]:
    """HackAnalysis' blocks taken out of the text (pyslha drops entries keyed by name):
    {ANALYSIS: {"PROCESS": {"XS": [value], ...}, "EFFICIENCIES": {region: [efficiency, ...]}}}."""
    upper = text.upper()  # every point's spectrum passes here; most hold neither block
    if not any(block in upper for block in ANALYSIS_BLOCKS):
        return text, {}
    analyses: dict[str, dict[str, dict[str, list[float]]]] = {}
    kept, entries = [], None
    for line in text.splitlines(True):
        header = _ANALYSIS_HEADER.match(line)
        if header:
            entries = analyses.setdefault(header.group(2).upper(), {}).setdefault(header.group(1).upper(), {})
            continue
        if entries is not None and section_name(line) is None:
            words = line.partition("#")[0].split()
            if len(words) > 1 and all(_is_number(w) for w in words[1:]):
                entries[words[0]] = [_fortran_float(w) for w in words[1:]]
            continue
        entries = None
        kept.append(line)
    return "".join(kept), analyses


def analyses_text(analyses: Mapping[str, Mapping[str, Mapping[str, Sequence[float]]]]) -> str:
    """HackAnalysis' blocks written back as HackAnalysis writes them."""
    lines = []
    for analysis, blocks in analyses.items():
        for block, entries in blocks.items():
            lines.append(f"BLOCK {block} {analysis}\n")
            lines += [f"{key}   {'   '.join(f'{v:.8e}' for v in values)}\n" for key, values in entries.items()]
    return "".join(lines)


def join_spectrum(spectrum: Any, other: Any) -> None:
    """A later code's results join (and replace) the point's spectrum, as in BSMArt."""
    spectrum.blocks.update(other.blocks)
    spectrum.decays.update(other.decays)
    spectrum.xsections.update(other.xsections)
    if getattr(other, "analyses", None):
        if not hasattr(spectrum, "analyses"):
            spectrum.analyses = {}
        for analysis, blocks in other.analyses.items():
            spectrum.analyses.setdefault(analysis, {}).update(blocks)


def _number_repeated_blocks(text: str) -> tuple[str, dict[str, str]]:
    """The text with each repeat of a block renamed (pyslha would keep only the last one's
    entries), and alias -> name; the text as it is when no block repeats (the usual case)."""
    names = [name.upper() for name in _BLOCK_HEADER.findall(text)]
    if len(names) == len(set(names)):
        return text, {}
    seen: dict[str, int] = {}
    repeats: dict[str, str] = {}
    lines = text.splitlines(True)
    for i, line in enumerate(lines):
        name = section_name(line)
        if name:
            seen[name] = seen.get(name, 0) + 1
            if seen[name] > 1:
                alias = f"{name}__REPEAT{seen[name]}"
                header = _BLOCK_RE.match(line)  # only the name token changes
                lines[i] = line[:header.start(1)] + alias + line[header.end(1):]
                repeats[alias] = name
    return "".join(lines), repeats


def block_text(block: str, entries: Iterable[tuple[Any, Any, str]]) -> str:
    """``BLOCK NAME`` and one `` key value # comment`` line per entry (a key may be a tuple; a
    value that is no number is written as it is)."""
    lines = [f"BLOCK {block} #\n"]
    for key, value, comment in entries:
        keys = " ".join(str(k) for k in (key if isinstance(key, tuple) else (key,)))
        try:
            shown = f"{float(value):.8E}"
        except (TypeError, ValueError):
            shown = str(value)
        lines.append(f" {keys}  {shown}  # {comment}\n")
    return "".join(lines)


def slha_text(doc) -> str:
    """A parsed SLHA document written out again (the spectrum BSMArt's StoreAllPoints collects)."""
    import pyslha

    return pyslha.writeSLHA(doc, ignorenobr=True) + analyses_text(getattr(doc, "analyses", {}))


def slha_value(doc, block: str, keys: tuple) -> float:
    """A value from a parsed SLHA document; CodeError when the entry is missing.

    A missing entry means the code did not produce what was asked of it (BSMArt silently
    used 0.0 for code observables, which can look like a good point), so the point fails."""
    block = block.upper()
    try:
        if block == "WIDTH":
            return float(doc.decays[int(keys[0])].totalwidth)
        if block == "BR":
            pdg, daughters = int(keys[0]), sorted(int(d) for d in keys[1])
            for decay in doc.decays[pdg].decays:
                if sorted(decay.ids) == daughters:
                    return float(decay.br)
            return 0.0  # an absent channel has branching ratio zero
        if block == "XSECTION":  # [sqrt(s), beam, beam, final state...], as BSMArt's zslha
            process = doc.xsections[(int(keys[1]), int(keys[2]), *sorted(int(k) for k in keys[3:]))]
            return next(float(x.value) for x in process.xsecs if math.isclose(x.sqrts, float(keys[0])))
        if block in ANALYSIS_BLOCKS:  # [analysis, name] or [analysis, region, column], as BSMArt's zslha
            return float(doc.analyses[str(keys[0]).upper()][block][str(keys[1])][int(keys[2]) if len(keys) > 2 else 0])
        entries = doc.blocks[block]
        value = entries[keys[0]] if len(keys) == 1 else entries[tuple(keys)]
        return float(value)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, StopIteration):
        where = f"{block} {keys[0]} {list(keys[1])}" if block == "BR" else f"{block} {list(keys)}"
        raise CodeError(f"entry {where} is missing or not a number") from None
