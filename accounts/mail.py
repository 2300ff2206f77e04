"""Outgoing mail: SMTP when `smtp_host` is set, otherwise .eml files in a local outbox folder.

The outbox is how development and the tests receive one-time codes and reset links: each message
is one file named by the time it was written (names sort oldest first), written to a temporary
name and renamed, so a reader never sees half a message. Files older than OUTBOX_RETENTION_DAYS are
deleted by the action server's outbox worker (`purge_outbox`).
"""

from __future__ import annotations

import itertools
import os
import smtplib
import threading
import time
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path

from accounts.backend import MailError
from accounts.settings import AccountSettings

_sequence = itertools.count()
_last_ns = 0
_name_lock = threading.Lock()


def _outbox_name() -> str:
    """A unique file name that sorts by write time, even for two messages in the same nanosecond."""
    global _last_ns
    with _name_lock:
        _last_ns = max(time.time_ns(), _last_ns + 1)
        ns, seq = _last_ns, next(_sequence)
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(ns // 1_000_000_000))
    return f"{stamp}.{ns % 1_000_000_000:09d}Z-{os.getpid()}-{seq:06d}.eml"


class Mailer:
    def __init__(self, settings: AccountSettings) -> None:
        self.settings = settings

    @property
    def outbox(self) -> Path:
        return Path(self.settings.mail_outbox_dir)

    def compose(self, to: str, subject: str, body: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.settings.mail_from
        msg["To"] = to
        msg["Subject"] = subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="nimbus.example")
        msg.set_content(body)
        return msg

    def send(self, to: str, subject: str, body: str) -> Path | None:
        """Send one plain-text message; returns the outbox file, or None when it went over SMTP.

        Raises MailError (no secrets in its message) when the message could not be handed on.
        """
        msg = self.compose(to, subject, body)
        if self.settings.smtp_host:
            self._send_smtp(msg)
            return None
        return self._write_outbox(msg)

    def _send_smtp(self, msg: EmailMessage) -> None:
        s = self.settings
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_user:
                    smtp.login(s.smtp_user, s.smtp_password)
                smtp.send_message(msg)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"could not send mail via {s.smtp_host}:{s.smtp_port}: {type(exc).__name__}") from exc

    def _write_outbox(self, msg: EmailMessage) -> Path:
        folder = self.outbox
        name = _outbox_name()
        target = folder / name
        tmp = folder / f".{name}.tmp"  # not *.eml, so readers skip it until the rename
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Codes and reset links: owner-only, whatever the umask of the writing process.
            with os.fdopen(os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600), "wb") as fh:
                fh.write(msg.as_bytes(policy=policy.SMTP))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise MailError(f"could not write mail to {folder}: {exc}") from exc
        return target


def read_outbox(folder: str | os.PathLike[str], to: str | None = None) -> list[EmailMessage]:
    """Messages in an outbox folder, oldest first (newest last); `to` keeps one recipient's mail."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    parser = BytesParser(policy=policy.default)
    messages: list[EmailMessage] = []
    for path in sorted(folder.glob("*.eml")):
        with open(path, "rb") as fh:
            msg = parser.parse(fh)
        if to is not None:
            recipients = {addr.lower() for _, addr in getaddresses(msg.get_all("To", []))}
            if to.strip().lower() not in recipients:
                continue
        messages.append(msg)  # type: ignore[arg-type]
    return messages


def purge_outbox(folder: str | os.PathLike[str], older_than: float) -> int:
    """Delete the outbox's messages written before `older_than` (a Unix time): they hold one-time
    codes and reset links. Returns how many went."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.glob("*.eml"):
        try:
            if path.stat().st_mtime < older_than:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # another process purged it first
            continue
    return removed
