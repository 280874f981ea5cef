"""Real servers for the mail tests, on 127.0.0.1 with ephemeral ports: Dovecot IMAP and an SMTP sink."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None)


class Dovecot:
    """A private Dovecot instance: own config, base_dir and maildirs under a temporary directory.

    As root, mail is owned by the unprivileged `nobody` user and the login/internal users are
    Dovecot's own; as an ordinary user, everything runs as that user.
    """

    def __init__(self) -> None:
        binary = dovecot_binary()
        assert binary
        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="weibao-dovecot-"))
        self.port = free_port()
        self.tls_port = free_port()
        self.users_file = self.dir / "users"
        # Accounts are created before start: Dovecot's passwd-file reload is keyed on mtime (1 s), so
        # users appended while it runs may be refused for a moment.
        self.users = [f"support{i}" for i in range(1, 41)]
        self.password = "s3cret-口令"
        self.users_file.write_text("".join(f"{u}:{{PLAIN}}{self.password}::::::\n" for u in self.users))
        self._next = 0
        self.proc: subprocess.Popen[bytes] | None = None

    def _make_certificate(self) -> None:
        """A self-signed certificate for 127.0.0.1, so the tests can check TLS with verification on."""
        import datetime as dt
        import ipaddress

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "weibao-test-imap")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )
        self.cert_file = self.dir / "cert.pem"
        self.key_file = self.dir / "key.pem"
        self.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
        os.chmod(self.key_file, 0o600)

    def _write_config(self) -> Path:
        root = os.geteuid() == 0
        me = pwd.getpwuid(os.geteuid()).pw_name
        login_user, internal_user = ("dovenull", "dovecot") if root else (me, me)
        mail_user, mail_group = ("nobody", "nogroup") if root else (me, "")
        mail_root = self.dir / "mail"
        mail_root.mkdir(exist_ok=True)
        if root:
            os.chmod(self.dir, 0o755)  # noqa: S103 - Dovecot's unprivileged processes must traverse it
            shutil.chown(mail_root, "nobody", "nogroup")
        userdb_args = f"uid={mail_user} " + (f"gid={mail_group} " if mail_group else f"gid={os.getegid()} ")
        self._make_certificate()
        conf = self.dir / "dovecot.conf"
        conf.write_text(
            f"""
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{self.cert_file}
ssl_key = <{self.key_file}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{mail_root}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.users_file}
}}
userdb {{
  driver = static
  args = {userdb_args}home={mail_root}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
        )
        os.chmod(self.users_file, 0o644)
        return conf

    def start(self) -> Dovecot:
        conf = self._write_config()
        self.proc = subprocess.Popen([self.binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            wait_port(self.port)
        except TimeoutError:
            self.stop()
            raise RuntimeError("dovecot did not start: " + self.log()) from None
        return self

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def take_user(self) -> str:
        """A fresh account (own maildir) for one test."""
        self._next += 1
        return self.users[self._next - 1]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Captured:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SinkHandler:
    received: list[Captured] = field(default_factory=list)
    fail_next: int = 0  # answer 451 to this many messages (to test retries)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail_next:
            self.fail_next -= 1
            return "451 4.3.0 try again later"
        self.received.append(Captured(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 OK"


class SmtpSink:
    """An aiosmtpd server on loopback that keeps what our outbound mail sends it."""

    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, decode_data=False)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def received(self) -> list[Captured]:
        return self.handler.received
