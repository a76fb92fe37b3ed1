"""The gold set of the shared real transcripts: load it, match motifs to it, judge rules.

``gold/real.yaml`` holds, for every failure that recurs in ``../shared/data/real``,
what a reviewer knows from reading the transcripts: the fix class, the facts a
rule's directive must name, what a rule must not say, and the evidence lines.
``gold/README.md`` explains the schema. This module is test support, not part
of Reverie: tests load it by path (the suite runs with ``--import-mode=importlib``)::

    spec = importlib.util.spec_from_file_location("gold_set", TESTS / "rules" / "gold_set.py")
    gold_set = importlib.util.module_from_spec(spec)
    sys.modules["gold_set"] = gold_set
    spec.loader.exec_module(gold_set)

>>> entry = Entry.model_validate({
...     "id": "fmt", "folder": "claude_code",
...     "match": {"programs": ["git commit"], "tools": ["Bash"], "error": "FORMAT"},
...     "sessions_at_least": 2, "class": "ran_first",
...     "must_name": [["mix format"], ["git commit"]],
...     "evidence": ["claude_code/a.jsonl:1", "claude_code/a.jsonl:2"], "notes": "n",
... })
>>> match(entry, {}, "Pre-commit validation failed: [FORMAT]", "git commit -m x", "Bash")
True
>>> judge(entry, "Run `mix format` before `git commit`.", None, None, [])
[]
>>> judge(entry, "Check the preconditions of <PATH>.", None, None, [])[:2]
['placeholder <PATH> in the directive', "vacuous phrase 'preconditions' in the directive"]
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from reverie.mine.facts import FixClass  # the classes a gold entry speaks of

GOLD_DIR = Path(__file__).resolve().parent / "gold"
GOLD_FILE = GOLD_DIR / "real.yaml"
# ../shared/data/real from the project root, as tests/conftest.py finds it.
REAL_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real"

FOLDERS = frozenset(
    {
        "claude_code",
        "swe_agent",
        "mini_swe_agent",
        "openhands",
        "tau_bench",
        "otel_genai",
        "swe_agent_multimodel",
    }
)

# <PATH>, <NUM>, <STR>, <ID>, <*> ... as the miner writes them. Lower-case
# <line> or <file> are SWE-agent's own usage text quoted from a transcript.
PLACEHOLDER = re.compile(r"<(?:\*|[A-Z][A-Z0-9_]*)>")
# Directives that tell an agent nothing, whatever the entry.
VACUOUS = {
    "preconditions": re.compile(r"preconditions", re.I),
    "be careful": re.compile(r"\bbe careful\b", re.I),
    "change the arguments": re.compile(r"\bchang(?:e|ed|ing) (?:the |its )?arguments\b", re.I),
}
# A sentence with one of these does not recommend what it names.
NEGATION = re.compile(
    r"\b(?:not|never|no|don't|do not|doesn't|does not|cannot|can't|avoid|instead of|"
    r"rather than|without|isn't|aren't)\b",
    re.I,
)
# Deleting, forcing, bypassing checks, escalating (issue 13, point 6).
DESTRUCTIVE = re.compile(
    r"\brm\b|\bgit reset --hard\b|\bgit clean\b|--force\b|\bpush\s+(?:\S+\s+)*-f\b|"
    r"--no-verify\b|\bsudo\b|\bchmod\s+(?:-R\s+)?777\b|\bdelete\b",
    re.I,
)
SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[A-Z`\"'(])")
CLAUSE_END = re.compile(r"[;:]\s+")
EVIDENCE = re.compile(r"^(?P<path>[^#:\s]+)(?:#(?P<run>[\w.-]+))?:(?P<line>[1-9]\d*)$")
TAU_RUN = re.compile(r"^task-(?P<task>\d+)-trial-(?P<trial>\d+)$")


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


class Match(BaseModel):
    """How to recognise the motif a gold entry is about."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    programs: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)
    error: str

    @field_validator("error")
    @classmethod
    def _compiles(cls, value: str) -> str:
        _regex(value)
        return value


