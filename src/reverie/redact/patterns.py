"""The built-in detectors of :mod:`reverie.redact.redactor`: one regular expression per class.

Speed comes from gates: a :class:`Detector` runs its regular expression only
when the text holds one of its literal words (``"sk-"``, ``"://"``,
``"AKIA"``; all detectors' words are found in one Aho-Corasick pass over the
text, :mod:`reverie.redact.gates`), and each expression starts with a literal
(``-``, ``.``, ``+``, ``(``) so Python's regex engine can jump between
candidates instead of trying every position.
Card numbers and IBANs have no literal to anchor on; for them the gate is a
substring test on the text's *skeleton* (digits as ``0``, capitals as ``A``,
one ``bytes.translate``). Validators then drop look-alikes: Luhn for cards,
mod-97 for IBANs, range checks for SSNs and IP addresses.

Classes, in priority order (at the same start, the earlier class wins)::

    secrets  PRIVATE_KEY JWT ANTHROPIC_KEY OPENAI_KEY STRIPE_KEY AWS_ACCESS_KEY
             AWS_SECRET_KEY GITHUB_TOKEN SLACK_TOKEN GOOGLE_API_KEY SERVICE_TOKEN
             URL_PASSWORD ENV_SECRET
    pii      EMAIL CARD IBAN SSN PHONE IPV4 IPV6

The shapes follow public scanner rule sets (gitleaks' default rules,
detect-secrets' plugins, trufflehog's detectors); ``tests/privacy/
redact_cases.yaml`` holds a case for each, and the ordinary code, ids and
numbers that must stay.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from reverie.redact.checks import card_ok, iban_ok, ipv4_ok, ipv6_ok, luhn_ok, phone_ok, ssn_ok
from reverie.redact.gates import Literals

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
    "AWS_SECRET_KEY", "GITHUB_TOKEN", "SLACK_TOKEN", "GOOGLE_API_KEY", "SERVICE_TOKEN",
    "URL_PASSWORD", "ENV_SECRET",
)  # fmt: skip
PII_CLASSES = ("EMAIL", "CARD", "IBAN", "SSN", "PHONE", "IPV4", "IPV6")
BUILTIN_CLASSES = SECRET_CLASSES + PII_CLASSES

Validator = Callable[[str], bool]
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_SKELETON = bytes.maketrans(b"123456789BCDEFGHIJKLMNOPQRSTUVWXYZ", b"000000000" + b"A" * 25)


class Probe:
    """One text being scanned, with cheap views of it computed at most once."""

    __slots__ = ("_lower", "_skeleton", "text")

    def __init__(self, text: str, lower: str | None = None) -> None:
        self.text = text
        self._skeleton: bytes | None = None
        self._lower = lower

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
    ``needles``, one of these substrings is in the text (in its lower-cased
    form with ``blind``: one test instead of one per spelling); ``shapes``, one of
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
    blind: bool = False
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

    ``master`` is one regex that, with the secret-naming keywords (``pass``,
    ``token``, ``key``, ... in any case), matches somewhere in every text any
    built-in detector could match in; a short text that has neither skips the loop.
    """

    __slots__ = ("blind", "cased", "detectors", "master", "steps")

    def __init__(self, detectors: list[Detector]) -> None:
        self.detectors = list(detectors)
        # every needle in one automaton per case: one scan of a text tells which it holds
        self.cased = Literals(n for d in self.detectors if not d.blind for n in d.needles)
        self.blind = Literals(n for d in self.detectors if d.blind for n in d.needles)
        self.steps = [
            (
                rank,
                (self.blind if det.blind else self.cased).ids(det.needles) if det.needles else None,
                det.blind,
                det.shapes,
                det.trigger,
                det.find,
            )
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
    lower = None
    if plan.master is not None and len(text) <= _SHORT:
        lower = text.lower()  # the keyword half of the gate: plain substring tests
        for word in _MASTER_WORDS:
            if word in lower:
                break
        else:
            if plan.master.search(text) is None:
                return []
    probe = Probe(text, lower)
    found: list[tuple[int, int, int, str]] = []
    last_trigger: re.Pattern[str] | None = None
    last_hit = False
    cased: frozenset[int] | None = None
    blind_found: frozenset[int] | None = None
    for rank, needles, blind, shapes, trigger, find in plan.steps:
        if needles is not None:  # one of its needles is in the text (the same as `in` tests)
            if blind:
                if blind_found is None:
                    blind_found = plan.blind.present(probe.lower.encode("utf-8", "surrogatepass"))
                if needles.isdisjoint(blind_found):
                    continue
            else:
                if cased is None:
                    cased = plan.cased.present(text.encode("utf-8", "surrogatepass"))
                if needles.isdisjoint(cased):
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
        return []
    found.sort()
    kept: list[tuple[int, int, str]] = []
    last_end = -1
    for start, _, end, kind in found:
        if start >= last_end:
            kept.append((start, end, kind))
            last_end = end
    return kept


_KEYWORDS = (
    "password", "passwd", "passphrase", "pass", "secret", "token", "api_key", "apikey",
    "api-key", "access_key", "accesskey", "private_key", "privatekey", "credential",
)  # fmt: skip
_KEYWORDS_ANY_CASE = re.compile("|".join(_KEYWORDS), re.IGNORECASE)
_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
_ASSIGN = re.compile(
    r"(?P<tail>[A-Za-z0-9_]*)\\?[\"']?[ \t]*(?P<op>:=|=|:)[ \t]*"  # \" inside JSON strings
    r"(?:\\?\"(?P<dq>[^\"\s$<{\\][^\"\s<{\\]{3,199})\\?\"|'(?P<sq>[^'\s$<{\\][^'\s<{\\]{3,199})'"
    r"|(?P<bare>[^\s\"'`,;#<>(){}\[\]$\\]{4,200})(?=[\s;,'\"#&|\\]|$))"
)
# after a bare "key: value", only the end of the line (or of a quoted or JSON-escaped
# string, a comment) may follow: "Password: enter it below" is prose, "token: object,"
# a parameter
_COLON_END = frozenset("\r\n\"'`\\#")
_OPERATORS = frozenset("=?+*/%<>!:")
_LOWER_TAILS = frozenset({"", "_key", "key", "-key"})
_NOT_SECRET_VALUES = frozenset(
    {"none", "null", "true", "false", "undefined", "changeme", "xxxx", "xxxxxxxx", "****",
     "********", "required", "optional", "string", "redacted", "placeholder"}
)  # fmt: skip
_DOTTED_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
# a dict key that holds a secret: "password", "api_key", "auth_token", "client_secret",
# "db_pass", "Cookie"
SECRET_KEY_NAMES = re.compile(
    r"(?i)^(?:[\w.-]*?(?:password|passwd|passphrase|secret|token|api[_-]?key|access[_-]?key"
    r"|private[_-]?key|(?:secret|auth)[_-]?key|credentials?|authorization|cookie)"
    r"|(?:[\w.-]*[_.-])?pass)$"
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _env_value_ok(value: str) -> bool:
    low = value.lower()
    if value.isdigit() or low in _NOT_SECRET_VALUES or not low.strip("*x."):
        return False
    if low.startswith(("os.", "env.", "process.", "self.", "settings.", "config.")):
        return False
    return _DOTTED_NAME.fullmatch(value) is None


def _code_like(value: str) -> bool:
    """A bare value that reads as code, not a secret: an identifier without digits.

    ``password=db_password``, ``{password: userPassword}``, ``token = await ...``,
    ``api_key=YOUR_API_KEY``, ``password=lambda: ...``. A secret written bare
    has a digit or a symbol (``hunter2``, ``Tr0ub4dor&3``); an all-letter
    password (``letmein``) reads the same as a variable and is left alone.

    >>> [_code_like(v) for v in ("db_password", "userPassword", "lambda:", "hunter2")]
    [True, True, True, False]
    """
    word = value.rstrip(":")
    return _IDENT.fullmatch(word) is not None and not any(c.isdigit() for c in word)


def _header_value_ok(value: str) -> bool:
    return _env_value_ok(value) and not _code_like(value)


def _lone_pass(text: str, start: int, end: int) -> bool:
    """``pass`` as a word of a key (``DB_PASS``, ``--pass``), not ``bypass`` or ``password``."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not before.isalpha() and not after.isalpha()


_QUERY_PARAM = re.compile(r"[A-Za-z_][\w.-]*=")


def _query_end(text: str, start: int, end: int) -> int:
    """Where an unquoted value ends in a URL query: before ``&name=`` (``&`` alone is kept)."""
    amp = text.find("&", start, end)
    while amp >= 0:
        if _QUERY_PARAM.match(text, amp + 1, end):
            return amp
        amp = text.find("&", amp + 1, end)
    return end


def _bare_ok(text: str, m: re.Match[str], upper: bool, key: str) -> bool:
    """Whether an unquoted value after a secret-naming key is taken as the secret.

    ``=`` / ``:=`` right after an upper-case name or a ``--flag``
    (``DB_PASSWORD=x``, ``--token=x``): always. Otherwise (``secret=x``,
    ``Password=x``, ``API_KEY = x``) the value must not read as code
    (:func:`_code_like`) nor start an expression (``a = b == c``), and after a
    name that is not upper-case the ``=`` stands without spaces, as in shell,
    URLs and ``.env`` files (``token = char`` is code). ``:`` (YAML, headers):
    a space must follow the colon, and the value must end its line or string
    and not read as code.
    """
    value = m.group("bare")
    end = m.end("bare")
    while end < len(text) and text[end] in " \t":
        end += 1
    after = text[end] if end < len(text) else "\n"
    op_at, value_at = m.start("op"), m.start("bare")
    compact = text[op_at - 1] not in " \t\"'" and text[value_at - 1] not in " \t"
    if m.group("op") != ":":
        if (upper and compact) or key.startswith("--"):
            return True
        if _code_like(value) or (end > m.end("bare") and after in _OPERATORS):
            return False
        return upper or compact
    if text[value_at - 1] not in " \t" or _code_like(value):
        return False
    return after in _COLON_END


_KEYWORD_WORDS = Literals(_KEYWORDS)


def _keyword_spans(text: str, low: str) -> list[tuple[int, int]]:
    """Where secret-naming words occur in ``text`` (any case), in order (one scan)."""
    if len(low) != len(text):  # rare: lower-casing changed the length; positions differ
        return [m.span() for m in _KEYWORDS_ANY_CASE.finditer(text)]
    return _KEYWORD_WORDS.spans(low)


class EnvSecretDetector(Detector):
    """ENV_SECRET: the value assigned to a name that says it holds a secret.

    ``PASSWORD=...`` and ``export DB_TOKEN=...`` (upper-case names, quoted or
    not), ``"password": "..."`` and ``api_key = '...'`` (any case, quoted),
    ``--token=...``, ``secret=...`` and ``client_secret=...`` (any case,
    unquoted, unless the value reads as a variable name), ``password: ...``
    (YAML or a header, the value ending its line). Code such as
    ``token: str = ""``, ``password=db_password`` or
    ``TOKEN = os.environ["TOKEN"]`` is left alone.
    """

    def find(self, probe: Probe) -> Iterator[tuple[int, int, str]]:
        """Values after the keywords (gate, see :func:`find_all`: a keyword's stem is in the
        lower-cased text)."""
        low = probe.lower
        text = probe.text
        for kw_start, kw_end in _keyword_spans(text, low):
            if kw_end - kw_start == 4 and not _lone_pass(text, kw_start, kw_end):
                continue  # "pass" inside "password", "bypass", "passes"
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
            if group == "bare" and not _bare_ok(text, m, upper, key):
                continue
            start, end = m.start(group), m.end(group)
            if group == "bare":
                end = _query_end(text, start, end)
            if end - start >= 4 and _env_value_ok(text[start:end]):
                yield start, end, self.kind


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
# all needles are found in one scan of a text (Plan), so a needle costs little; long ones
# (exact prefixes of what the regex matches) let fewer texts through to the regex
_SERVICE_NEEDLES = ("glpat-", "npm_", "pypi-AgEI", "hf_", "SG.", "shpat_", "dop_v1_")
_SCHEMES = "Bearer|Basic|Token|Api-Token|Bot|Negotiate"  # of an Authorization header
# everything some built-in detector needs (see Plan); tests check it is a superset
_MASTER = re.compile(
    r"@|://|PRIVATE KEY|eyJ|sk-|_live_|_test_|whsec_|xox|xapp-|AIza|gh[pousr]_|github_pat_"
    r"|A[A-Z][A-Z][A-Z][A-Z0-9]{16}|\d(?:[ -]?\d){12}|[A-Z][A-Z]\d\d"
    r"|glpat-|npm_|pypi-|hf_|SG\.|shpat_|dop_v1_|hooks\.slack"
    r"|" + _NUMERIC.pattern
)  # with the case-blind keywords tested apart (see find_all): the regex is twice as fast
# the case-blind half of the gate, tested on the lower-cased text
_MASTER_WORDS = ("pass", "secret", "token", "key", "credential", "authorization", "bearer ",
                 "basic ")  # fmt: skip
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
        Detector(  # the signature may be short, or empty (alg "none"): the payload is the PII
            "JWT",
            c(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}(?:\.[A-Za-z0-9_-]*={0,2})?"),
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
            c(r"(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{24,}"),
            needles=("_live_", "_test_", "whsec_"),
            bounded=True,
        ),
        Detector(
            "AWS_ACCESS_KEY",
            c(r"(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA|ASCA)[A-Z0-9]{16}\b"),
            needles=("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AIPA", "ANPA", "ANVA",
                     "AROA", "APKA", "ASCA"),
            bounded=True,
        ),
        Detector(
            "AWS_SECRET_KEY",
            c(
                r"(?i:aws_?secret_?access_?key|secret_?access_?key|aws_?secret)[\"']?\s*[:=]\s*"
                r"[\"']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])"
            ),
            group=1,
            needles=("secret",),
            blind=True,
        ),
        Detector(
            "GITHUB_TOKEN",
            c(r"gh[pousr]_[A-Za-z0-9]{36,255}\b|github_pat_[A-Za-z0-9_]{22,255}\b"),
            needles=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
            bounded=True,
        ),
        Detector(
            "SLACK_TOKEN",
            c(r"xox[abprse]-[A-Za-z0-9-]{10,250}|xapp-\d-[A-Za-z0-9-]{10,250}"),
            needles=("xox", "xapp-"),
        ),
        Detector(  # incoming webhooks: the path is the credential
            "SLACK_TOKEN",
            c(r"hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9+/_-]{20,})"),
            group=1,
            needles=("hooks.slack.com/",),
        ),
        Detector(
            "GOOGLE_API_KEY",
            c(r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
            needles=("AIza",),
            bounded=True,
        ),
        Detector(
            "SERVICE_TOKEN",
            c(
                r"glpat-[0-9A-Za-z_-]{20,300}|npm_[A-Za-z0-9]{36}"
                r"|pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}|hf_[A-Za-z]{34}"
                r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}|shpat_[a-fA-F0-9]{32}"
                r"|dop_v1_[a-f0-9]{64}"
            ),
            needles=_SERVICE_NEEDLES,
            bounded=True,
        ),
        Detector(  # Azure storage connection strings
            "SERVICE_TOKEN",
            c(r"AccountKey=([A-Za-z0-9+/]{86,88}={0,2})"),
            group=1,
            needles=("AccountKey=",),
        ),
        Detector(
            "URL_PASSWORD",
            c(r"://[^\s:/@\"'<>]{0,128}:([^\s@/\"'<>]{1,256})@"),
            group=1,
            needles=("://",),
            valid=lambda v: not v.startswith(("$", "<", "{", "%")),
        ),
        EnvSecretDetector(  # every keyword holds one of these (in any case)
            "ENV_SECRET", _KEYWORDS_ANY_CASE,
            needles=("pass", "secret", "token", "key", "credential"), blind=True,
        ),
        Detector(
            "ENV_SECRET",
            c(r"(?:Bearer|BEARER|bearer|Basic) ([A-Za-z0-9._~+/-]{12,}=*)"),
            group=1,
            needles=("bearer ", "basic "),
            blind=True,
        ),
        Detector(  # Authorization: Token ..., Authorization: <value> (any scheme or none)
            "ENV_SECRET",
            c(
                r"(?i:authorization)[\"']?[ \t]*[:=][ \t]*[\"']?"
                rf"(?:(?:{_SCHEMES})[ \t]+)?(?!(?:{_SCHEMES}|Digest)\b)([A-Za-z0-9._~+/=-]{{8,}})"
            ),
            group=1,
            needles=("authorization",),
            blind=True,
            valid=_header_value_ok,
        ),
        _EmailDetector("EMAIL", _EMAIL_DOMAIN),
        Detector(
            "CARD",
            c(r"\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)"),
            shapes=(b"0" * 15, b"0000 0000 0000", b"0000-0000-0000", b"0000 000000 0"),
            bounded=True,
            not_after=(".", ",", "+", "-"),
            valid=card_ok,
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
            valid=ssn_ok,
        ),
        Detector(
            "PHONE",
            c(r"\+\d{1,3}(?:[ .-]\(?\d{1,4}\)?){2,5}(?![\w-])"),
            trigger=_NUMERIC,
            valid=lambda v: phone_ok(v) and not v.endswith(")"),
        ),
        Detector(  # E.164 without separators: +14155552671
            "PHONE",
            c(r"\+[1-9]\d{9,14}(?![\w-]|\.\d)"),
            trigger=_NUMERIC,
            bounded=True,
        ),
        Detector(
            "PHONE",
            c(r"\(\d{3}\) ?\d{3}[ .-]\d{4}(?![\w-])"),
            trigger=_NUMERIC,
            bounded=True,
        ),
        Detector(  # US dotted: 415.555.2671
            "PHONE",
            c(r"\.\d{3}\.\d{4}(?![\w-]|\.\d)"),
            trigger=_NUMERIC,
            left_digits=(3, 3),
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
            valid=ipv4_ok,
        ),
        Detector(
            "IPV6",
            c(rf"::(?:{_HEX}(?::{_HEX}){{0,6}})?(?![\w:])"),
            trigger=_NUMERIC,
            left_digits=(0, 35),
            left_chars=_HEX_COLON,
            bounded=True,
            valid=ipv6_ok,
        ),
        Detector(
            "IPV6",
            c(rf":{_HEX}(?::{_HEX}){{6}}(?![\w:])"),
            trigger=_NUMERIC,
            left_digits=(1, 4),
            left_chars=_HEX_COLON - {":"},
            bounded=True,
            valid=ipv6_ok,
        ),
    ]
