"""The account backend: demo SQLite implementation, file outbox, audit log, backend loading."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import stat
import threading
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest

import accounts as accounts
from accounts import (
    AccountBackend,
    LicenseError,
    PlanChangeError,
    UnknownAccount,
    get_backend,
    is_valid_key_format,
    load_backend,
    normalise_key,
    reset_backend,
)
from accounts.demo import DemoAccountBackend
from accounts.demo_data import SEED_CUSTOMERS, SEED_LICENSES, add_months
from accounts.mail import Mailer, read_outbox
from accounts.settings import AccountSettings

VALID_KEY = "NMB2K-7QX4P-R8T3W-5HJ6Z"  # alex, 1 of 2 seats used
UNUSED_KEY = "NMB5F-9ZK3R-T2W8N-4HC6B"  # taylor, 0 of 2
FULL_KEY = "NMB8X-3LD7Q-W4K9M-2RV5T"  # sam, 2 of 2
UNKNOWN_KEY = "ABCDE-12345-FGHJK-67890"
START = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.timezone.utc)


class Clock:
    """Injected instead of sleeping: tests move time by hand."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def settings(tmp_path: Path) -> AccountSettings:
    return AccountSettings(
        accounts_db_path=tmp_path / "var/accounts.db",
        mail_outbox_dir=tmp_path / "var/outbox",
        help_site_url="http://127.0.0.1:8000",
        password_reset_url="",
        account_secret="",
        smtp_host="",
        otp_ttl_seconds=600,
        otp_max_attempts=3,
        _env_file=None,
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def backend(settings: AccountSettings, clock: Clock) -> DemoAccountBackend:
    return DemoAccountBackend(settings, clock=clock)


def outbox(settings: AccountSettings, to: str | None = None) -> list[EmailMessage]:
    return read_outbox(settings.mail_outbox_dir, to=to)


def last_code(settings: AccountSettings, to: str) -> str:
    body = outbox(settings, to)[-1].get_content()
    match = re.search(r"\b(\d{6})\b", body)
    assert match, body
    return match.group(1)


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def audit_rows(settings: AccountSettings) -> list[tuple]:
    with sqlite3.connect(settings.accounts_db_path) as conn:
        return conn.execute("SELECT at, action, subject, outcome, detail FROM audit_log ORDER BY id").fetchall()


# --- interface and loading ----------------------------------------------------------------------


def test_demo_backend_implements_the_interface(backend: DemoAccountBackend) -> None:
    assert isinstance(backend, AccountBackend)


def test_get_backend_loads_the_configured_class_once(settings: AccountSettings, monkeypatch) -> None:
    monkeypatch.setattr(accounts, "get_settings", lambda: settings)
    reset_backend()
    try:
        first = get_backend()
        assert type(first) is DemoAccountBackend and get_backend() is first
    finally:
        reset_backend()


def test_a_class_that_is_not_a_backend_is_refused(settings: AccountSettings) -> None:
    with pytest.raises(TypeError, match="does not implement AccountBackend"):
        load_backend(settings.model_copy(update={"account_backend": "accounts.mail.Mailer"}))
    with pytest.raises(ValueError, match="dotted path"):
        load_backend(settings.model_copy(update={"account_backend": "DemoAccountBackend"}))


# --- customers and one-time codes -------------------------------------------------------------


def test_lookup_customer(backend: DemoAccountBackend) -> None:
    alex = backend.lookup_customer("  Alex@Example.com ")
    assert alex is not None
    assert (alex.email, alex.name, alex.plan, alex.two_factor_enabled, alex.locked) == (
        "alex@example.com", "Alex Morgan", "plus", False, False,
    )  # fmt: skip
    sam = backend.lookup_customer("sam@example.com")
    assert sam and sam.plan == "business" and sam.two_factor_enabled
    jordan = backend.lookup_customer("jordan@example.com")
    assert jordan and jordan.locked
    assert backend.lookup_customer("nobody@example.com") is None


def test_send_code_mails_a_six_digit_code_that_verifies_once(backend, settings) -> None:
    backend.send_code("alex@example.com")
    [mail] = outbox(settings)
    assert mail["To"] == "alex@example.com" and "verification code" in mail["Subject"]
    assert "10 minutes" in mail.get_content()
    code = last_code(settings, "alex@example.com")
    result = backend.verify_code("ALEX@example.com", code)
    assert (result.status, result.attempts_left) == ("ok", 3) and result.ok
    assert backend.verify_code("alex@example.com", code).status == "no_code"  # single use


def test_a_wrong_code_costs_one_attempt(backend, settings) -> None:
    backend.send_code("alex@example.com")
    code = last_code(settings, "alex@example.com")
    assert backend.verify_code("alex@example.com", other_code(code)).as_dict() == {
        "status": "wrong",
        "attempts_left": 2,
    }
    assert backend.verify_code("alex@example.com", f"{code[:3]} {code[3:]}").status == "ok"  # spaces tolerated


def test_text_that_is_not_a_code_uses_no_attempt(backend, settings) -> None:
    backend.send_code("alex@example.com")
    result = backend.verify_code("alex@example.com", "I didn't get it")
    assert (result.status, result.attempts_left) == ("wrong", 3)


def test_code_expires_after_the_ttl(backend, settings, clock) -> None:
    backend.send_code("alex@example.com")
    code = last_code(settings, "alex@example.com")
    clock.advance(seconds=600)
    assert backend.verify_code("alex@example.com", code).as_dict() == {"status": "expired", "attempts_left": 0}


def test_code_is_still_good_just_before_it_expires(backend, settings, clock) -> None:
    backend.send_code("alex@example.com")
    clock.advance(seconds=599)
    assert backend.verify_code("alex@example.com", last_code(settings, "alex@example.com")).status == "ok"


def test_three_wrong_codes_burn_the_code(backend, settings) -> None:
    backend.send_code("alex@example.com")
    code = last_code(settings, "alex@example.com")
    wrong = other_code(code)
    results = [backend.verify_code("alex@example.com", wrong) for _ in range(3)]
    assert [(r.status, r.attempts_left) for r in results] == [("wrong", 2), ("wrong", 1), ("too_many_attempts", 0)]
    assert backend.verify_code("alex@example.com", code).status == "too_many_attempts"  # even the right one
    backend.send_code("alex@example.com")  # a new code starts over
    assert backend.verify_code("alex@example.com", last_code(settings, "alex@example.com")).status == "ok"


def test_a_new_code_replaces_the_previous_one(backend, settings) -> None:
    backend.send_code("alex@example.com")
    first = last_code(settings, "alex@example.com")
    backend.send_code("alex@example.com")
    second = last_code(settings, "alex@example.com")
    assert len(outbox(settings)) == 2
    if first != second:  # one in a million they are equal
        assert backend.verify_code("alex@example.com", first).status == "wrong"
    assert backend.verify_code("alex@example.com", second).status == "ok"


def test_no_code_when_none_was_sent(backend) -> None:
    assert backend.verify_code("alex@example.com", "123456").as_dict() == {"status": "no_code", "attempts_left": 0}


def test_unknown_email_gets_no_mail_and_no_error(backend, settings) -> None:
    backend.send_code("nobody@example.com")
    assert outbox(settings) == []
    # Answers like a real account with a wrong code: the dialogue cannot leak that it does not exist.
    assert backend.verify_code("nobody@example.com", "123456").status == "wrong"
    [row] = [r for r in audit_rows(settings) if r[1] == "send_code"]
    assert row[2:4] == ("nobody@example.com", "unknown_email")


# --- reset link, unlock, 2FA --------------------------------------------------------------------


def test_reset_link_mail_has_a_single_use_link(backend, settings) -> None:
    backend.send_reset_link("jordan@example.com")
    [mail] = outbox(settings, "jordan@example.com")
    body = mail.get_content()
    assert "60 minutes" in body
    token = re.search(r"http://127\.0\.0\.1:8000/reset\?token=([A-Za-z0-9_\-]+)", body).group(1)
    assert len(token) >= 40
    assert backend.redeem_reset_token(token) == "jordan@example.com"
    assert not backend.lookup_customer("jordan@example.com").locked  # a reset link unlocks the account
    assert backend.redeem_reset_token(token) is None  # used up
    assert not any(token in str(row) for row in audit_rows(settings))


def test_reset_link_expires_after_an_hour_and_older_links_stop_working(backend, settings, clock) -> None:
    backend.send_reset_link("alex@example.com")
    backend.send_reset_link("alex@example.com")
    old, new = (re.search(r"token=(\S+)", m.get_content()).group(1) for m in outbox(settings))
    assert backend.redeem_reset_token(old) is None
    clock.advance(seconds=3600)
    assert backend.redeem_reset_token(new) is None


def test_reset_link_for_an_unknown_email_sends_nothing(backend, settings) -> None:
    backend.send_reset_link("nobody@example.com")
    assert outbox(settings) == []


def test_reset_link_base_comes_from_the_settings(settings, clock) -> None:
    custom = settings.model_copy(update={"password_reset_url": "https://account.nimbus.example/reset"})
    DemoAccountBackend(custom, clock=clock).send_reset_link("alex@example.com")
    assert "https://account.nimbus.example/reset?token=" in outbox(settings)[-1].get_content()


def test_unlock_clears_the_lock(backend, settings) -> None:
    assert backend.lookup_customer("jordan@example.com").locked
    backend.unlock("jordan@example.com")
    assert not backend.lookup_customer("jordan@example.com").locked
    assert audit_rows(settings)[-1][1:4] == ("unlock", "jordan@example.com", "unlocked")


def test_unlock_of_an_unknown_account_is_refused_and_audited(backend, settings) -> None:
    with pytest.raises(UnknownAccount):
        backend.unlock("nobody@example.com")
    assert audit_rows(settings)[-1][1:4] == ("unlock", "nobody@example.com", "rejected:UnknownAccount")


def test_two_factor_reset_returns_a_reference(backend, settings) -> None:
    reference = backend.request_two_factor_reset("sam@example.com")
    assert re.fullmatch(r"2FA-\d{6}", reference)
    assert reference in audit_rows(settings)[-1][4]


# --- licences -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "ok"),
    [
        ("NMB2K-7QX4P-R8T3W-5HJ6Z", True),
        ("nmb2k-7qx4p-r8t3w-5hj6z", True),
        (" NMB2K 7QX4P R8T3W 5HJ6Z ", True),
        ("NMB2K7QX4PR8T3W5HJ6Z", True),
        ("NMB2K-7QX4P-R8T3W", False),
        ("NMB2K-7QX4P-R8T3W-5HJ6Z-AAAAA", False),
        ("NMB2K-7QX4P-R8T3W-5HJ6!", False),
        ("NMB2K-7QX4P-R8T3W-5HJ6Ä", False),
        ("", False),
    ],
)
def test_key_format(key: str, ok: bool) -> None:
    assert is_valid_key_format(key) is ok