class Evidence(BaseModel):
    """One ``path[#run]:line`` reference, parsed."""

    model_config = ConfigDict(frozen=True)

    path: str
    run: str | None
    line: int

    @classmethod
    def parse(cls, ref: str) -> Evidence:
        m = EVIDENCE.match(ref)
        if not m or m["path"].startswith("/") or ".." in m["path"].split("/"):
            raise ValueError(f"not a path[#run]:line reference under the real data: {ref!r}")
        return cls(path=m["path"], run=m["run"], line=int(m["line"]))


class Entry(BaseModel):
    """One recurring failure of the real data and what its rule must (not) say."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
    folder: list[str]
    match: Match
    sessions_at_least: int = Field(ge=2)
    fix_class: FixClass = Field(alias="class")
    # The transcripts show a fix of this class, but not one that recurs (seen once, or
    # two different fixes, or session-specific values with no common description): an
    # empty directive with the needs-directive flag is then an honest rule too. A
    # directive, when there is one, must still name ``must_name``.
    accept_needs_directive: bool = False
    # The failures are real and recur, but Reverie groups failures by what their error
    # text says, and this cause does not show in it: they are folded into the motifs of
    # the entries named here (whose rules then carry them). Say why in a comment.
    folded_into: list[str] = Field(default_factory=list)
    must_name: list[list[str]] = Field(default_factory=list)
    because_names: list[list[str]] = Field(default_factory=list)
    must_not_say: list[str] = Field(default_factory=list)
    destructive: bool = False
    evidence: list[str] = Field(min_length=2, max_length=4)
    notes: str

    @field_validator("folder", mode="before")
    @classmethod
    def _folders(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("folder")
    @classmethod
    def _known_folders(cls, value: list[str]) -> list[str]:
        unknown = set(value) - FOLDERS
        if not value or unknown:
            raise ValueError(f"unknown or missing shared folders: {sorted(unknown)}")
        return value

    @field_validator("must_name", "because_names")
    @classmethod
    def _groups(cls, value: list[list[str]]) -> list[list[str]]:
        if any(not group or not all(alt.strip() for alt in group) for group in value):
            raise ValueError("every group needs at least one non-blank alternative")
        return value

    @field_validator("must_not_say")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for item in value:
            _forbidden(item)
        return value

    @field_validator("evidence")
    @classmethod
    def _references(cls, value: list[str]) -> list[str]:
        for ref in value:
            Evidence.parse(ref)
        return value

    @model_validator(mode="after")
    def _class_rules(self) -> Entry:
        if self.fix_class == "none":
            if self.must_name:
                raise ValueError(f"{self.id}: class none names no facts (use because_names)")
            if not self.because_names:
                raise ValueError(f"{self.id}: class none needs because_names")
            if self.accept_needs_directive:
                raise ValueError(f"{self.id}: class none always wants needs-directive")
        elif not self.must_name:
            raise ValueError(f"{self.id}: class {self.fix_class} needs must_name")
        for ref in self.references:
            if ref.path.split("/", 1)[0] not in self.folder:
                raise ValueError(f"{self.id}: evidence {ref.path} is outside {self.folder}")
        return self

    @property
    def references(self) -> list[Evidence]:
        return [Evidence.parse(ref) for ref in self.evidence]


class GoldSet(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Literal[1]
    entries: list[Entry]

    @model_validator(mode="after")
    def _unique_ids(self) -> GoldSet:
        ids = [e.id for e in self.entries]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate gold ids: {duplicates}")
        return self

    def first_match(
        self,
        rule_text_fields: Mapping[str, str | None] | Iterable[str | None],
        motif_template: str | None,
        program: str | None,
        tool: str | None,
        *,
        folders: Iterable[str] | None = None,
    ) -> Entry | None:
        """The entry a motif is judged against: the first that matches, in file order."""
        return next(
            (
                e
                for e in self.entries
                if match(e, rule_text_fields, motif_template, program, tool, folders=folders)
            ),
            None,
        )


def load_gold(path: Path = GOLD_FILE) -> GoldSet:
    """Read and validate a gold YAML file."""
    return GoldSet.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- match


def _command(text: str | None) -> str:
    """``./gradlew test`` -> ``gradlew test``; lower case, single spaces."""
    words = (text or "").strip().lower().split()
    if not words:
        return ""
    words[0] = words[0].rsplit("/", 1)[-1]
    return " ".join(words)


def _texts(fields: Mapping[str, str | None] | Iterable[str | None]) -> list[str]:
    values = fields.values() if isinstance(fields, Mapping) else fields
    return [v for v in values if v]


def match(
    entry: Entry,
    rule_text_fields: Mapping[str, str | None] | Iterable[str | None],
    motif_template: str | None,
    program: str | None,
    tool: str | None,
    *,
    folders: Iterable[str] | None = None,
) -> bool:
    """Whether a mined motif (and its rule) is the one ``entry`` is about.

    The motif's program or tool must be one the entry lists (any of them; an
    entry listing neither accepts any), a program matching by its leading
    words (``mvn`` matches ``mvn test``, ``gradlew`` matches ``./gradlew``);
    the entry's ``error`` regex must be found in the failure template, or in
    the rule's text fields (``directive``, ``when``, ``because``) when the
    motif has no template; and when ``folders`` (the shared folders of the
    motif's sessions) is given, they must all be entry folders (a motif whose
    sessions span two folders is judged by an entry about both).
    """
    if folders is not None and not set(folders) <= set(entry.folder):
        return False
    m = entry.match
    if m.programs or m.tools:
        prog, name = _command(program), _command(tool)
        by_program = bool(prog) and any(
            prog == p or prog.startswith(p + " ") for p in map(_command, m.programs)
        )
        by_tool = bool(name) and name in {_command(t) for t in m.tools}
        if not (by_program or by_tool):
            return False
    haystack = [motif_template] if motif_template else _texts(rule_text_fields)
    error = _regex(m.error)
    return any(error.search(text) for text in haystack)


# --------------------------------------------------------------------------- judge


def _forbidden(item: str) -> tuple[bool, re.Pattern[str]]:
    """(advice only?, pattern) for one must_not_say item."""
    advice = item.startswith("advice:")
    body = item.removeprefix("advice:")
    pattern = _regex(body[3:]) if body.startswith("re:") else _regex(re.escape(body))
    return advice, pattern


def sentences(text: str) -> list[str]:
    """Split a directive into sentences (a period inside ``find . -name`` does not end one)."""
    return [s for s in SENTENCE_END.split(text.strip()) if s]


def recommends(text: str, pattern: re.Pattern[str]) -> bool:
    """Whether ``text`` names ``pattern`` somewhere no negation before it takes back.

    A negation ("not", "never", "instead of", ...) negates what follows it up to the
    end of its clause (a sentence, or the part of one after ``;`` or ``:``): "Do not
    run `sudo`" and "Use `edit` instead of `rm`" recommend neither; "Run `sudo
    apt-get install`, not `ifdown`" recommends ``sudo`` (and not ``ifdown``).

    >>> rx = re.compile(r"\\bsudo\\b")
    >>> recommends("Run `sudo apt-get install`, not `ifdown`.", rx)
    True
    >>> recommends("Do not run `ifdown`: it is not installed; never use sudo.", rx)
    False
    >>> recommends("This sandbox has no network: run sudo apt-get update.", rx)
    True
    """
    return any(
        not NEGATION.search(clause[: m.start()])
        for s in sentences(text)
        for clause in CLAUSE_END.split(s)
        for m in pattern.finditer(clause)
    )


def _missing(groups: list[list[str]], text: str) -> list[list[str]]:
    low = text.lower()
    return [g for g in groups if not any(alt.lower() in low for alt in g)]


def judge(
    entry: Entry,
    directive: str | None,
    when: str | None,
    because: str | None,
    flags: Iterable[str],
) -> list[str]:
    """The problems a reviewer would find in a rule for ``entry`` (empty: none found).

    Checked: placeholders anywhere; vacuous phrasing; for class ``none`` an
    empty directive and the ``needs-directive`` flag, otherwise every
    ``must_name`` group in the directive (an empty directive with the
    ``needs-directive`` flag passes when the entry has ``accept_needs_directive``:
    the fix did not recur); every ``because_names`` group in the
    reason (required for ``none``, optional otherwise, e.g. a user's words);
    every ``must_not_say`` item; and that a destructive fix, or a directive
    that recommends deleting, forcing, bypassing or escalating, carries the
    ``destructive`` flag. A negation ("do not", "never", "instead of") takes
    back what follows it in its clause (see :func:`recommends`): "Run X, not Y"
    recommends X, "Do not run X" nothing.
    """
    flags = set(flags)
    fields = {"directive": directive or "", "when": when or "", "because": because or ""}
    problems: list[str] = []
    for name, text in fields.items():
        problems += [f"placeholder {p} in the {name}" for p in PLACEHOLDER.findall(text)]
    for phrase, pattern in VACUOUS.items():
        if pattern.search(fields["directive"]):
            problems.append(f"vacuous phrase {phrase!r} in the directive")

    if entry.fix_class == "none":
        if fields["directive"].strip():
            problems.append("class none (no verified fix) but the directive is not empty")
        if "needs-directive" not in flags:
            problems.append("class none without the needs-directive flag")
    elif not fields["directive"].strip():
        if not entry.accept_needs_directive:
            problems.append(f"empty directive for class {entry.fix_class}")
        elif "needs-directive" not in flags:
            problems.append("empty directive without the needs-directive flag")
    else:
        for group in _missing(entry.must_name, fields["directive"]):
            problems.append(f"the directive names none of {group}")
    for group in _missing(entry.because_names, fields["because"]):
        problems.append(f"the reason names none of {group}")

    for item in entry.must_not_say:
        advice, pattern = _forbidden(item)
        if advice:
            if recommends(fields["directive"], pattern):
                problems.append(f"the directive recommends {item.removeprefix('advice:')!r}")
        else:
            problems += [
                f"the {name} says {item!r}" for name, text in fields.items() if pattern.search(text)
            ]

    if "destructive" not in flags:
        if entry.destructive:
            problems.append("the observed fix is destructive but the rule lacks the flag")
        elif recommends(fields["directive"], DESTRUCTIVE):
            problems.append("the directive recommends a destructive command without the flag")
    return problems


# --------------------------------------------------------------------------- evidence


@cache
def _document(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _records(path: Path, run: str | None) -> list[str]:
    """The texts of a file's source records, in the adapters' line numbering."""
    name = path.name
    if name.endswith(".jsonl"):
        if run:
            raise ValueError(f"{path}: a JSONL line needs no #run")
        return path.read_text(encoding="utf-8").splitlines()
    doc = _document(path)
    if name.endswith(".traj"):
        steps = doc["trajectory"]
        return [f"{s.get('action') or ''}\n{s.get('observation') or ''}" for s in steps]
    if isinstance(doc, dict) and isinstance(doc.get("messages"), list) and not run:
        return [_text(m.get("content")) for m in doc["messages"]]
    if isinstance(doc, list) and run:
        m = TAU_RUN.match(run)
        if not m:
            raise ValueError(f"{path}: run {run!r} is not task-<id>-trial-<n>")
        found = [
            r
            for r in doc
            if str(r.get("task_id")) == m["task"] and str(r.get("trial")) == m["trial"]
        ]
        if len(found) != 1:
            raise ValueError(f"{path}: {len(found)} runs named {run}")
        return [json.dumps(msg, ensure_ascii=False) for msg in found[0]["traj"]]
    if isinstance(doc, dict) and isinstance(doc.get("spans"), list):
        return [json.dumps(s, ensure_ascii=False) for s in doc["spans"]]
    if isinstance(doc, list):
        return [json.dumps(e, ensure_ascii=False) for e in doc]
    raise ValueError(f"{path}: no line numbering known for this file")


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return json.dumps(content, ensure_ascii=False)


def evidence_text(ref: str, root: Path = REAL_DATA) -> str:
    """The source record an evidence reference points at; raises if there is none."""
    ev = Evidence.parse(ref)
    path = root / ev.path
    if not path.is_file():
        raise FileNotFoundError(f"{ref}: no file {path}")
    records = _records(path, ev.run)
    if not 1 <= ev.line <= len(records):
        raise IndexError(f"{ref}: line {ev.line} is outside 1..{len(records)}")
    return records[ev.line - 1]
