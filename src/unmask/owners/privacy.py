"""Owners' answers as every output shows them (the CLI, the web workbench)."""

from __future__ import annotations

from typing import Any

from unmask.core.privacy import PrivacyPolicy, Role, pseudonym


def shown(value: Any, policy: PrivacyPolicy) -> Any:
    """A query's answer with persons as every output shows them (role OWNER: named, unless the same person
    is a hidden depicted person of the case; then the pseudonym, keyed as in `owners export`, with no
    properties or identifiers)."""
    if not policy.hidden:  # no name to hide: the answer as it is (it may list 10,000 owners)
        return value
    return _shown(value, policy)


def _shown(value: Any, policy: PrivacyPolicy) -> Any:
    if isinstance(value, list):
        return [_shown(v, policy) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _shown(v, policy) for k, v in value.items()}
    name = out.get("name")
    if out.get("schema") == "Person" and isinstance(name, str) and policy.is_hidden(name, Role.OWNER):
        out["name"] = pseudonym(name, policy.secret)
        if isinstance(out.get("id"), str):
            out["id"] = pseudonym(f"id:{out['id']}", policy.secret)
        for key in ("properties", "identifiers"):
            if key in out:
                out[key] = type(out[key])()
    return out
