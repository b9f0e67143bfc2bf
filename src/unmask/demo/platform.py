"""The synthetic demo platform's data: deterministic from a seed, sized by a scale, seen on a date.

Generation is columnar: every numeric attribute of every item lives in an ``array`` (one draw per
item from its own seeded stream, so a longer horizon only appends items). Titles and the record
objects (``Video``, ``Photo``, ``Album``) are derived on demand from per-index seeds and cached.

The data never depends on ``as_of``: ``as_of`` only selects which items exist (uploaded on or before
it and not removed by it), how many views they have gathered, and what "3 weeks ago" means.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Generic, Literal, TypeVar, overload

from unmask.demo import names

START_DATE: Final = dt.date(2018, 2, 1)
DEFAULT_AS_OF: Final = dt.date(2024, 12, 15)
HORIZON: Final = dt.date(2025, 12, 31)
"""Items are generated up to this date (or ``as_of`` if later, but no later than ``LAST_UPLOAD_DATE``)."""
LAST_UPLOAD_DATE: Final = dt.date(2030, 12, 31)

Kind = Literal["videos", "photos", "albums"]
KINDS: Final[tuple[Kind, ...]] = ("videos", "photos", "albums")
PAGE_SIZES: Final[dict[Kind, int]] = {"videos": 40, "photos": 60, "albums": 40}
SITEMAP_LIMIT: Final = 5_000
ALBUM_SITEMAP_IMAGES: Final = 10
PersonKind = Literal["celebrity", "private"]

VIDEO_GAP_FIELDS: Final = ("duration", "views", "upload_date", "uploader", "persons")
OTHER_GAP_FIELDS: Final = ("views", "upload_date", "uploader", "persons")

# Sizes at scale 1.0: items visible on DEFAULT_AS_OF, accounts in total.
VIDEOS_AT_DEFAULT: Final = 58_000
ALBUMS_AT_DEFAULT: Final = 4_000
PHOTOS_PER_ALBUM: Final = 24
PERSONS_AT_SCALE_1: Final = 3_000
UPLOADERS_AT_SCALE_1: Final = 1_500
MIN_VIDEOS, MIN_ALBUMS, MIN_PERSONS, MIN_UPLOADERS = 40, 24, 20, 10

GAPPY_RATE: Final = 0.03
REMOVAL_RATE: Final = 0.02
PHOTO_REMOVAL_RATE: Final = 0.012
"""Photos are also removed with their album, so their overall rate is about 2 % too."""
REMOVED_BY_DEFAULT: Final = 0.013
"""Share of items uploaded by DEFAULT_AS_OF that are removed by then (calibrates the targets)."""
CELEBRITY_SHARE: Final = 0.08
VIEW_HALF_LIFE_DAYS: Final = 30
"""An item has half its eventual views this many days after upload."""

_GROWTH_PER_YEAR = math.log(1.3)
_GROWTH_STOPS = (dt.date(2024, 12, 31) - START_DATE).days / 365.25
_BURST_YEARS = 0.25
"""The platform opened with a burst of migrated uploads that decays over a few months."""
_VIDEO_BURST, _ALBUM_BURST = 10.8, 4.0

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    slug: str
    kind: PersonKind

    @property
    def celebrity(self) -> bool:
        return self.kind == "celebrity"


@dataclass(frozen=True, slots=True)
class Uploader:
    id: int
    name: str
    slug: str


# Item records are built on demand and cached, so one record object is shared by every caller:
# treat them as read-only.


@dataclass(slots=True)
class Video:
    id: int
    slug: str
    title: str
    duration: int
    """Seconds."""
    views: int
    """Views gathered by ``as_of``."""
    upload_date: dt.date
    uploader: Uploader
    persons: tuple[Person, ...]
    tags: tuple[str, ...]
    category: str
    removed_on: dt.date | None
    missing: str | None
    """The field left out of the sitemap and the listing card (a "gappy" item), if any."""


@dataclass(slots=True)
class Photo:
    id: int
    title: str
    views: int
    upload_date: dt.date
    uploader: Uploader
    persons: tuple[Person, ...]
    album_id: int
    removed_on: dt.date | None
    missing: str | None


@dataclass(slots=True)
class Album:
    id: int
    slug: str
    title: str
    photo_ids: tuple[int, ...]
    """The album's photos that exist on ``as_of``."""
    views: int
    upload_date: dt.date
    uploader: Uploader
    persons: tuple[Person, ...]
    removed_on: dt.date | None
    missing: str | None

    @property
    def photo_count(self) -> int:
        return len(self.photo_ids)


