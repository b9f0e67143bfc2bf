"""Audience data from traffic-estimate exports and top-site rank lists (`unmask audience`).

Four layouts are read (docs/audience.md): ``monthly`` (a month column and a visits column), ``country``
(country and share columns, optionally visits and a month), ``wide`` (Similarweb-style, one column per
month) and ``rank`` (Tranco-style ``rank,domain`` lists). A file is parsed completely before anything is
stored, and stored in one transaction: a bad line stores nothing.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, insert, select

from unmask.core.domains import site_key
from unmask.core.errors import UnmaskError
from unmask.core.store import Store
from unmask.core.store.models import AudienceCountry, AudienceImport, AudienceVisits, SiteRank
from unmask.core.text import YEAR_RE, month_words, parse_count, parse_date

LAYOUTS: tuple[str, ...] = ("monthly", "country", "wide", "rank")
"""monthly visits | country shares | months as columns | rank list"""

HEADER_WORDS: dict[str, tuple[str, ...]] = {
    "month": ("month", "date", "period", "time", "time period", "year month", "monat", "datum", "zeitraum",
              "mois", "période", "mes", "fecha"),
    "visits": ("visits", "total visits", "traffic", "monthly visits", "estimated visits", "visitors",
               "sessions", "besuche", "visits total", "visites", "visitas"),
    "domain": ("domain", "site", "website", "web site", "domain name", "url", "host", "hostname", "domäne"),
    "country": ("country", "country name", "country code", "countries", "land", "pays", "país", "pais",
                "geo", "geography", "location"),
    "share": ("share", "traffic share", "visits share", "share of visits", "share of traffic", "percent",
              "percentage", "%", "anteil", "part", "traffic %", "visits %", "share %"),
    "rank": ("rank", "position", "#", "rang", "global rank", "ranking"),
    "metric": ("metric", "measure", "kennzahl", "metrik"),
}  # fmt: skip
"""Header names (compared after lower-casing, `_`/`-` to spaces, parenthesised notes removed) per role."""

MISSING_VALUES: frozenset[str] = frozenset({"", "-", "–", "—", "n/a", "na", "null", "none", "?"})
"""Cells that mean "no estimate": the row (or, in a wide export, the month) is skipped."""

NOT_A_COUNTRY: frozenset[str] = frozenset({"other", "others", "rest", "rest of world", "total", "all"})
"""Country-share rows that are not one country and are skipped."""

RANK_LISTS: tuple[str, ...] = ("tranco", "umbrella", "majestic", "cloudflare", "radar", "crux", "alexa",
                               "quantcast", "builtwith", "secrank")  # fmt: skip
"""List names recognised in a rank file's name (else the file's stem names the list)."""

COUNTRY_ALIASES: dict[str, tuple[str, ...]] = {
    "US": ("USA", "U.S.", "U.S.A.", "United States of America", "America"),
    "GB": ("UK", "U.K.", "Great Britain", "Britain", "England", "Scotland", "Wales", "Northern Ireland"),
    "RU": ("Russia",), "CZ": ("Czech Republic",), "TR": ("Turkey", "Turkiye"), "CI": ("Ivory Coast",),
    "VA": ("Vatican", "Vatican City"), "BN": ("Brunei",), "CV": ("Cape Verde",), "SZ": ("Swaziland",),
    "MK": ("Macedonia",), "PS": ("Palestine",), "FM": ("Micronesia",), "KR": ("Korea", "Republic of Korea"),
    "CD": ("DR Congo", "DRC", "Democratic Republic of the Congo", "Congo-Kinshasa"),
    "CG": ("Republic of the Congo", "Congo-Brazzaville"), "KP": ("DPRK",), "LA": ("Laos",), "MO": ("Macau",),
    "NL": ("Holland", "The Netherlands"), "TW": ("Taiwan",), "VN": ("Vietnam",), "IR": ("Iran",),
    "SY": ("Syria",), "MD": ("Moldova",), "TZ": ("Tanzania",), "VE": ("Venezuela",), "BO": ("Bolivia",),
    "BS": ("The Bahamas",), "GM": ("The Gambia",), "FK": ("Falkland Islands",), "MM": ("Burma",),
    "TL": ("East Timor",), "HK": ("Hong Kong SAR",), "AE": ("UAE",),
}  # fmt: skip
"""Common English names beside the ISO names of COUNTRY_TABLE."""

COUNTRY_TABLE = """\
AD|AND|Andorra
AE|ARE|United Arab Emirates
AF|AFG|Afghanistan
AG|ATG|Antigua and Barbuda
AI|AIA|Anguilla
AL|ALB|Albania
AM|ARM|Armenia
AO|AGO|Angola
AQ|ATA|Antarctica
AR|ARG|Argentina
AS|ASM|American Samoa
AT|AUT|Austria
AU|AUS|Australia
AW|ABW|Aruba
AX|ALA|Åland Islands
AZ|AZE|Azerbaijan
BA|BIH|Bosnia and Herzegovina
BB|BRB|Barbados
BD|BGD|Bangladesh
BE|BEL|Belgium
BF|BFA|Burkina Faso
BG|BGR|Bulgaria
BH|BHR|Bahrain
BI|BDI|Burundi
BJ|BEN|Benin
BL|BLM|Saint Barthélemy
BM|BMU|Bermuda
BN|BRN|Brunei Darussalam
BO|BOL|Bolivia, Plurinational State of|Bolivia
BQ|BES|Bonaire, Sint Eustatius and Saba
BR|BRA|Brazil
BS|BHS|Bahamas
BT|BTN|Bhutan
BV|BVT|Bouvet Island
BW|BWA|Botswana
BY|BLR|Belarus
BZ|BLZ|Belize
CA|CAN|Canada
CC|CCK|Cocos (Keeling) Islands
CD|COD|Congo, The Democratic Republic of the
CF|CAF|Central African Republic
CG|COG|Congo
CH|CHE|Switzerland
CI|CIV|Côte d'Ivoire
CK|COK|Cook Islands
CL|CHL|Chile
CM|CMR|Cameroon
CN|CHN|China
CO|COL|Colombia
CR|CRI|Costa Rica
CU|CUB|Cuba
CV|CPV|Cabo Verde
CW|CUW|Curaçao
CX|CXR|Christmas Island
CY|CYP|Cyprus
CZ|CZE|Czechia
DE|DEU|Germany
DJ|DJI|Djibouti
DK|DNK|Denmark
DM|DMA|Dominica
DO|DOM|Dominican Republic
DZ|DZA|Algeria
EC|ECU|Ecuador
EE|EST|Estonia
EG|EGY|Egypt
EH|ESH|Western Sahara
ER|ERI|Eritrea
ES|ESP|Spain
ET|ETH|Ethiopia
FI|FIN|Finland
FJ|FJI|Fiji
FK|FLK|Falkland Islands (Malvinas)
FM|FSM|Micronesia, Federated States of
FO|FRO|Faroe Islands
FR|FRA|France
GA|GAB|Gabon
GB|GBR|United Kingdom
GD|GRD|Grenada
GE|GEO|Georgia
GF|GUF|French Guiana
GG|GGY|Guernsey
GH|GHA|Ghana
GI|GIB|Gibraltar
GL|GRL|Greenland
GM|GMB|Gambia
GN|GIN|Guinea
GP|GLP|Guadeloupe
GQ|GNQ|Equatorial Guinea
GR|GRC|Greece
GS|SGS|South Georgia and the South Sandwich Islands
GT|GTM|Guatemala
GU|GUM|Guam
GW|GNB|Guinea-Bissau
GY|GUY|Guyana
HK|HKG|Hong Kong
HM|HMD|Heard Island and McDonald Islands
HN|HND|Honduras
HR|HRV|Croatia
HT|HTI|Haiti
HU|HUN|Hungary
ID|IDN|Indonesia
IE|IRL|Ireland
IL|ISR|Israel
IM|IMN|Isle of Man
IN|IND|India
IO|IOT|British Indian Ocean Territory
IQ|IRQ|Iraq
IR|IRN|Iran, Islamic Republic of|Iran
IS|ISL|Iceland
IT|ITA|Italy
JE|JEY|Jersey
JM|JAM|Jamaica
JO|JOR|Jordan
JP|JPN|Japan
KE|KEN|Kenya
KG|KGZ|Kyrgyzstan
KH|KHM|Cambodia
KI|KIR|Kiribati
KM|COM|Comoros
KN|KNA|Saint Kitts and Nevis
KP|PRK|Korea, Democratic People's Republic of|North Korea
KR|KOR|Korea, Republic of|South Korea
KW|KWT|Kuwait
KY|CYM|Cayman Islands
KZ|KAZ|Kazakhstan
LA|LAO|Lao People's Democratic Republic|Laos
LB|LBN|Lebanon
LC|LCA|Saint Lucia
LI|LIE|Liechtenstein
LK|LKA|Sri Lanka
LR|LBR|Liberia
LS|LSO|Lesotho
LT|LTU|Lithuania
LU|LUX|Luxembourg
LV|LVA|Latvia
LY|LBY|Libya
MA|MAR|Morocco
MC|MCO|Monaco
MD|MDA|Moldova, Republic of|Moldova
ME|MNE|Montenegro
MF|MAF|Saint Martin (French part)
MG|MDG|Madagascar
MH|MHL|Marshall Islands
MK|MKD|North Macedonia
ML|MLI|Mali
MM|MMR|Myanmar
MN|MNG|Mongolia
MO|MAC|Macao
MP|MNP|Northern Mariana Islands
MQ|MTQ|Martinique
MR|MRT|Mauritania
MS|MSR|Montserrat
MT|MLT|Malta
MU|MUS|Mauritius
MV|MDV|Maldives
MW|MWI|Malawi
MX|MEX|Mexico
MY|MYS|Malaysia
MZ|MOZ|Mozambique
NA|NAM|Namibia
NC|NCL|New Caledonia
NE|NER|Niger
NF|NFK|Norfolk Island
NG|NGA|Nigeria
NI|NIC|Nicaragua
NL|NLD|Netherlands
NO|NOR|Norway
NP|NPL|Nepal
NR|NRU|Nauru
NU|NIU|Niue
NZ|NZL|New Zealand
OM|OMN|Oman
PA|PAN|Panama
PE|PER|Peru
PF|PYF|French Polynesia
PG|PNG|Papua New Guinea
PH|PHL|Philippines
PK|PAK|Pakistan
PL|POL|Poland
PM|SPM|Saint Pierre and Miquelon
PN|PCN|Pitcairn
PR|PRI|Puerto Rico
PS|PSE|Palestine, State of
PT|PRT|Portugal
PW|PLW|Palau
PY|PRY|Paraguay
QA|QAT|Qatar
RE|REU|Réunion
RO|ROU|Romania
RS|SRB|Serbia
RU|RUS|Russian Federation
RW|RWA|Rwanda
SA|SAU|Saudi Arabia
SB|SLB|Solomon Islands
SC|SYC|Seychelles
SD|SDN|Sudan
SE|SWE|Sweden
SG|SGP|Singapore
SH|SHN|Saint Helena, Ascension and Tristan da Cunha
SI|SVN|Slovenia
SJ|SJM|Svalbard and Jan Mayen
SK|SVK|Slovakia
SL|SLE|Sierra Leone
SM|SMR|San Marino
SN|SEN|Senegal
SO|SOM|Somalia
SR|SUR|Suriname
SS|SSD|South Sudan
ST|STP|Sao Tome and Principe
SV|SLV|El Salvador
SX|SXM|Sint Maarten (Dutch part)
SY|SYR|Syrian Arab Republic|Syria
SZ|SWZ|Eswatini
TC|TCA|Turks and Caicos Islands
TD|TCD|Chad
TF|ATF|French Southern Territories
TG|TGO|Togo
TH|THA|Thailand
TJ|TJK|Tajikistan
TK|TKL|Tokelau
TL|TLS|Timor-Leste
TM|TKM|Turkmenistan
TN|TUN|Tunisia
TO|TON|Tonga
TR|TUR|Türkiye
TT|TTO|Trinidad and Tobago
TV|TUV|Tuvalu
TW|TWN|Taiwan, Province of China|Taiwan
TZ|TZA|Tanzania, United Republic of|Tanzania
UA|UKR|Ukraine
UG|UGA|Uganda
UM|UMI|United States Minor Outlying Islands
US|USA|United States
UY|URY|Uruguay
UZ|UZB|Uzbekistan
VA|VAT|Holy See (Vatican City State)
VC|VCT|Saint Vincent and the Grenadines
VE|VEN|Venezuela, Bolivarian Republic of|Venezuela
VG|VGB|Virgin Islands, British
VI|VIR|Virgin Islands, U.S.
VN|VNM|Viet Nam|Vietnam
VU|VUT|Vanuatu
WF|WLF|Wallis and Futuna
WS|WSM|Samoa
YE|YEM|Yemen
YT|MYT|Mayotte
ZA|ZAF|South Africa
ZM|ZMB|Zambia
ZW|ZWE|Zimbabwe
"""

"""ISO 3166-1: alpha-2 | alpha-3 | English names (from the iso-codes project)."""


def _name_key(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.casefold())
    return re.sub(r"[\W_]+", "", "".join(ch for ch in folded if not unicodedata.combining(ch)))


def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for line in COUNTRY_TABLE.splitlines():
        code, *names = line.split("|")
        for name in (code, *names, *COUNTRY_ALIASES.get(code, ())):
            index[_name_key(name)] = code
    return index


_COUNTRY = _country_index()
_HEADER_ROLE = {word: role for role, words in HEADER_WORDS.items() for word in words}
_YEAR_MONTH = re.compile(r"(\d{4})\s*[-/.]\s*(\d{1,2})")
_MONTH_YEAR = re.compile(r"(\d{1,2})\s*[-/.]\s*(\d{4})")
_COMPACT_MONTH = re.compile(r"(\d{4})(\d{2})")
_SHARE = re.compile(r"(\d+(?:[.,]\d*)?|[.,]\d+)\s*(%?)")
_RANK = re.compile(r"#?\s*(\d{1,9})")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_FILE_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")
MIN_YEAR, MAX_YEAR = 1990, 2100
CHUNK = 5000


class AudienceError(UnmaskError):
    """A file that cannot be imported: nothing of it was stored."""


# ------------------------------------------------------------------------------------------- values


def parse_month(value: str) -> str | None:
    """A calendar month as ``YYYY-MM`` from ``2024-10``, ``10/2024``, ``Oct 2024``, ``2024-10-01``…"""
    text = " ".join(value.split())
    year = month = 0
    if match := _YEAR_MONTH.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
    elif match := _MONTH_YEAR.fullmatch(text):
        year, month = int(match.group(2)), int(match.group(1))
    elif match := _COMPACT_MONTH.fullmatch(text):
        year, month = int(match.group(1)), int(match.group(2))
    elif day := parse_date(text):
        year, month = day.year, day.month
    else:
        words = month_words(text)
        years = YEAR_RE.findall(text)
        if len(words) != 1 or len(years) != 1:
            return None
        year, month = int(years[0]), words[0]
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12):
        return None
    return f"{year:04d}-{month:02d}"


def parse_period(value: str) -> str | None:
    """A month (``2024-10``) or a range of months (``2024-08..2024-10``), normalised."""
    parts = [parse_month(part) for part in value.split("..")]
    if not 1 <= len(parts) <= 2 or any(p is None for p in parts):
        return None
    if len(parts) == 2 and str(parts[0]) > str(parts[1]):
        return None
    return "..".join(str(p) for p in parts)


def parse_share(value: str) -> tuple[float, bool] | None:
    """``"38.5%"`` -> (38.5, True), ``"0.385"`` -> (0.385, False), ``"38,5 %"`` -> (38.5, True)."""
    match = _SHARE.fullmatch(value.replace("\u00a0", " ").strip())
    if match is None:
        return None
    return float(match.group(1).replace(",", ".")), bool(match.group(2))


def country_code(value: str) -> str | None:
    """ISO 3166-1 alpha-2 code of a country given by code (alpha-2 or -3) or common English name."""
    return _COUNTRY.get(_name_key(value))


def _missing(cell: str) -> bool:
    return cell.strip().lower() in MISSING_VALUES


def _header_key(cell: str) -> str:
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", cell.replace("\ufeff", "").lower())
    return " ".join(text.replace("_", " ").replace("-", " ").replace(":", " ").split())


def _shift(month: str, by: int) -> str:
    year, mon = int(month[:4]), int(month[5:7]) - 1 + by
    return f"{year + mon // 12:04d}-{mon % 12 + 1:02d}"


# ------------------------------------------------------------------------------------------ reading


def decode(data: bytes, where: str) -> str:
    """Text of a file in UTF-8 (BOM or not), UTF-16 (with BOM) or Latin-1/cp1252."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, body = "utf-16", data
    elif data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", data[len(codecs.BOM_UTF8) :]
    else:
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            raise AudienceError(
                "not a text file (NUL bytes; UTF-16 without a byte-order mark, or binary): "
                "save it as CSV in UTF-8, UTF-16 with BOM, or Latin-1",
                where=f"{where}:{line}",
            )
        encoding, body = "utf-8", data
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-16" or data.startswith(codecs.BOM_UTF8):
            line = body[: exc.start].count(b"\n") + 1
            raise AudienceError(
                f"not valid {encoding.upper()} ({exc.reason})", where=f"{where}:{line}"
            ) from exc
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError:
            text = body.decode("latin-1")
    if bad := _CONTROL.search(text):
        raise AudienceError(
            "not a text file (control characters): wrong encoding or not a CSV export",
            where=f"{where}:{text.count(chr(10), 0, bad.start()) + 1}",
        )
    return text


