"""The built-in detectors of :mod:`reverie.redact`: one regular expression per class.

Speed comes from gates: a :class:`Detector` runs its regular expression only
when a plain substring test passes (``"@"``, ``"sk-"``, ``"://"``), and each
expression starts with a literal (``-``, ``.``, ``+``, ``(``) so Python's
regex engine can jump between candidates instead of trying every position.
Card numbers and IBANs have no literal to anchor on; for them the gate is a
substring test on the text's *skeleton* (digits as ``0``, capitals as ``A``,
one ``bytes.translate``). Validators then drop look-alikes: Luhn for cards,
mod-97 for IBANs, range checks for SSNs and IP addresses.

Classes, in priority order (at the same start, the earlier class wins)::

    secrets  PRIVATE_KEY JWT ANTHROPIC_KEY OPENAI_KEY STRIPE_KEY AWS_ACCESS_KEY
             AWS_SECRET_KEY GITHUB_TOKEN SLACK_TOKEN GOOGLE_API_KEY URL_PASSWORD ENV_SECRET
    pii      EMAIL CARD IBAN SSN PHONE IPV4 IPV6
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = [
    "BUILTIN_CLASSES",
    "PII_CLASSES",
    "SECRET_CLASSES",
    "SECRET_KEY_NAMES",
    "Detector",
    "EnvSecretDetector",
    "Plan",
    "Probe",
    "builtin_detectors",
    "find_all",
    "iban_ok",
    "luhn_ok",
]

SECRET_CLASSES = (
    "PRIVATE_KEY", "JWT", "ANTHROPIC_KEY", "OPENAI_KEY", "STRIPE_KEY", "AWS_ACCESS_KEY",
    "AWS_SECRET_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "GOOGLE_API_KEY", "URL_PASSWORD",
    "ENV_SECRET",
)  # fmt: skip
PII_CLASSES = ("EMAIL", "CARD", "IBAN", "SSN", "PHONE", "IPV4", "IPV6")
BUILTIN_CLASSES = SECRET_CLASSES + PII_CLASSES

Validator = Callable[[str], bool]
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_SKELETON = bytes.maketrans(b"123456789BCDEFGHIJKLMNOPQRSTUVWXYZ", b"000000000" + b"A" * 25)


class Probe:
    """One text being scanned, with cheap views of it computed at most once."""

    __slots__ = ("_lower", "_skeleton", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._skeleton: bytes | None = None
        self._lower: str | None = None

    @property
    def skeleton(self) -> bytes:
        """The text as UTF-8 with digits as ``0`` and capitals as ``A``."""
        if self._skeleton is None:
            self._skeleton = self.text.encode("utf-8", "replace").translate(_SKELETON)
        return self._skeleton

    @property
    def lower(self) -> str:
        """The text in lower case (for case-blind keyword search)."""
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower


@dataclass(frozen=True, slots=True)
class Detector:
    """One class of value: a regex, the group to replace, cheap gates and a validator.

    Gates, all of which must pass before the regex runs (see :func:`find_all`):
    ``needles``, one of these substrings is in the text; ``shapes``, one of
    these is in the text's skeleton; ``trigger``, a fast regex shared by several
    detectors finds something (evaluated once per text).

    ``left_digits=(lo, hi)`` extends a match that starts at a literal anchor
    (``-``, ``.``, ``::``) left over ``lo`` to ``hi`` of ``left_chars``;
    ``bounded`` rejects a match glued to a preceding letter, digit or ``_``;
    ``not_after`` rejects one preceded by one of these strings.
    """

    kind: str
    regex: re.Pattern[str]
    group: int = 0
    needles: tuple[str, ...] = ()
    shapes: tuple[bytes, ...] = ()
    trigger: re.Pattern[str] | None = None
    left_digits: tuple[int, int] | None = None
    left_chars: frozenset[str] = frozenset("0123456789")
    bounded: bool = False
    not_after: tuple[str, ...] = ()
    valid: Validator | None = None

    def find(self, probe: Probe) -> Iterator[tuple[int, int, str]]:
        """(start, end, kind) of each valid match in the probe's text (gates not applied)."""
        text = probe.text
        for m in self.regex.finditer(text):
            start, end = m.span(self.group)
            if start < 0 or end <= start:
                continue
            if self.left_digits is not None:
                lo, hi = self.left_digits
                k = start
                chars = self.left_chars
                while k > 0 and start - k < hi and text[k - 1] in chars:
                    k -= 1
                if start - k < lo:
                    continue
                while text[k] == ":" and text[k + 1] != ":":  # never start on a lone colon
                    k += 1
                start = k
            if self.bounded and start > 0 and text[start - 1] in _WORD:
                continue
            if self.not_after and text.endswith(self.not_after, 0, start):
                continue
            if self.valid is None or self.valid(text[start:end]):
                yield start, end, self.kind


