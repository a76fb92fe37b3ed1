"""Failure mining: detection, signatures, recovery, motifs and their scores.

The stages are pure functions over rows (:mod:`.detect`, :mod:`.signature`,
:mod:`.recovery`, :mod:`.motifs`, :mod:`.scores`); :func:`mine` runs them over
a store that implements :class:`~reverie.store.mining_base.MiningStore`.
"""

from reverie.mine.detect import correction_kind, detect_session, scan_output
from reverie.mine.drain import TemplateMiner
from reverie.mine.motifs import build_motifs, group_signatures, motif_id
from reverie.mine.normalize import decisive_lines, error_class, mask
from reverie.mine.pipeline import MiningResult, mine, mine_events
from reverie.mine.program import command_of, program_of
from reverie.mine.recovery import diff_inputs, recover_session
from reverie.mine.scores import MotifEvidence, lift, score_motif
from reverie.mine.signature import assign_signatures, signature_text

__all__ = [
    "MiningResult",
    "MotifEvidence",
    "TemplateMiner",
    "assign_signatures",
    "build_motifs",
    "command_of",
    "correction_kind",
    "decisive_lines",
    "detect_session",
    "diff_inputs",
    "error_class",
    "group_signatures",
    "lift",
    "mask",
    "mine",
    "mine_events",
    "motif_id",
    "program_of",
    "recover_session",
    "scan_output",
    "score_motif",
    "signature_text",
]
