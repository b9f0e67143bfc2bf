"""One policy's analysis: language, segments with their OPP-115 categories and data types, signals with
their sentences (negation and scope checked), and the controller the policy names."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from unmask.apps.policy.rules import LANGUAGES, Negation, SignalRule, rules
from unmask.apps.policy.text import paragraphs, sentences

OTHER = "Other"
CONTROLLER_EN = re.compile(
    r"(?P<name>[A-Z][\w&'.-]*(?:\s+(?:\(?[A-Z][\w&'.-]*\)?|of|and|&)){0,8}?,?\s+"
    r"(?:Co\.,?\s*Ltd\.?|Company Limited|Limited|Ltd\.?|Inc\.?|LLC|GmbH|S\.A\.|B\.V\.|Pte\.? Ltd\.?|"
    r"Corp(?:oration)?\.?))"
)
CONTROLLER_ZH = re.compile(r"(?P<name>[\u4e00-\u9fff（）()]{2,40}?(?:有限责任公司|股份有限公司|有限公司))")
ZH_LEAD = re.compile(r"^.*(?:由|是|为|系|即|指|于|：|:)")
ZH_PLACE = re.compile(
    r"(?:深圳|北京|上海|杭州|广州|成都|武汉|南京|厦门|苏州|天津|重庆|西安|长沙|合肥|青岛|东莞|珠海|香港|"
    r"广东|浙江|江苏|福建|山东|四川|湖北|湖南|河南|河北|安徽|江西|辽宁|陕西)"
)
CONTROLLER_CONTEXT = re.compile(
    r"[\"“'](?:we|us|our)[\"”']|\b(?:operated|provided|owned|controlled|run)\s+by\b|\bdata controller\b|"
    r"\bcontroller\b|以下简称|运营者|控制者|处理者|我们是",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Signal:
    kind: str
    sentence: str
    negated: bool
    weight: float
    segment: int
    rule: str


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    categories: tuple[str, ...]
    data_types: tuple[str, ...]


@dataclass
class PolicyAnalysis:
    language: str
    segments: list[Segment] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    controller: str | None = None
    sha256: str = ""

    def as_dict(self) -> dict[str, object]:
        """The contract's `policy analyze --json` shape, with the controller and the text's hash."""
        return {
            "language": self.language,
            "segments": [
                {"text": s.text, "categories": list(s.categories), "data_types": list(s.data_types)}
                for s in self.segments
            ],
            "signals": [
                {"kind": s.kind, "sentence": s.sentence, "negated": s.negated, "weight": s.weight}
                for s in self.signals
            ],
            "controller": self.controller,
            "sha256": self.sha256,
        }


def rule_language(language: str, text: str) -> str:
    return language if language in LANGUAGES else ("zh" if re.search(r"[\u4e00-\u9fff]", text) else "en")


def categorise(paragraph: str, lang: str) -> tuple[str, ...]:
    r = rules()
    found = []
    for name, by_lang in r.categories.items():
        score = sum(weight for weight, pattern in by_lang[lang] if pattern.search(paragraph))
        if score >= r.threshold:
            found.append(name)
    return tuple(found) or (OTHER,)


def data_types(paragraph: str, lang: str) -> tuple[str, ...]:
    return tuple(
        name
        for name, by_lang in rules().data_types.items()
        if any(p.search(paragraph) for p in by_lang[lang])
    )


def negated(sentence: str, start: int, negation: Negation) -> bool:
    """A negation cue in the clause before ``start`` (the clause begins after the last break)."""
    before = sentence[:start]
    breaks = list(negation.clause_breaks.finditer(before))
    clause = before[breaks[-1].end() :] if breaks else before
    clause = negation.not_cues.sub(" ", clause)
    return bool(negation.cues.search(clause))


def _match(rule: SignalRule, sentence: str) -> re.Match[str] | None:
    if any(p.search(sentence) for p in rule.exclude):
        return None
    if rule.all:
        hits = []
        for group in rule.all:
            hit = next((m for p in group if (m := p.search(sentence))), None)
            if hit is None:
                return None
            hits.append(hit)
        return min(hits, key=lambda m: m.start())
    return next((m for p in rule.any if (m := p.search(sentence))), None)


def signals_of(sentence: str, lang: str, segment: int) -> list[Signal]:
    r = rules()
    out = []
    for rule in r.signals[lang]:
        hit = _match(rule, sentence)
        if hit is not None:
            out.append(
                Signal(
                    rule.kind,
                    sentence,
                    negated(sentence, hit.start(), r.negation[lang]),
                    rule.weight,
                    segment,
                    hit.group(0)[:100],
                )
            )
    return out


def controller_of(segments: list[Segment]) -> str | None:
    """The company the policy names as its controller or operator (the first one named in a controller
    context, else the first company named in the policy's first paragraphs)."""
    first: str | None = None
    for seg in segments[:40]:
        for pattern in (CONTROLLER_ZH, CONTROLLER_EN):
            for match in pattern.finditer(seg.text):
                name = " ".join(match.group("name").split()).strip(" ,")
                if pattern is CONTROLLER_ZH:
                    place = ZH_PLACE.search(name)
                    name = name[place.start() :] if place else ZH_LEAD.sub("", name)
                if len(name) < 4:
                    continue
                window = seg.text[max(0, match.start() - 120) : match.end() + 120]
                if CONTROLLER_CONTEXT.search(window):
                    return name
                first = first or name
    return first


def analyse_text(text: str, language: str) -> PolicyAnalysis:
    lang = rule_language(language, text)
    analysis = PolicyAnalysis(language=language, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
    for position, paragraph in enumerate(paragraphs(text)):
        analysis.segments.append(Segment(paragraph, categorise(paragraph, lang), data_types(paragraph, lang)))
        for sentence in sentences(paragraph):
            analysis.signals.extend(signals_of(sentence, lang, position))
    analysis.controller = controller_of(analysis.segments)
    return analysis
