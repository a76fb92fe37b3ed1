"""Masking, decisive lines and templates back to plain words, by hand and on the real data."""

from __future__ import annotations

import re
from collections import defaultdict
from itertools import groupby
from operator import attrgetter
from pathlib import Path

import pytest

from reverie.ingest.pipeline import ingest_paths
from reverie.mine import assign_signatures, detect_session
from reverie.mine.normalize import decisive_lines, humanize, mask, signature_values
from reverie.mine.signature import signature_source
from reverie.models import Failure, Signature
from reverie.store import open_store
from reverie.workspace import Workspace, init_workspace

PLACEHOLDER = re.compile(r"<(?:PATH|STR|NUM|ID|HEX|URL|TIME|\*)>")
FOLDERS = ("claude_code", "mini_swe_agent", "openhands", "swe_agent", "swe_agent_multimodel",
           "tau_bench")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("/bin/sh: 1: cd: can't cd to /w/build", "<PATH>: <NUM>: cd: can't cd to <PATH>"),
        ("it doesn't exist and can't 'x' be", "it doesn't exist and can't <STR> be"),
        ("KeyError: 'it doesn't'", "KeyError: <STR>"),
        ("the user's 'a b' file", "the user's <STR> file"),
        ("syntax error near unexpected token `&'", "syntax error near unexpected token `&'"),
        ("looking for matching `''", "looking for matching `''"),
        ("near unexpected token `newline'", "near unexpected token <STR>"),
        ("Run 'mix format' to fix", "Run 'mix format' to fix"),
    ],
)
def test_an_apostrophe_is_no_quote(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("ERROR:\n  JAVA_HOME is not set", "JAVA_HOME is not set"),
        ("\nERROR: JAVA_HOME is not set and no 'java' command", "ERROR: JAVA_HOME is not set and "
         "no 'java' command"),
        ("Error:\n\nFAILED\nthe disk is full\nbye", "the disk is full"),
        ("build\nerror\n", "error"),  # nothing after it: the bare line is all there is
        ("ERROR:\nNo replacement was performed, old_str `a:\n  b;` did not appear in /x.c.",
         "No replacement was performed, old_str `a: b;` did not appear in /x.c."),
    ],
)
def test_a_bare_error_line_gives_way_to_the_informative_one(text, line):
    assert decisive_lines(text) == line


@pytest.mark.parametrize(
    ("template", "raws", "plain"),
    [
        ("<PATH>: line <NUM>: javac: command not found",
         ["/bin/bash: line 51482: javac: command not found",
          "/bin/bash: line 12: javac: command not found"], "javac: command not found"),
        ("<PATH>: line <NUM>: <PATH>: No such file or directory",
         ["/bin/bash: line 1: ./gradlew: No such file or directory"],
         "./gradlew: No such file or directory"),
        ("<PATH>: line <NUM>: mvn: command not found", [], "mvn: command not found"),
        ("bash: line <NUM>: mvn: command not found", [], "mvn: command not found"),
        ("<PATH>: <NUM>: cd: can't cd to <PATH>", [], "cd: can't cd to a file path"),
        ("<PATH>: error at <NUM>", ["/a/b.c: error at 3", "/a/d.c: error at 4"],
         "a file path: error at a number"),
        ("bash: <PATH>: No such file or directory", [], "a file path: No such file or directory"),
        ("No module named <STR>", ["No module named 'a'", "No module named 'b'"],
         "No module named a module"),
        ("No module named <STR>", ["No module named 'a'", "No module named 'a'"],
         "No module named 'a'"),
        ("Error: flight <ID> not available on date <TIME>", [],
         "Error: a flight not available on a date"),
        ("Error: payment method <*> not found", [], "Error: payment method a value not found"),
        ("expected '<STR>' or \"<*>\"", [], "expected a value or a value"),
        ("copy to the <PATH> failed", [], "copy to the file path failed"),
        ("wanted a <ID>", [], "wanted an id"),
        ("SyntaxError: unmatched <*>", ["SyntaxError: unmatched ')'", "SyntaxError: unmatched ']'"],
         "SyntaxError: unmatched ')' or ']'"),
        ("<*> command not found", ["pp: command not found", "Step: command not found"],
         "a value: command not found"),
        ("took <NUM>s at <HEX> from <URL>", [], "took …s at a hash from a URL"),
        ("Error: <line> must be at most <NUM>", [], "Error: <line> must be at most a number"),
    ],
)
def test_humanize(template, raws, plain):
    assert humanize(template, raws) == plain


