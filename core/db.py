"""Database-level guarantees that code alone cannot give."""

import hashlib
from typing import Any

from django.db import IntegrityError, connection

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION perisai_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
"""


def append_only(table: str) -> tuple[Any, Any]:
    """RunPython callables that make ``table`` append-only on PostgreSQL: a trigger
    refuses every UPDATE and DELETE, whatever code (or person at a psql prompt) tries.
    Other databases get nothing; the services never update or delete these rows."""
    trigger = f"{table}_append_only"

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(APPEND_ONLY_FUNCTION, params=None)
        schema_editor.execute(
            f"CREATE TRIGGER {trigger} BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION perisai_refuse_change()"
        )

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")

    return forward, backward


def grant_to_groups(groups: dict[str, list[tuple[str, str]]]) -> Any:
    """A RunPython callable that creates the named permission groups (if missing) and
    grants them (app_label, codename) permissions. Permissions are normally created
    after all migrations have run; these groups need them now, so they are created
    here first."""

    def forward(apps: Any, schema_editor: Any) -> None:
        from django.contrib.auth.management import create_permissions

        for app_config in apps.get_app_configs():
            app_config.models_module = True
            create_permissions(app_config, verbosity=0)
            app_config.models_module = None
        group_model = apps.get_model("auth", "Group")
        permission_model = apps.get_model("auth", "Permission")
        for name, permissions in groups.items():
            group, _ = group_model.objects.get_or_create(name=name)
            group.permissions.add(
                *[
                    permission_model.objects.get(content_type__app_label=app, codename=codename)
                    for app, codename in permissions
                ]
            )

    return forward


def advisory_key(name: str) -> int:
    """The 64-bit PostgreSQL advisory-lock key of ``name``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def advisory_xact_lock(name: str) -> None:
    """Serialises, until the end of the current transaction, every holder of ``name``
    (a PostgreSQL transaction-level advisory lock on ``advisory_key(name)``). SQLite
    serialises writers by itself."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [advisory_key(name)])


def violated_constraint(exc: IntegrityError) -> str | None:
    """The name of the constraint or unique index PostgreSQL refused the write for, as
    it reports it, or ``None`` when the database does not name it (SQLite). Callers
    compare it to their models' constraint names; error texts are never parsed."""
    diag = getattr(exc.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name if isinstance(name, str) else None
