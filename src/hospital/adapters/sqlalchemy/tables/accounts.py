"""users, user_profiles, patients, revoked_tokens."""

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    func,
)

from hospital.adapters.sqlalchemy.tables.metadata import metadata, version_column
from hospital.adapters.sqlalchemy.types import UtcDateTime

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("email", String(254), nullable=False, server_default=""),
    Column("first_name", String(150), nullable=False, server_default=""),
    Column("last_name", String(150), nullable=False, server_default=""),
    Column("password_hash", String(255), nullable=False),
    Column("is_staff", Boolean, nullable=False, server_default="0"),
    Column("is_active", Boolean, nullable=False, server_default="1"),
    Column("date_joined", UtcDateTime, nullable=False),
    Column("last_login", UtcDateTime, nullable=True),
    Column("token_version", Integer, nullable=False, server_default="0"),
    version_column(),
)
# Usernames are unique ignoring case, as the login lookup is.
Index("uq_users_username_lower", func.lower(users.c.username), unique=True)

user_profiles = Table(
    "user_profiles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("bio", Text, nullable=False, server_default=""),
    Column("address", String(255), nullable=False, server_default=""),
    Column("date_of_birth", Date, nullable=True),
    Column("profile_picture", String(255), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    version_column(),
)

patients = Table(
    "patients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("phone", String(12), nullable=True, unique=True),
    Column("profile", String(255), nullable=True),
    version_column(),
)

revoked_tokens = Table(
    "revoked_tokens",
    metadata,
    Column("jti", String(64), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
    Column("revoked_at", UtcDateTime, nullable=False),
)
