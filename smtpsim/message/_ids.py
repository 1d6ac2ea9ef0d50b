"""Deterministic identifiers: content hashes and ``Message-ID`` values.

Nothing here is random: an identifier is a hash of what it identifies plus the
simulation's clock, so every run of a scenario writes the same bytes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone


def _digest(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).hexdigest()


def _message_id(date: datetime, domain: str, seed: str) -> str:
    stamp = date.astimezone(timezone.utc).strftime("%Y%m%d%H%M%S")
    return f"<{stamp}.{seed[:12].upper()}@{domain}>"
