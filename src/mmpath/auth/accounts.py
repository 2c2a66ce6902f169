"""Local accounts, roles, sessions and personal API tokens, in the mmpath database.

Passwords are hashed with Argon2id (``argon2-cffi``'s ``PasswordHasher`` defaults: RFC 9106
"second recommended option", 64 MiB, 3 passes); the hash string carries its parameters,
so they can be raised later (``needs_rehash``). Session ids and API tokens are 256-bit
random values (``secrets``); only their SHA-256 is stored, so a copy of the database does
not let anyone sign in. Roles (docs/security.md):

* ``viewer``: read saved patients and pages;
* ``clinician``: also evaluate, save, delete, decide;
* ``admin``: also users, the audit trail and its export.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from mmpath.store import Store, StoreError
from mmpath.store import tables as T

ROLES: Final = ("viewer", "clinician", "admin")
RANK: Final = {role: i for i, role in enumerate(ROLES)}
#: Signed-in sessions end after this long without a request, and at most after MAX_AGE.
IDLE: Final = dt.timedelta(hours=8)
MAX_AGE: Final = dt.timedelta(hours=24)
MIN_PASSWORD: Final = 12
TOKEN_PREFIX: Final = "mmp_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$")
_hasher = PasswordHasher()
#: Verified against when the user does not exist, so that timing does not tell names apart.
_DUMMY = _hasher.hash("not a password of anyone")


def use_hasher(hasher: PasswordHasher) -> None:
    """Replace the password hasher (the test suite uses cheap parameters; never in service)."""
    global _hasher, _DUMMY
    _hasher = hasher
    _DUMMY = hasher.hash("not a password of anyone")


class AccountError(ValueError):
    """A request about accounts that cannot be done (the message says why)."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: str
    disabled: bool
    display: str | None = None

    def can(self, role: str) -> bool:
        """Whether this user holds ``role`` or a higher one."""
        return not self.disabled and RANK[self.role] >= RANK[role]


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str
    expires_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _fail(what: str, error: SQLAlchemyError) -> StoreError:
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return StoreError(f"database error while {what}: {text[0] if text else type(error).__name__}")


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise AccountError(
            "a user name is 1-100 letters, digits or . _ @ - (starting with a letter or digit)"
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password has at least {MIN_PASSWORD} characters")
    if len(password) > 1000:
        raise AccountError("a password has at most 1000 characters")
    return password


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"unknown role {role[:40]!r}; expected one of {', '.join(ROLES)}")
    return role


def _user(row: object) -> User:
    r = row._mapping  # type: ignore[attr-defined]
    return User(int(r["id"]), r["name"], r["role"], bool(r["disabled"]), r["display"])


# ------------------------------------------------------------------ users


def count_users(store: Store) -> int:
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(T.users)).scalar_one())
    except SQLAlchemyError as error:
        raise _fail("counting users", error) from None


def add_user(
    store: Store,
    name: str,
    role: str,
    password: str | None,
    *,
    display: str | None = None,
    oidc_subject: str | None = None,
) -> User:
    """Create a user (``password`` None: sign-in through OpenID Connect only)."""
    check_name(name)
    check_role(role)
    hashed = _hasher.hash(check_password(password)) if password is not None else None
    values = {
        "name": name,
        "display": display,
        "role": role,
        "password_hash": hashed,
        "oidc_subject": oidc_subject,
        "disabled": False,
        "created_at": _now(),
    }
    try:
        with store.engine.begin() as conn:
            conn.execute(insert(T.users).values(**values))
    except IntegrityError:
        raise AccountError(f"a user named {name} exists already") from None
    except SQLAlchemyError as error:
        raise _fail("adding the user", error) from None
    found = get_user(store, name)
    assert found is not None
    return found


def get_user(store: Store, name: str) -> User | None:
    try:
        with store.engine.connect() as conn:
            row = conn.execute(select(T.users).where(T.users.c.name == name)).first()
    except SQLAlchemyError as error:
        raise _fail("reading the user", error) from None
    return None if row is None else _user(row)


def list_users(store: Store) -> list[User]:
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(select(T.users).order_by(T.users.c.name)).all()
    except SQLAlchemyError as error:
        raise _fail("listing users", error) from None
    return [_user(r) for r in rows]


def _change(store: Store, name: str, **values: object) -> None:
    try:
        with store.engine.begin() as conn:
            done = conn.execute(update(T.users).where(T.users.c.name == name).values(**values))
    except SQLAlchemyError as error:
        raise _fail("changing the user", error) from None
    if done.rowcount != 1:
        raise AccountError(f"no user named {name[:100]}")


def set_password(store: Store, name: str, password: str) -> None:
    _change(store, name, password_hash=_hasher.hash(check_password(password)))
    end_sessions(store, name)


def set_role(store: Store, name: str, role: str) -> None:
    _change(store, name, role=check_role(role))


def set_disabled(store: Store, name: str, disabled: bool = True) -> None:
    """Disable (or enable again) a user; disabling ends their sessions and API tokens."""
    _change(store, name, disabled=disabled)
    if disabled:
        end_sessions(store, name)


def authenticate(store: Store, name: str, password: str) -> User | None:
    """The user when ``password`` is theirs and they are enabled; else None (same timing)."""
    try:
        with store.engine.connect() as conn:
            row = conn.execute(select(T.users).where(T.users.c.name == name[:100])).first()
    except SQLAlchemyError as error:
        raise _fail("reading the user", error) from None
    stored = row._mapping["password_hash"] if row is not None else None
    try:
        _hasher.verify(stored or _DUMMY, password[:1000])
    except (VerificationError, InvalidHashError):
        return None
    if row is None or stored is None:
        return None
    user = _user(row)
    if user.disabled:
        return None
    if _hasher.check_needs_rehash(stored):
        _change(store, user.name, password_hash=_hasher.hash(password))
    return user