def _delimiter(text: str) -> str:
    """The one of tab, ; and , that splits the first lines into the same number (≥ 2) of columns."""
    sample = [line for line in text.splitlines()[:50] if line.strip()]
    best, best_width = ",", 0
    for candidate in ("\t", ";", ","):
        rows = list(csv.reader(sample, delimiter=candidate))
        width = len(rows[0]) if rows else 0
        agree = sum(1 for row in rows if len(row) == width)
        if width >= 2 and agree >= 0.8 * len(rows) and width > best_width:
            best, best_width = candidate, width
    return best


def read_rows(text: str, where: str) -> list[tuple[int, list[str]]]:
    """(line number, cells) of every non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((start, [cell.strip() for cell in row]))
            start = reader.line_num + 1
    except csv.Error as exc:
        raise AudienceError(f"not a readable CSV ({exc})", where=f"{where}:{start}") from exc
    return rows


# ------------------------------------------------------------------------------------------ parsing


@dataclass(frozen=True)
class VisitRow:
    domain: str
    month: str
    visits: int
    line: int


@dataclass(frozen=True)
class CountryRow:
    domain: str
    period: str | None
    country: str
    share: float
    visits: int | None
    line: int


@dataclass(frozen=True)
class RankRow:
    list_name: str
    list_date: dt.date
    domain: str
    rank: int
    line: int


@dataclass
class ImportOptions:
    layout: str | None = None
    """Force a layout (one of LAYOUTS) instead of detecting it from the header."""
    domains: tuple[str, ...] = ()
    """The domain a file without a domain column is about; with a domain column, only these domains."""
    period: str | None = None
    """The period of a country-share file without a month column (YYYY-MM or YYYY-MM..YYYY-MM)."""
    list_name: str | None = None
    list_date: str | None = None
    """Date of a rank list (YYYY-MM-DD); default: a date in the file name."""
    replace: bool = False
    """Replace an earlier import of the same file instead of refusing it."""


@dataclass
class ParsedFile:
    layout: str
    visits: list[VisitRow] = field(default_factory=list)
    countries: list[CountryRow] = field(default_factory=list)
    ranks: list[RankRow] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.visits) + len(self.countries) + len(self.ranks)

    @property
    def domains(self) -> list[str]:
        rows: Iterable[VisitRow | CountryRow | RankRow] = (*self.visits, *self.countries, *self.ranks)
        return sorted({row.domain for row in rows})


def _roles(header: Sequence[str]) -> dict[str, int]:
    roles: dict[str, int] = {}
    for index, cell in enumerate(header):
        role = _HEADER_ROLE.get(_header_key(cell))
        if role is not None and role not in roles:
            roles[role] = index
    return roles


def _headerless_rank(header: Sequence[str]) -> bool:
    return len(header) >= 2 and bool(_RANK.fullmatch(header[0])) and site_key(header[1]) is not None


def detect_layout(header: Sequence[str]) -> str | None:
    """The layout a header row announces (None when it announces none)."""
    roles = _roles(header)
    months = [cell for cell in header if parse_month(cell)]
    if _headerless_rank(header) or {"rank", "domain"} <= roles.keys():
        return "rank"
    if months and len(months) < len(header):
        return "wide"
    if {"country", "share"} <= roles.keys():
        return "country"
    if {"month", "visits"} <= roles.keys():
        return "monthly"
    return None


class _Parser:
    """Turns the rows of one file into VisitRow/CountryRow/RankRow, or raises AudienceError."""

    def __init__(self, path: Path, rows: list[tuple[int, list[str]]], options: ImportOptions) -> None:
        self.where = str(path)
        self.path = path
        self.header_line, self.header = rows[0]
        self.rows = rows[1:]
        self.options = options
        self.wanted = {d for d in (site_key(x) for x in options.domains) if d}
        self.roles = _roles(self.header)

    def fail(self, message: str, line: int) -> AudienceError:
        return AudienceError(message, where=f"{self.where}:{line}")

    def column(self, role: str, layout: str) -> int:
        if role not in self.roles:
            shown = ", ".join(self.header)
            raise self.fail(
                f"no {role} column for the {layout} layout (header: {shown}); see docs/audience.md",
                self.header_line,
            )
        return self.roles[role]

    @staticmethod
    def cell(row: list[str], index: int | None) -> str:
        return row[index] if index is not None and index < len(row) else ""

    def domain_of(self, row: list[str], index: int | None, line: int) -> str | None:
        """The row's domain; None when --domain filters it out."""
        if index is None:
            if len(self.wanted) != 1:
                raise self.fail("no domain column: pass --domain DOMAIN (exactly one)", self.header_line)
            return next(iter(self.wanted))
        cell = self.cell(row, index)
        if self.wanted and not any(w in cell.lower() for w in self.wanted):
            return None  # cheap pre-filter: a wanted domain is a part of its cell
        domain = site_key(cell)
        if domain is None:
            raise self.fail(f"not a domain name: {cell!r}", line)
        return domain if not self.wanted or domain in self.wanted else None

    def count(self, cell: str, what: str, line: int) -> int:
        value = parse_count(cell)
        if value is None or not re.search(r"\d", cell):
            raise self.fail(f"cannot read the {what} {cell!r} as a number", line)
        return value

    def month(self, cell: str, line: int) -> str:
        month = parse_month(cell)
        if month is None:
            raise self.fail(f"cannot read the month {cell!r} (e.g. 2024-10, 10/2024, Oct 2024)", line)
        return month

    # -- layouts ---------------------------------------------------------------------------------

    def monthly(self) -> ParsedFile:
        month_i, visits_i = self.column("month", "monthly"), self.column("visits", "monthly")
        domain_i = self.roles.get("domain")
        out = ParsedFile("monthly")
        seen: dict[tuple[str, str], int] = {}
        for line, row in self.rows:
            domain = self.domain_of(row, domain_i, line)
            if domain is None:
                continue
            month = self.month(self.cell(row, month_i), line)
            cell = self.cell(row, visits_i)
            if _missing(cell):
                continue
            self.once(seen, (domain, month), line, f"month {month} of {domain}")
            out.visits.append(VisitRow(domain, month, self.count(cell, "visits", line), line))
        return out

    def wide(self) -> ParsedFile:
        months = {i: m for i, cell in enumerate(self.header) if (m := parse_month(cell))}
        if not months:
            raise self.fail("no month columns for the wide layout (e.g. 2024-10, Oct 2024)", self.header_line)
        domain_i = self.roles.get("domain")
        if domain_i is None and len(self.wanted) != 1:
            domain_i = next(i for i in range(len(self.header)) if i not in months)
        metric_i = self.roles.get("metric")
        out = ParsedFile("wide")
        seen: dict[tuple[str, str], int] = {}
        for line, row in self.rows:
            metric = self.cell(row, metric_i).lower()
            if metric_i is not None and not any(w in metric for w in ("visit", "traffic")):
                continue
            domain = self.domain_of(row, domain_i, line)
            if domain is None:
                continue
            for index, month in months.items():
                cell = self.cell(row, index)
                if _missing(cell):
                    continue
                self.once(seen, (domain, month), line, f"month {month} of {domain}")
                visits = self.count(cell, f"visits of {self.header[index]}", line)
                out.visits.append(VisitRow(domain, month, visits, line))
        return out

    def country(self) -> ParsedFile:
        country_i, share_i = self.column("country", "country"), self.column("share", "country")
        visits_i, month_i, domain_i = (self.roles.get(r) for r in ("visits", "month", "domain"))
        period = None
        if self.options.period is not None:
            period = parse_period(self.options.period)
            if period is None:
                raise AudienceError(f"--period {self.options.period!r}: expected YYYY-MM or YYYY-MM..YYYY-MM")
        raw: list[tuple[int, str, str | None, str, float, bool, str, int | None]] = []
        seen: dict[tuple[str, str | None, str], int] = {}
        for line, row in self.rows:
            name = self.cell(row, country_i)
            if _header_key(name) in NOT_A_COUNTRY:
                continue
            domain = self.domain_of(row, domain_i, line)
            if domain is None:
                continue
            code = country_code(name)
            if code is None:
                raise self.fail(f"unknown country {name!r} (an ISO code or an English name)", line)
            cell = self.cell(row, share_i)
            if _missing(cell):
                continue
            share = parse_share(cell)
            if share is None:
                raise self.fail(f"cannot read the share {cell!r} (e.g. 38.5%, 0.385, 38,5 %)", line)
            when = self.month(self.cell(row, month_i), line) if month_i is not None else period
            visits_cell = self.cell(row, visits_i)
            visits = None if _missing(visits_cell) else self.count(visits_cell, "visits", line)
            self.once(seen, (domain, when, code), line, f"country {code} of {domain}")
            raw.append((line, domain, when, code, share[0], share[1], cell, visits))
        percent = not any(r[5] for r in raw) and any(r[4] > 1 for r in raw)
        out = ParsedFile("country")
        totals: dict[tuple[str, str | None], float] = {}
        for line, domain, when, code, value, pct, cell, visits in raw:
            fraction = value / 100 if pct or percent else value
            if not 0 <= fraction <= 1:
                raise self.fail(f"the share {cell!r} is not between 0 and 100%", line)
            totals[domain, when] = totals.get((domain, when), 0.0) + fraction
            if totals[domain, when] > 1.005:
                raise self.fail(f"the shares of {domain} add up to more than 100% here", line)
            out.countries.append(CountryRow(domain, when, code, fraction, visits, line))
        return out

    def rank(self) -> ParsedFile:
        rows = self.rows
        if _headerless_rank(self.header) and not {"rank", "domain"} <= self.roles.keys():
            rank_i, domain_i = 0, 1
            rows = [(self.header_line, self.header), *rows]
        else:
            rank_i, domain_i = self.column("rank", "rank"), self.column("domain", "rank")
        list_date = self.list_date()
        list_name = self.options.list_name or self.list_name()
        out = ParsedFile("rank")
        seen: dict[str, int] = {}
        for line, row in rows:
            domain = self.domain_of(row, domain_i, line)
            if domain is None:
                continue
            cell = self.cell(row, rank_i)
            match = _RANK.fullmatch(cell)
            if match is None or int(match.group(1)) < 1:
                raise self.fail(f"cannot read the rank {cell!r} (a whole number from 1)", line)
            self.once(seen, domain, line, f"domain {domain}")
            out.ranks.append(RankRow(list_name, list_date, domain, int(match.group(1)), line))
        return out

    def list_date(self) -> dt.date:
        if self.options.list_date is not None:
            try:
                return dt.date.fromisoformat(self.options.list_date)
            except ValueError:
                raise AudienceError(f"--list-date {self.options.list_date!r}: expected YYYY-MM-DD") from None
        for match in _FILE_DATE.finditer(self.path.name):
            try:
                return dt.date(*(int(g) for g in match.groups()))
            except ValueError:
                continue
        raise AudienceError(
            "no list date: pass --list-date YYYY-MM-DD (or name the file like tranco_2024-10-01.csv)",
            where=self.where,
        )

    def list_name(self) -> str:
        name = self.path.name.lower()
        known = next((n for n in RANK_LISTS if n in name), None)
        return known or (_FILE_DATE.sub("", self.path.stem.lower()).strip("_-. ") or "list")[:50]

    def once(self, seen: dict[Any, int], key: object, line: int, what: str) -> None:
        if key in seen:
            raise self.fail(f"{what} given twice (first at line {seen[key]})", line)
        seen[key] = line