Item = Video | Photo | Album


class ItemView(Sequence[T], Generic[T]):
    """A lazy sequence of records: item indices plus a function that builds (and caches) a record."""

    __slots__ = ("_get", "_indices")

    def __init__(self, indices: Sequence[int], get: Callable[[int], T]) -> None:
        self._indices = indices
        self._get = get

    def __len__(self) -> int:
        return len(self._indices)

    @overload
    def __getitem__(self, position: int) -> T: ...
    @overload
    def __getitem__(self, position: slice) -> list[T]: ...
    def __getitem__(self, position: int | slice) -> T | list[T]:
        if isinstance(position, slice):
            return [self._get(i) for i in self._indices[position]]
        return self._get(self._indices[position])

    def __iter__(self) -> Iterator[T]:
        return map(self._get, self._indices)


def paginate(items: Sequence[T], page: int, per_page: int) -> list[T] | None:
    """Page ``page`` (from 1) of ``items``; page 1 always exists (maybe empty), later ones only if filled."""
    if page < 1 or (page > 1 and (page - 1) * per_page >= len(items)):
        return None
    return list(items[(page - 1) * per_page : page * per_page])


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _stream(seed: int, scale: float, name: str) -> random.Random:
    return random.Random(f"unmask-demo:{seed}:{scale!r}:{name}")


_MASK64 = 0xFFFFFFFFFFFFFFFF


def _index_bits(seed: int, stream: int, index: int) -> int:
    """64 well-mixed bits for item ``index`` of ``stream`` (the splitmix64 finaliser)."""
    z = ((seed * 0xD6E8FEB86659FD93) ^ (stream * 0xD1B54A32D192ED03)) + (index + 1) * 0x9E3779B97F4A7C15
    z &= _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def _zipf_cum_weights(n: int, exponent: float, offset: float) -> list[float]:
    total, out = 0.0, []
    for rank in range(1, n + 1):
        total += 1.0 / (rank + offset) ** exponent
        out.append(total)
    return out


def _daily_counts(rng: random.Random, days: int, target: float, burst: float) -> array[int]:
    """Uploads per day from START_DATE, ``target`` of them by DEFAULT_AS_OF, growing ~30 % a year."""
    weights = []
    weekday = START_DATE.weekday()
    for day in range(days):
        years = day / 365.25
        weight = math.exp(_GROWTH_PER_YEAR * min(years, _GROWTH_STOPS)) + burst * math.exp(
            -years / _BURST_YEARS
        )
        if (weekday + day) % 7 >= 5:
            weight *= 1.15
        weights.append(weight * rng.lognormvariate(0.0, 0.3))
    factor = target / sum(weights[: (DEFAULT_AS_OF - START_DATE).days + 1])
    counts, expected, emitted = array("I"), 0.0, 0
    for weight in weights:
        expected += weight * factor
        now = round(expected)
        counts.append(now - emitted)
        emitted = now
    return counts


def _upload_days(counts: array[int]) -> array[int]:
    days = array("I")
    first = START_DATE.toordinal()
    for offset, count in enumerate(counts):
        if count:
            days.extend([first + offset] * count)
    return days


def _ids(rng: random.Random, n: int, first: int) -> array[int]:
    """Increasing ids with occasional gaps (items deleted before anyone saw them)."""
    ids, next_id = array("I"), first
    for _ in range(n):
        ids.append(next_id)
        next_id += 1 if rng.random() < 0.9 else rng.randint(2, 4)
    return ids