def test_normalise_key() -> None:
    assert normalise_key(" nmb2k-7qx4p-r8t3w-5hj6z") == "NMB2K-7QX4P-R8T3W-5HJ6Z"
    assert normalise_key("NMB2K 7QX4P R8T3W 5HJ6Z") == "NMB2K-7QX4P-R8T3W-5HJ6Z"
    # Keys never contain O or I, so those are the digits 0 and 1 misread.
    assert normalise_key("ABCDE-12345-FGHJK-67890".replace("0", "O").replace("1", "I")) == UNKNOWN_KEY


def test_license_check_states(backend) -> None:
    valid = backend.license_check(VALID_KEY.lower())
    assert valid.as_dict() == {
        "key": VALID_KEY,
        "status": "valid",
        "seats_used": 1,
        "seats_total": 2,
        "devices": ["Alex-MacBook"],
        "owner_email": "alex@example.com",
    }
    full = backend.license_check(FULL_KEY)
    assert (full.status, full.seats_used, full.seats_total, full.seats_free) == ("exhausted", 2, 2, 0)
    assert full.devices == ["SAM-DESKTOP", "SAM-LAPTOP"]
    assert backend.license_check(UNKNOWN_KEY).status == "invalid"
    assert backend.license_check("not a key").status == "invalid"
    assert backend.license_check(UNUSED_KEY).seats_used == 0


