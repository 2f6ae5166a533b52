"""The `hospital` command: serve, migrate, createsuperuser, seed-demo, openapi, audit verify|prune.

An operator's mistake (a bad setting or flag, a database that is not there or not migrated, end
of input at a prompt, a closed pipe) ends the command with one line on stderr and a non-zero
status, never a traceback; `--debug` shows the traceback as well.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from hospital.domain.errors import ValidationError
from hospital.settings import Settings, SettingsError

# Exit statuses: 1 the command was refused (a taken username, mismatched passwords, no input),
# 2 the configuration cannot work (as argparse's own usage errors).
REFUSED = 1
MISCONFIGURED = 2


def _settings(*, needs_database: bool, needs_schema: bool = True, needs_secret: bool = True) -> Settings:
    """The settings, refused with SettingsError unless everything the command needs answers now."""
    from hospital.entrypoints.startup_checks import refuse_unreachable, refuse_unusable

    settings = Settings.from_env(needs_secret=needs_secret)
    refuse_unusable(settings)
    if needs_database:
        refuse_unreachable(settings, needs_schema=needs_schema)
    return settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hospital.entrypoints.logging_config import logging_config
    from hospital.entrypoints.startup_checks import serving_warnings

    # Refuse what cannot work before any worker starts: a worker that fails as it starts is
    # restarted by the server, forever.
    settings = _settings(needs_database=True)
    for warning in serving_warnings(settings, args.workers):
        print(f"hospital: warning: {warning}", file=sys.stderr)
    uvicorn.run(
        "hospital.entrypoints.http.asgi:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=logging_config(settings.log_level, secrets=[settings.secret_key]),
        log_level=settings.log_level.lower(),
        access_log=False,
        # X-Forwarded-For and X-Forwarded-Proto (https behind a TLS proxy, for absolute URLs) are
        # honoured only from HOSPITAL_TRUSTED_PROXIES, and not at all when it is empty.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        timeout_graceful_shutdown=30,
    )
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from hospital.bootstrap import migrate

    # Migrating signs no token: no secret needed. The database must answer; its schema may be anything.
    settings = _settings(needs_database=True, needs_schema=False, needs_secret=False)
    migrate(settings, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def _print_errors(error: ValidationError) -> None:
    for field, messages in error.errors.items():
        print(f"Error: {field}: {' '.join(messages)}", file=sys.stderr)


def _createsuperuser(args: argparse.Namespace) -> int:
    from hospital.application.accounts import CreateSuperuserCommand
    from hospital.bootstrap import build_container, shutdown

    settings = _settings(needs_database=True)

    async def create() -> int:
        container = build_container(settings)
        try:
            create_superuser = container.create_superuser()
            # Prompts run off the event loop; the answers are checked as soon as they are given.
            username = args.username or await asyncio.to_thread(input, "Username: ")
            # The username is checked before anyone types a password for it.
            await create_superuser.check_username(username)
            email = args.email if args.email is not None else await asyncio.to_thread(input, "Email address: ")
            password = args.password
            if password is None:
                password = await asyncio.to_thread(getpass.getpass, "Password: ")
                if password != await asyncio.to_thread(getpass.getpass, "Password (again): "):
                    print("Error: your passwords didn't match.", file=sys.stderr)
                    return REFUSED
            user = await create_superuser(CreateSuperuserCommand(username=username, email=email, password=password))
        except ValidationError as error:
            _print_errors(error)
            return REFUSED
        finally:
            await shutdown(container)
        print(f"Superuser {user.username!r} created (id {user.id}).")
        return 0

    return asyncio.run(create())


def _seed_demo(args: argparse.Namespace) -> int:
    from hospital.bootstrap import build_container, seed_demo_data, shutdown

    settings = _settings(needs_database=True)

    async def seed() -> str:
        container = build_container(settings)
        try:
            return await seed_demo_data(
                container, doctors=args.doctors, patients=args.patients, appointments=args.appointments,
                reviews=args.reviews, password=args.password, bulk_appointments=args.bulk_appointments,
                bulk_doctor=args.bulk_doctor, bulk_skip_doctor=args.bulk_skip_doctor,
            )
        finally:
            await shutdown(container)

    print(asyncio.run(seed()))
    return 0


def _audit(run: Callable[[Any, argparse.Namespace], Awaitable[int]]) -> Callable[[argparse.Namespace], int]:
    """A command run on a container of the database's (build_container), shut down after."""

    def command(args: argparse.Namespace) -> int:
        from hospital.bootstrap import build_container, shutdown

        settings = _settings(needs_database=True, needs_secret=False)

        async def main() -> int:
            container = build_container(settings)
            try:
                return await run(container, args)
            finally:
                await shutdown(container)

        return asyncio.run(main())

    return command


