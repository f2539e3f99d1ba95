"""Reviewer accounts: who may read, who may decide, and who signed in.

Accounts live in the workspace database (`accounts`), with argon2id password hashes (argon2-cffi); the password
itself is never stored, logged or put in an error message. Roles (`Role`): `viewer` reads and exports,
`reviewer` also records decisions, `admin` too (and is who runs `crosswalk users`).

Signing in (`Accounts.sign_in`) returns a session token; the database keeps only its SHA-256 and an expiry
(`SESSION_HOURS`, 8 h by default, `CROSSWALK_SESSION_HOURS` to change), so a session ends on time even if the
browser stays open, and disabling an account ends its sessions at once.

Failed sign-ins are counted per account and per client address in `signin_failures` (in the database, so a
restart or a second app process does not reset them). From the `FREE_ATTEMPTS`-th failure in a row on, that
key is locked for `LOCK_SECONDS` × 2^(failures − FREE_ATTEMPTS) seconds (30 s, 60 s, … up to 15 min): every
attempt during the lock is refused unchecked, even with the right password, and says how long to wait. A
successful sign-in clears the counts of its account and address; a failure an hour or more after the previous
one starts a new count.

Example: token = Accounts(ws.database).sign_in("ana", password, client="10.0.0.7"); Accounts(...).session(token)
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Callable

from crosswalk.errors import ConfigError, CrosswalkError, NotFoundError
from crosswalk.vocab import parse_member
from crosswalk.schema import Connected

FREE_ATTEMPTS = 5
LOCK_SECONDS = 30
MAX_LOCK_SECONDS = 15 * 60
FORGET_SECONDS = 60 * 60  # failures further apart than this do not count as "in a row"
SESSION_HOURS = 8.0
MIN_PASSWORD = 10
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class Role(str, Enum):
    """What an account may do: ``viewer`` reads and exports; ``reviewer`` also decides; ``admin`` also decides
    (and manages accounts from the command line)."""

    VIEWER = "viewer"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def can_decide(self) -> bool:
        return self is not Role.VIEWER

    @classmethod
    def parse(cls, value: str) -> "Role":
        return parse_member(cls, value, "role")


class SignInError(CrosswalkError):
    """A sign-in refused: wrong name or password, a disabled account, or too many failures (`wait` seconds)."""

    def __init__(self, message: str, wait: int = 0):
        super().__init__(message)
        self.wait = wait


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    disabled: bool = False
    created_at: str = ""

    @property
    def can_decide(self) -> bool:
        return self.role.can_decide and not self.disabled


def session_hours() -> float:
    raw = os.environ.get("CROSSWALK_SESSION_HOURS", "")
    try:
        hours = float(raw) if raw.strip() else SESSION_HOURS
    except ValueError:
        raise ConfigError(f"CROSSWALK_SESSION_HOURS={raw!r} is not a number of hours (e.g. 8)") from None
    if not 0 < hours <= 24 * 30:
        raise ConfigError(f"CROSSWALK_SESSION_HOURS={raw!r} is out of range: use more than 0, up to 720")
    return hours


def _hasher():
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise ConfigError("accounts need argon2-cffi: pip install 'crosswalk[team]'") from None
    return PasswordHasher()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts(Connected):
    """The accounts, sessions and sign-in failures of one workspace database (a SQLite path or PostgreSQL URL).

    `clock` (seconds since the epoch) is for tests; the lock and expiry arithmetic uses it throughout.
    """

    _dummy_hash: str | None = None

    def __init__(self, target: Path | str, clock: Callable[[], float] = time.time):
        super().__init__(target)
        self.clock = clock

    # --- managing ---------------------------------------------------------------------------------------------

    def add(self, name: str, password: str, role: str | Role = Role.REVIEWER) -> Account:
        """Create an account; the password is hashed with argon2id and not kept."""
        name = (name or "").strip()
        if not NAME.fullmatch(name):
            raise ConfigError(f"account name {name!r} is not valid: 1 to 64 letters, digits, '.', '_', '@' or '-', "
                              "starting with a letter or digit")
        role = Role.parse(role) if not isinstance(role, Role) else role
        if len(password or "") < MIN_PASSWORD:
            raise ConfigError(f"the password is too short ({len(password or '')} characters): use at least "
                              f"{MIN_PASSWORD}")
        digest = _hasher().hash(password)
        created = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.conn.transaction() as c:
            if c.execute("SELECT 1 FROM accounts WHERE name=?", (name,)).fetchone():
                raise ConfigError(f"an account {name!r} exists already (crosswalk users list)")
            c.execute("INSERT INTO accounts(name, role, password_hash, disabled, created_at) VALUES (?,?,?,0,?)",
                      (name, role.value, digest, created))
        return Account(name, role, False, created)

    def list(self) -> list[Account]:
        rows = self.conn.execute("SELECT name, role, disabled, created_at FROM accounts ORDER BY name")
        return [Account(r[0], Role(r[1]), bool(r[2]), r[3]) for r in rows]

    def disable(self, name: str) -> Account:
        """Disable an account (kept, so its decisions still name it) and end its sessions."""
        with self.conn.transaction() as c:
            row = c.execute("SELECT name, role, created_at FROM accounts WHERE name=?", (name,)).fetchone()
            if row is None:
                raise NotFoundError(f"no account {name!r}: `crosswalk users list` shows them")
            c.execute("UPDATE accounts SET disabled=1 WHERE name=?", (name,))
            c.execute("DELETE FROM sessions WHERE account=?", (name,))
        return Account(row[0], Role(row[1]), True, row[2])

    def any_active(self) -> bool:
        """Whether sign-in is required: at least one account that is not disabled."""
        return self.conn.execute("SELECT 1 FROM accounts WHERE disabled=0 LIMIT 1").fetchone() is not None

    def exist(self) -> bool:
        """Whether any account was ever created (the app then asks everyone to sign in)."""
        return self.conn.execute("SELECT 1 FROM accounts LIMIT 1").fetchone() is not None

    # --- signing in -------------------------------------------------------------------------------------------

    def _wait(self, keys: list[str], now: float) -> int:
        args = ",".join("?" * len(keys))
        row = self.conn.execute(f"SELECT MAX(locked_until) FROM signin_failures WHERE key IN ({args})",
                                keys).fetchone()
        until = float(row[0] or 0) if row else 0.0
        return max(0, int(until - now + 0.999))

    def _fail(self, keys: list[str], now: float) -> int:
        """Count a failure on each key; the longest lock it starts, in seconds (0: none yet)."""
        longest = 0
        with self.conn.transaction() as c:
            for key in keys:
                row = c.execute("SELECT failures, last_at FROM signin_failures WHERE key=?", (key,)).fetchone()
                recent = row is not None and now - float(row[1]) < FORGET_SECONDS
                failures = (int(row[0]) if recent else 0) + 1
                lock = 0
                if failures >= FREE_ATTEMPTS:
                    lock = min(MAX_LOCK_SECONDS, LOCK_SECONDS * 2 ** (failures - FREE_ATTEMPTS))
                c.execute(
                    "INSERT INTO signin_failures(key, failures, last_at, locked_until) VALUES (?,?,?,?) "
                    "ON CONFLICT(key) DO UPDATE SET failures=excluded.failures, last_at=excluded.last_at, "
                    "locked_until=excluded.locked_until", (key, failures, now, now + lock))
                longest = max(longest, lock)
        return longest

    def sign_in(self, name: str, password: str, client: str = "") -> str:
        """A new session token for `name`, or SignInError (never saying whether the name exists)."""
        now = self.clock()
        name = (name or "").strip()
        keys = [f"account:{name.casefold()}"] + ([f"client:{client}"] if client else [])
        wait = self._wait(keys, now)
        if wait:
            raise SignInError(f"too many failed sign-ins: try again in {wait} s", wait)
        row = self.conn.execute("SELECT password_hash, disabled FROM accounts WHERE name=?", (name,)).fetchone()
        ok = self._verify(row[0] if row else None, password or "")
        if not ok or row is None or row[1]:
            lock = self._fail(keys, now)
            if lock:
                raise SignInError(f"wrong name or password; too many failed sign-ins: try again in {lock} s", lock)
            raise SignInError("wrong name or password (or the account is disabled)")
        token = secrets.token_urlsafe(32)
        with self.conn.transaction() as c:
            c.executemany("DELETE FROM signin_failures WHERE key=?", [(k,) for k in keys])
            c.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            c.execute("INSERT INTO sessions(token_hash, account, created_at, expires_at) VALUES (?,?,?,?)",
                      (_token_hash(token), name, now, now + session_hours() * 3600))
        return token

    def _verify(self, digest: str | None, password: str) -> bool:
        from argon2.exceptions import InvalidHashError, VerificationError

        hasher = _hasher()
        if digest is None:  # same work for an unknown name, so timing does not tell names apart
            if Accounts._dummy_hash is None:
                Accounts._dummy_hash = hasher.hash(secrets.token_hex(16))
            digest = Accounts._dummy_hash
            password = password + "\0"
        try:
            return hasher.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return False

    def session(self, token: str | None) -> Account | None:
        """The signed-in account for `token`, or None (unknown, expired, signed out, or account disabled)."""
        if not token:
            return None
        row = self.conn.execute(
            "SELECT a.name, a.role, a.disabled, a.created_at, s.expires_at FROM sessions s "
            "JOIN accounts a ON a.name = s.account WHERE s.token_hash=?", (_token_hash(token),)).fetchone()
        if row is None or row[2] or float(row[4]) <= self.clock():
            return None
        return Account(row[0], Role(row[1]), False, row[3])

    def sign_out(self, token: str | None) -> None:
        if token:
            with self.conn.transaction() as c:
                c.execute("DELETE FROM sessions WHERE token_hash=?", (_token_hash(token),))
