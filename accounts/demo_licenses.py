"""Licence keys of the demo backend: check, activate on a device, release a seat."""

from __future__ import annotations

import sqlite3

from accounts.backend import (
    LicenseError,
    LicenseStatus,
    is_valid_key_format,
    normalise_key,
)
from accounts.demo_store import DemoStore

_DEVICE_MAX = 80


class LicenseMixin(DemoStore):
    def _license(self, conn: sqlite3.Connection, key: str) -> LicenseStatus:
        row = conn.execute("SELECT owner_email, seats_total FROM licenses WHERE key = ?", (key,)).fetchone()
        if row is None:
            return LicenseStatus(key, "invalid")
        devices = [r[0] for r in conn.execute("SELECT device_name FROM activations WHERE key = ? ORDER BY id", (key,))]
        total = row["seats_total"]
        status = "exhausted" if len(devices) >= total else "valid"
        return LicenseStatus(key, status, len(devices), total, devices, row["owner_email"])

    def _known_license(self, conn: sqlite3.Connection, key: str) -> LicenseStatus:
        """The licence of a key that must exist (activating, releasing): an unknown key is refused."""
        lic = self._license(conn, key)
        if lic.status == "invalid":
            raise LicenseError("That licence key is not valid. Please check it against your purchase email.")
        return lic

    def license_check(self, key: str) -> LicenseStatus:
        if not is_valid_key_format(key):
            status = LicenseStatus(key.strip(), "invalid")
            subject = "malformed-key"  # whatever was typed is not logged: it may be anything
        else:
            status = None
            subject = normalise_key(key)
        with self._tx() as conn:
            if status is None:
                status = self._license(conn, subject)
            seats = f"seats={status.seats_used}/{status.seats_total}"
            self.audit.record(conn, "license_check", subject, status.status, seats)
        return status

    def activate_license(self, key: str, device_name: str) -> LicenseStatus:
        device = _device(device_name)
        key = normalise_key(key)
        with self._audited(key if is_valid_key_format(key) else "malformed-key", "activate_license") as (conn, outcome):
            outcome.append(f"device={device}")
            lic = self._known_license(conn, key)
            if any(d.lower() == device.lower() for d in lic.devices):
                outcome.insert(0, "already_active")
                return lic
            if lic.status == "exhausted":
                raise LicenseError(
                    f"All {lic.seats_total} activations of this key are in use ({', '.join(lic.devices)}). "
                    "Release one of them first."
                )
            conn.execute(
                "INSERT INTO activations (key, device_name, activated_at) VALUES (?, ?, ?)",
                (key, device, self._now().isoformat()),
            )
            outcome.insert(0, "activated")
            return self._license(conn, key)

    def release_seat(self, key: str, device_name: str) -> LicenseStatus:
        device = _device(device_name)
        key = normalise_key(key)
        with self._audited(key if is_valid_key_format(key) else "malformed-key", "release_seat") as (conn, outcome):
            outcome.append(f"device={device}")
            lic = self._known_license(conn, key)
            cur = conn.execute("DELETE FROM activations WHERE key = ? AND device_name = ?", (key, device))
            if not cur.rowcount:
                on_key = ", ".join(lic.devices) or "none"
                raise LicenseError(f"'{device}' is not activated with this key (activated: {on_key}).")
            outcome.insert(0, "released")
            return self._license(conn, key)


def _device(name: str) -> str:
    device = " ".join(name.split())[:_DEVICE_MAX]
    if not device:
        raise LicenseError("Please tell me the name of the computer.")
    return device
