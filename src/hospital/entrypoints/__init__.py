"""Entrypoints: the Litestar HTTP adapter and the `hospital` command."""
