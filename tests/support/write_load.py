"""Concurrent writers against a running server, remembering every write it acknowledged.

Each writer loops until the deadline: register a user (201: a user, a profile and a patient
written in one transaction), read its profile, then update the profile's bio a few times (200:
a read-modify-write transaction). What the server acknowledged is checked against the database
afterwards by the test.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.actors import PASSWORD

UPDATES_PER_USER = 3


@dataclass
class WriteLoad:
    registered: list[str] = field(default_factory=list)  # usernames answered 201
    last_bio: dict[str, str] = field(default_factory=dict)  # username -> last bio answered 200
    # username -> the bio of an update whose answer never came (the server died): it may or may not
    # have committed, so the database may hold it instead of the last acknowledged one.
    unanswered_bio: dict[str, str] = field(default_factory=dict)
    updates: int = 0  # profile updates answered 200
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    # 503s that say the connection was lost during the COMMIT (the write may or may not be stored)
    outcome_unknown: int = 0

    @property
    def requests(self) -> int:
        return sum(self.statuses.values()) + self.transport_errors

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)

    @property
    def writes(self) -> int:
        return len(self.registered) + self.updates

    def summary(self) -> str:
        return (f"{self.requests} requests, {len(self.registered)} registrations and {self.updates} profile "
                f"updates acknowledged, {self.server_errors} 5xx ({self.outcome_unknown} of them outcome "
                f"unknown), {self.transport_errors} transport errors, statuses {dict(sorted(self.statuses.items()))}")


# What the service answers (503) for a write whose connection was lost while its COMMIT was on its way
# (CommitOutcomeUnknownError), as a client reads it: the words, not the class, so that a service that
# answers every lost connection with the same 503 is not taken for one that tells this case apart.
OUTCOME_UNKNOWN_WORDS = "it may or may not have been saved"


def is_outcome_unknown(response: httpx.Response) -> bool:
    """Whether ``response`` is the 503 of a write whose COMMIT's outcome the server could not learn."""
    return response.status_code == 503 and OUTCOME_UNKNOWN_WORDS in response.json().get("detail", "")


def _count(load: WriteLoad, response: httpx.Response) -> None:
    load.statuses[response.status_code] += 1
    if is_outcome_unknown(response):
        load.outcome_unknown += 1


async def _writer(client: httpx.AsyncClient, load: WriteLoad, name: str, deadline: float) -> None:
    for number in range(1_000_000):
        if time.monotonic() >= deadline:
            return
        username = f"{name}n{number}"
        bio: str | None = None
        try:
            response = await client.post("/api/user/register/", json={
                "username": username, "email": f"{username}@example.com", "password": PASSWORD,
                "confirm_password": PASSWORD,
            })
            _count(load, response)
            if response.status_code != 201:
                continue
            load.registered.append(username)
            headers = {"Authorization": f"Bearer {response.json()['tokens']['access']}"}
            me = await client.get("/api/user/profiles/me/", headers=headers)
            _count(load, me)
            if me.status_code != 200:
                continue
            for update in range(UPDATES_PER_USER):
                bio = f"update {update} of {username}"
                patched = await client.patch(f"/api/user/profiles/{me.json()['id']}/", json={"bio": bio},
                                             headers=headers)
                _count(load, patched)
                if patched.status_code == 200:
                    load.last_bio[username] = bio
                    load.updates += 1
                elif is_outcome_unknown(patched):
                    load.unanswered_bio[username] = bio  # stored or not: either may be found
        except httpx.TransportError:
            # The server went away (the crash test kills it): what it acknowledged is what counts.
            load.transport_errors += 1
            if bio is not None and load.last_bio.get(username) != bio:
                load.unanswered_bio[username] = bio
            await asyncio.sleep(0.05)


async def run_writers(base_url: str, *, writers: int, seconds: float, prefix: str) -> WriteLoad:
    load = WriteLoad()
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=writers, max_keepalive_connections=writers)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:
        await asyncio.gather(*(_writer(client, load, f"{prefix}w{index}", deadline) for index in range(writers)))
    return load


def lost_writes(database: Path, load: WriteLoad) -> list[str]:
    """Every acknowledged write that the SQLite database at ``database`` does not hold."""
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute(
            "SELECT u.username, p.bio, t.id FROM users u LEFT JOIN user_profiles p ON p.user_id = u.id "
            "LEFT JOIN patients t ON t.user_id = u.id"
        ).fetchall()
    stored = {username: (bio, patient) for username, bio, patient in rows}
    lost = [f"user {name}" for name in load.registered if name not in stored]
    lost += [f"profile or patient of {name}" for name in load.registered
             if name in stored and (stored[name][0] is None or stored[name][1] is None)]
    lost += [f"bio of {name}: acknowledged {bio!r}, stored {stored[name][0]!r}"
             for name, bio in load.last_bio.items()
             if name in stored and stored[name][0] not in (bio, load.unanswered_bio.get(name))]
    return lost


def integrity_check(database: Path) -> str:
    with closing(sqlite3.connect(database)) as connection:
        return "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