class Plan:
    """Detectors flattened for :func:`find_all`: their gates as plain tuples, in priority order.

    ``master`` is one regex that matches somewhere in every text any built-in
    detector could match in; a short text it does not match skips the loop.
    """

    __slots__ = ("detectors", "master", "steps")

    def __init__(self, detectors: list[Detector]) -> None:
        self.detectors = list(detectors)
        self.steps = [
            (rank, det.needles, det.shapes, det.trigger, det.find)
            for rank, det in enumerate(self.detectors)
        ]
        builtin = all(type(d).__module__ == __name__ for d in self.detectors) and all(
            d.kind in BUILTIN_CLASSES for d in self.detectors
        )
        self.master = _MASTER if builtin else None


_SHORT = 256


def find_all(plan: Plan, text: str) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) spans of all detectors in ``text``, in text order.

    Gates are checked inline (this loop runs for every event at ingest). At the
    same start the earlier detector wins; otherwise the earlier start wins.
    """
    if plan.master is not None and len(text) <= _SHORT and plan.master.search(text) is None:
        return []
    probe = Probe(text)
    found: list[tuple[int, int, int, str]] = []
    last_trigger: re.Pattern[str] | None = None
    last_hit = False
    for rank, needles, shapes, trigger, find in plan.steps:
        if needles:
            for needle in needles:
                if needle in text:
                    break
            else:
                continue
        if shapes:
            skeleton = probe.skeleton
            for shape in shapes:
                if shape in skeleton:
                    break
            else:
                continue
        if trigger is not None:
            if trigger is not last_trigger:
                last_trigger, last_hit = trigger, trigger.search(text) is not None
            if not last_hit:
                continue
        for start, end, kind in find(probe):
            found.append((start, rank, end, kind))
    if not found:
        return found
    found.sort()
    kept: list[tuple[int, int, str]] = []
    last_end = -1
    for start, _, end, kind in found:
        if start >= last_end:
            kept.append((start, end, kind))
            last_end = end
    return kept


def luhn_ok(number: str) -> bool:
    """True when the digits of ``number`` pass the Luhn check (payment cards)."""
    total = 0
    for i, c in enumerate(reversed([c for c in number if c.isdigit()])):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# Visa 4, Mastercard 51-55 / 2221-2720, Amex 34 37, Diners 30 36 38, JCB 35, Discover etc. 6
_CARD_IIN = re.compile(r"4|5[1-5]|2(?:2[2-9]|[3-6]|7[01]|720)|3[0-8]|6")


def _card_ok(value: str) -> bool:
    digits = value.replace(" ", "").replace("-", "")
    if not 13 <= len(digits) <= 19 or not _CARD_IIN.match(digits):
        return False
    if value == digits and len(digits) not in (15, 16):  # long ids, epoch times: too many
        return False
    if value != digits:  # grouped: one separator kind, groups of 4 (Amex 4-6-5)
        groups = [len(g) for g in re.split(r"[ -]", value)]
        if ("-" in value and " " in value) or (
            groups[:-1] != [4] * (len(groups) - 1) and groups != [4, 6, 5]
        ):
            return False
    return luhn_ok(digits)


_IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28, "EE": 20,
    "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18,
    "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18, "NO": 15,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24, "SC": 31,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26,
    "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}  # fmt: skip


def iban_ok(value: str) -> bool:
    """True for an IBAN of its country's length whose mod-97 check gives 1."""
    iban = value.replace(" ", "").upper()
    if _IBAN_LENGTHS.get(iban[:2]) != len(iban) or not iban[2:4].isdigit():
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _ssn_ok(value: str) -> bool:
    area, group, serial = value.split("-")
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _phone_ok(value: str) -> bool:
    return 10 <= sum(c.isdigit() for c in value) <= 15


