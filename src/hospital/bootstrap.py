"""The one composition root: every adapter is wired into the use cases here.

``Container(settings=...)`` runs on SQLAlchemy (SQLite or PostgreSQL); ``in_memory_container()``
swaps in the in-memory adapters, for tests and for library users who want no database.
Tests swap any single adapter with ``container.<provider>.override(...)``.

The library's entry points, for Python services that call the use cases with no HTTP
(examples/library.py runs them all):

- ``migrate(settings)`` brings the database to the code's schema;
- ``build_container(settings)`` wires every use case (``container.register_user()``, ...);
- ``await actor_for(container, user_id)`` is the ``Actor`` a use case is called as;
- ``await shutdown(container)`` releases its connections.
"""

from __future__ import annotations

from datetime import timedelta

from dependency_injector import containers, providers

from hospital.adapters.audit_lanes import AuditLanes
from hospital.adapters.audit_log import BufferedAuditLog
from hospital.adapters.clock import SystemClock
from hospital.adapters.memory.audit import InMemoryAuditEvents
from hospital.adapters.memory.database import InMemoryDatabase
from hospital.adapters.memory.images import InMemoryImageStorage
from hospital.adapters.memory.passwords import FastInsecurePasswordHasher
from hospital.adapters.memory.rate_limit import InMemoryRateLimiter
from hospital.adapters.memory.read_side import InMemoryReadSide
from hospital.adapters.memory.readiness import AlwaysHealthy
from hospital.adapters.memory.unit_of_work import InMemoryUnitOfWork
from hospital.adapters.security.argon2_hasher import Argon2PasswordHasher
from hospital.adapters.security.jwt_tokens import PyJwtTokenService
from hospital.adapters.sqlalchemy.audit import SqlAlchemyAuditEvents
from hospital.adapters.sqlalchemy.direct_reads import committed_reads_for, direct_reader_for
from hospital.adapters.sqlalchemy.driver_transactions import driver_transactions_for
from hospital.adapters.sqlalchemy.engine import create_engine, create_session_factory, sqlite_writer_for
from hospital.adapters.sqlalchemy.mapping import start_mappers
from hospital.adapters.sqlalchemy.migration_scripts import alembic_config as alembic_config  # CLI, tests
from hospital.adapters.sqlalchemy.migration_scripts import downgrade as downgrade
from hospital.adapters.sqlalchemy.migration_scripts import head_revisions
from hospital.adapters.sqlalchemy.migration_scripts import migrations_folder as migrations_folder
from hospital.adapters.sqlalchemy.migration_scripts import upgrade as upgrade
from hospital.adapters.sqlalchemy.read_side import SqlAlchemyReadSide
from hospital.adapters.sqlalchemy.readiness import DatabaseHealthCheck
from hospital.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from hospital.adapters.storage.local_images import LocalImageStorage
from hospital.application import (
    accounts,
    audit_trail,
    available_times,
    contacts,
    doctors,
    idempotency,
    medical_services,
    profiles,
    taxonomy,
)
from hospital.application import appointments as appointment_cases
from hospital.application import dated_appointments as dated_cases
from hospital.application import doctor_schedules as schedule_cases
from hospital.application import patients as patient_cases
from hospital.application.actor import Actor
from hospital.application.readiness import CheckReadiness
from hospital.application.reviews import CreateReview, DeleteReview, GetReview, ListReviews, UpdateReview
from hospital.settings import Settings

# A Redis that stops answering must cost a request a 503 within seconds, not hang it.
REDIS_TIMEOUT_SECONDS = 2


def _redis(settings: Settings):
    if not settings.redis_url:
        return None
    from redis.asyncio import Redis

    return Redis.from_url(settings.redis_url, socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                          socket_timeout=REDIS_TIMEOUT_SECONDS, health_check_interval=30)


def _rate_limiter(redis):
    if redis is not None:
        from hospital.adapters.redis.rate_limit import RedisRateLimiter

        return RedisRateLimiter(redis)
    return InMemoryRateLimiter()  # one process only: with several workers, set HOSPITAL_REDIS_URL


def _health_checks(engine, redis) -> list:
    checks: list = [DatabaseHealthCheck(engine, head_revisions)]
    if redis is not None:
        from hospital.adapters.redis.health import RedisHealthCheck

        checks.append(RedisHealthCheck(redis))
    return checks


