"""Reviewer accounts on both backends: argon2 hashes only, roles, sessions that expire, sign-in failures
rate-limited in the database (a new connection, or a restarted app, sees the lock), `crosswalk users`, the
workbench recording the signed-in account, and `crosswalk app` refusing a network address without accounts.
"""

from __future__ import annotations

import logging

import pytest
from click.testing import CliRunner

from crosswalk.cli import main
from crosswalk.errors import ConfigError, NotFoundError
from index_corpus import make_store
from crosswalk.review.accounts import FREE_ATTEMPTS, Accounts, Role, SignInError

PASSWORD = "correct horse battery"


class Clock:
    def __init__(self, t: float = 1_800_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


@pytest.fixture()
def db(database):
    make_store(database).close()
    return database


def test_accounts_keep_only_argon2_hashes(db):
    with Accounts(db) as acc:
        acc.add("ana", PASSWORD, "reviewer")
        acc.add("vic", PASSWORD + "!", Role.VIEWER)
        assert [(a.name, a.role, a.disabled) for a in acc.list()] == [("ana", Role.REVIEWER, False),
                                                                      ("vic", Role.VIEWER, False)]
        rows = [tuple(r) for r in acc.conn.execute("SELECT * FROM accounts")]
        assert all(r[2].startswith("$argon2id$") for r in rows)
        assert not any(PASSWORD in str(v) for r in rows for v in r)
        with pytest.raises(ConfigError, match="exists already"):
            acc.add("ana", PASSWORD)
        with pytest.raises(ConfigError, match="too short") as e:
            acc.add("bo", "short")
        assert "short'" not in str(e.value)  # the password is never repeated back
        with pytest.raises(ConfigError, match="unknown role 'owner'"):
            acc.add("bo", PASSWORD, "owner")
        with pytest.raises(ConfigError, match="not valid"):
            acc.add("<b>x</b>", PASSWORD)


def test_sign_in_sessions_expire_and_disabling_ends_them(db):
    clock = Clock()
    with Accounts(db, clock=clock) as acc:
        acc.add("ana", PASSWORD)
        token = acc.sign_in("ana", PASSWORD, client="10.0.0.1")
        assert acc.session(token).name == "ana" and acc.session(token).can_decide
        assert acc.session("forged") is None
        clock.t += 8 * 3600 + 1  # past the default 8 hours
        assert acc.session(token) is None
        token = acc.sign_in("ana", PASSWORD)
        acc.sign_out(token)
        assert acc.session(token) is None
        token = acc.sign_in("ana", PASSWORD)
        acc.disable("ana")
        assert acc.session(token) is None
        with pytest.raises(SignInError, match="wrong name or password"):
            acc.sign_in("ana", PASSWORD)
        with pytest.raises(NotFoundError, match="no account 'zed'"):
            acc.disable("zed")


def test_five_wrong_passwords_lock_the_account_and_the_lock_is_in_the_database(db, caplog):
    clock = Clock()
    caplog.set_level(logging.DEBUG)
    with Accounts(db, clock=clock) as acc:
        acc.add("ana", PASSWORD)
        for i in range(FREE_ATTEMPTS - 1):
            with pytest.raises(SignInError) as e:
                acc.sign_in("ana", f"guess {i} wrong", client="10.0.0.9")
            assert e.value.wait == 0
        with pytest.raises(SignInError, match="try again in 30 s") as e:
            acc.sign_in("ana", "guess 5 wrong", client="10.0.0.9")
        assert e.value.wait == 30
    # a new connection (another app process, or a restart) sees the same lock: even the right password waits
    with Accounts(db, clock=clock) as again:
        clock.t += 10
        with pytest.raises(SignInError, match="try again in 20 s"):
            again.sign_in("ana", PASSWORD, client="10.0.0.2")
        with pytest.raises(SignInError, match="try again in 20 s"):  # the address is locked for every name
            again.sign_in("nobody", "whatever guess", client="10.0.0.9")
        clock.t += 21
        with pytest.raises(SignInError, match="try again in 60 s"):  # the next failure doubles the lock
            again.sign_in("ana", "guess 6 wrong", client="10.0.0.3")
        clock.t += 61
        assert again.session(again.sign_in("ana", PASSWORD, client="10.0.0.4")).name == "ana"
        # a success clears the account's count
        with pytest.raises(SignInError) as e:
            again.sign_in("ana", "one slip", client="10.0.0.5")
        assert e.value.wait == 0
    assert PASSWORD not in caplog.text and "guess" not in caplog.text


def test_users_commands(db, tmp_path, monkeypatch):
    if isinstance(db, str):
        monkeypatch.setenv("CROSSWALK_DATABASE_URL", db)
        ws = ["-w", str(tmp_path / "ws")]
    else:
        ws = ["-w", str(db.parent)]
    runner = CliRunner()
    added = runner.invoke(main, ["users", "add", "ana", "--role", "admin", *ws], input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "added admin 'ana'" in added.output and PASSWORD not in added.output
    short = runner.invoke(main, ["users", "add", "bo", *ws], input="tiny\n")
    assert short.exit_code == 1 and "too short" in short.output and short.output.count("\n") == 1
    runner.invoke(main, ["users", "add", "vic", "--role", "viewer", *ws], input=PASSWORD + "\n")
    listed = runner.invoke(main, ["users", "list", *ws]).output
    assert "ana" in listed and "admin" in listed and "vic" in listed and "viewer" in listed and "2 accounts" in listed
    assert runner.invoke(main, ["users", "disable", "vic", *ws]).exit_code == 0
    assert "disabled" in runner.invoke(main, ["users", "list", *ws]).output


def test_app_on_a_network_address_needs_an_account(db, tmp_path, monkeypatch):
    if isinstance(db, str):
        monkeypatch.setenv("CROSSWALK_DATABASE_URL", db)
        ws = ["-w", str(tmp_path / "ws")]
    else:
        ws = ["-w", str(db.parent)]
    result = CliRunner().invoke(main, ["app", "--host", "0.0.0.0", *ws])
    assert result.exit_code == 1
    assert "refusing to listen on 0.0.0.0 with no account" in result.output
    assert "crosswalk users add NAME" in result.output and result.output.count("\n") == 1


def test_workbench_records_the_signed_in_account_and_refuses_viewers(db, tmp_path):
    from crosswalk.workspace import Workspace
    from crosswalk.app_pages.workbench import Workbench

    ws = Workspace(tmp_path / "ws", db) if isinstance(db, str) else Workspace(db.parent)
    left, right = "US-T-ACT:sec.8", "UK-T-CASS:CASS_16.2.13R"
    wb = Workbench(ws)
    try:
        assert not wb.sign_in_required()
        assert wb.record(left, right, "equal", "typed name").reviewer == "typed name"  # no accounts: as before
        with Accounts(ws.database) as acc:
            acc.add("rita", PASSWORD, "reviewer")
            acc.add("vic", PASSWORD, "viewer")
        assert wb.sign_in_required()
        with pytest.raises(SignInError, match="sign in to record a decision"):
            wb.record(left, right, "equal", "typed name")
        viewer = wb.sign_in("vic", PASSWORD)
        with pytest.raises(SignInError, match="viewers can read and export, not decide"):
            wb.record(left, right, "equal", "vic", session=viewer)
        reviewer = wb.sign_in("rita", PASSWORD)
        d = wb.record(left, right, "subset-of", "somebody else", session=reviewer)
        assert d.reviewer == "rita"
        assert [x.reviewer for x in wb.history(left, right)] == ["typed name", "rita"]
        assert b"rita" in wb.export("csv")
    finally:
        wb.close()


def test_failures_an_hour_apart_are_not_in_a_row(db):
    clock = Clock()
    with Accounts(db, clock=clock) as acc:
        acc.add("ana", PASSWORD)
        for i in range(FREE_ATTEMPTS - 1):
            with pytest.raises(SignInError):
                acc.sign_in("ana", f"typo {i}", client="10.0.0.1")
        clock.t += 3601
        with pytest.raises(SignInError) as e:  # a new count: not the fifth in a row
            acc.sign_in("ana", "another typo", client="10.0.0.1")
        assert e.value.wait == 0