def _ipv4_ok(value: str) -> bool:
    octets = value.split(".")
    if any(len(o) > 1 and o[0] == "0" for o in octets) or any(int(o) > 255 for o in octets):
        return False
    if all(len(o) == 1 for o in octets):  # 2.0.0.3 is a version far more often than a host
        return False
    return octets[0] not in ("0", "127") and octets[:2] != ["255", "255"]


def _ipv6_ok(value: str) -> bool:
    try:
        addr = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    if addr.is_loopback or addr.is_unspecified:
        return False
    # "::"-compressed forms must look like addresses, not like C++/Rust paths (a::b)
    # and not like slices (arr[1::4]): one group of 3+ hex digits, one decimal digit
    groups = [g for g in value.split(":") if g]
    return len(groups) >= 8 or (
        len(groups) >= 2 and any(len(g) >= 3 for g in groups) and any(c.isdigit() for c in value)
    )


_KEYWORDS = (
    "password", "passwd", "passphrase", "secret", "token", "api_key", "apikey", "api-key",
    "access_key", "accesskey", "private_key", "privatekey", "credential",
)  # fmt: skip
_KEYWORDS_ANY_CASE = re.compile("|".join(_KEYWORDS), re.IGNORECASE)
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_ASSIGN = re.compile(
    r"(?P<tail>[A-Za-z0-9_]*)\\?[\"']?[ \t]*(?P<op>:=|=|:)[ \t]*"  # \" inside JSON strings
    r"(?:\\?\"(?P<dq>[^\"\s$<{\\]{4,200})\\?\"|'(?P<sq>[^'\s$<{\\]{4,200})'"
    r"|(?P<bare>[^\s\"'`,;#<>(){}\[\]$\\]{4,200})(?=[\s;,'\"#&|\\]|$))"
)
_LOWER_TAILS = frozenset({"", "_key", "key", "-key"})
_NOT_SECRET_VALUES = frozenset(
    {"none", "null", "true", "false", "undefined", "changeme", "xxxx", "xxxxxxxx", "****",
     "********", "required", "optional", "string", "redacted", "placeholder"}
)  # fmt: skip
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
# a dict key that holds a secret: "password", "api_key", "auth_token", "client_secret"
SECRET_KEY_NAMES = re.compile(
    r"(?i)^[\w.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key"
    r"|private[_-]?key|(?:secret|auth)[_-]?key|credentials?|authorization)$"
)


def _env_value_ok(value: str) -> bool:
    low = value.lower()
    if value.isdigit() or low in _NOT_SECRET_VALUES:
        return False
    if low.startswith(("os.", "env.", "process.", "self.", "settings.", "config.")):
        return False
    return _DOTTED_NAME.fullmatch(value) is None


def _keyword_spans(text: str, low: str) -> list[tuple[int, int]]:
    """Where secret-naming words occur in ``text`` (any case), in order."""
    if len(low) != len(text):  # rare: lower-casing changed the length; positions differ
        return [m.span() for m in _KEYWORDS_ANY_CASE.finditer(text)]
    spans = []
    for word in _KEYWORDS:
        i = low.find(word)
        while i >= 0:
            spans.append((i, i + len(word)))
            i = low.find(word, i + 1)
    spans.sort()
    return spans


