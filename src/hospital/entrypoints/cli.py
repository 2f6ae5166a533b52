"""The `hospital` command: serve, migrate, createsuperuser, seed-demo, openapi."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from collections.abc import Sequence

from hospital.domain.errors import ValidationError
from hospital.settings import Settings, SettingsError


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from hospital.entrypoints.logging_config import logging_config
    from hospital.entrypoints.startup_checks import refuse_unusable, serving_warnings

    settings = Settings.from_env()  # refuse unsafe settings before any worker starts
    refuse_unusable(settings)
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
    from hospital.entrypoints.migrations import upgrade

    settings = Settings.from_env()
    upgrade(settings.database_url, args.revision)
    print(f"database migrated to {args.revision}")
    return 0


def _createsuperuser(args: argparse.Namespace) -> int:
    from hospital.bootstrap import build_container, shutdown

    username = args.username or input("Username: ")
    email = args.email if args.email is not None else input("Email address: ")
    password = args.password
    if password is None:
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            print("Error: your passwords didn't match.", file=sys.stderr)
            return 1

    async def create() -> int:
        container = build_container()
        try:
            user = await container.create_superuser()(username=username, email=email, password=password)
        except ValidationError as error:
            for field, messages in error.errors.items():
                print(f"Error: {field}: {' '.join(messages)}", file=sys.stderr)
            return 1
        finally:
            await shutdown(container)
        print(f"Superuser {user.username!r} created (id {user.id}).")
        return 0

    return asyncio.run(create())


def _seed_demo(args: argparse.Namespace) -> int:
    from hospital.bootstrap import build_container, seed_demo_data, shutdown

    async def seed() -> str:
        container = build_container()
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


def _openapi(args: argparse.Namespace) -> int:
    import secrets
    import tempfile
    from pathlib import Path

    from litestar.serialization import encode_json

    from hospital.bootstrap import in_memory_container
    from hospital.entrypoints.http.app import create_app

    # The schema depends on no setting; a throwaway key and media folder leave nothing behind
    # (the development defaults would write a secret file and a media folder into the current one).
    with tempfile.TemporaryDirectory() as media:
        settings = Settings(environment="test", secret_key=secrets.token_urlsafe(48), media_root=Path(media))
        app = create_app(in_memory_container(settings))
        # Litestar's encoder, as /schema/openapi.json uses: the schema holds msgspec structs (examples).
        schema = json.loads(encode_json(app.openapi_schema.to_schema()))
    print(json.dumps(schema, indent=2 if args.indent else None))
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="hospital", description="Hospital management API service.")
    commands = root.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(run=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database schema (Alembic)")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(run=_migrate)

    superuser = commands.add_parser("createsuperuser", help="create an administrator account")
    superuser.add_argument("--username")
    superuser.add_argument("--email")
    superuser.add_argument("--password", help="prompted for when omitted")
    superuser.set_defaults(run=_createsuperuser)

    demo = commands.add_parser("seed-demo", help="fill a migrated database with demo data, in bulk")
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

    schema = commands.add_parser("openapi", help="print the OpenAPI schema as JSON")
    schema.add_argument("--indent", action="store_true")
    schema.set_defaults(run=_openapi)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except SettingsError as error:
        print(f"hospital: configuration error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
