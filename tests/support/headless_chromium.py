"""Debian's Chromium, headless, driven over the DevTools protocol: open a page, wait for it to
render, and report every request it made, every script error and what a probe expression says.

Chromium is started so that nothing can leave the machine even if the page tried: every host name
but the one mapped to 127.0.0.1 fails to resolve, and every request that is not for that host goes
to a proxy on a closed local port. The requests are still recorded, so a test can assert on them.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.support.server_process import free_port

# The probe's flags (see the machine notes): no background traffic, no first-run, no sandbox as root.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--mute-audio",
)
START_SECONDS = 30


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@dataclass
class PageVisit:
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    probe: Any = None
    screenshot: bytes = field(default=b"", repr=False)


class DevToolsPage:
    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._ids = itertools.count(1)
        self.visit = PageVisit()

    def _record(self, message: dict) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Network.requestWillBeSent":
            self.visit.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            self.visit.failed.append(f"{params.get('type')}: {params.get('errorText')}")
        elif method == "Runtime.exceptionThrown":
            self.visit.errors.append(json.dumps(params["exceptionDetails"])[:500])
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            self.visit.errors.append(f"{params['entry'].get('url', '')}: {params['entry']['text']}")

    def call(self, method: str, **params: Any) -> dict:
        number = next(self._ids)
        self._socket.send(json.dumps({"id": number, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=START_SECONDS))
            if message.get("id") == number:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._record(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def open(self, url: str, *, probe: str, until: str, seconds: float = 30) -> PageVisit:
        """Load ``url``, then evaluate ``probe`` until ``until`` (a JS predicate of ``value``) holds."""
        for domain in ("Network", "Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + seconds
        check = f"(value => {until})({probe})"
        while time.monotonic() < deadline and not self.evaluate(check):
            time.sleep(0.25)
        time.sleep(0.5)  # let late requests (images, fonts) show themselves before the report
        self.visit.probe = self.evaluate(probe)
        self.visit.screenshot = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        return self.visit


def _devtools_port(profile: Path, process: subprocess.Popen) -> int:
    deadline = time.monotonic() + START_SECONDS
    marker = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with {process.returncode}")
        if marker.exists() and (lines := marker.read_text().split()):
            return int(lines[0])
        time.sleep(0.1)
    raise RuntimeError("chromium did not open its DevTools port")


@contextmanager
def chromium_page(profile: Path, host: str) -> Iterator[DevToolsPage]:
    """A blank tab in a fresh headless Chromium where ``host`` resolves to 127.0.0.1."""
    binary = chromium_path()
    if binary is None:
        raise RuntimeError("chromium is not installed (apt-get install chromium)")
    closed_proxy = free_port()
    command = [
        binary, *FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0",
        f"--host-resolver-rules=MAP {host} 127.0.0.1, MAP * ~NOTFOUND",
        f"--proxy-server=http://127.0.0.1:{closed_proxy}", f"--proxy-bypass-list={host}",
        "about:blank",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True, env={**os.environ, "HOME": str(profile)})
    try:
        port = _devtools_port(profile, process)
        targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(target for target in targets if target["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as socket:
            yield DevToolsPage(socket)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
