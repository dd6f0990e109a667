"""A minimal FastCGI client: one request straight to a service's unix socket,
past nginx (tests/scale forces a write onto a read-pool process with it)."""

import socket
import struct

BEGIN, END, PARAMS, STDIN, STDOUT, STDERR = 1, 3, 4, 5, 6, 7


def _record(kind, content, req_id=1):
    return struct.pack(">BBHHBx", 1, kind, req_id, len(content), 0) + content


def _length(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def _params(pairs):
    out = b""
    for k, v in pairs.items():
        k, v = k.encode(), v.encode()
        out += _length(len(k)) + _length(len(v)) + k + v
    return out


def request(sock_path, method, uri, body=b"", headers=None, timeout=10):
    """Returns (status, headers dict, body bytes) of one FastCGI request."""
    path, _, query = uri.partition("?")
    params = {"REQUEST_METHOD": method, "DOCUMENT_URI": path, "REQUEST_URI": uri, "QUERY_STRING": query,
              "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": str(len(body))}
    if body:
        params["CONTENT_TYPE"] = "application/json"
    for k, v in (headers or {}).items():
        params["HTTP_" + k.upper().replace("-", "_")] = v
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(sock_path)
        msg = _record(BEGIN, struct.pack(">HB5x", 1, 0))
        msg += _record(PARAMS, _params(params)) + _record(PARAMS, b"")
        for i in range(0, len(body), 65535):
            msg += _record(STDIN, body[i:i + 65535])
        msg += _record(STDIN, b"")
        s.sendall(msg)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    out = b""
    i = 0
    while i + 8 <= len(data):
        _, kind, _, n, pad = struct.unpack(">BBHHBx", data[i:i + 8])
        if kind == STDOUT:
            out += data[i + 8:i + 8 + n]
        i += 8 + n + pad
        if kind == END:
            break
    head, _, payload = out.partition(b"\r\n\r\n")
    hdrs = {}
    for line in head.decode("latin-1").split("\r\n"):
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    status = int(hdrs.get("status", "200").split()[0])
    return status, hdrs, payload
