"""Mining's fast paths give the answers of the slow ones they skip, on the real transcripts.

Detection skips a tool result when it has no keyword and no notice at its start
(one regex of all keywords, one of all start notices); signature reading
runs a case-insensitive pattern only on text that holds one of its needles
(:mod:`reverie.mine.needles`), and a masking pattern only on text with the
character it needs; a command line of plain words is split without the shell
grammar. Each is compared here with the reference it replaces, on every text,
line and command of the shared real folders (and, for command lines, on every
short line of plain characters and words).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from reverie.ingest.pipeline import ingest_paths
from reverie.mine import classes, detect, normalize, shell
from reverie.mine.needles import Needled
from reverie.mine.program import command_of
from reverie.store import open_store
from reverie.workspace import Workspace, init_workspace

EDGE = [
    "", " ", "\n", "ERROR:\n  x", "Error:", "FAİLED", "ſtatus: faıled", "Kelvin: K", "E: ",
    "** (Mix) could not compile", "PERMISSION DENIED", "Timed Out", "a\u2028Traceback",
    "`&'", "it's", "x = \"y\"", "2026-12-01 10:00:00", "https://x.y/z", "a/b", "x.py:3",
]


@pytest.fixture(scope="module")
def texts(tmp_path_factory: pytest.TempPathFactory, real_data: Path) -> list[str]:
    """Every event text and tool input of all shared real folders, and a few edge cases."""
    ws = init_workspace(tmp_path_factory.mktemp("prefilters") / "ws")
    store = open_store(ws)
    try:
        ingest_paths(Workspace(ws, store=store), ws.tenant, [real_data])
        found = {t for ev in store.failure_candidates(ws.tenant)
                 for t in (ev.text, ev.tool_input) if t}
    finally:
        store.close()
    assert len(found) > 1000, "the real folders should give thousands of texts"
    return sorted(found) + EDGE


@pytest.fixture(scope="module")
def lines(texts: list[str]) -> list[str]:
    return sorted({ln.strip() for t in texts for ln in t.splitlines()} | set(EDGE))


def _needled() -> list[tuple[str, Needled]]:
    return [("errorish", normalize._ERRORISH), *classes._CLASSES]


@pytest.mark.parametrize(("name", "needled"), _needled(), ids=lambda v: str(v)[:20])
def test_every_needle_is_a_literal_piece_of_its_pattern(name: str, needled: Needled) -> None:
    plain = needled.pattern.pattern.replace("\\b", "").replace("\\", "").lower()
    missing = [n for n in needled.needles if n not in plain]
    assert not missing, f"{name}: needles not in the pattern: {missing}"


def test_needled_patterns_answer_as_the_patterns(texts: list[str], lines: list[str]) -> None:
    differ = [
        (name, t[:80]) for name, needled in _needled() for t in (*texts, *lines)
        if _span(needled.search(t)) != _span(needled.pattern.search(t))
    ]
    assert not differ


def test_error_class_and_decisive_lines_as_before(texts: list[str]) -> None:
    def error_class(text: str, code: int | None) -> str:  # the loop without needles
        text = text[:3000]
        exc = classes._exception_name(text)
        for name, needled in classes._CLASSES:
            if needled.pattern.search(text):
                return exc if exc and name in ("test_failure", "compile_error",
                                               "file_not_found") else name
        return exc or ("nonzero_exit" if code not in (None, 0) else "tool_error")

    assert [classes.error_class(t, c) for t in texts for c in (None, 1)] == [
        error_class(t, c) for t in texts for c in (None, 1)
    ]


def test_mask_as_every_pattern_applied(lines: list[str]) -> None:
    def mask(text: str) -> str:  # every substitution, whatever the text holds
        text = normalize._URL.sub("<URL>", text)
        text = normalize._TIME.sub("<TIME>", text)
        text = normalize._UUID.sub("<ID>", text)
        text = normalize._QUOTED.sub(normalize._quoted, text)
        text = normalize._PATH.sub(normalize._path, text)
        text = normalize._HEX.sub("<HEX>", text)
        text = normalize._CODE_ID.sub(normalize._code_id, text)
        text = normalize._NUM.sub("<NUM>", text)
        return normalize._WS.sub(" ", text).strip()

    differ = [line for line in lines if normalize.mask(line) != mask(line)]
    assert not differ[:5]


def test_start_notices_in_one_pattern(texts: list[str]) -> None:
    for text in texts:
        head = text.lstrip()[:3000]
        each = detect._BARE_ERROR.match(head) is not None or any(
            p.match(head) for _, p in detect._START_NOTICES
        )
        assert (detect._ANY_START.match(head) is not None) == each, head[:80]


def test_keywords_in_one_pattern(texts: list[str]) -> None:
    for text in texts:
        for words, pattern in ((detect._LINE_KEYWORDS, detect._LINE_WORDS),
                               (detect._KEYWORDS, detect._WORDS),
                               (detect._ALL_KEYWORDS, detect._ALL_WORDS)):
            assert (pattern.search(text) is not None) == any(k in text for k in words)
            assert detect._has(text, words, pattern) == any(k in text for k in words)


def test_a_result_skipped_early_shows_no_failure(texts: list[str]) -> None:
    """The early exit of detection: no keyword and no start notice means that neither
    the notices nor the output checks find anything, dump or not."""
    skipped = [t for t in texts
               if not any(k in t for k in detect._ALL_KEYWORDS) and detect._start_notice(t) is None]
    assert len(skipped) > 100
    for text in skipped:
        for dump in (False, True):
            assert detect.notice_kind(text, dump) is None
            assert detect.scan_output(text, dump) is None


def test_plain_command_lines_read_as_the_grammar_reads_them(texts: list[str]) -> None:
    commands = {c for t in texts if (c := command_of(t))}
    short = ("".join(cs) for n in range(1, 6) for cs in itertools.product("a1./:-_ ", repeat=n))
    vocabulary = [*sorted(shell._NOT_PLAIN), "x", "git", "push", "-u", "bash", "-c", "sh", "sudo",
                  "env", "npx", "python", "-m", "30", "timeout", "command", "-v", "exec", "."]
    worded = (" ".join(ws) for n in (1, 2) for ws in itertools.product(vocabulary, repeat=n))
    checked = 0
    for line in itertools.chain(sorted(commands), short, worded):
        plain = shell._plain(line)
        if plain is not None:
            checked += 1
            assert plain == shell._read(line), line
    assert checked > 20_000
    assert shell._plain("a | b") is None and shell._plain("if x") is None
    assert shell._plain("bash -c make") is None  # its script is read by the grammar


def _span(found: re.Match[str] | None) -> tuple[int, int] | None:
    return None if found is None else found.span()
