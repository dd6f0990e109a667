"""A tiny FastCGI client (the responder role, one request per connection) to
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


def request(address, method, uri, body=b"", params=None, timeout=10):
    """Sends one request; returns (status, {header: value}, body bytes)."""
    env = {"REQUEST_METHOD": method, "DOCUMENT_URI": uri.split("?")[0], "REQUEST_URI": uri,
           "QUERY_STRING": uri.partition("?")[2], "CONTENT_LENGTH": str(len(body)) if body else "",
           "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1"}
    env.update(params or {})
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(address)
        s.sendall(_record(BEGIN, struct.pack(">HB5x", 1, 0)) +  # responder, close the connection after
                  _record(PARAMS, b"".join(_pair(k, v) for k, v in env.items())) + _record(PARAMS, b"") +
                  (_record(STDIN, body) if body else b"") + _record(STDIN, b""))
        data, out = b"", b""
        while True:
            while len(data) < 8:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("the service closed the connection before FCGI_END_REQUEST")
                data += chunk
            _, kind, _, n, pad = struct.unpack(">BBHHBx", data[:8])
            while len(data) < 8 + n + pad:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError("the service closed the connection mid-record")
                data += chunk
            content, data = data[8:8 + n], data[8 + n + pad:]
            if kind == STDOUT:
                out += content
            elif kind == END:
                break
    head, _, payload = out.partition(b"\r\n\r\n")
    headers = {}
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    status = int(headers.get("status", "200").split()[0])
    return status, headers, payload