def test_signature_values_follow_the_template():
    template = "cannot open <STR> (line <NUM>) at <*>"
    assert signature_values(template, "cannot open 'a b' (line 3) at  x:1") == ["'a b'", "3", "x:1"]
    assert signature_values(template, "cannot close 'a b' (line 3) at x") is None


@pytest.fixture(scope="module")
def real_signatures(tmp_path_factory, real_data: Path) -> dict[str, list[tuple[Signature,
                                                                               list[Failure]]]]:
    """Every signature mined from each shared folder, with its failures."""
    out = {}
    for folder in FOLDERS:
        ws = init_workspace(tmp_path_factory.mktemp(folder) / "ws")
        store = open_store(ws)
        try:
            ingest_paths(Workspace(ws, store=store), ws.tenant, [real_data / folder])
            events = list(store.failure_candidates(ws.tenant))
        finally:
            store.close()
        failures = [f for _, group in groupby(events, key=attrgetter("session_id"))
                    for f in detect_session(ws.tenant, "agent", list(group))]
        sigs = {s.id: s for s in assign_signatures(ws.tenant, failures)}
        members: dict[str, list[Failure]] = defaultdict(list)
        for f in failures:
            members[f.signature_id].append(f)  # type: ignore[index]
        out[folder] = [(sigs[sid], fs) for sid, fs in members.items()]
    return out


def test_every_real_template_reads_as_plain_words(real_signatures):
    checked = 0
    for folder, pairs in real_signatures.items():
        for sig, failures in pairs:
            raws = [r for r in (signature_source(f) for f in failures) if r]
            assert all(signature_values(sig.template, r) is not None for r in raws), sig.template
            plain = humanize(sig.template, raws)
            assert not PLACEHOLDER.search(plain), (folder, sig.template, plain)
            assert not re.search(r"\b(a|an|the) (a|an|the) ", plain), plain
            assert "'a value'" not in plain and "<STR>t" not in sig.template
            checked += 1
    assert checked > 100


def _signature(real_signatures, folder: str, phrase: str) -> tuple[Signature, list[Failure]]:
    return next((s, fs) for s, fs in real_signatures[folder] if phrase in s.template)


def test_real_shell_noise_is_dropped_and_values_that_agree_are_kept(real_signatures):
    sig, failures = _signature(real_signatures, "swe_agent_multimodel", "javac: command not found")
    raws = [signature_source(f) for f in failures]
    assert len({f.session_id for f in failures}) >= 2
    assert len({r.split(":")[1] for r in raws}) > 1  # the shell's line numbers differ
    assert humanize(sig.template, raws) == "javac: command not found"

    sig, failures = _signature(real_signatures, "openhands", "can't cd to")
    raws = [signature_source(f) for f in failures]
    target = {r.rsplit(" ", 1)[-1] for r in raws}
    assert len(target) == 1  # the same directory every time: it is named
    assert humanize(sig.template, raws) == f"cd: can't cd to {target.pop()}"


def test_real_missing_paths_read_as_a_file_or_directory(real_signatures):
    pairs = real_signatures["swe_agent_multimodel"]
    plain = {humanize(s.template, [signature_source(f) for f in fs])
             for s, fs in pairs if s.template in ("File <*> not found", "Directory <*> not found")}
    assert plain == {"File not found", "Directory not found"}
