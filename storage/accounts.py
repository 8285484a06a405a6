"""The accounts of the web application, as rows: who may log in, with which
role. Passwords arrive here already hashed (`bilan/web/auth.py` hashes
them): storage keeps the hash and never sees a password."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, select, update

from bilan.errors import BadInput
from bilan.storage.db import insert_into, transaction
from bilan.storage.models import Account

VIEWER, EDITOR, ADMIN = "viewer", "editor", "admin"
#: Each role can do what the ones before it can.
ROLES = (VIEWER, EDITOR, ADMIN)
#: What an account name may be: it shows in pages and in corrections' authors.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class AccountRow:
    id: int
    name: str
    role: str
    password_hash: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    def can(self, role: str) -> bool:
        """Whether this account has `role` or a higher one."""
        return ROLES.index(self.role) >= ROLES.index(role)


def checked_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise BadInput(
            f"account name {name!r} is not allowed: 1 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def checked_role(role: str) -> str:
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def _row(account: Account | None) -> AccountRow | None:
    if account is None:
        return None
    return AccountRow(account.id, account.name, account.role, account.password_hash, account.created_at,
                      account.updated_at)  # fmt: skip


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def save_account(engine: Engine, name: str, role: str, password_hash: str | None) -> AccountRow:
    """Create the account, or give an existing one this role and password
    (an upsert on the name: running `bilan user add` twice is safe)."""
    checked_name(name), checked_role(role)
    now = _now()
    with transaction(engine) as session:
        statement = insert_into(engine, Account).values(
            name=name, role=role, password_hash=password_hash, created_at=now, updated_at=now
        )
        session.execute(statement.on_conflict_do_update(
            index_elements=["name"], set_={"role": role, "password_hash": password_hash, "updated_at": now},
        ))  # fmt: skip
        return _row(session.scalar(select(Account).where(Account.name == name)))


def set_role(engine: Engine, name: str, role: str) -> bool:
    checked_role(role)
    with transaction(engine) as session:
        result = session.execute(update(Account).where(Account.name == name).values(role=role, updated_at=_now()))
        return result.rowcount > 0


def set_password_hash(engine: Engine, name: str, password_hash: str | None) -> bool:
    with transaction(engine) as session:
        result = session.execute(
            update(Account).where(Account.name == name).values(password_hash=password_hash, updated_at=_now())
        )
        return result.rowcount > 0


def remove_account(engine: Engine, name: str) -> bool:
    with transaction(engine) as session:
        return session.execute(delete(Account).where(Account.name == name)).rowcount > 0


def find_account(connection: Connection, name: str) -> AccountRow | None:
    row = connection.execute(select(Account.__table__).where(Account.name == name)).first()
    return AccountRow(**row._mapping) if row is not None else None


def account_by_id(connection: Connection, account_id: int) -> AccountRow | None:
    row = connection.execute(select(Account.__table__).where(Account.id == account_id)).first()
    return AccountRow(**row._mapping) if row is not None else None


def list_accounts(connection: Connection) -> list[AccountRow]:
    rows = connection.execute(select(Account.__table__).order_by(Account.name))
    return [AccountRow(**row._mapping) for row in rows]
