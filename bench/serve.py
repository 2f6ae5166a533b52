"""Serve an ASGI factory the way ``hospital serve`` does, on the server chosen by name, for the
benchmark's bare baseline and its server comparison: ``python -m bench.serve SERVER FACTORY PORT``."""

from __future__ import annotations

import sys


def main() -> None:
    server, factory, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if server == "uvicorn":
        import uvicorn

        # As hospital.entrypoints.cli._serve: uvloop and httptools (picked by "auto"), no access log.
        uvicorn.run(factory, factory=True, host="127.0.0.1", port=port, workers=1, access_log=False,
                    log_level="warning", timeout_graceful_shutdown=5)
    elif server == "granian":
        from granian import Granian
        from granian.constants import Interfaces, Loops

        Granian(factory, address="127.0.0.1", port=port, interface=Interfaces.ASGI, workers=1,
                loop=Loops.uvloop, factory=True, log_access=False).serve()
    else:
        raise SystemExit(f"unknown server {server!r}")


if __name__ == "__main__":
    main()