def _sizes(rng: random.Random, n: int, sizes: Sequence[int], weights: Sequence[float]) -> list[int]:
    return rng.choices(sizes, weights, k=n)


def _distinct_draws(
    rng: random.Random, fix: random.Random, sizes: list[int], cum: list[float]
) -> tuple[array[int], array[int]]:
    """For each item, ``size`` distinct ranks drawn from ``cum``; returned as CSR (offsets, values)."""
    draws = rng.choices(range(len(cum)), cum_weights=cum, k=sum(sizes))
    offsets, values = array("I", [0]), array("I")
    total, position = cum[-1], 0
    for size in sizes:
        chosen = draws[position : position + size]
        position += size
        if len(set(chosen)) < size:
            unique: list[int] = []
            for value in chosen:
                while value in unique:
                    value = bisect.bisect(cum, fix.random() * total)
                unique.append(value)
            chosen = unique
        values.extend(chosen)
        offsets.append(len(values))
    return offsets, values


def _gaps(rng: random.Random, n: int, fields: int) -> array[int]:
    missing = array("b", [-1]) * n
    for i in range(n):
        if rng.random() < GAPPY_RATE:
            missing[i] = rng.randrange(fields)
    return missing


def _removals(rng: random.Random, days: array[int], rate: float) -> dict[int, int]:
    removed = {}
    for i, day in enumerate(days):
        if rng.random() < rate:
            removed[i] = day + rng.randint(1, 1200)
    return removed


def _visible(days: array[int], removed: dict[int, int], as_of: int) -> array[int]:
    uploaded = bisect.bisect_right(days, as_of)
    return array("I", (i for i in range(uploaded) if removed.get(i, as_of + 1) > as_of))


class _Columns:
    """Numeric attributes of one item kind, one array per attribute."""

    __slots__ = ("days", "ids", "missing", "p_off", "p_val", "removed", "views", "visible")

    def __init__(self, ids_rng: random.Random, days: array[int], first_id: int) -> None:
        self.days = days
        self.ids = _ids(ids_rng, len(days), first_id)
        self.views = array("I")
        self.p_off = array("I", [0])
        self.p_val = array("I")
        self.missing = array("b")
        self.removed: dict[int, int] = {}
        self.visible = array("I")

    def index_of(self, item_id: int) -> int | None:
        i = bisect.bisect_left(self.ids, item_id)
        return i if i < len(self.ids) and self.ids[i] == item_id else None


