"""HTTP/1.1 requests written byte by byte to a test server, for what aiohttp's client refuses to
send (header bytes that are not UTF-8, say)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp.test_utils import TestClient

WAIT = 10.0


@dataclass(frozen=True)
class RawResponse:
    status: int
    head: bytes
    body: bytes


async def raw_request(
    client: TestClient[Any, Any],
    method: str,
    path: str,
    headers: list[tuple[bytes, bytes]],
    body: bytes = b"",
) -> RawResponse:
    """`method path` with exactly these header lines (plus Host, Content-Length when there is a
    body, and Connection: close), and the server's answer once it closes the connection."""
    assert client.port is not None
    lines = [f"{method} {path} HTTP/1.1".encode(), f"Host: {client.host}:{client.port}".encode()]
    lines += [name + b": " + value for name, value in headers]
    if body:
        lines.append(f"Content-Length: {len(body)}".encode())
    lines.append(b"Connection: close")
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), WAIT)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, rest = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return RawResponse(status, head, rest)