async def _audit_verify(container: Any, args: argparse.Namespace) -> int:
    report = await container.verify_audit_log()()
    if args.heads:
        for head in report.heads:
            print(f"head {head.chain} {head.seq} {head.hash}")
    if report.valid:
        print(f"audit log verified: {report.events} events in {len(report.heads)} chains")
        return 0
    for found in report.breaks:
        print(f"audit log broken: {found.describe()}", file=sys.stderr)
    return REFUSED


async def _audit_prune(container: Any, args: argparse.Namespace) -> int:
    prune = container.prune_audit_log()
    days = args.older_than if args.older_than is not None else prune.retention_days
    try:
        deleted = await prune(days)
    except ValidationError as error:
        _print_errors(error)
        return REFUSED
    print(f"pruned {deleted} audit events (whole chains whose newest event is older than {days} days)")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    import secrets
    import tempfile
    from pathlib import Path

    from litestar.serialization import encode_json

    from hospital.bootstrap import in_memory_container
    from hospital.entrypoints.http import openapi
    from hospital.entrypoints.http.app import create_app

    # The schema depends on no setting; a throwaway key and media folder leave nothing behind
    # (the development defaults would write a secret file and a media folder into the current one).
    with tempfile.TemporaryDirectory() as media:
        settings = Settings(environment="test", secret_key=secrets.token_urlsafe(48), media_root=Path(media))
        app = create_app(in_memory_container(settings))
        # Litestar's encoder, as /schema/openapi.json uses: the schema holds msgspec structs (examples).
        schema = json.loads(encode_json(openapi.finished(app.openapi_schema.to_schema())))
    print(json.dumps(schema, indent=2 if args.indent else None))
    sys.stdout.flush()  # a closed pipe (`hospital openapi | head`) is seen here, inside main()
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="hospital", description="Hospital management API service.",
        epilog="Settings come from HOSPITAL_* environment variables (README.md). Without HOSPITAL_ENV they are "
               "production settings, which need HOSPITAL_SECRET_KEY; on a developer's machine set "
               "HOSPITAL_ENV=development, as `make run` does.",
    )
    debug_help = "show the traceback of an error, not only its one-line message"
    root.add_argument("--debug", action="store_true", default=False, help=debug_help)
    # Also accepted after the command's name (`hospital migrate --debug`).
    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=debug_help)
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", parents=[debug], help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", parents=[debug], help="upgrade the database schema (Alembic)")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(run=_migrate)

    superuser = commands.add_parser("createsuperuser", parents=[debug], help="create an administrator account")
    superuser.add_argument("--username")
    superuser.add_argument("--email")
    superuser.add_argument("--password", help="prompted for when omitted")
    superuser.set_defaults(run=_createsuperuser)

    demo = commands.add_parser("seed-demo", parents=[debug], help="fill a migrated database with demo data, in bulk")
    demo.add_argument("--doctors", type=int, default=50)
    demo.add_argument("--patients", type=int, default=200)
    demo.add_argument("--appointments", type=int, default=1000)
    demo.add_argument("--reviews", type=int, default=300)
    demo.add_argument("--password", default="demo-password-1", help="every seeded account's password")
    demo.add_argument("--bulk-appointments", type=int, default=0,
                      help="also add this many appointments with one INSERT ... SELECT (benchmarks)")
    demo.add_argument("--bulk-doctor", type=int, help="doctor id every bulk row goes to")
    demo.add_argument("--bulk-skip-doctor", type=int, help="doctor id the bulk rows leave out")
    demo.set_defaults(run=_seed_demo)

    schema = commands.add_parser("openapi", parents=[debug], help="print the OpenAPI schema as JSON")
    schema.add_argument("--indent", action="store_true")
    schema.set_defaults(run=_openapi)

    audit = commands.add_parser("audit", help="verify or prune the audit log (docs/audit.md)")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser(
        "verify", parents=[debug], help="walk every hash chain; exit status 1 naming the first bad event of each")
    verify.add_argument("--heads", action="store_true", help="print each chain's last event and hash, to keep apart")
    verify.set_defaults(run=_audit(_audit_verify))
    prune = audit_commands.add_parser(
        "prune", parents=[debug], help="delete whole chains older than the retention (HOSPITAL_AUDIT_RETENTION_DAYS)")
    prune.add_argument("--older-than", type=int, metavar="DAYS",
                       help="days to keep (default HOSPITAL_AUDIT_RETENTION_DAYS, 2190)")
    prune.set_defaults(run=_audit(_audit_prune))
    return root


def _quiet_stdout() -> None:
    # The reader of stdout is gone: what is still buffered could only fail again at exit.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SettingsError as error:
        if args.debug:
            raise
        print(f"hospital: configuration error: {error}", file=sys.stderr)
        return MISCONFIGURED
    except EOFError:
        if args.debug:
            raise
        print(f"hospital {args.command}: no more input to read (standard input is closed); give every "
              "value as an option instead (see --help).", file=sys.stderr)
        return REFUSED
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        if args.debug:
            raise
        _quiet_stdout()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
