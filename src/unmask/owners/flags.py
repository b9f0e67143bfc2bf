"""Flags on the entities of an ownership chain: offshore jurisdictions (shipped list + settings) and
mass-registration addresses (settings)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def shipped_offshore() -> dict[str, str]:
    """The shipped offshore/secrecy jurisdictions: code → name (see data/offshore.yaml)."""
    text = resources.files("unmask.owners").joinpath("data/offshore.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    return {str(e["code"]).upper(): str(e["name"]) for e in data["jurisdictions"]}


def offshore_codes(extra: list[str] | tuple[str, ...] = ()) -> frozenset[str]:
    return frozenset(shipped_offshore()) | {c.strip().upper() for c in extra if c.strip()}


def jurisdictions(properties: dict[str, Any]) -> list[str]:
    """Country codes an entity is registered or located in (``jurisdiction`` first, then ``country``)."""
    out: list[str] = []
    for key in ("jurisdiction", "country", "mainCountry"):
        for value in properties.get(key) or []:
            code = str(value).strip().upper()
            if code.startswith("XX") or not code:
                continue
            # GLEIF jurisdictions such as "US-DE", OpenCorporates "gb", "vg"
            code = code.split("-")[0].split("_")[0]
            if code not in out:
                out.append(code)
    return out


@dataclass(frozen=True)
class FlagOptions:
    offshore: frozenset[str]
    mass_address_threshold: int

    @classmethod
    def from_settings(cls, settings: Any) -> FlagOptions:
        return cls(
            offshore=offshore_codes(tuple(getattr(settings, "offshore_jurisdictions", ()))),
            mass_address_threshold=int(getattr(settings, "mass_address_threshold", 10)),
        )


FLAG_ENTITIES = 25
"""Entities listed per chain flag (with their count): a cycle of 60,000 companies is one flag, not a list."""