class EnvSecretDetector(Detector):
    """ENV_SECRET: the value assigned to a name that says it holds a secret.

    ``PASSWORD=...`` and ``export DB_TOKEN=...`` (upper-case names, quoted or
    not), ``"password": "..."`` and ``api_key = '...'`` (any case, quoted
    values only), ``--token=...``. Code such as ``token: str = ""`` or
    ``TOKEN = os.environ["TOKEN"]`` is left alone.
    """

    def find(self, probe: Probe) -> Iterator[tuple[int, int, str]]:
        low = probe.lower
        if not ("pass" in low or "secret" in low or "token" in low or "key" in low
                or "credential" in low):  # fmt: skip
            return
        text = probe.text
        for kw_start, kw_end in _keyword_spans(text, low):
            m = _ASSIGN.match(text, kw_end)
            if m is None:
                continue
            k = kw_start
            while k > 0 and text[k - 1] in _KEY_CHARS:
                k -= 1
            if text.startswith("n", k) and text.endswith("\\", 0, k):  # JSON-escaped "\nKEY="
                k += 1
            key = text[k : m.end("tail")]
            upper = key.upper() == key
            tail = m.group("tail")
            if (
                not upper
                and tail.lower() not in _LOWER_TAILS
                and not (tail == "s" and low[kw_start:kw_end] == "credential")
            ):
                continue
            group = "dq" if m.start("dq") >= 0 else "sq" if m.start("sq") >= 0 else "bare"
            if group == "bare" and not (m.group("op") == "=" and (upper or key.startswith("--"))):
                continue
            if _env_value_ok(m.group(group)):
                yield m.start(group), m.end(group), self.kind


_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_EMAIL_DOMAIN = re.compile(r"(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b")
_NOT_EMAIL_LOCAL = frozenset({"git"})  # git@host:org/repo is an SSH remote, not a person


class _EmailDetector(Detector):
    """EMAIL, anchored on each "@" (walking left over the local part): no "@", no cost."""

    def find(self, probe: Probe) -> Iterator[tuple[int, int, str]]:
        text = probe.text
        at = text.find("@")
        while at > 0:
            start = at
            while start > 0 and at - start < 64 and text[start - 1] in _EMAIL_LOCAL:
                start -= 1
            while start < at and not text[start].isalnum():
                start += 1
            m = self.regex.match(text, at + 1) if start < at else None
            if m is not None and text[start:at] not in _NOT_EMAIL_LOCAL:
                yield start, m.end(), self.kind
                at = text.find("@", m.end())
            else:
                at = text.find("@", at + 1)


_HEX = r"[0-9A-Fa-f]{1,4}"
# one scan that says whether any SSN / phone / IP detector can match (each branch opens
# with a literal, so the engine jumps between "-", "+", "(", ".", ":" characters)
_NUMERIC = re.compile(
    r"-\d\d-\d\d\d\d|-\d\d\d-\d\d\d\d|\+\d|\(\d\d\d\)|\.\d\d?\d?\.\d|::"
    r"|:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:"
)
# everything some built-in detector needs (see Plan); tests check it is a superset
_MASTER = re.compile(
    r"@|://|PRIVATE KEY|eyJ|sk-|_live_|_test_|ecret|ECRET|xox|AIza|earer |EARER |Basic "
    r"|gh[pousr]_|github_pat_|A[A-Z][A-Z][A-Z][A-Z0-9]{16}|\d\d\d\d|[A-Z][A-Z]\d\d"
    r"|(?i:pass|secret|token|key|credential)|" + _NUMERIC.pattern
)
_HEX_COLON = frozenset("0123456789abcdefABCDEF:")
_OCTET = r"\d{1,3}"