class Container(containers.DeclarativeContainer):
    settings = providers.Dependency(instance_of=Settings)

    clock = providers.Singleton(SystemClock)
    # A SQLite file's one writer connection per process (adapters/sqlalchemy/sqlite_writer.py); None
    # for other databases.
    sqlite_writer = providers.Singleton(sqlite_writer_for, settings.provided.database_url)
    engine = providers.Singleton(
        create_engine, url=settings.provided.database_url, pool_size=settings.provided.db_pool_size,
        sqlite_writer=sqlite_writer,
    )
    session_factory = providers.Singleton(create_session_factory, engine)
    # Read queries straight on the driver (adapters/sqlalchemy/direct_reads.py): SQLite files on the
    # event loop's thread, PostgreSQL on an asyncpg pool of its own.
    direct_reader = providers.Singleton(direct_reader_for, settings.provided.database_url,
                                        pool_size=settings.provided.db_pool_size)
    # Write transactions of prepared statements, on the same drivers (driver_transactions.py).
    driver_transactions = providers.Singleton(driver_transactions_for, sqlite_writer, direct_reader)
    # This process's audit chains (adapters/audit_lanes.py): one set per process, whatever the store.
    audit_lanes = providers.Singleton(AuditLanes)
    unit_of_work = providers.Factory(SqlAlchemyUnitOfWork, session_factory=session_factory,
                                     direct_reader=direct_reader, driver_transactions=driver_transactions,
                                     audit_lanes=audit_lanes, clock=clock)
    # The read side (application/ports/read_side.py): every use case that only reads, on committed
    # data, never through a unit of work or an ORM session.
    read_side = providers.Singleton(
        SqlAlchemyReadSide, providers.Singleton(committed_reads_for, direct_reader, engine),
        providers.Callable(lambda engine: engine.dialect.name, engine),
    )
    # Events that change nothing (reads, refusals, logins): HOSPITAL_AUDIT_READS (adapters/audit_log.py).
    audit_log = providers.Singleton(BufferedAuditLog, uow=unit_of_work.provider, mode=settings.provided.audit_reads)
    audit_events = providers.Singleton(SqlAlchemyAuditEvents, engine)
    list_audit_events = providers.Singleton(audit_trail.ListAuditEvents, events=audit_events)
    get_access_log = providers.Singleton(audit_trail.GetAccessLog, uow=unit_of_work.provider, events=audit_events)
    verify_audit_log = providers.Singleton(audit_trail.VerifyAuditLog, events=audit_events)
    prune_audit_log = providers.Singleton(audit_trail.PruneAuditLog, events=audit_events, clock=clock,
                                          retention_days=settings.provided.audit_retention_days)

    password_hasher = providers.Singleton(
        Argon2PasswordHasher, max_concurrency=settings.provided.password_hash_concurrency,
    )
    tokens = providers.Singleton(
        PyJwtTokenService,
        secret=settings.provided.secret_key,
        issuer=settings.provided.jwt_issuer,
        access_lifetime=providers.Factory(timedelta, seconds=settings.provided.access_token_lifetime),
        refresh_lifetime=providers.Factory(timedelta, seconds=settings.provided.refresh_token_lifetime),
        clock=clock,
    )
    images = providers.Singleton(
        LocalImageStorage,
        root=settings.provided.media_root,
        max_bytes=settings.provided.max_upload_bytes,
        max_pixels=settings.provided.max_image_pixels,
    )
    redis = providers.Singleton(_redis, settings)
    rate_limiter = providers.Singleton(_rate_limiter, redis)
    health_checks = providers.Singleton(_health_checks, engine, redis)
    check_readiness = providers.Singleton(CheckReadiness, checks=health_checks)

    # Accounts
    register_user = providers.Singleton(
        accounts.RegisterUser, uow=unit_of_work.provider, hasher=password_hasher, tokens=tokens, clock=clock,
    )
    log_in = providers.Singleton(
        accounts.LogIn, uow=unit_of_work.provider, hasher=password_hasher, tokens=tokens, clock=clock,
        audit=audit_log,
    )
    refresh_access_token = providers.Singleton(
        accounts.RefreshAccessToken, uow=unit_of_work.provider, tokens=tokens, clock=clock, audit=audit_log,
        rotate=settings.provided.rotate_refresh_tokens,
    )
    log_out = providers.Singleton(accounts.LogOut, uow=unit_of_work.provider, tokens=tokens, clock=clock,
                                  audit=audit_log)
    change_password = providers.Singleton(accounts.ChangePassword, uow=unit_of_work.provider, hasher=password_hasher,
                                          audit=audit_log)
    deactivate_user = providers.Singleton(accounts.DeactivateUser, uow=unit_of_work.provider, audit=audit_log)
    create_superuser = providers.Singleton(
        accounts.CreateSuperuser, uow=unit_of_work.provider, hasher=password_hasher, clock=clock,
    )
    identify_actor = providers.Singleton(accounts.IdentifyActor, reads=read_side, tokens=tokens)
    actor_of_user = providers.Singleton(accounts.ActorOfUser, reads=read_side)

    # Profiles
    _profile_deps = {"uow": unit_of_work.provider, "clock": clock, "images": images, "audit": audit_log}
    list_profiles = providers.Singleton(profiles.ListProfiles, reads=read_side, audit=audit_log)
    get_profile = providers.Singleton(profiles.GetProfile, reads=read_side, audit=audit_log)
    get_my_profile = providers.Singleton(profiles.GetMyProfile, reads=read_side, audit=audit_log)
    create_profile = providers.Singleton(profiles.CreateProfile, **_profile_deps)
    update_profile = providers.Singleton(profiles.UpdateProfile, **_profile_deps)
    delete_profile = providers.Singleton(profiles.DeleteProfile, **_profile_deps)

    # Reviews
    _review_deps = {"uow": unit_of_work.provider, "clock": clock, "audit": audit_log}
    list_reviews = providers.Singleton(ListReviews, reads=read_side, audit=audit_log)
    get_review = providers.Singleton(GetReview, reads=read_side, audit=audit_log)
    create_review = providers.Singleton(CreateReview, **_review_deps)
    update_review = providers.Singleton(UpdateReview, **_review_deps)
    delete_review = providers.Singleton(DeleteReview, **_review_deps)
    # Patients
    _patient_deps = {"uow": unit_of_work.provider, "images": images, "audit": audit_log}
    list_patients = providers.Singleton(patient_cases.ListPatients, reads=read_side, audit=audit_log)
    get_patient = providers.Singleton(patient_cases.GetPatient, reads=read_side, audit=audit_log)
    create_patient = providers.Singleton(patient_cases.CreatePatient, **_patient_deps)
    update_patient = providers.Singleton(patient_cases.UpdatePatient, **_patient_deps)
    delete_patient = providers.Singleton(patient_cases.DeletePatient, **_patient_deps)

    # Appointments
    _appointment_deps = {"uow": unit_of_work.provider, "audit": audit_log, "clock": clock}
    list_appointments = providers.Singleton(appointment_cases.ListAppointments, reads=read_side, audit=audit_log)
    get_appointment = providers.Singleton(appointment_cases.GetAppointment, reads=read_side, audit=audit_log)
    book_appointment = providers.Singleton(appointment_cases.BookAppointment, **_appointment_deps)
    change_appointment = providers.Singleton(appointment_cases.ChangeAppointment, **_appointment_deps)
    delete_appointment = providers.Singleton(appointment_cases.DeleteAppointment, **_appointment_deps)

    # Dated scheduling (SCHEDULING.md)
    _scheduling_deps = {"uow": unit_of_work.provider, "clock": clock,
                        "default_timezone": settings.provided.default_timezone}
    _dated_deps = {**_scheduling_deps, "audit": audit_log}
    _schedule_reads = {"reads": read_side, "clock": clock, "default_timezone": settings.provided.default_timezone}
    get_schedule = providers.Singleton(schedule_cases.GetSchedule, **_schedule_reads)
    set_schedule = providers.Singleton(schedule_cases.SetSchedule, **_scheduling_deps)
    list_schedule_exceptions = providers.Singleton(schedule_cases.ListScheduleExceptions, **_schedule_reads)
    add_schedule_exception = providers.Singleton(schedule_cases.AddScheduleException, **_scheduling_deps)
    delete_schedule_exception = providers.Singleton(schedule_cases.DeleteScheduleException, **_scheduling_deps)
    list_slots = providers.Singleton(schedule_cases.ListSlots, **_schedule_reads)
    book_slot = providers.Singleton(dated_cases.BookSlot, **_dated_deps)
    move_appointment_status = providers.Singleton(dated_cases.MoveAppointmentStatus, **_dated_deps)
    cancel_appointment = providers.Singleton(dated_cases.CancelAppointment, **_dated_deps)
    reschedule_appointment = providers.Singleton(dated_cases.RescheduleAppointment, **_dated_deps)
    idempotency_outcomes = providers.Singleton(idempotency.IdempotencyOutcomes, uow=unit_of_work.provider, clock=clock)

    # Designations and specialisations: one use case class per action, one instance per kind
    _designations = {"uow": unit_of_work.provider, "kind": taxonomy.DESIGNATIONS}
    list_designations = providers.Singleton(taxonomy.ListTaxa, reads=read_side, kind=taxonomy.DESIGNATIONS)
    get_designation = providers.Singleton(taxonomy.GetTaxon, reads=read_side, kind=taxonomy.DESIGNATIONS)
    create_designation = providers.Singleton(taxonomy.CreateTaxon, **_designations)
    update_designation = providers.Singleton(taxonomy.UpdateTaxon, **_designations)
    delete_designation = providers.Singleton(taxonomy.DeleteTaxon, **_designations)
    _specialisations = {"uow": unit_of_work.provider, "kind": taxonomy.SPECIALISATIONS}
    list_specialisations = providers.Singleton(taxonomy.ListTaxa, reads=read_side, kind=taxonomy.SPECIALISATIONS)
    get_specialisation = providers.Singleton(taxonomy.GetTaxon, reads=read_side, kind=taxonomy.SPECIALISATIONS)
    create_specialisation = providers.Singleton(taxonomy.CreateTaxon, **_specialisations)
    update_specialisation = providers.Singleton(taxonomy.UpdateTaxon, **_specialisations)
    delete_specialisation = providers.Singleton(taxonomy.DeleteTaxon, **_specialisations)

    # Available times
    list_available_times = providers.Singleton(available_times.ListAvailableTimes, reads=read_side)
    get_available_time = providers.Singleton(available_times.GetAvailableTime, reads=read_side)
    create_available_time = providers.Singleton(available_times.CreateAvailableTime, uow=unit_of_work.provider)
    update_available_time = providers.Singleton(available_times.UpdateAvailableTime, uow=unit_of_work.provider)
    delete_available_time = providers.Singleton(available_times.DeleteAvailableTime, uow=unit_of_work.provider)

    # Doctors
    _doctor_deps = {"uow": unit_of_work.provider, "images": images}
    list_doctors = providers.Singleton(doctors.ListDoctors, reads=read_side)
    get_doctor = providers.Singleton(doctors.GetDoctor, reads=read_side)
    doctor_views_version = providers.Singleton(doctors.DoctorViewsVersion, reads=read_side)
    create_doctor = providers.Singleton(doctors.CreateDoctor, **_doctor_deps)
    update_doctor = providers.Singleton(doctors.UpdateDoctor, **_doctor_deps)
    delete_doctor = providers.Singleton(doctors.DeleteDoctor, **_doctor_deps)

    # Medical services (the hospital's catalogue)
    _service_deps = {"uow": unit_of_work.provider, "images": images}
    list_medical_services = providers.Singleton(medical_services.ListMedicalServices, reads=read_side)
    get_medical_service = providers.Singleton(medical_services.GetMedicalService, reads=read_side)
    create_medical_service = providers.Singleton(medical_services.CreateMedicalService, **_service_deps)
    update_medical_service = providers.Singleton(medical_services.UpdateMedicalService, **_service_deps)
    delete_medical_service = providers.Singleton(medical_services.DeleteMedicalService, **_service_deps)

    # Contacts
    _contact_deps = {"uow": unit_of_work.provider, "audit": audit_log}
    submit_contact = providers.Singleton(contacts.SubmitContact, **_contact_deps)
    list_contacts = providers.Singleton(contacts.ListContacts, reads=read_side, audit=audit_log)
    get_contact = providers.Singleton(contacts.GetContact, reads=read_side, audit=audit_log)
    update_contact = providers.Singleton(contacts.UpdateContact, **_contact_deps)
    delete_contact = providers.Singleton(contacts.DeleteContact, **_contact_deps)


