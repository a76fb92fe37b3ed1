"""Failure mining: detection, signatures, recovery, motifs and their scores.

The stages are pure functions over rows (:mod:`.detect`, :mod:`.signature`,
:mod:`.causes`, :mod:`.recovery`, :mod:`.fixes`, :mod:`.motifs`, :mod:`.scores`,
:mod:`.facts`); :func:`mine` runs them over a store that implements
the store contract (:class:`~reverie.store.base.GraphStore`). Command lines are read as shell
by :mod:`.shell` (``parse_shell`` here is :func:`reverie.mine.shell.parse`).
"""

from reverie.mine.causes import cause_of
from reverie.mine.destructive import destructive_reasons
from reverie.mine.detect import correction_kind, detect_session, scan_output
from reverie.mine.drain import TemplateMiner
from reverie.mine.facts import Cause, FixFacts, build_facts, names_a_fact
from reverie.mine.fixes import choose_basis
from reverie.mine.motifs import build_motifs, group_signatures, merge_by_cause, motif_id
from reverie.mine.normalize import decisive_lines, error_class, humanize, mask
from reverie.mine.pipeline import MiningResult, mine, mine_events
from reverie.mine.program import command_of, program_of
from reverie.mine.recovery import diff_inputs, recover_session
from reverie.mine.scores import MotifEvidence, lift, score_motif
from reverie.mine.shell import SimpleCommand, invocation
from reverie.mine.shell import parse as parse_shell
from reverie.mine.signature import assign_signatures, signature_text

__all__ = [
    "Cause",
    "FixFacts",
    "MiningResult",
    "MotifEvidence",
    "SimpleCommand",
    "TemplateMiner",
    "assign_signatures",
    "build_facts",
    "build_motifs",
    "cause_of",
    "choose_basis",
    "command_of",
    "correction_kind",
    "decisive_lines",
    "destructive_reasons",
    "detect_session",
    "diff_inputs",
    "error_class",
    "group_signatures",
    "humanize",
    "invocation",
    "lift",
    "mask",
    "merge_by_cause",
    "mine",
    "mine_events",
    "motif_id",
    "names_a_fact",
    "parse_shell",
    "program_of",
    "recover_session",
    "scan_output",
    "score_motif",
    "signature_text",
]
