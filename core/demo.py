"""The demo world's ground floor: geography and the superuser.

`seed_demo` calls ``seed(context)`` in each app's ``demo`` module, in the order of
INSTALLED_APPS, which follows the layer stack: an app's demo data may rely on what the
apps below it seeded, never the other way round.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.auth import get_user_model
from django.db.models import Model

from core.services import regencies_import, regency_csv_read

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AbstractUser

M = TypeVar("M", bound=Model)

REGENCY_CSV = Path(__file__).resolve().parent / "data" / "regencies.csv"


@dataclass
class DemoContext:
    password: str
    password_generated: bool
    reset_passwords: bool = False
    log: list[str] = field(default_factory=list)
    accounts_created: list[str] = field(default_factory=list)
    # Keys and secrets shown once: printed last, together, after everything else.
    secrets: list[str] = field(default_factory=list)
    # Months in which this run created demo payments: the fee ledger to compute.
    periods_paid: set[str] = field(default_factory=set)

    @classmethod
    def with_password(cls, password: str | None, *, reset: bool = False) -> DemoContext:
        if password:
            return cls(password=password, password_generated=False, reset_passwords=reset)
        return cls(password=secrets.token_urlsafe(12), password_generated=True)

    def note(self, line: str) -> None:
        self.log.append(line)

    def secret(self, line: str) -> None:
        self.secrets.append(line)


def demo_ensure(*, model: type[M], lookup: Mapping[str, Any], data: Mapping[str, Any]) -> M:
    """The demo row found by ``lookup``, created with ``data`` if it is missing. An
    existing row is left as it is, whatever the user has made of it since."""
    instance = model._default_manager.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **data)
        instance.full_clean()
        instance.save()
    return instance


def demo_user_ensure(
    context: DemoContext, *, username: str, is_staff: bool = False, is_superuser: bool = False
) -> AbstractUser:
    """A demo account with the context's password. An existing account keeps its
    password (and whatever else the user changed) unless `--reset-passwords` is given
    with `--password`, so a second run writes nothing."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model(username=username, is_staff=is_staff, is_superuser=is_superuser)
        user.set_password(context.password)
        user.full_clean()
        user.save()
        context.accounts_created.append(username)
        return user
    demo_password_sync(context, user)
    return user


def demo_password_sync(context: DemoContext, user: AbstractBaseUser) -> None:
    """With `--reset-passwords`, gives an existing demo account the password named by
    `--password`, if it has another one; otherwise, and for a generated password, an
    existing account keeps its own."""
    if context.reset_passwords and not user.check_password(context.password):
        user.set_password(context.password)
        user.save(update_fields=["password"])
        context.note(f"password of {user.get_username()} reset to the one given")


def seed(context: DemoContext) -> None:
    with REGENCY_CSV.open(encoding="utf-8", newline="") as stream:
        report = regencies_import(rows=regency_csv_read(stream))
    context.note(
        f"regencies: {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged"
    )
    demo_user_ensure(context, username="admin", is_staff=True, is_superuser=True)