def build_container(settings: Settings | None = None) -> Container:
    """Every use case wired to the database of ``settings`` (SQLite or PostgreSQL).

    Without ``settings``, they are read from the HOSPITAL_* environment variables. Call
    ``shutdown(container)`` when done. The database must be migrated (``migrate``).
    """
    container = Container(settings=settings or Settings.from_env())
    start_mappers()
    return container


def migrate(settings: Settings, revision: str = "head") -> None:
    """Bring the database of ``settings`` to ``revision`` (the latest by default), as `hospital migrate` does.

    Safe to run at any time and from several processes at once: an up-to-date database is left as it is.
    """
    upgrade(settings.database_url, revision)


async def actor_for(container: Container, user_id: int) -> Actor:
    """The ``Actor`` that the active user ``user_id`` is to the use cases (what their access token gives).

    Raises ``hospital.domain.errors.NotFoundError`` when no active user has that id.
    """
    return await container.actor_of_user()(user_id)


def configuration_problem(settings: Settings) -> str | None:
    """A database or Redis URL that cannot work whatever runs behind it, in one line; None when both can."""
    from hospital.adapters.sqlalchemy.database_checks import url_problem

    problem = url_problem(settings.database_url)
    if problem or not settings.redis_url:
        return problem
    # redis-py only where Redis is configured: importing it costs a worker 6 MB (16 MB where its
    # modules have no bytecode yet), kept for the worker's whole life.
    from hospital.adapters.redis.checks import redis_url_problem

    return redis_url_problem(settings.redis_url)


