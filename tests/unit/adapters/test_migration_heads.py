"""The migrations' heads as the start-up check and the readiness probe read them, without Alembic:
the same revisions Alembic's ScriptDirectory finds, for this repository's scripts and for a history
that branches and merges."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from hospital.adapters.sqlalchemy.migration_scripts import head_revisions, migrations_folder


def _alembic_heads(folder: Path) -> frozenset[str]:
    return frozenset(ScriptDirectory(str(folder)).get_heads())


def _script(folder: Path, name: str, header: str) -> None:
    (folder / "versions" / f"{name}.py").write_text(f'"""{name}"""\n\n{header}\n\ndef upgrade():\n    pass\n')


def test_this_repositorys_heads_are_alembics() -> None:
    assert head_revisions() == _alembic_heads(migrations_folder())


def test_branches_and_merges_are_read_as_alembic_reads_them(tmp_path: Path) -> None:
    (tmp_path / "versions").mkdir()
    _script(tmp_path, "a", "revision = 'a'\ndown_revision = None")
    _script(tmp_path, "b", "revision: str = 'b'\ndown_revision: str | None = 'a'")
    _script(tmp_path, "c", 'revision = "c"\ndown_revision = "a"\nbranch_labels = None')
    _script(tmp_path, "d", "revision = 'd'\ndown_revision = ('b', 'c')")  # a merge of both branches
    _script(tmp_path, "e", "revision = 'e'\ndown_revision = 'd'")
    _script(tmp_path, "f", "revision = 'f'\ndown_revision = 'd'")  # two heads again
    assert head_revisions(tmp_path) == _alembic_heads(tmp_path) == {"e", "f"}
