"""Read a policy from a file or a URL (through the case's Fetcher, into the evidence), analyse it, store
it for an app, and compare it with the app's previous version of the policy."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from unmask.apps import storage
from unmask.apps.fetching import source_fetcher
from unmask.apps.policy.analyze import PolicyAnalysis, analyse_text
from unmask.apps.policy.text import language, looks_like_html, main_text
from unmask.core.errors import FetchRefused, UnmaskError
from unmask.core.fetch import FetchError
from unmask.core.store.models import App, AppPolicy, AppPolicySegment, AppPolicySignal


@dataclass
class PolicyText:
    source: str
    text: str
    truncated: bool
    capture_id: int | None = None


def _decode(raw: bytes, source: str, limit: int) -> PolicyText:
    truncated = len(raw) > limit
    body = raw[:limit].decode("utf-8", errors="replace")
    text = main_text(body, source if "://" in source else None) if looks_like_html(body) else body
    return PolicyText(source, text, truncated)


def from_file(path: Path, limit: int) -> PolicyText:
    try:
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise UnmaskError(f"cannot read ({exc.strerror})", where=str(path)) from exc
    return _decode(raw, str(path), limit)


async def from_url(case: Any, url: str) -> PolicyText:
    """The policy page through the fetch layer (kept as evidence); UnmaskError naming the URL when no
    text came back (the command's one job failed)."""
    limit = case.config.apps.policy_max_bytes
    async with source_fetcher(case, url) as fetcher:
        try:
            response = await fetcher.get(url)
        except FetchRefused as exc:
            raise UnmaskError(f"refused ({exc.reason})", where=url) from exc
        except FetchError as exc:
            raise UnmaskError(f"no answer ({exc.detail})", where=url) from exc
    if response.status != 200 or not response.body:
        raise UnmaskError(f"HTTP {response.status}, no policy text", where=url)
    policy = _decode(response.body, url, limit)
    policy.truncated = policy.truncated or bool(response.truncated)
    policy.capture_id = response.capture_id
    return policy


def analyse(policy: PolicyText) -> PolicyAnalysis:
    return analyse_text(policy.text, language(policy.text))


def changes(before: dict[str, Any], after: PolicyAnalysis) -> dict[str, Any]:
    """What changed since the app's previous version of the policy: paragraphs and signals gained/lost."""
    old_segments = set(before["segments"])
    new_segments = [s.text for s in after.segments]
    old_signals = set(before["signals"])
    new_signals = {(s.kind, s.sentence, s.negated) for s in after.signals}
    return {
        "previous": before["source"],
        "previous_read_at": before["read_at"],
        "segments_added": [t for t in new_segments if t not in old_segments],
        "segments_removed": sorted(old_segments - set(new_segments)),
        "signals_added": [
            {"kind": k, "sentence": s, "negated": n} for k, s, n in sorted(new_signals - old_signals)
        ],
        "signals_removed": [
            {"kind": k, "sentence": s, "negated": n} for k, s, n in sorted(old_signals - new_signals)
        ],
    }


def store(case: Any, package: str, policy: PolicyText, analysis: PolicyAnalysis) -> dict[str, Any] | None:
    """Keep this version of the app's policy; the changes since the previous version, if there was one."""
    with case.store.session() as session:
        app = session.scalar(select(App).where(App.package == package))
        if app is None:
            app = storage.upsert_app(session, package)
        previous = session.scalar(
            select(AppPolicy)
            .where(AppPolicy.app_id == app.id)
            .order_by(AppPolicy.read_at.desc(), AppPolicy.id.desc())
        )
        before = None
        if previous is not None:
            before = {
                "source": previous.source,
                "read_at": previous.read_at.isoformat(),
                "segments": session.scalars(
                    select(AppPolicySegment.text).where(AppPolicySegment.policy_id == previous.id)
                ).all(),
                "signals": [
                    (s.kind, s.sentence, s.negated)
                    for s in session.scalars(
                        select(AppPolicySignal).where(AppPolicySignal.policy_id == previous.id)
                    )
                ],
            }
        row = AppPolicy(
            app_id=app.id,
            source=policy.source,
            capture_id=policy.capture_id,
            sha256=analysis.sha256,
            language=analysis.language[:10],
            text=policy.text,
            truncated=policy.truncated,
            controller=analysis.controller,
        )
        session.add(row)
        session.flush()
        session.add_all(
            AppPolicySegment(
                policy_id=row.id,
                position=n,
                text=s.text,
                categories=json.dumps(list(s.categories)),
                data_types=json.dumps(list(s.data_types)),
            )
            for n, s in enumerate(analysis.segments)
        )
        session.add_all(
            AppPolicySignal(
                policy_id=row.id,
                segment=s.segment,
                kind=s.kind,
                rule=s.rule[:100],
                sentence=s.sentence,
                negated=s.negated,
                weight=s.weight,
            )
            for s in analysis.signals
        )
    if before is None:
        return None
    return changes(before, analysis)