def builtin_detectors() -> list[Detector]:
    """A fresh list of the built-in detectors, in priority order."""
    c = re.compile
    return [
        Detector(
            "PRIVATE_KEY",
            c(
                r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY( BLOCK|)-----"
                r"[\s\S]{0,20000}?(?:-----END \1PRIVATE KEY\2-----|$)"
            ),
            needles=("PRIVATE KEY",),
        ),
        Detector(
            "JWT",
            c(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
            needles=("eyJ",),
            bounded=True,
        ),
        Detector(
            "ANTHROPIC_KEY", c(r"sk-ant-[A-Za-z0-9_-]{20,}"), needles=("sk-ant-",), bounded=True
        ),
        Detector(
            "OPENAI_KEY",
            c(r"sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{20,}"),
            needles=("sk-",),
            bounded=True,
        ),
        Detector(
            "STRIPE_KEY",
            c(r"(?:sk|rk|pk|whsec)_(?:live|test)_[0-9A-Za-z]{16,}"),
            needles=("_live_", "_test_"),
            bounded=True,
        ),
        Detector(
            "AWS_ACCESS_KEY",
            c(r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}\b"),
            bounded=True,
        ),
        Detector(
            "AWS_SECRET_KEY",
            c(
                r"(?i:aws_?secret_?access_?key|secret_?access_?key|aws_?secret)[\"']?\s*[:=]\s*"
                r"[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
            ),
            group=1,
            needles=("ecret", "ECRET"),
        ),
        Detector(
            "GITHUB_TOKEN",
            c(r"gh[pousr]_[A-Za-z0-9]{36,255}\b|github_pat_[A-Za-z0-9_]{22,255}\b"),
            bounded=True,
        ),
        Detector("SLACK_TOKEN", c(r"xox[abprse]-[A-Za-z0-9-]{10,250}"), needles=("xox",)),
        Detector(
            "GOOGLE_API_KEY",
            c(r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
            needles=("AIza",),
            bounded=True,
        ),
        Detector(
            "URL_PASSWORD",
            c(r"://[^\s:/@\"'<>]{1,128}:([^\s@/\"'<>]{1,256})@"),
            group=1,
            needles=("://",),
            valid=lambda v: not v.startswith(("$", "<", "{", "%")),
        ),
        EnvSecretDetector("ENV_SECRET", _KEYWORDS_ANY_CASE),
        Detector(
            "ENV_SECRET",
            c(r"(?:Bearer|BEARER|bearer|Basic) ([A-Za-z0-9._~+/-]{12,}=*)"),
            group=1,
            needles=("earer ", "EARER ", "Basic "),
        ),
        _EmailDetector("EMAIL", _EMAIL_DOMAIN),
        Detector(
            "CARD",
            c(r"\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)"),
            shapes=(b"0" * 15, b"0000 0000 0000", b"0000-0000-0000", b"0000 000000 0"),
            bounded=True,
            not_after=(".", ",", "+", "-"),
            valid=_card_ok,
        ),
        Detector(
            "IBAN",
            c(r"[A-Z][A-Z]\d\d(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
            shapes=(b"AA00",),
            bounded=True,
            valid=iban_ok,
        ),
        Detector(
            "SSN",
            c(r"-\d{2}-\d{4}(?![\w-])"),
            trigger=_NUMERIC,
            left_digits=(3, 3),
            bounded=True,
            valid=_ssn_ok,
        ),
        Detector(
            "PHONE",
            c(r"\+\d{1,3}(?:[ .-]\(?\d{1,4}\)?){2,5}(?![\w-])"),
            trigger=_NUMERIC,
            valid=lambda v: _phone_ok(v) and not v.endswith(")"),
        ),
        Detector(
            "PHONE",
            c(r"\(\d{3}\) ?\d{3}[ .-]\d{4}(?![\w-])"),
            trigger=_NUMERIC,
            bounded=True,
        ),
        Detector(
            "PHONE",
            c(r"-\d{3}-\d{4}(?![\w-])"),
            trigger=_NUMERIC,
            left_digits=(3, 3),
            bounded=True,
        ),
        Detector(
            "IPV4",
            c(rf"\.{_OCTET}\.{_OCTET}\.{_OCTET}(?![\w]|\.\d)"),
            trigger=_NUMERIC,
            left_digits=(1, 3),
            bounded=True,
            not_after=("==", ">=", "<=", "~=", "!=", "version ", "Version ", "v"),
            valid=_ipv4_ok,
        ),
        Detector(
            "IPV6",
            c(rf"::(?:{_HEX}(?::{_HEX}){{0,6}})?(?![\w:])"),
            trigger=_NUMERIC,
            left_digits=(0, 35),
            left_chars=_HEX_COLON,
            bounded=True,
            valid=_ipv6_ok,
        ),
        Detector(
            "IPV6",
            c(rf":{_HEX}(?::{_HEX}){{6}}(?![\w:])"),
            trigger=_NUMERIC,
            left_digits=(1, 4),
            left_chars=_HEX_COLON - {":"},
            bounded=True,
            valid=_ipv6_ok,
        ),
    ]
