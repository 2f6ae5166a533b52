"""In-process adapters: no database, no files. For tests and for library users who want neither."""
