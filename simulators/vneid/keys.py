"""The simulator's signing key: an EC P-256 key kept in var_dir so tokens stay valid across restarts.

The file holds a private key: it is created with mode 0600 and lives under var/, which is never committed.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from joserfc.jwk import ECKey, generate_key

ALGORITHM = "ES256"


def key_path(var_dir: Path) -> Path:
    return var_dir / "vneid" / "signing-key.json"


def load_or_create(path: Path) -> ECKey:
    """Reuse the key at `path`, or generate one and store it there (0600)."""
    if path.exists():
        return ECKey.import_key(json.loads(path.read_text(encoding="utf-8")))
    key = generate_key("EC", "P-256", parameters={"alg": ALGORITHM, "use": "sig"}, auto_kid=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: if another process won the race, its key is the one to use.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return load_or_create(path)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(key.as_dict(private=True), fh)
    return key