def find_oidc_user(store: Store, subject: str) -> User | None:
    try:
        with store.engine.connect() as conn:
            row = conn.execute(select(T.users).where(T.users.c.oidc_subject == subject)).first()
    except SQLAlchemyError as error:
        raise _fail("reading the user", error) from None
    return None if row is None else _user(row)


# ------------------------------------------------------------------ sessions


def start_session(store: Store, user: User) -> tuple[str, Session]:
    """A new session for ``user``: (the secret for the cookie, the session)."""
    secret = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = _now()
    expires = now + MAX_AGE
    try:
        with store.engine.begin() as conn:
            conn.execute(delete(T.sessions).where(T.sessions.c.expires_at < now))
            conn.execute(
                insert(T.sessions).values(
                    token_hash=secret_hash(secret),
                    user_id=user.id,
                    csrf=csrf,
                    created_at=now,
                    last_seen=now,
                    expires_at=expires,
                )
            )
    except SQLAlchemyError as error:
        raise _fail("starting the session", error) from None
    return secret, Session(user, csrf, expires)


def session_of(store: Store, secret: str) -> Session | None:
    """The live session whose cookie is ``secret`` (refreshing its idle time), or None."""
    if not secret or len(secret) > 100:
        return None
    now = _now()
    key = secret_hash(secret)
    query = (
        select(T.sessions, T.users)
        .join(T.users, T.users.c.id == T.sessions.c.user_id)
        .where(T.sessions.c.token_hash == key)
    )
    try:
        with store.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        r = row._mapping
        if _utc(r["expires_at"]) < now or _utc(r["last_seen"]) + IDLE < now or r["disabled"]:
            return None
        if now - _utc(r["last_seen"]) > dt.timedelta(minutes=5):  # refresh, not on every hit
            with store.engine.begin() as conn:
                conn.execute(
                    update(T.sessions).where(T.sessions.c.token_hash == key).values(last_seen=now)
                )
    except SQLAlchemyError as error:
        raise _fail("reading the session", error) from None
    user = User(int(r["user_id"]), r["name"], r["role"], bool(r["disabled"]), r["display"])
    return Session(user, r["csrf"], _utc(r["expires_at"]))


def end_session(store: Store, secret: str) -> None:
    try:
        with store.engine.begin() as conn:
            conn.execute(delete(T.sessions).where(T.sessions.c.token_hash == secret_hash(secret)))
    except SQLAlchemyError as error:
        raise _fail("ending the session", error) from None


def end_sessions(store: Store, name: str) -> None:
    """End every session of user ``name`` (password changed, user disabled)."""
    users = select(T.users.c.id).where(T.users.c.name == name).scalar_subquery()
    try:
        with store.engine.begin() as conn:
            conn.execute(delete(T.sessions).where(T.sessions.c.user_id == users))
    except SQLAlchemyError as error:
        raise _fail("ending sessions", error) from None


# ------------------------------------------------------------------ API tokens


def create_token(store: Store, name: str, label: str) -> str:
    """A new personal API token for user ``name``; the token is shown once, only its hash
    is stored. Use it as ``Authorization: Bearer <token>``."""
    user = get_user(store, name)
    if user is None:
        raise AccountError(f"no user named {name[:100]}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with store.engine.begin() as conn:
            conn.execute(
                insert(T.api_tokens).values(
                    user_id=user.id,
                    label=label[:100],
                    token_hash=secret_hash(token),
                    created_at=_now(),
                    revoked_at=None,
                )
            )
    except SQLAlchemyError as error:
        raise _fail("creating the API token", error) from None
    return token


def list_tokens(store: Store, name: str) -> list[dict[str, object]]:
    query = (
        select(T.api_tokens)
        .join(T.users, T.users.c.id == T.api_tokens.c.user_id)
        .where(T.users.c.name == name)
        .order_by(T.api_tokens.c.id)
    )
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
    except SQLAlchemyError as error:
        raise _fail("listing API tokens", error) from None
    return [
        {
            "id": r["id"],
            "label": r["label"],
            "created_at": _utc(r["created_at"]).isoformat(),
            "revoked": r["revoked_at"] is not None,
        }
        for r in rows
    ]


def revoke_token(store: Store, name: str, token_id: int) -> None:
    users = select(T.users.c.id).where(T.users.c.name == name).scalar_subquery()
    query = (
        update(T.api_tokens)
        .where(T.api_tokens.c.id == token_id, T.api_tokens.c.user_id == users)
        .values(revoked_at=_now())
    )
    try:
        with store.engine.begin() as conn:
            done = conn.execute(query)
    except SQLAlchemyError as error:
        raise _fail("revoking the API token", error) from None
    if done.rowcount != 1:
        raise AccountError(f"user {name[:100]} has no API token {token_id}")


def token_user(store: Store, token: str) -> User | None:
    """The enabled user holding the unrevoked API token ``token``, or None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    query = (
        select(T.users)
        .join(T.api_tokens, T.users.c.id == T.api_tokens.c.user_id)
        .where(
            T.api_tokens.c.token_hash == secret_hash(token),
            T.api_tokens.c.revoked_at.is_(None),
        )
    )
    try:
        with store.engine.connect() as conn:
            row = conn.execute(query).first()
    except SQLAlchemyError as error:
        raise _fail("reading the API token", error) from None
    if row is None:
        return None
    user = _user(row)
    return None if user.disabled else user