def parse_file(path: Path, data: bytes, options: ImportOptions) -> ParsedFile:
    """Parse a whole export (pure: nothing is stored). Raises AudienceError naming file and line."""
    where = str(path)
    if options.layout is not None and options.layout not in LAYOUTS:
        raise AudienceError(f"unknown format {options.layout!r} (one of {', '.join(LAYOUTS)})")
    if not data.strip():
        raise AudienceError("the file is empty", where=where)
    rows = read_rows(decode(data, where), where)
    if not rows:
        raise AudienceError("the file is empty", where=where)
    layout = options.layout or detect_layout(rows[0][1])
    if layout is None:
        raise AudienceError(
            f"cannot tell the layout from the header ({', '.join(rows[0][1])}): expected month and visits, "
            "country and share, months as columns, or rank,domain; or pass --format",
            where=f"{where}:{rows[0][0]}",
        )
    parser = _Parser(path, rows, options)
    parsed: ParsedFile = getattr(parser, layout)()
    if parsed.rows == 0:
        raise AudienceError(
            "no data rows" + (" for the --domain given" if options.domains else ""), where=where
        )
    return parsed


# ------------------------------------------------------------------------------------------ storing


@dataclass
class ImportResult:
    import_id: int
    file: str
    sha256: str
    layout: str
    rows: int
    domains: list[str]
    replaced: int | None
    """The id of the earlier import of the same file that this one replaced."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "import_id": self.import_id,
            "file": self.file,
            "sha256": self.sha256,
            "layout": self.layout,
            "rows": self.rows,
            "domains": self.domains,
            "replaced": self.replaced,
        }


def import_file(store: Store, path: Path, options: ImportOptions | None = None) -> ImportResult:
    """Import one export in one transaction: all of it, or (on any error) nothing."""
    options = options or ImportOptions()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise AudienceError(f"cannot read the file ({exc.strerror})", where=str(path)) from exc
    digest = hashlib.sha256(data).hexdigest()
    parsed = parse_file(path, data, options)
    replaced = None
    with store.session() as session:
        earlier = session.scalar(select(AudienceImport).where(AudienceImport.sha256 == digest))
        if earlier is not None:
            if not options.replace:
                raise AudienceError(
                    f"this file was already imported (import {earlier.id}, {earlier.file_name}, "
                    f"{earlier.imported_at:%Y-%m-%d %H:%M} UTC); pass --replace to import it again",
                    where=str(path),
                )
            replaced = earlier.id
            for table in (AudienceVisits, AudienceCountry, SiteRank):
                session.execute(delete(table).where(table.import_id == earlier.id))
            session.delete(earlier)
            session.flush()
        record = AudienceImport(file_name=path.name, sha256=digest, layout=parsed.layout, rows=parsed.rows)
        session.add(record)
        session.flush()
        _bulk(session, AudienceVisits, [
            {"import_id": record.id, "domain": r.domain, "month": r.month, "visits": r.visits}
            for r in parsed.visits
        ])  # fmt: skip
        _bulk(session, AudienceCountry, [
            {"import_id": record.id, "domain": r.domain, "period": r.period, "country": r.country,
             "share": r.share, "visits": r.visits}
            for r in parsed.countries
        ])  # fmt: skip
        _bulk(session, SiteRank, [
            {"import_id": record.id, "list_name": r.list_name, "list_date": r.list_date, "domain": r.domain,
             "rank": r.rank}
            for r in parsed.ranks
        ])  # fmt: skip
        import_id = record.id
    return ImportResult(import_id, str(path), digest, parsed.layout, parsed.rows, parsed.domains, replaced)


def _bulk(session: Any, table: type[Any], rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(table), rows[start : start + CHUNK])


# ----------------------------------------------------------------------------------------- querying


def best_window(monthly: Sequence[tuple[str, int]], size: int = 3) -> dict[str, Any] | None:
    """The ``size`` consecutive calendar months with the most visits (months without data count 0)."""
    visits = dict(monthly)
    best: dict[str, Any] | None = None
    for start in sorted(visits):
        months = [m for m in (_shift(start, k) for k in range(size)) if m in visits]
        total = sum(visits[m] for m in months)
        if best is None or total > best["visits"]:
            best = {"months": months, "visits": total}
    return best


def audience_summary(store: Store, domain: str | None = None) -> dict[str, Any]:
    """Per domain: monthly visits, the best 3 months, country shares (highest first), ranks.

    Where several imports give the same month, the latest import wins; country shares come from the
    latest import that has them for the domain, and from its latest period.
    """
    wanted = None
    if domain is not None:
        wanted = site_key(domain)
        if wanted is None:
            raise AudienceError(f"--domain {domain!r} is not a domain name")
    with store.session() as session:

        def rows(*columns: Any) -> list[Any]:
            query = select(*columns)
            if wanted is not None:
                query = query.where(columns[0] == wanted)
            return list(session.execute(query))

        visits = rows(
            AudienceVisits.domain, AudienceVisits.month, AudienceVisits.visits, AudienceVisits.import_id
        )
        countries = rows(
            AudienceCountry.domain, AudienceCountry.period, AudienceCountry.country, AudienceCountry.share,
            AudienceCountry.import_id,
        )  # fmt: skip
        ranks = rows(SiteRank.domain, SiteRank.list_name, SiteRank.list_date, SiteRank.rank)
    monthly: dict[str, dict[str, tuple[int, int]]] = {}
    for d, month, count, import_id in visits:
        if month not in monthly.setdefault(d, {}) or import_id > monthly[d][month][1]:
            monthly[d][month] = (count, import_id)
    share_rows: dict[str, list[Any]] = {}
    for row in countries:
        share_rows.setdefault(row.domain, []).append(row)
    rank_rows: dict[str, list[Any]] = {}
    for row in ranks:
        rank_rows.setdefault(row.domain, []).append(row)
    domains = sorted({*monthly, *share_rows, *rank_rows})
    if wanted is not None and not domains:
        raise AudienceError(f"no audience data for {wanted}: import some with `unmask audience import FILE`")
    out = []
    for d in domains:
        series = [(m, v) for m, (v, _) in sorted(monthly.get(d, {}).items())]
        chosen: list[Any] = []
        period = None
        if share_rows.get(d):
            latest = max(r.import_id for r in share_rows[d])
            in_latest = [r for r in share_rows[d] if r.import_id == latest]
            period = max((r.period for r in in_latest if r.period), default=None)
            chosen = sorted((r for r in in_latest if r.period == period), key=lambda r: (-r.share, r.country))
        out.append({
            "domain": d,
            "monthly": [{"month": m, "visits": v} for m, v in series],
            "best_3_months": best_window(series),
            "countries": [{"country": r.country, "share": r.share} for r in chosen],
            "countries_period": period,
            "ranks": [
                {"list": r.list_name, "date": r.list_date.isoformat(), "rank": r.rank}
                for r in sorted(rank_rows.get(d, []), key=lambda r: (r.list_date, r.list_name))
            ],
        })  # fmt: skip
    return {"domains": out}


def _millions(visits: int) -> str:
    if visits >= 1_000_000:
        return f"{visits / 1_000_000:.1f} million"
    return f"{visits:,}"


def headline(entry: dict[str, Any]) -> str | None:
    """``"17.3 million visits in 3 months (2024-08 to 2024-10), most from US (38.5%), then JP and DE"``."""
    best = entry.get("best_3_months")
    parts = []
    if best:
        months = best["months"]
        span = months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}"
        count = "1 month" if len(months) == 1 else f"{len(months)} months"
        parts.append(f"{_millions(best['visits'])} visits in {count} ({span})")
    countries = [c["country"] for c in entry.get("countries", [])][:3]
    if countries:
        top = entry["countries"][0]
        text = f"most from {top['country']} ({top['share']:.1%})"
        if len(countries) > 1:
            text += ", then " + " and ".join(countries[1:])
        parts.append(text)
    return ", ".join(parts) if parts else None