def test_activate_takes_a_seat_until_the_key_is_exhausted(backend) -> None:
    status = backend.activate_license(VALID_KEY, "  Office   PC ")
    assert (status.status, status.seats_used, status.devices) == ("exhausted", 2, ["Alex-MacBook", "Office PC"])
    assert backend.activate_license(VALID_KEY, "office pc").seats_used == 2  # already active: no change
    with pytest.raises(LicenseError, match="All 2 activations"):
        backend.activate_license(VALID_KEY, "Third computer")
    with pytest.raises(LicenseError, match="not valid"):
        backend.activate_license(UNKNOWN_KEY, "Office PC")
    with pytest.raises(LicenseError, match="name of the computer"):
        backend.activate_license(UNUSED_KEY, "   ")


def test_release_frees_a_seat_for_a_new_computer(backend, settings) -> None:
    with pytest.raises(LicenseError, match="'Old laptop' is not activated with this key"):
        backend.release_seat(FULL_KEY, "Old laptop")
    status = backend.release_seat(FULL_KEY, "sam-laptop")  # device names match case-insensitively
    assert (status.status, status.seats_used, status.devices) == ("valid", 1, ["SAM-DESKTOP"])
    status = backend.activate_license(FULL_KEY, "SAM-NEW-LAPTOP")
    assert status.devices == ["SAM-DESKTOP", "SAM-NEW-LAPTOP"]
    outcomes = [(r[1], r[3]) for r in audit_rows(settings) if r[2] == FULL_KEY]
    assert outcomes == [
        ("release_seat", "rejected:LicenseError"),
        ("release_seat", "released"),
        ("activate_license", "activated"),
    ]


