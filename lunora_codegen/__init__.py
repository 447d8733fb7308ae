"""The lunora toolchain: discover -> model -> render -> reconcile -> write, and the ``lunora`` CLI.

This package runs on the developer's machine (CPython >= 3.11). It is never imported by the
Worker; the runtime lives in :mod:`lunora_workflow`.
"""