async def service_problem(settings: Settings, *, needs_schema: bool = True) -> str | None:
    """Why the database (migrated, unless ``needs_schema`` is false) or Redis cannot be used now, or None."""
    from hospital.adapters.sqlalchemy.database_checks import connection_problem

    problem = await connection_problem(settings.database_url, head_revisions, needs_schema=needs_schema)
    if problem or not settings.redis_url:
        return problem
    from hospital.adapters.redis.checks import redis_connection_problem  # as configuration_problem

    return await redis_connection_problem(settings.redis_url)


def in_memory_container(settings: Settings | None = None) -> Container:
    """Everything in process: no database, no files, a fast (insecure) password hasher."""
    settings = settings or Settings(environment="test").checked()
    container = Container(settings=settings)
    database = InMemoryDatabase()
    container.unit_of_work.override(providers.Factory(InMemoryUnitOfWork, db=database,
                                                      audit_lanes=container.audit_lanes, clock=container.clock))
    container.audit_events.override(providers.Singleton(InMemoryAuditEvents, database))
    container.read_side.override(providers.Singleton(InMemoryReadSide, database))
    container.password_hasher.override(providers.Singleton(FastInsecurePasswordHasher))
    container.images.override(providers.Singleton(InMemoryImageStorage))
    container.rate_limiter.override(providers.Singleton(InMemoryRateLimiter))
    container.health_checks.override(providers.Object([AlwaysHealthy("database")]))
    return container


