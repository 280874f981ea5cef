"""The probe checks themselves: async I/O only, so one worker runs thousands concurrently.

Each check takes a plain `ProbeSpec` (no ORM objects cross into the event loop) and returns an
`Outcome`; nothing here touches the database.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509

from weibao.monitoring.httpprobe import HttpProber, ProbeHTTPError

USER_AGENT = "Weibao-Probe/1"


@dataclass(frozen=True)
class ProbeSpec:
    id: int
    kind: str
    target: str
    timeout: float
    expected_status: int | None = None
    keyword: str = ""
    max_response_ms: int | None = None
    tls_warn_days: int = 14
    dns_expect: str = ""


@dataclass
class Outcome:
    probe_id: int
    state: str  # up, slow, down
    response_ms: int | None = None
    error: str = ""
    cert_expires_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.state == "up"


def _host_port(target: str, default_port: int) -> tuple[str, int]:
    host, sep, port = target.rpartition(":")
    if not sep or not port.isdigit() or "]" in port:
        return target.strip("[]"), default_port
    return host.strip("[]"), int(port)


@dataclass
class Context:
    """What the checks of one round share: the HTTP connection pool and the TLS settings."""

    http: HttpProber
    ssl_context: ssl.SSLContext


async def check_http(spec: ProbeSpec, ctx: Context) -> Outcome:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(spec.timeout):
            response = await ctx.http.get(spec.target, want_body=bool(spec.keyword))
    except TimeoutError:
        return Outcome(spec.id, "down", error=f"timed out after {spec.timeout:g} s")
    except ProbeHTTPError as exc:
        return Outcome(spec.id, "down", error=str(exc)[:500])
    except OSError as exc:
        return Outcome(spec.id, "down", error=f"{type(exc).__name__}: {exc}"[:500])
    ms = int((time.perf_counter() - started) * 1000)
    if spec.expected_status is not None and response.status != spec.expected_status:
        return Outcome(spec.id, "down", ms, f"HTTP {response.status}, expected {spec.expected_status}")
    if spec.expected_status is None and response.status >= 400:
        return Outcome(spec.id, "down", ms, f"HTTP {response.status}")
    if spec.keyword and spec.keyword not in response.text:
        return Outcome(spec.id, "down", ms, f"keyword {spec.keyword!r} not in the response")
    if spec.max_response_ms is not None and ms > spec.max_response_ms:
        # The contracts treat a slow system as a fault: this counts as a failure.
        return Outcome(spec.id, "slow", ms, f"response took {ms} ms > {spec.max_response_ms} ms")
    return Outcome(spec.id, "up", ms)


async def check_tcp(spec: ProbeSpec, ctx: Context) -> Outcome:
    host, port = _host_port(spec.target, 80)
    started = time.perf_counter()
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), spec.timeout)
    except TimeoutError:
        return Outcome(spec.id, "down", error=f"connect to {host}:{port} timed out after {spec.timeout:g} s")
    except OSError as exc:
        return Outcome(spec.id, "down", error=f"connect to {host}:{port} failed: {exc.strerror or exc}")
    ms = int((time.perf_counter() - started) * 1000)
    writer.close()
    try:
        await writer.wait_closed()
    except OSError:
        pass
    return Outcome(spec.id, "up", ms)


async def check_tls(spec: ProbeSpec, ctx: Context) -> Outcome:
    host, port = _host_port(spec.target, 443)
    context = ctx.ssl_context  # verifies the chain and the host name, as a browser would
    started = time.perf_counter()
    try:
        _reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=context, server_hostname=host), spec.timeout)
    except TimeoutError:
        return Outcome(spec.id, "down", error=f"TLS handshake with {host}:{port} timed out")
    except ssl.SSLCertVerificationError as exc:
        return Outcome(spec.id, "down", error=f"certificate not valid: {exc.verify_message or exc}"[:500])
    except (OSError, ssl.SSLError) as exc:
        return Outcome(spec.id, "down", error=f"TLS to {host}:{port} failed: {exc}"[:500])
    ms = int((time.perf_counter() - started) * 1000)
    ssl_object = writer.get_extra_info("ssl_object")
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    writer.close()
    try:
        await writer.wait_closed()
    except (OSError, ssl.SSLError):
        pass
    if not der:
        return Outcome(spec.id, "down", ms, "no certificate presented")
    expires = x509.load_der_x509_certificate(der).not_valid_after_utc
    left = expires - datetime.now(UTC)
    if left < timedelta(days=spec.tls_warn_days):
        return Outcome(spec.id, "down", ms, f"certificate expires in {max(0, left.days)} days ({expires:%Y-%m-%d})", expires)
    return Outcome(spec.id, "up", ms, cert_expires_at=expires)


async def check_dns(spec: ProbeSpec, ctx: Context) -> Outcome:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(spec.target, None), spec.timeout)
    except TimeoutError:
        return Outcome(spec.id, "down", error=f"resolving {spec.target} timed out")
    except OSError as exc:
        return Outcome(spec.id, "down", error=f"{spec.target} does not resolve: {exc}")
    ms = int((time.perf_counter() - started) * 1000)
    addresses = sorted({str(info[4][0]) for info in infos})
    if spec.dns_expect and spec.dns_expect not in addresses:
        return Outcome(spec.id, "down", ms, f"{spec.target} resolves to {', '.join(addresses)}, expected {spec.dns_expect}")
    return Outcome(spec.id, "up", ms)


async def check_ping(spec: ProbeSpec, ctx: Context) -> Outcome:
    # ICMP needs privileges: the system's ping (setuid or with capabilities) does it where permitted.
    binary = shutil.which("ping")
    if binary is None:
        return Outcome(spec.id, "down", error="ping is not installed or not permitted on this machine")
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(binary, "-c", "1", "-W", str(max(1, int(spec.timeout))), spec.target,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        _out, err = await asyncio.wait_for(proc.communicate(), spec.timeout + 2)
    except TimeoutError:
        proc.kill()
        return Outcome(spec.id, "down", error="ping timed out")
    ms = int((time.perf_counter() - started) * 1000)
    if proc.returncode != 0:
        return Outcome(spec.id, "down", ms, (err.decode(errors="replace").strip() or f"no reply from {spec.target}")[:500])
    return Outcome(spec.id, "up", ms)


CHECKS: dict[str, Callable[[ProbeSpec, Context], Awaitable[Outcome]]] = {
    "http": check_http, "tcp": check_tcp, "tls": check_tls, "dns": check_dns, "ping": check_ping,
}


async def run_checks(specs: list[ProbeSpec], *, concurrency: int = 200) -> list[Outcome]:
    """Run every check with at most `concurrency` in flight: that many worker tasks each take the next
    probe from the round until none is left (no task per probe), sharing one pool of HTTP connections."""
    # made per round: it reads SSL_CERT_FILE / the system store as they are now
    context = ssl.create_default_context()
    ctx = Context(HttpProber(user_agent=USER_AGENT, ssl_context=context, max_idle=max(concurrency, 50)), context)
    outcomes: list[Outcome | None] = [None] * len(specs)
    pending = iter(range(len(specs)))

    async def worker() -> None:
        for index in pending:  # a shared iterator: each index is taken by exactly one worker
            spec = specs[index]
            try:
                outcomes[index] = await CHECKS[spec.kind](spec, ctx)
            except Exception as exc:  # noqa: BLE001 - a broken check is a failed check, never a crashed round
                outcomes[index] = Outcome(spec.id, "down", error=f"{type(exc).__name__}: {exc}"[:500])

    try:
        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, len(specs))))))
    finally:
        await ctx.http.aclose()
    return [o if o is not None else Outcome(s.id, "down", error="not run") for o, s in zip(outcomes, specs, strict=True)]