def test_the_last_seat_goes_to_exactly_one_of_many_threads(backend) -> None:
    backend.lookup_customer("alex@example.com")  # create the database before the race
    results: list[str] = []

    def activate(n: int) -> None:
        try:
            backend.activate_license(VALID_KEY, f"PC-{n}")
            results.append("ok")
        except LicenseError:
            results.append("refused")

    threads = [threading.Thread(target=activate, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ok"] + ["refused"] * 7
    assert backend.license_check(VALID_KEY).seats_used == 2


# --- plans --------------------------------------------------------------------------------------


def test_get_plan(backend) -> None:
    alex = backend.get_plan("alex@example.com")
    assert (alex.plan, alex.billing, alex.seats, alex.price_per_month) == ("plus", "monthly", 1, Decimal("6.00"))
    assert alex.renews_on == START.date() + dt.timedelta(days=12) and not alex.cancelled
    sam = backend.get_plan("sam@example.com")
    assert (sam.plan, sam.seats, sam.price_per_month) == ("business", 5, Decimal("60.00"))  # $12 x 5, annual
    assert backend.get_plan("jordan@example.com").price_per_month == Decimal("5.00")  # $60/year
    taylor = backend.get_plan("taylor@example.com")
    assert (taylor.plan, taylor.price_per_month, taylor.renews_on) == ("free", Decimal("0.00"), None)
    with pytest.raises(UnknownAccount):
        backend.get_plan("nobody@example.com")


def test_upgrade_is_immediate(backend) -> None:
    info = backend.change_plan("alex@example.com", "Business")
    assert (info.plan, info.pending_plan, info.price_per_month) == ("business", None, Decimal("14.00"))
    assert backend.lookup_customer("alex@example.com").plan == "business"
    free_to_plus = backend.change_plan("taylor@example.com", "plus")
    assert (free_to_plus.plan, free_to_plus.billing) == ("plus", "monthly")
    assert free_to_plus.renews_on == add_months(START.date(), 1)


def test_downgrade_waits_for_the_end_of_the_period(backend, clock) -> None:
    info = backend.change_plan("sam@example.com", "plus")
    assert (info.plan, info.pending_plan, info.cancelled) == ("business", "plus", False)
    assert "Changes to Plus" in info.note
    clock.now = dt.datetime.combine(info.renews_on, dt.time(9), dt.timezone.utc)
    after = backend.get_plan("sam@example.com")
    assert (after.plan, after.seats, after.pending_plan) == ("plus", 1, None)
    assert after.renews_on == add_months(info.renews_on, 12)


def test_cancel_keeps_the_plan_until_the_period_ends_then_free(backend, clock) -> None:
    info = backend.cancel_subscription("alex@example.com")
    assert (info.plan, info.cancelled, info.pending_plan) == ("plus", True, "free")
    assert info.renews_on.isoformat() in info.note and "5 GB" in info.note and "sync pauses" in info.note
    assert backend.cancel_subscription("alex@example.com").cancelled  # twice is harmless
    clock.advance(days=12)
    after = backend.get_plan("alex@example.com")
    assert (after.plan, after.cancelled, after.renews_on) == ("free", False, None)
    assert after.price_per_month == Decimal("0.00")


def test_choosing_the_current_plan_withdraws_a_cancellation(backend) -> None:
    backend.cancel_subscription("alex@example.com")
    info = backend.change_plan("alex@example.com", "plus")
    assert (info.plan, info.cancelled, info.pending_plan) == ("plus", False, None)


def test_impossible_plan_changes_are_refused(backend, settings) -> None:
    with pytest.raises(PlanChangeError, match="Free plan"):
        backend.cancel_subscription("taylor@example.com")
    with pytest.raises(PlanChangeError, match="no 'platinum' plan"):
        backend.change_plan("alex@example.com", "platinum")
    assert [r[3] for r in audit_rows(settings)[-2:]] == ["rejected:PlanChangeError"] * 2


def test_renewal_without_changes_moves_the_date(backend, clock) -> None:
    before = backend.get_plan("alex@example.com")
    clock.advance(days=13)
    after = backend.get_plan("alex@example.com")
    assert (after.plan, after.renews_on) == ("plus", add_months(before.renews_on, 1))


def test_add_months_clamps_the_day() -> None:
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)
    assert add_months(dt.date(2028, 2, 29), 12) == dt.date(2029, 2, 28)


# --- audit log ----------------------------------------------------------------------------------


def test_every_action_is_audited_and_no_code_is_stored(backend, settings) -> None:
    backend.send_code("alex@example.com")
    code = last_code(settings, "alex@example.com")
    backend.verify_code("alex@example.com", other_code(code))
    backend.verify_code("alex@example.com", code)
    backend.send_reset_link("alex@example.com")
    backend.unlock("jordan@example.com")
    backend.request_two_factor_reset("sam@example.com")
    backend.license_check(VALID_KEY)
    backend.activate_license(VALID_KEY, "Office PC")
    backend.release_seat(VALID_KEY, "Office PC")
    backend.change_plan("alex@example.com", "business")
    backend.cancel_subscription("sam@example.com")
    rows = audit_rows(settings)
    actions = [r[1] for r in rows]
    for action in (
        "seed_demo_data", "send_code", "verify_code", "send_reset_link", "unlock", "request_two_factor_reset",
        "license_check", "activate_license", "release_seat", "change_plan", "cancel_subscription",
    ):  # fmt: skip
        assert action in actions
    assert [r[3] for r in rows if r[1] == "verify_code"] == ["wrong", "ok"]
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", r[0]) for r in rows)
    assert not any(code in field or other_code(code) in field for row in rows for field in row)
    # Codes are stored only as keyed hashes, and the key is not in the database.
    dump = "\n".join(sqlite3.connect(settings.accounts_db_path).iterdump())
    assert code not in dump
    secret = (settings.accounts_db_path.parent / "account_secret").read_text().strip()
    assert len(secret) == 64 and secret not in dump


def test_audit_log_is_append_only(backend, settings) -> None:
    backend.unlock("jordan@example.com")
    with sqlite3.connect(settings.accounts_db_path) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE audit_log SET outcome = 'x'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM audit_log")
    assert backend.audit_entries(subject="jordan@example.com")[0].outcome == "unlocked"


def test_the_generated_secret_file_is_private(backend, settings) -> None:
    backend.send_code("alex@example.com")
    mode = (settings.accounts_db_path.parent / "account_secret").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_a_configured_secret_needs_no_file(settings, clock) -> None:
    configured = settings.model_copy(update={"account_secret": "from-the-environment"})
    backend = DemoAccountBackend(configured, clock=clock)
    backend.send_code("alex@example.com")
    assert backend.verify_code("alex@example.com", last_code(settings, "alex@example.com")).ok
    assert not (settings.accounts_db_path.parent / "account_secret").exists()


# --- seeding ------------------------------------------------------------------------------------


def test_seeding_is_idempotent_and_keeps_changes(settings, clock) -> None:
    def counts() -> dict[str, int]:
        with sqlite3.connect(settings.accounts_db_path) as conn:
            tables = ("customers", "subscriptions", "licenses", "activations")
            return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}

    first = DemoAccountBackend(settings, clock=clock)
    first.unlock("jordan@example.com")
    first.release_seat(FULL_KEY, "SAM-LAPTOP")
    before = counts()
    assert before["customers"] == len(SEED_CUSTOMERS) and before["licenses"] == len(SEED_LICENSES)
    second = DemoAccountBackend(settings, clock=clock)
    assert not second.lookup_customer("jordan@example.com").locked
    assert counts() == before
    assert second.license_check(FULL_KEY).seats_used == 1
    assert [r[1] for r in audit_rows(settings)].count("seed_demo_data") == 1


