"""Typed settings: declared once (in a scan's ``__meta__``), read from the input file once.

Values may be JSON numbers or numeric strings, JSON booleans or "True"/"False" strings,
as BSMArt files write them; a setting of type ``object`` takes any JSON value, which the scan
checks. Errors name the file, block and key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from bsmart.errors import ConfigError

_TRUE = {"true", "1", "yes", "on"}
INT_CAP = 10 ** 9  # the largest count a setting may ask for unless it says otherwise
_FALSE = {"false", "0", "no", "off", "none", ""}


def parse_bool(value: Any, where: str, file: str | None = None) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigError(f"expected true/false, got {value!r}", file=file, where=where)


def parse_float(value: Any, where: str, file: str | None = None, *, finite: bool = True) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"expected a number, got {value!r}", file=file, where=where)
    try:
        number = float(value.strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an integer of thousands of digits
        raise ConfigError(f"expected a number, got {str(value)[:40]!r}", file=file, where=where) from None
    if finite and not math.isfinite(number):
        raise ConfigError(f"expected a finite number, got {value!r}", file=file, where=where)
    return number


def parse_int(value: Any, where: str, file: str | None = None) -> int:
    number = parse_float(value, where, file)
    if number != int(number):
        raise ConfigError(f"expected a whole number, got {value!r}", file=file, where=where)
    return int(number)


@dataclass(frozen=True)
class Setting:
    """One setting of a scan: its default, type, meaning and where it is read from."""

    default: Any
    type: type
    help: str
    block: str = "Setup"  # a top-level block, or a block inside one: "Setup.DEAP"
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None

    def parse(self, value: Any, where: str, file: str | None) -> Any:
        if value is None:
            if self.default is None:
                return None  # an optional setting (a file name, say) left empty
            raise ConfigError(f"expected {self.describe().split(', default')[0]}, got null (leave the key out for the "
                              f"default {self.default!r})", file=file, where=where)
        if self.type is object:  # a JSON list or object (BSMArt's CMAESFocus): the scan's check reads it
            return value
        if self.type is list:  # a list of whole numbers (BSMArt's MLS Neurons), each checked as one
            if not isinstance(value, (list, tuple)) or not value:
                raise ConfigError(f"expected a list of whole numbers, got {value!r}", file=file, where=where)
            return tuple(self._checked(parse_int(v, f"{where}[{i}]", file), f"{where}[{i}]", file)
                         for i, v in enumerate(value))
        if self.type is bool:
            parsed = parse_bool(value, where, file)
        elif self.type is int:
            parsed = parse_int(value, where, file)
        elif self.type is float:
            parsed = parse_float(value, where, file)
        else:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ConfigError(f"expected a string, got {value!r}", file=file, where=where)
            parsed = str(value)
            if self.choices is not None:
                match = {c.lower(): c for c in self.choices}.get(parsed.lower())
                if match is None:
                    raise ConfigError(f"'{parsed}' is not one of {list(self.choices)}", file=file, where=where)
                parsed = match
        return self._checked(parsed, where, file)

    def _checked(self, parsed: Any, where: str, file: str | None) -> Any:
        if self.minimum is not None and parsed < self.minimum:
            raise ConfigError(f"must be at least {self.minimum}, got {parsed}", file=file, where=where)
        if self.upper is not None and parsed > self.upper:
            raise ConfigError(f"must be at most {self.upper:g}, got {parsed:g}", file=file, where=where)
        return parsed

    @property
    def upper(self) -> float | None:
        """The largest value accepted: ``maximum``, or for counts :data:`INT_CAP`."""
        return self.maximum if self.maximum is not None or self.type not in (int, list) else INT_CAP

    def describe(self) -> str:
        kind = self.type.__name__ if self.choices is None else "|".join(self.choices)
        upper = f"{self.upper:g}" if self.type in (int, list) and self.upper is not None else self.upper  # 1e+09
        if self.minimum is not None and upper is not None:
            kind += f" in [{self.minimum}, {upper}]"
        elif self.minimum is not None:
            kind += f" >= {self.minimum}"
        elif upper is not None:
            kind += f" <= {upper}"
        default = "none" if self.default is None else repr(self.default)
        return f"{kind}, default {default} ({self.block}): {self.help}"


def attribute_name(key: str) -> str:
    """'Batch Size' -> 'batch_size', 'Threshold_Value' -> 'threshold_value'."""
    return key.strip().replace(" ", "_").replace("-", "_").lower()


class Settings(Mapping[str, Any]):
    """Frozen, validated settings; read as ``settings["Batch Size"]`` or ``settings.batch_size``."""

    def __init__(self, values: Mapping[str, Any]):
        object.__setattr__(self, "_values", dict(values))
        object.__setattr__(self, "_by_attr", {attribute_name(k): v for k, v in values.items()})

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._by_attr[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("settings are read-only")

    def __repr__(self) -> str:
        return f"Settings({self._values!r})"


def block_of(raw: Mapping[str, Any], block: str) -> Any:
    """The block a setting is read from: ``raw["Setup"]``, or for "Setup.DEAP" ``raw["Setup"]["DEAP"]``
    (None where a level is missing or is no mapping)."""
    section: Any = raw
    for name in block.split("."):
        section = section.get(name) if isinstance(section, Mapping) else None
    return section


def resolve(declared: Mapping[str, Setting], raw: Mapping[str, Any], file: str | None = None,
            overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read each declared setting from its block of the raw input (or its default)."""
    values = {}
    for key, setting in declared.items():
        block = block_of(raw, setting.block)
        value = block.get(key, setting.default) if isinstance(block, Mapping) else setting.default
        if overrides and key in overrides and overrides[key] is not None:
            value = overrides[key]
        values[key] = setting.parse(value, f"{setting.block}.{key}", file)
    return Settings(values)