async def shutdown(container: Container) -> None:
    """Write the queued audit events, then release the connection pools, the Redis connections and
    the hashing threads."""
    await container.audit_log().close()
    transactions = container.driver_transactions()
    if transactions is not None:
        await transactions.close()
    await container.engine().dispose()
    reader = container.direct_reader()
    if reader is not None:
        await reader.close()
    redis = container.redis()
    if redis is not None:
        await redis.aclose()
    close = getattr(container.password_hasher(), "close", None)
    if close is not None:
        close()


async def seed_demo_data(container: Container, *, doctors: int, patients: int, appointments: int, reviews: int,
                         password: str, bulk_appointments: int = 0, bulk_doctor: int | None = None,
                         bulk_skip_doctor: int | None = None) -> str:
    """Bulk demo rows (adapters/sqlalchemy/demo_data.py); every account's password is ``password``."""
    from hospital.adapters.sqlalchemy import demo_data

    engine = container.engine()
    lines = []
    if doctors or patients or appointments or reviews:
        counts = await demo_data.seed_demo(
            engine, doctors=doctors, patients_count=patients, appointments_count=appointments,
            reviews_count=reviews, password_hash=await container.password_hasher().hash(password),
        )
        lines.append(f"seeded {counts.doctors} doctors, {counts.patients} patient records, "
                     f"{counts.appointments} appointments, {counts.reviews} reviews")
    if bulk_appointments:
        await demo_data.bulk_appointments(engine, bulk_appointments, only_doctor_id=bulk_doctor,
                                          skip_doctor_id=bulk_skip_doctor)
        lines.append(f"added {bulk_appointments} appointments in bulk")
    return "\n".join(lines)