# --- mail ---------------------------------------------------------------------------------------


def test_outbox_files_sort_oldest_first_and_filter_by_recipient(settings) -> None:
    mailer = Mailer(settings)
    for n in range(5):
        mailer.send("alex@example.com" if n % 2 == 0 else "sam@example.com", f"message {n}", "hello")
    assert [m["Subject"] for m in read_outbox(settings.mail_outbox_dir)] == [f"message {n}" for n in range(5)]
    assert [m["Subject"] for m in read_outbox(settings.mail_outbox_dir, to="SAM@example.com")] == [
        "message 1",
        "message 3",
    ]
    files = sorted(p.name for p in Path(settings.mail_outbox_dir).iterdir())
    assert all(name.endswith(".eml") for name in files)  # no temporary files left behind
    assert read_outbox(settings.mail_outbox_dir / "missing") == []


def test_smtp_is_used_when_a_host_is_set(settings, monkeypatch) -> None:
    calls: list[tuple] = []

    class FakeSMTP:
        def __init__(self, host: str, port: int, timeout: float) -> None:
            calls.append(("connect", host, port))

        def __enter__(self) -> FakeSMTP:
            return self

        def __exit__(self, *exc: object) -> None:
            calls.append(("quit",))

        def starttls(self) -> None:
            calls.append(("starttls",))

        def login(self, user: str, password: str) -> None:
            calls.append(("login", user))

        def send_message(self, msg: EmailMessage) -> None:
            calls.append(("send", msg["To"], msg["From"]))

    monkeypatch.setattr("accounts.mail.smtplib.SMTP", FakeSMTP)
    smtp = settings.model_copy(update={"smtp_host": "mail.example", "smtp_user": "bot", "smtp_password": "pw"})
    assert Mailer(smtp).send("alex@example.com", "hi", "body") is None
    assert calls == [
        ("connect", "mail.example", 587),
        ("starttls",),
        ("login", "bot"),
        ("send", "alex@example.com", "Nimbus <no-reply@nimbus.example>"),
        ("quit",),
    ]
    assert read_outbox(settings.mail_outbox_dir) == []


def test_smtp_failure_is_a_mail_error_and_is_audited(settings, clock, monkeypatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr("accounts.mail.smtplib.SMTP", refuse)
    smtp = settings.model_copy(update={"smtp_host": "mail.example"})
    backend = DemoAccountBackend(smtp, clock=clock)
    with pytest.raises(accounts.MailError, match="mail.example:587"):
        backend.send_code("alex@example.com")
    assert audit_rows(settings)[-1][1:4] == ("send_code", "alex@example.com", "mail_failed")
