"""The official SARIF 2.1.0 JSON schema, fetched once from the npm registry into ``.cache/``.

No PyPI package ships the schema file (sarif-om, sarif-tools, pysarif and pydantic-sarif were
checked); Microsoft's ``@microsoft/jest-sarif`` npm package does, as
``lib/schemas/sarif-2.1.0-rtm.5.json`` (the OASIS 2.1.0 schema, draft-04, the same file
SchemaStore serves). ``npm pack`` downloads just that tarball (no dependencies, no install
scripts); the schema is checked against a pinned SHA-256 and kept in the git-ignored
``.cache/sarif/`` so later runs need no network.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
SHA256 = "2d99159ae54a3eea97f81781cff48780548657c35949f4b7f25e99a2ba4de4f8"
CACHED = REPO / ".cache" / "sarif" / "sarif-2.1.0-rtm.5.json"


class SchemaUnavailableError(RuntimeError):
    """The schema is not cached and npm could not fetch it."""


def _fetch() -> bytes:
    npm = shutil.which("npm")
    if npm is None:
        raise SchemaUnavailableError(
            f"npm is needed once to fetch the SARIF schema ({PACKAGE}) into {CACHED}"
        )
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [npm, "pack", PACKAGE, "--pack-destination", folder, "--silent"],
            check=True,
            capture_output=True,
            timeout=180,
        )
        tarball = next(Path(folder).glob("*.tgz"))
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(MEMBER)
            if member is None:
                raise SchemaUnavailableError(f"{PACKAGE} has no {MEMBER}")
            return member.read()


def sarif_schema() -> dict[str, Any]:
    """The schema as a dict (downloaded on first use, verified, cached)."""
    data = CACHED.read_bytes() if CACHED.is_file() else _fetch()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256:
        raise SchemaUnavailableError(f"{MEMBER} from {PACKAGE} has sha256 {digest}, not {SHA256}")
    if not CACHED.is_file():
        CACHED.parent.mkdir(parents=True, exist_ok=True)
        partial = CACHED.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(data)
        partial.replace(CACHED)
    schema: dict[str, Any] = json.loads(data)
    return schema
