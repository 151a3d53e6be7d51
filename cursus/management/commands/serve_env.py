"""Write the environment file `make serve` runs the demo with (DEBUG off): a secret key and an IBAN
encryption key made once and kept, so that sessions and encrypted IBANs survive a restart. The key
derived from the development secret is kept second, so that the IBANs of a demo seeded by `make run`
still decrypt. Never used in production, where the environment comes from the deployment."""

import base64
import hashlib
import secrets
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Write the local production-like environment for `make serve` (kept when it exists)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--port", default="8000")

    def handle(self, *args: Any, path: str, port: str, **options: Any) -> None:
        target = Path(path)
        if target.exists():
            return
        dev_key = base64.urlsafe_b64encode(hashlib.sha256(("iban:" + settings.SECRET_KEY).encode()).digest())
        lines = [
            "# Made by `make serve` for a local run with DEBUG off; delete it to make new keys.",
            f"SECRET_KEY={secrets.token_urlsafe(48)}",
            f"IBAN_ENCRYPTION_KEYS={Fernet.generate_key().decode()},{dev_key.decode()}",
            "ALLOWED_HOSTS=127.0.0.1,localhost",
            f"SITE_URL=http://127.0.0.1:{port}",
            # Plain http on the loopback: cookies cannot be `Secure` (behind TLS in production they are).
            "SECURE_COOKIES=0",
            # Emails are written as files under var/mail/ (one per message), never printed to the log.
            "EMAIL_MODE=file",
        ]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines) + "\n")
        target.chmod(0o600)
        self.stdout.write(f"Wrote {target}")
