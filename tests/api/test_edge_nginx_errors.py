"""Errors nginx answers itself (API.md v1.1): 400, 404, 405, 413, 414, 431 and 50x are
application/problem+json with X-Request-Id, like the services' own. Requests that
http.client refuses to send (a malformed request line, a 10 KiB URL, a 20 KiB header)
go out on a raw socket."""

import json
import re
import socket

import contract
from harness import HOST, PORT, BASE_PATH, eq, ok

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def _raw(data, timeout=10):
    """Sends bytes as they are; returns (status, headers with lower-case names, body)."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            out += chunk
            head, sep, body = out.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?im)^content-length:\s*([0-9]+)\s*$", head)
                if m and len(body) >= int(m.group(1)):
                    break
    finally:
        s.close()
    head, sep, body = out.partition(b"\r\n\r\n")
    ok(sep, "no complete HTTP answer to %r...: %r" % (data[:60], out[:300]))
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] ([0-9]{3})", lines[0])
    ok(m, "bad status line %r" % lines[0])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    request = re.match(rb"([A-Z]+) (/[^ \r\n]*) HTTP/1\.[01]\r\n", data)
    if request:  # a request line nginx could read: its answer is the contract's too
        contract.check(request.group(1).decode(), request.group(2).decode("latin-1"), int(m.group(1)), headers, body)
    return int(m.group(1)), headers, body


def _problem(answer, status, code, what):
    got, headers, body = answer
    eq(got, status, what + ": status (body %r)" % body[:200])
    ok(headers.get("content-type", "").startswith("application/problem+json"),
       "%s: Content-Type should be application/problem+json, got %r (body %r)"
       % (what, headers.get("content-type"), body[:200]))
    rid = headers.get("x-request-id", "")
    ok(REQUEST_ID.fullmatch(rid), "%s: X-Request-Id missing or malformed: %r" % (what, rid))
    p = json.loads(body.decode("utf-8"))
    eq(p.get("type"), "about:blank", what + ": type")
    eq(p.get("status"), status, what + ": status member")
    eq(p.get("code"), code, what + ": code")
    ok(isinstance(p.get("title"), str) and p["title"], what + ": title")
    ok(isinstance(p.get("detail"), str), what + ": detail")
    return rid


def _get(target, extra=b""):
    return b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"Connection: close\r\n\r\n"


def test_malformed_request_lines_are_400_problem_json_with_request_id():
    for line in (b"GET " + BASE_PATH.encode() + b"/auth/health HTTP/1.1 junk",
                 b"\x01\x02 / HTTP/1.1",
                 b"G@T " + BASE_PATH.encode() + b"/auth/health HTTP/1.1",
                 b"GET nothing-absolute HTTP/1.1"):
        _problem(_raw(line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), 400, "bad_request",
                 "request line %r" % line[:50])


def test_bad_headers_are_400_problem_json_with_request_id():
    path = BASE_PATH.encode() + b"/auth/health"
    cases = [(b"GET " + path + b" HTTP/1.1\r\nConnection: close\r\n\r\n", "HTTP/1.1 without Host"),
             (b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n",
              "Content-Length: abc")]
    for data, what in cases:
        _problem(_raw(data), 400, "bad_request", what)


def test_ten_kib_url_is_414_problem_json_with_request_id():
    target = BASE_PATH.encode() + b"/auth/health?pad=" + b"a" * 10240
    _problem(_raw(_get(target)), 414, "uri_too_long", "10 KiB URL")


def test_twenty_kib_header_is_431_problem_json_with_request_id():
    target = BASE_PATH.encode() + b"/auth/health"
    _problem(_raw(_get(target, b"X-Pad: " + b"a" * 20480 + b"\r\n")), 431, "header_too_large", "20 KiB header")
    many = b"".join(b"X-Pad-%d: %s\r\n" % (i, b"b" * 4000) for i in range(10))
    _problem(_raw(_get(target, many)), 431, "header_too_large", "40 KB of headers")


def test_unsupported_transfer_encoding_is_501_problem_json_with_request_id():
    data = (b"POST " + BASE_PATH.encode() + b"/auth/sms-codes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
            b"Connection: close\r\n\r\n")
    _problem(_raw(data), 501, "not_implemented", "Transfer-Encoding: gzip")


def test_http_2_request_line_over_tcp_is_505_problem_json_with_request_id():
    data = b"GET " + BASE_PATH.encode() + b"/auth/health HTTP/2.0\r\nHost: x\r\nConnection: close\r\n\r\n"
    _problem(_raw(data), 505, "http_version_not_supported", "HTTP/2.0 request line")


def test_nginx_404_405_and_413_are_problem_json_with_request_id():
    # outside /api/ every path is the PC client's (its SPA fallback); under it, nginx's own 404
    _problem(_raw(_get(b"/api/nowhere")), 404, "not_found", "GET /api/nowhere")
    _problem(_raw(_get(BASE_PATH.encode() + b"/nowhere")), 404, "not_found", "GET /api/v1/nowhere")
    _problem(_raw(b"TRACE " + BASE_PATH.encode() + b"/auth/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
             405, "method_not_allowed", "TRACE")
    data = (b"POST " + BASE_PATH.encode() + b"/auth/sms-codes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 3145728\r\nConnection: close\r\n\r\n")
    _problem(_raw(data), 413, "payload_too_large", "3 MiB Content-Length")


def test_a_valid_client_request_id_is_echoed_on_nginx_own_400():
    data = b"GET " + BASE_PATH.encode() + b"/auth/health HTTP/1.1\r\nX-Request-Id: edge-400-echo\r\nConnection: close\r\n\r\n"
    eq(_problem(_raw(data), 400, "bad_request", "no Host"), "edge-400-echo", "X-Request-Id")


def test_the_error_pages_cannot_be_requested_directly():
    for name in ("bad_request", "uri_too_long", "header_too_large", "internal"):
        _problem(_raw(_get(b"/.stvs-errors/" + name.encode())), 404, "not_found", "GET /.stvs-errors/" + name)
