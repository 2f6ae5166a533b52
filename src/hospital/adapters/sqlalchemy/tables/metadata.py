from sqlalchemy import Column, Integer, MetaData

# Named constraints, so migrations can drop and alter them the same way on every database.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def version_column() -> Column[int]:
    """The version of a row whose record the use cases change: 1 when inserted, moved by every UPDATE,
    and checked by every UPDATE and DELETE (``version_id_col`` in mapping.py), so a write made from
    a stale read changes nothing and fails instead (application/retry.py)."""
    return Column("version", Integer, nullable=False, server_default="1")
