"""A tiny FastCGI client (the responder role, one request per connection, or
several on a Kept one) to
speak to a service's own socket as nginx does, without nginx: for what
nginx's public server never passes (GET /metrics) and for processes the
tests start themselves.

    status, headers, body = request("/run/.../auth.sock", "GET", "/metrics")
    request(("127.0.0.1", 9001), "POST", "/api/v1/auth/sms-codes", b'{...}', {"CONTENT_TYPE": "application/json"})
"""

import socket
import struct

BEGIN, END, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7


def _record(kind, content, req_id=1):
    out = b""
    for i in range(0, max(len(content), 1), 65535):  # an empty content is one empty record (a stream's end)
        chunk = content[i:i + 65535]
        pad = -len(chunk) % 8
        out += struct.pack(">BBHHBx", 1, kind, req_id, len(chunk), pad) + chunk + b"\0" * pad
    return out


def _pair(name, value):
    def length(n):
        return struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    name, value = name.encode(), value.encode()
    return length(len(name)) + length(len(value)) + name + value


def _begin_request(method, uri, body, params, keep):
    env = {"REQUEST_METHOD": method, "DOCUMENT_URI": uri.split("?")[0], "REQUEST_URI": uri,
           "QUERY_STRING": uri.partition("?")[2], "CONTENT_LENGTH": str(len(body)) if body else "",
           "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    env.update(params or {})
    # responder; flags 1 (FCGI_KEEP_CONN): the application keeps the connection, as nginx asks it to
    return (_record(BEGIN, struct.pack(">HB5x", 1, 1 if keep else 0)) +
            _record(PARAMS, b"".join(_pair(k, v) for k, v in env.items())) + _record(PARAMS, b"") +
            (_record(STDIN, body) if body else b"") + _record(STDIN, b""))


def _read_record(s, data):
    """(kind, content, rest of data) of the next record; ConnectionError on EOF."""
    while len(data) < 8:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("the service closed the connection")
        data += chunk
    _, kind, _, n, pad = struct.unpack(">BBHHBx", data[:8])
    while len(data) < 8 + n + pad:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError("the service closed the connection mid-record")
        data += chunk
    return kind, data[8:8 + n], data[8 + n + pad:]


def _response(out):
    head, _, payload = out.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(headers.get("status", "200").split()[0])
    return status, headers, payload


def _connect(address, timeout):
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(address)
    return s


def request(address, method, uri, body=b"", params=None, timeout=10):
    """Sends one request; returns (status, {header: value}, body bytes)."""
    with _connect(address, timeout) as s:
        s.sendall(_begin_request(method, uri, body, params, keep=False))
        data, out = b"", b""
        while True:
            kind, content, data = _read_record(s, data)
            if kind == STDOUT:
                out += content
            elif kind == END:
                return _response(out)


class Kept:
    """A connection kept for several requests (FCGI_KEEP_CONN), as nginx's
    upstream keepalive keeps one; `records` lists every record's kind, in
    order, across requests (an empty STDERR between two answers is the
    service asking to let the connection go, common/listener.c)."""

    def __init__(self, address, timeout=10):
        self.sock = _connect(address, timeout)
        self.data = b""
        self.records = []

    def request(self, method, uri, body=b"", params=None):
        self.sock.sendall(_begin_request(method, uri, body, params, keep=True))
        out = b""
        while True:
            kind, content, self.data = _read_record(self.sock, self.data)
            self.records.append((kind, len(content)))
            if kind == STDOUT:
                out += content
            elif kind == END:
                return _response(out)

    def next_record(self, timeout):
        """(kind, content length) of the next record the service sends unasked, or None at EOF."""
        self.sock.settimeout(timeout)
        try:
            kind, content, self.data = _read_record(self.sock, self.data)
        except ConnectionError:
            return None
        self.records.append((kind, len(content)))
        return kind, len(content)

    def close(self):
        self.sock.close()
