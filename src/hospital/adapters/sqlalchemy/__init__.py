"""SQLAlchemy 2 (async) adapters: tables, imperative mapping, repositories, unit of work."""