class DemoPlatform:
    """The demo platform's full state, deterministic from ``seed`` and ``scale``, seen on ``as_of``."""

    def __init__(self, seed: int = 7, scale: float = 1.0, as_of: dt.date = DEFAULT_AS_OF) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.seed, self.scale, self.as_of = seed, float(scale), as_of
        self._as_of = as_of.toordinal()
        self._horizon_days = (min(max(as_of, HORIZON), LAST_UPLOAD_DATE) - START_DATE).days + 1
        self._persons = self._make_persons()
        self._uploaders = self._make_uploaders()
        self._v = self._make_videos()
        self._a, self._p, self._p_album = self._make_albums_and_photos()
        self._dates: dict[int, dt.date] = {}
        self._video_cache: list[Video | None] = [None] * len(self._v.ids)
        self._photo_cache: list[Photo | None] = [None] * len(self._p.ids)
        self._album_cache: list[Album | None] = [None] * len(self._a.ids)
        self._person_by_slug = {p.slug: p for p in self._persons}
        self._uploader_by_slug = {u.slug: u for u in self._uploaders}
        self._video_index: dict[str, dict[int, array[int]]] = {}
        self._uploader_counts: dict[int, dict[str, int]] | None = None

    # -- generation ---------------------------------------------------------------------------

    def _rng(self, name: str) -> random.Random:
        return _stream(self.seed, self.scale, name)

    def _make_persons(self) -> list[Person]:
        rng = self._rng("persons")
        n = max(MIN_PERSONS, round(PERSONS_AT_SCALE_1 * self.scale))
        full_names: list[str] = []
        seen: set[str] = set()
        for _ in range(n):
            slug = names.slugify(name := names.person_name(rng))
            while slug in seen:
                slug = names.slugify(name := names.person_name(rng))
            seen.add(slug)
            full_names.append(name)
        # Popularity: person ``_person_rank[r]`` is the r-th most depicted. Public figures dominate the top.
        self._person_rank = list(range(n))
        rng.shuffle(self._person_rank)
        top = max(1, n // 20)
        kinds: list[PersonKind] = ["private"] * n
        for rank, index in enumerate(self._person_rank):
            share = 0.35 if rank < top else (CELEBRITY_SHARE * n - 0.35 * top) / (n - top)
            if rank == 0 or rng.random() < share:
                kinds[index] = "celebrity"
        self._person_cum = _zipf_cum_weights(n, 1.0, 10.0)
        return [Person(i + 1, name, names.slugify(name), kinds[i]) for i, name in enumerate(full_names)]

    def _make_uploaders(self) -> list[Uploader]:
        rng = self._rng("uploaders")
        n = max(MIN_UPLOADERS, round(UPLOADERS_AT_SCALE_1 * self.scale))
        seen: set[str] = set()
        uploaders = []
        for i in range(n):
            handle = names.uploader_handle(rng)
            while handle in seen:
                handle = names.uploader_handle(rng)
            seen.add(handle)
            uploaders.append(Uploader(i + 1, handle, handle))
        self._uploader_rank = list(range(n))
        rng.shuffle(self._uploader_rank)
        self._uploader_cum = _zipf_cum_weights(n, 1.15, 0.0)
        return uploaders

    def _person_draws(self, name: str, sizes: list[int]) -> tuple[array[int], array[int]]:
        offsets, ranks = _distinct_draws(self._rng(name), self._rng(name + "-fix"), sizes, self._person_cum)
        rank_to_index = self._person_rank
        return offsets, array("I", (rank_to_index[r] for r in ranks))

    def _uploader_draws(self, name: str, n: int) -> array[int]:
        ranks = self._rng(name).choices(range(len(self._uploader_cum)), cum_weights=self._uploader_cum, k=n)
        rank_to_index = self._uploader_rank
        return array("I", (rank_to_index[r] for r in ranks))

    def _make_videos(self) -> _Columns:
        target = max(MIN_VIDEOS, VIDEOS_AT_DEFAULT * self.scale / (1 - REMOVED_BY_DEFAULT))
        counts = _daily_counts(self._rng("video-days"), self._horizon_days, target, _VIDEO_BURST)
        v = _Columns(self._rng("video-ids"), _upload_days(counts), 1001)
        n = len(v.days)
        rng = self._rng("video-duration")
        self._durations = array("I", (_duration(rng) for _ in range(n)))
        rng = self._rng("video-views")
        v.views = array("I", (min(50_000_000, round(rng.lognormvariate(9.1, 1.6))) for _ in range(n)))
        self._v_uploader = self._uploader_draws("video-uploader", n)
        v.p_off, v.p_val = self._person_draws(
            "video-persons", _sizes(self._rng("vp-n"), n, (1, 2, 3), (70, 22, 8))
        )
        tag_cum = _zipf_cum_weights(len(names.TAGS), 0.8, 2.0)
        tag_sizes = _sizes(self._rng("vt-n"), n, (2, 3, 4, 5, 6), (20, 25, 25, 18, 12))
        self._t_off, tags = _distinct_draws(self._rng("video-tags"), self._rng("vt-fix"), tag_sizes, tag_cum)
        self._t_val = array("B", tags)
        rng = self._rng("video-category")
        self._category = array("B", rng.choices(range(len(names.CATEGORIES)), k=n))
        v.missing = _gaps(self._rng("video-gaps"), n, len(VIDEO_GAP_FIELDS))
        v.removed = _removals(self._rng("video-removals"), v.days, REMOVAL_RATE)
        v.visible = _visible(v.days, v.removed, self._as_of)
        return v

    def _make_albums_and_photos(self) -> tuple[_Columns, _Columns, array[int]]:
        target = max(MIN_ALBUMS, ALBUMS_AT_DEFAULT * self.scale / (1 - REMOVED_BY_DEFAULT))
        counts = _daily_counts(self._rng("album-days"), self._horizon_days, target, _ALBUM_BURST)
        a = _Columns(self._rng("album-ids"), _upload_days(counts), 201)
        n = len(a.days)
        rng = self._rng("album-size")
        mu = math.log(PHOTOS_PER_ALBUM) - 0.8**2 / 2
        sizes = [min(240, max(1, round(rng.lognormvariate(mu, 0.8)))) for _ in range(n)]
        rng = self._rng("album-views")
        a.views = array("I", (min(20_000_000, round(rng.lognormvariate(8.6, 1.4))) for _ in range(n)))
        self._a_uploader = self._uploader_draws("album-uploader", n)
        a.p_off, a.p_val = self._person_draws("album-persons", _sizes(self._rng("ap-n"), n, (1, 2), (75, 25)))
        a.missing = _gaps(self._rng("album-gaps"), n, len(OTHER_GAP_FIELDS))
        a.removed = _removals(self._rng("album-removals"), a.days, REMOVAL_RATE)
        a.visible = _visible(a.days, a.removed, self._as_of)

        photo_album = array("I")
        photo_days = array("I")
        self._photo_off = array("I", [0])
        for album, size in enumerate(sizes):
            photo_album.extend([album] * size)
            photo_days.extend([a.days[album]] * size)
            self._photo_off.append(len(photo_album))
        p = _Columns(self._rng("photo-ids"), photo_days, 10_001)
        m = len(photo_days)
        rng = self._rng("photo-views")
        p.views = array("I", (min(5_000_000, round(rng.lognormvariate(7.0, 1.3))) for _ in range(m)))
        p.p_off, p.p_val = self._photo_persons(a, photo_album)
        p.missing = _gaps(self._rng("photo-gaps"), m, len(OTHER_GAP_FIELDS))
        p.removed = _removals(self._rng("photo-removals"), photo_days, PHOTO_REMOVAL_RATE)
        for album, removed_on in a.removed.items():
            for i in range(self._photo_off[album], self._photo_off[album + 1]):
                p.removed[i] = min(removed_on, p.removed.get(i, removed_on))
        p.visible = _visible(photo_days, p.removed, self._as_of)
        return a, p, photo_album

    def _photo_persons(self, a: _Columns, photo_album: array[int]) -> tuple[array[int], array[int]]:
        """Each photo shows one or both of its album's persons, or the album's person and a guest."""
        rng = self._rng("photo-persons")
        offsets, values = array("I", [0]), array("I")
        cum, total = self._person_cum, self._person_cum[-1]
        for album in photo_album:
            shown = list(a.p_val[a.p_off[album] : a.p_off[album + 1]])
            roll = rng.random()
            if len(shown) == 2 and roll < 0.7:
                shown = [shown[roll < 0.4]]
            elif len(shown) == 1 and roll < 0.15:
                guest = self._person_rank[bisect.bisect(cum, rng.random() * total)]
                if guest != shown[0]:
                    shown.append(guest)
            values.extend(shown)
            offsets.append(len(values))
        return offsets, values

    # -- derived values -----------------------------------------------------------------------

    def _views_at(self, eventual: int, day: int) -> int:
        age = self._as_of - day + 1
        return 0 if age <= 0 else round(eventual * age / (age + VIEW_HALF_LIFE_DAYS))

    def _persons_of(self, columns: _Columns, i: int) -> tuple[Person, ...]:
        persons = self._persons
        return tuple([persons[j] for j in columns.p_val[columns.p_off[i] : columns.p_off[i + 1]]])

    def _title(self, stream: int, i: int) -> str:
        bits = _index_bits(self.seed, stream, i)
        return names.photo_title_from_bits(bits) if stream == 2 else names.title_from_bits(bits)

    def _date(self, ordinal: int) -> dt.date:
        day = self._dates.get(ordinal)
        if day is None:
            day = self._dates[ordinal] = dt.date.fromordinal(ordinal)
        return day

    def _removed_on(self, columns: _Columns, i: int) -> dt.date | None:
        day = columns.removed.get(i)
        return None if day is None else self._date(day)

    def _video_at(self, i: int) -> Video:
        video = self._video_cache[i]
        if video is None:
            v = self._v
            title = self._title(1, i)
            missing = v.missing[i]
            video = Video(
                id=v.ids[i],
                slug=names.slugify(title),
                title=title,
                duration=self._durations[i],
                views=self._views_at(v.views[i], v.days[i]),
                upload_date=self._date(v.days[i]),
                uploader=self._uploaders[self._v_uploader[i]],
                persons=self._persons_of(v, i),
                tags=tuple([names.TAGS[t] for t in self._t_val[self._t_off[i] : self._t_off[i + 1]]]),
                category=names.CATEGORIES[self._category[i]],
                removed_on=self._removed_on(v, i),
                missing=None if missing < 0 else VIDEO_GAP_FIELDS[missing],
            )
            self._video_cache[i] = video
        return video

    def _photo_at(self, i: int) -> Photo:
        photo = self._photo_cache[i]
        if photo is None:
            p, album = self._p, self._p_album[i]
            missing = p.missing[i]
            photo = Photo(
                id=p.ids[i],
                title=self._title(2, i),
                views=self._views_at(p.views[i], p.days[i]),
                upload_date=self._date(p.days[i]),
                uploader=self._uploaders[self._a_uploader[album]],
                persons=self._persons_of(p, i),
                album_id=self._a.ids[album],
                removed_on=self._removed_on(p, i),
                missing=None if missing < 0 else OTHER_GAP_FIELDS[missing],
            )
            self._photo_cache[i] = photo
        return photo

    def _album_at(self, i: int) -> Album:
        album = self._album_cache[i]
        if album is None:
            a, p = self._a, self._p
            title = self._title(3, i)
            missing = a.missing[i]
            photo_range = range(self._photo_off[i], self._photo_off[i + 1])
            album = Album(
                id=a.ids[i],
                slug=names.slugify(title),
                title=title,
                photo_ids=tuple(p.ids[j] for j in photo_range if self._photo_visible(j)),
                views=self._views_at(a.views[i], a.days[i]),
                upload_date=self._date(a.days[i]),
                uploader=self._uploaders[self._a_uploader[i]],
                persons=self._persons_of(a, i),
                removed_on=self._removed_on(a, i),
                missing=None if missing < 0 else OTHER_GAP_FIELDS[missing],
            )
            self._album_cache[i] = album
        return album

    def _photo_visible(self, i: int) -> bool:
        return self._p.days[i] <= self._as_of and self._p.removed.get(i, self._as_of + 1) > self._as_of

    # -- records ------------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        """Items existing on ``as_of``, accounts in total, and the gappy and removed items among them."""
        v, p, a = self._v, self._p, self._a
        return {
            "videos": len(v.visible),
            "photos": len(p.visible),
            "albums": len(a.visible),
            "persons": len(self._persons),
            "uploaders": len(self._uploaders),
            "gappy": self._gappy_visible(),
            "removed": sum(sum(1 for day in c.removed.values() if day <= self._as_of) for c in (v, p, a)),
        }

    def _gappy_visible(self) -> int:
        return sum(sum(1 for i in c.visible if c.missing[i] >= 0) for c in (self._v, self._p, self._a))

    def videos(self) -> ItemView[Video]:
        """Every generated video (up to the horizon, removed ones included), oldest first."""
        return ItemView(range(len(self._v.ids)), self._video_at)

    def photos(self) -> ItemView[Photo]:
        return ItemView(range(len(self._p.ids)), self._photo_at)

    def albums(self) -> ItemView[Album]:
        return ItemView(range(len(self._a.ids)), self._album_at)

    def visible_videos(self) -> ItemView[Video]:
        """Videos existing on ``as_of``, oldest first (ascending id)."""
        return ItemView(self._v.visible, self._video_at)

    def visible_photos(self) -> ItemView[Photo]:
        return ItemView(self._p.visible, self._photo_at)

    def visible_albums(self) -> ItemView[Album]:
        return ItemView(self._a.visible, self._album_at)

    def persons(self) -> list[Person]:
        return list(self._persons)

    def uploaders(self) -> list[Uploader]:
        return list(self._uploaders)

    def video(self, video_id: int) -> Video | None:
        """The video with this id, whether or not it exists on ``as_of`` (see ``is_visible``)."""
        i = self._v.index_of(video_id)
        return None if i is None else self._video_at(i)

    def photo(self, photo_id: int) -> Photo | None:
        i = self._p.index_of(photo_id)
        return None if i is None else self._photo_at(i)

    def album(self, album_id: int) -> Album | None:
        i = self._a.index_of(album_id)
        return None if i is None else self._album_at(i)

    def person(self, slug: str) -> Person | None:
        return self._person_by_slug.get(slug)

    def uploader(self, slug: str) -> Uploader | None:
        return self._uploader_by_slug.get(slug)

    def is_visible(self, item: Item) -> bool:
        """Whether the item exists on ``as_of``: uploaded by then and not removed by then.

        A photo's ``removed_on`` includes its album's removal.
        """
        removed = item.removed_on is not None and item.removed_on <= self.as_of
        return item.upload_date <= self.as_of and not removed

    # -- pages --------------------------------------------------------------------------------

    def _columns(self, kind: Kind) -> _Columns:
        return {"videos": self._v, "photos": self._p, "albums": self._a}[kind]

    def page_count(self, kind: Kind) -> int:
        """Listing pages of ``kind`` (page 1 exists even when empty)."""
        return page_count(len(self._columns(kind).visible), PAGE_SIZES[kind])

    def sitemap_count(self, kind: Kind) -> int:
        return -(-len(self._columns(kind).visible) // SITEMAP_LIMIT)

    def newest_videos(self) -> ItemView[Video]:
        return ItemView(self._v.visible[::-1], self._video_at)

    def newest_photos(self) -> ItemView[Photo]:
        return ItemView(self._p.visible[::-1], self._photo_at)

    def newest_albums(self) -> ItemView[Album]:
        return ItemView(self._a.visible[::-1], self._album_at)

    def video_page(self, page: int) -> list[Video] | None:
        """Listing page ``page`` (from 1) of videos, newest first; ``None`` past the end."""
        return self._newest_page(self._v, page, PAGE_SIZES["videos"], self._video_at)

    def photo_page(self, page: int) -> list[Photo] | None:
        return self._newest_page(self._p, page, PAGE_SIZES["photos"], self._photo_at)

    def album_page(self, page: int) -> list[Album] | None:
        return self._newest_page(self._a, page, PAGE_SIZES["albums"], self._album_at)

    @staticmethod
    def _newest_page(c: _Columns, page: int, per: int, get: Callable[[int], T]) -> list[T] | None:
        n = len(c.visible)
        if page < 1 or (page > 1 and (page - 1) * per >= n):
            return None
        top = n - (page - 1) * per
        return [get(c.visible[j]) for j in range(top - 1, max(0, top - per) - 1, -1)]

    def video_sitemap(self, number: int) -> list[Video] | None:
        """Sitemap file ``number`` (from 1) of videos, oldest first; ``None`` if there is no such file."""
        return self._sitemap(self.visible_videos(), number)

    def photo_sitemap(self, number: int) -> list[Photo] | None:
        return self._sitemap(self.visible_photos(), number)

    def album_sitemap(self, number: int) -> list[Album] | None:
        return self._sitemap(self.visible_albums(), number)

    @staticmethod
    def _sitemap(items: Sequence[T], number: int) -> list[T] | None:
        if number < 1 or (number - 1) * SITEMAP_LIMIT >= len(items):
            return None
        return list(items[(number - 1) * SITEMAP_LIMIT : number * SITEMAP_LIMIT])

    def _videos_by(self, key: str, values: Callable[[int], Sequence[int]]) -> dict[int, array[int]]:
        index = self._video_index.get(key)
        if index is None:
            index = {}
            for i in reversed(self._v.visible):
                for value in values(i):
                    index.setdefault(value, array("I")).append(i)
            self._video_index[key] = index
        return index

    def videos_of_person(self, person: Person) -> ItemView[Video]:
        """The person's videos existing on ``as_of``, newest first."""
        v = self._v
        index = self._videos_by("person", lambda i: v.p_val[v.p_off[i] : v.p_off[i + 1]])
        return ItemView(index.get(person.id - 1, array("I")), self._video_at)

    def videos_with_tag(self, tag: str) -> ItemView[Video]:
        index = self._videos_by("tag", lambda i: self._t_val[self._t_off[i] : self._t_off[i + 1]])
        position = names.TAGS.index(tag) if tag in names.TAGS else -1
        return ItemView(index.get(position, array("I")), self._video_at)

    def videos_in_category(self, category: str) -> ItemView[Video]:
        index = self._videos_by("category", lambda i: (self._category[i],))
        position = names.CATEGORIES.index(category) if category in names.CATEGORIES else -1
        return ItemView(index.get(position, array("I")), self._video_at)

    def uploader_counts(self, uploader: Uploader) -> dict[str, int]:
        """How many videos, photos and albums of this account exist on ``as_of``."""
        if self._uploader_counts is None:
            counts: dict[int, dict[str, int]] = {}
            for kind, c, owner in (
                ("videos", self._v, lambda i: self._v_uploader[i]),
                ("photos", self._p, lambda i: self._a_uploader[self._p_album[i]]),
                ("albums", self._a, lambda i: self._a_uploader[i]),
            ):
                for i in c.visible:
                    row = counts.setdefault(owner(i), {"videos": 0, "photos": 0, "albums": 0})
                    row[kind] += 1
            self._uploader_counts = counts
        return dict(self._uploader_counts.get(uploader.id - 1, {"videos": 0, "photos": 0, "albums": 0}))

    # -- figures ------------------------------------------------------------------------------

    def minimum_requests(self, flavour: str = "demo") -> int:
        """The fewest requests that give every field of every item existing on ``as_of``.

        ``demo``: robots.txt, the sitemap index, every sitemap file, every listing page, and the item
        page of every gappy item. ``schema`` (whose listings carry only links): robots.txt, the sitemap
        index, every sitemap file and every item page.
        """
        sitemaps = sum(self.sitemap_count(kind) for kind in KINDS)
        if flavour == "schema":
            return 2 + sitemaps + sum(len(self._columns(kind).visible) for kind in KINDS)
        listings = sum(self.page_count(kind) for kind in KINDS)
        return 2 + sitemaps + listings + self._gappy_visible()

    def expected_figures(self) -> dict[str, int | float | str | None]:
        """The figures a perfect census of the platform on ``as_of`` must find."""
        v, p = self._v, self._p
        videos, photos = v.visible, p.visible
        uploaders = {self._v_uploader[i] for i in videos}
        uploaders.update(self._a_uploader[self._p_album[i]] for i in photos)
        targets: set[int] = set()
        for c, visible in ((v, videos), (p, photos)):
            for i in visible:
                targets.update(c.p_val[c.p_off[i] : c.p_off[i + 1]])
        return {
            "videos": len(videos),
            "photos": len(photos),
            "galleries": len(self._a.visible),
            "hours": sum(self._durations[i] for i in videos) / 3600,
            "views": sum(self._views_at(v.views[i], v.days[i]) for i in videos),
            "uploaders": len(uploaders),
            "targets": len(targets),
            "first_upload": dt.date.fromordinal(v.days[videos[0]]).isoformat() if videos else None,
            "last_upload": dt.date.fromordinal(v.days[videos[-1]]).isoformat() if videos else None,
        }


def _duration(rng: random.Random) -> int:
    """Seconds: mostly 3–25 minutes, from 20 s to 2 h."""
    if rng.random() < 0.9:
        seconds = rng.lognormvariate(math.log(540), 0.55)
    else:
        seconds = rng.lognormvariate(math.log(700), 1.3)
    return min(7200, max(20, round(seconds)))
