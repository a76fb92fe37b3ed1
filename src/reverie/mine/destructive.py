"""Fixes that could do harm if an agent followed them everywhere.

A fix that deletes (``rm``, ``git reset --hard``, ``git clean``, ``git
checkout -- .``), forces (``--force`` / ``-f`` on ``git push``), bypasses
checks (``--no-verify``, skipping or deselecting tests, ``SKIP=`` for
pre-commit) or escalates (``sudo``, ``chmod 777``, ``chown``) is never the
recommended general fix without the ``destructive`` flag (see docs/rules.md):
it is never auto-approved and its confidence is halved.

:func:`destructive_reasons` reads an invocation as mining writes it
(``launcher program flags``: ``sudo apt-get install``, ``git push --force``,
``rm -rf``) and says why it is destructive, or nothing.

>>> destructive_reasons("rm -rf")
['deletes files (rm)']
>>> destructive_reasons("git push --force")
['forces (git push --force)']
>>> destructive_reasons("git commit --no-verify")
['bypasses checks (--no-verify)']
>>> destructive_reasons("sudo apt-get install")
['escalates privileges (sudo)']
>>> destructive_reasons("mix format"), destructive_reasons("git push -u")
([], [])
"""

from __future__ import annotations

__all__ = ["destructive_reasons"]

_DELETES = {"rm", "rmdir", "shred", "unlink", "dd", "mkfs", "truncate"}
_ESCALATES = {"sudo", "su", "doas", "pkexec"}
_FORCE_FLAGS = {"--force", "-f", "--force-with-lease", "-F", "--hard"}
_FORCEABLE = {"git push", "git checkout", "git branch", "git tag", "git reset", "git clean",
              "git rebase", "docker rm", "docker rmi", "docker system", "kubectl delete", "cp",
              "mv", "ln", "npm install", "npm ci", "pip install"}
_BYPASS_FLAGS = {"--no-verify", "-n:git commit", "--no-gpg-sign", "--skip-checks",
                 "--deselect", "--ignore", "--no-tests", "--force-exclude"}
_BYPASS_ENV = ("SKIP=", "HUSKY=0", "PRE_COMMIT_ALLOW_NO_CONFIG=")


def _program(words: list[str]) -> str:
    head = words[0].rsplit("/", 1)[-1] if words else ""
    sub = next((w for w in words[1:] if not w.startswith("-")), None)
    return f"{head} {sub}" if sub else head


def destructive_reasons(invocation: str | None) -> list[str]:
    """Why running ``invocation`` as a general fix could do harm; empty when it is safe."""
    if not invocation:
        return []
    words = invocation.split()
    reasons: list[str] = []
    env = [w for w in words if "=" in w and not w.startswith("-")]
    words = [w for w in words if w not in env]
    for assignment in env:
        if assignment.startswith(_BYPASS_ENV):
            reasons.append(f"bypasses checks ({assignment.split('=', 1)[0]}=)")
    while words and words[0].rsplit("/", 1)[-1] in _ESCALATES:
        reasons.append(f"escalates privileges ({words[0].rsplit('/', 1)[-1]})")
        words = words[1:]
        while words and words[0].startswith("-"):  # sudo -E, sudo -u root
            words = words[2:] if words[0] in ("-u", "-g") else words[1:]
    if not words:
        return reasons
    program = _program(words)
    head = program.split()[0]
    flags = [w for w in words if w.startswith("-")]
    if head in _DELETES:
        reasons.append(f"deletes files ({head})")
    if program in ("git reset",) and "--hard" in flags:
        reasons.append("discards changes (git reset --hard)")
    elif program in ("git clean",):
        reasons.append("deletes untracked files (git clean)")
    elif program in ("git checkout", "git restore") and ("--" in words or "." in words):
        reasons.append(f"discards changes ({program})")
    if program in _FORCEABLE and any(f in _FORCE_FLAGS for f in flags) and program != "git reset":
        forced = next(f for f in flags if f in _FORCE_FLAGS)
        reasons.append(f"forces ({program} {forced})")
    for flag in flags:
        if flag in _BYPASS_FLAGS or f"{flag}:{program}" in _BYPASS_FLAGS:
            reasons.append(f"bypasses checks ({flag})")
    if head == "chmod" and any(w.endswith("777") or w in ("a+rwx", "o+w") for w in words):
        reasons.append("opens permissions to everyone (chmod 777)")
    elif head in ("chown", "chgrp"):
        reasons.append(f"changes ownership ({head})")
    return list(dict.fromkeys(reasons))
