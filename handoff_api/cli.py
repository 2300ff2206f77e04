"""Administration from the shell (uses DATABASE_URL like the service):

    .venvs/app/bin/python -m handoff_api.cli create-staff --email agent@nimbus.example --name "Agent"
    .venvs/app/bin/python -m handoff_api.cli reset-password --email agent@nimbus.example
    .venvs/app/bin/python -m handoff_api.cli deactivate-staff --email agent@nimbus.example
    .venvs/app/bin/python -m handoff_api.cli list-staff
    .venvs/app/bin/python -m handoff_api.cli migrate

The password is asked twice at a prompt, or read from the first line of standard input with
--password-stdin (for scripts: `printf '%s\\n' "$PW" | ... --password-stdin`). It never appears in
the process list or the shell history.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from sqlalchemy import select

from handoff_api.db import Database
from handoff_api.migrate import upgrade_to_head
from handoff_api.models import StaffUser, utcnow
from handoff_api.security import MIN_PASSWORD_LENGTH, hash_password
from handoff_api.settings import Settings


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise SystemExit("the passwords differ")
    return first


def _password_hash(from_stdin: bool) -> str:
    password = _read_password(from_stdin)
    try:
        return hash_password(password)
    except ValueError as exc:
        raise SystemExit(f"{exc} (got {len(password)})") from exc


def _find(session, email: str) -> StaffUser | None:  # noqa: ANN001
    return session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m handoff_api.cli", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: DATABASE_URL from the environment or .env")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create-staff", help="add a staff user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    reset = commands.add_parser("reset-password", help=f"set a new password (at least {MIN_PASSWORD_LENGTH} chars)")
    reset.add_argument("--email", required=True)
    reset.add_argument("--password-stdin", action="store_true")
    deactivate = commands.add_parser("deactivate-staff", help="block a staff user from logging in")
    deactivate.add_argument("--email", required=True)
    commands.add_parser("list-staff", help="list staff users")
    commands.add_parser("migrate", help="bring the database schema to the newest migration")
    args = parser.parse_args(argv)

    db = Database(args.database_url or Settings().database_url)
    upgrade_to_head(db.engine)
    if args.command == "migrate":
        print("database schema is at the newest migration")
        return 0
    with db.write_session() as session:
        if args.command == "list-staff":
            for user in session.scalars(select(StaffUser).order_by(StaffUser.email)):
                print(f"{user.email}\t{user.name}\t{'active' if user.active else 'inactive'}")
            return 0
        email = args.email.strip().lower()
        if "@" not in email:
            raise SystemExit(f"not an email address: {args.email}")
        user = _find(session, email)
        if args.command == "create-staff":
            if user is not None:
                raise SystemExit(f"{email} exists; use reset-password to give it a new password")
            name = args.name.strip()
            if not name:
                raise SystemExit("--name must not be empty")
            session.add(StaffUser(email=email, name=name, password_hash=_password_hash(args.password_stdin)))
            session.commit()
            print(f"created staff user {email}")
            return 0
        if user is None:
            raise SystemExit(f"no staff user {email}")
        if args.command == "reset-password":
            user.password_hash = _password_hash(args.password_stdin)
            user.active = True
            # Sessions carry this stamp: logins made with the old password end.
            user.password_changed_at = utcnow()
            session.commit()
            print(f"new password set for {email}")
        else:  # deactivate-staff
            user.active = False
            user.password_changed_at = utcnow()
            session.commit()
            print(f"deactivated {email}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
