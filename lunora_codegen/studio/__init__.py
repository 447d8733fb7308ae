"""lunora studio: a local web panel for the project's workflows.

``lunora studio`` serves :func:`~lunora_codegen.studio.app.create_app` on loopback. The app talks
to a :class:`~lunora_codegen.studio.backend.Backend`: the local test engine
(:mod:`lunora_codegen.studio.local`) or Cloudflare's REST API (:mod:`lunora_codegen.studio.remote`).
"""

from __future__ import annotations

from lunora_codegen.studio.app import create_app
from lunora_codegen.studio.backend import Backend
from lunora_codegen.studio.catalog import Catalog, load_catalog
from lunora_codegen.studio.server import StudioServer

__all__ = ["Backend", "Catalog", "StudioServer", "create_app", "load_catalog"]
