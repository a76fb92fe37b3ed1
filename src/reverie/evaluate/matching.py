"""Which rule targets a failure, and where a rule's ``when`` context occurs.

A rule targets the failures of its evidence signatures. A failure (from any
session, also one mining never saw) is **targeted** by a rule when

- its signature id is one of the rule's (exact), or
- its key (tool, program, error class) equals the key of one of the rule's
  signatures and its masked template matches that signature's template:
  token for token, where ``<*>`` matches any token, or near-identical (token
  similarity at least :data:`reverie.mine.motifs.NEAR`, the threshold mining
  uses to group signatures into one motif).

A rule's **trigger context** is a tool call of the tool (and, for shell
calls, the program) of one of its signatures; a rule whose signatures are
unknown falls back to the tools of its scope.

>>> from reverie.models import Signature
>>> sig = Signature(id="s1", tenant="t", tool="Bash", program="git push",
...                 error_class="exit_code", template="fatal: branch <*> has no upstream")
>>> idx = TemplateIndex([sig])
>>> idx.find(("Bash", "git push", "exit_code"), "fatal: branch <STR> has no upstream")
frozenset({'s1'})
>>> idx.find(("Bash", "git", "exit_code"), "fatal: branch <STR> has no upstream")
frozenset()
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

from reverie.evaluate.profile import Call, FailureRecord
from reverie.mine.drain import WILDCARD
from reverie.mine.motifs import NEAR
from reverie.models import Signature
from reverie.rulebook.rules import Rule

__all__ = ["Matcher", "RuleTarget", "TemplateIndex", "targets_for", "template_matches"]

Key = tuple[str | None, str | None, str]


def template_matches(pattern: Sequence[str], tokens: Sequence[str], near: float = NEAR) -> bool:
    """Whether masked ``tokens`` fit a signature template's ``pattern`` (see the docstring)."""
    if len(pattern) == len(tokens) and all(
        p in (t, WILDCARD) for p, t in zip(pattern, tokens, strict=True)
    ):
        return True
    if abs(len(pattern) - len(tokens)) > max(2, len(pattern) // 5):
        return False
    return SequenceMatcher(None, pattern, tokens, autojunk=False).ratio() >= near


class TemplateIndex:
    """Signatures by key, to find the ones a (key, template) matches; answers are cached."""

    def __init__(self, signatures: Iterable[Signature]):
        self.by_key: dict[Key, list[tuple[str, list[str]]]] = defaultdict(list)
        for s in signatures:
            self.by_key[(s.tool, s.program, s.error_class)].append((s.id, s.template.split()))
        self._cache: dict[tuple[Key, str], frozenset[str]] = {}

    def find(self, key: Key, template: str) -> frozenset[str]:
        cached = self._cache.get((key, template))
        if cached is not None:
            return cached
        tokens = template.split()
        found = frozenset(
            sid for sid, pattern in self.by_key.get(key, ()) if template_matches(pattern, tokens)
        )
        self._cache[(key, template)] = found
        return found


@dataclass(frozen=True)
class RuleTarget:
    """A rule as evaluation uses it: its status, signatures and trigger contexts."""

    id: str
    title: str
    status: str
    approved: bool
    signature_ids: frozenset[str]
    contexts: frozenset[tuple[str | None, str | None]]

    def triggered_by(self, call: Call) -> bool:
        return any(
            call.tool == tool and (program is None or call.program == program)
            for tool, program in self.contexts
        )


def targets_for(
    rules: Iterable[Rule],
    signatures: Mapping[str, Signature],
    approved: Iterable[str] = (),
) -> list[RuleTarget]:
    """Targets for ``rules``; ``approved`` adds rule ids to count as approved (besides status)."""
    extra = set(approved)
    out = []
    for r in rules:
        sigs = [signatures[s] for s in r.evidence.signature_ids if s in signatures]
        contexts = {(s.tool, s.program) for s in sigs if s.tool is not None}
        if not contexts:
            contexts = {(tool, None) for tool in r.scope.tools}
        out.append(
            RuleTarget(
                id=r.id, title=r.title, status=r.status,
                approved=r.status == "approved" or r.id in extra,
                signature_ids=frozenset(r.evidence.signature_ids), contexts=frozenset(contexts),
            )
        )
    return out


class Matcher:
    """Maps failures to the rules that target them and calls to the rules they trigger."""

    def __init__(self, targets: Sequence[RuleTarget], signatures: Mapping[str, Signature]):
        self.targets = list(targets)
        self.by_id = {t.id: t for t in self.targets}
        self.rules_of_sig: dict[str, set[str]] = defaultdict(set)
        for t in self.targets:
            for sid in t.signature_ids:
                self.rules_of_sig[sid].add(t.id)
        self.index = TemplateIndex(
            signatures[s] for s in self.rules_of_sig if s in signatures
        )
        self.by_tool: dict[str | None, list[RuleTarget]] = defaultdict(list)
        for t in self.targets:
            for tool in {tool for tool, _ in t.contexts}:
                self.by_tool[tool].append(t)

    def rules_for(self, record: FailureRecord) -> frozenset[str]:
        """Ids of the rules that target ``record``."""
        return self._rules(record.sig, record.key, record.template)

    def rules_for_signature(self, sig: Signature) -> frozenset[str]:
        """Ids of the rules that target the failures of ``sig`` (from another mining run)."""
        return self._rules(sig.id, (sig.tool, sig.program, sig.error_class), sig.template)

    def _rules(self, sig_id: str | None, key: Key, template: str) -> frozenset[str]:
        ids: set[str] = set()
        if sig_id is not None:
            ids |= self.rules_of_sig.get(sig_id, set())
        for sid in self.index.find(key, template):
            ids |= self.rules_of_sig[sid]
        return frozenset(ids)

    def triggered(self, call: Call) -> list[str]:
        """Ids of the rules whose ``when`` context this call is."""
        return [t.id for t in self.by_tool.get(call.tool, ()) if t.triggered_by(call)]
