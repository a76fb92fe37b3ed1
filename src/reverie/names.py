"""Tenant and agent names: what is allowed, checked where a name enters Reverie.

A tenant name separates data, and an agent name is printed, written into
rule files and rendered into prompts, so both keep to a small character set.
Names a person gives (``--tenant``, ``--agent``, ``tenant`` in
``reverie.toml``, ``agent`` in a mapping file) are checked and a bad one is
refused, saying why. Agent names read from transcripts are never a reason to
drop a session: :func:`safe_agent` rewrites them into the allowed form.

- **tenant**: 1 to 64 ASCII letters, digits, ``.``, ``_`` and ``-``, starting
  with a letter or digit, never ``..``. ``*`` is reserved: in a seeded rule's
  scope it means every tenant.
- **agent**: 1 to 128 letters or digits (any script) and ``. _ - @ : / +``,
  starting with a letter or digit, never ``..`` (``swe-agent/gpt-4o``,
  ``openhands/CodeActAgent/claude-3-5-sonnet``, ``ollama/llama3:8b``).

>>> check_tenant("acme-prod")
'acme-prod'
>>> check_agent("openhands/CodeActAgent/claude-3-5-sonnet")
'openhands/CodeActAgent/claude-3-5-sonnet'
>>> safe_agent("my project\\x1b[31m")
'my-project-31m'
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = [
    "AGENT_MAX",
    "TENANT_MAX",
    "check_agent",
    "check_tenant",
    "safe_agent",
]

TENANT_MAX = 64
AGENT_MAX = 128
_TENANT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*", re.ASCII)
_AGENT_PUNCT = frozenset("._-@:/+")
_TENANT_HINT = "use 1 to 64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit"
_AGENT_HINT = (
    "use 1 to 128 letters, digits and . _ - @ : / +, starting with a letter or digit "
    "(e.g. swe-agent/gpt-4o)"
)


def check_tenant(name: str) -> str:
    """``name`` if it is a valid tenant name, else a ``ValueError`` saying what is wrong."""
    if name == "*":
        raise ValueError("'*' is reserved (a seeded rule's scope: every tenant); " + _TENANT_HINT)
    if not name:
        raise ValueError("a tenant name cannot be empty; " + _TENANT_HINT)
    if len(name) > TENANT_MAX:
        raise ValueError(f"a tenant name is {TENANT_MAX} characters at most; " + _TENANT_HINT)
    if ".." in name:
        raise ValueError("a tenant name cannot contain '..'; " + _TENANT_HINT)
    if not _TENANT.fullmatch(name):
        raise ValueError(f"{_shown(name)} is not a tenant name; " + _TENANT_HINT)
    return name


def _agent_char(char: str) -> bool:
    return char.isalnum() or char in _AGENT_PUNCT


def check_agent(name: str) -> str:
    """``name`` if it is a valid agent name, else a ``ValueError`` saying what is wrong."""
    if not name:
        raise ValueError("an agent name cannot be empty; " + _AGENT_HINT)
    if len(name) > AGENT_MAX:
        raise ValueError(f"an agent name is {AGENT_MAX} characters at most; " + _AGENT_HINT)
    if ".." in name:
        raise ValueError("an agent name cannot contain '..'; " + _AGENT_HINT)
    if not name[0].isalnum() or not all(_agent_char(c) for c in name):
        raise ValueError(f"{_shown(name)} is not an agent name; " + _AGENT_HINT)
    return name


def safe_agent(name: str, default: str = "unknown") -> str:
    """An agent name from a transcript, rewritten into the allowed form.

    A valid name comes back unchanged. Otherwise every run of characters that
    are not allowed (spaces, control characters, ``*``, quotes) becomes one
    ``-``, ``..`` becomes ``.``, leading punctuation is dropped and a name
    over ``AGENT_MAX`` characters is cut, ending with a hash of the whole name
    (so two long names stay two agents). Nothing left: ``default``.

    >>> safe_agent("swe-agent/gpt-4o")
    'swe-agent/gpt-4o'
    >>> safe_agent("../../etc")
    'etc'
    >>> safe_agent("")
    'unknown'
    """
    try:
        return check_agent(name)
    except ValueError:
        pass
    text = unicodedata.normalize("NFC", name)
    text = "".join(c if _agent_char(c) else " " for c in text)
    text = re.sub(r"\s+", "-", text.strip())
    text = re.sub(r"\.{2,}", ".", text)
    text = text.lstrip("".join(_AGENT_PUNCT))
    if len(text) > AGENT_MAX:
        digest = hashlib.blake2b(name.encode("utf-8", "replace"), digest_size=4).hexdigest()
        text = text[: AGENT_MAX - len(digest) - 1].rstrip(".") + "-" + digest
    return text or default


def _shown(name: str) -> str:
    """A name as an error message may show it: control characters escaped, at most 80."""
    shown = repr(name[:80])
    return shown + ("..." if len(name) > 80 else "")
