#!/usr/bin/env python3
"""The stats endpoints' latency at one client: p50/p99 of each (bench/README.md, "Stats").

    bench/stats_latency.py BASE KEY_FILE USER_ID [N] [--json OUT] [--token-out FILE]
    bench/stats_latency.py --paths


BASE is the API base (http://127.0.0.1:18090/api/v1); KEY_FILE the stack's ES256 signing key
(var/.../keys/jwt-es256.key), with which an access token is made for USER_ID, a platform admin of
000000 in the loaded dataset (the stats service checks the token's signature and claims, then the
caller's scope in the database). Each endpoint is called N times (default 200) after 10 warm-up
calls, one request at a time on one keep-alive connection, as a dashboard would. Prints a Markdown
table and exits 1 if any answer is not 200. --json writes the figures for bench/report.py;
--token-out the token (for bench/stats.lua, the 16-client runs of bench/run.sh). --paths prints
each endpoint's path and its Accept (tab-separated, one a line) for those runs."""

import http.client
import json
import os
import secrets
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "api"))
import harness  # noqa: E402  (the JWT helpers of the API tests)

ENDPOINTS = [
    ("overview, country", "/stats/overview?region=000000"),
    ("overview, province", "/stats/overview?region=410000"),
    ("overview, county", "/stats/overview?region=410702"),
    ("regions of the country", "/stats/regions?parent=000000"),
    ("regions of a province", "/stats/regions?parent=410000"),
    ("monthly report, country", "/stats/monthly-report?region=000000"),
    ("monthly report, city (xlsx)", "/stats/monthly-report?region=410700", "xlsx"),
    ("trend, 36 months, country", "/stats/trend?region=000000&from=2024-01&to=2026-12"),
    ("quarterly, province, below=1", "/stats/quarterly?region=410000&below=1"),
    ("quarterly, country", "/stats/quarterly?region=000000"),
    ("quarterly, country, below=1", "/stats/quarterly?region=000000&below=1"),
    ("target of a county", "/stats/targets/410702"),
    ("public", "/stats/public"),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def token(conn, base_path, key_file, user_id):
    """An access token as auth would sign it (its kid from the stack's JWKS)."""
    conn.request("GET", base_path + "/auth/jwks.json")
    kid = json.loads(conn.getresponse().read())["keys"][0]["kid"]
    now = int(time.time())
    claims = {"iss": harness.JWT_ISS, "aud": harness.JWT_AUD, "sub": str(user_id), "iat": now, "exp": now + 900,
              "token_use": "access", "sid": "1", "jti": secrets.token_hex(16)}
    return harness.forge({"alg": "ES256", "typ": "JWT", "kid": kid}, claims,
                         sign=lambda data: harness.es256_sign(key_file, data))


def pct(sorted_ms, p):
    return sorted_ms[min(len(sorted_ms) - 1, int(round(p / 100.0 * (len(sorted_ms) - 1))))]


def option(argv, name):
    """The value after --name (removed from argv with it), or None."""
    if name not in argv:
        return None
    i = argv.index(name)
    if i + 1 >= len(argv):
        sys.exit(__doc__)
    v = argv[i + 1]
    del argv[i:i + 2]
    return v


def main(argv):
    argv = list(argv)
    if argv[1:] == ["--paths"]:
        for entry in ENDPOINTS:
            print("%s\t%s" % (entry[1], XLSX if len(entry) > 2 else "application/json"))
        return 0
    json_out, token_out = option(argv, "--json"), option(argv, "--token-out")
    if len(argv) < 4:
        sys.exit(__doc__)
    base, key_file, user_id = argv[1], argv[2], int(argv[3])
    n = int(argv[4]) if len(argv) > 4 else 200
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
    tok = token(conn, u.path.rstrip("/"), key_file, user_id)
    if token_out:
        with open(token_out, "w") as f:
            f.write(tok + "\n")
    hdrs = {"Authorization": "Bearer " + tok}
    bad, rows = 0, []
    print("| endpoint | p50 ms | p99 ms | max ms | bytes |")
    print("|---|---:|---:|---:|---:|")
    for entry in ENDPOINTS:
        name, path = entry[0], entry[1]
        h = dict(hdrs, Accept=XLSX) if len(entry) > 2 else hdrs
        times, size = [], 0
        for i in range(10 + n):
            t0 = time.perf_counter()
            conn.request("GET", u.path.rstrip("/") + path, headers=h)
            r = conn.getresponse()
            body = r.read()
            dt = (time.perf_counter() - t0) * 1000
            if r.status != 200:
                print("%s: %d %s" % (path, r.status, body[:200]), file=sys.stderr)
                bad += 1
                break
            if i >= 10:
                times.append(dt)
            size = len(body)
        if times:
            times.sort()
            print("| %s `%s` | %.1f | %.1f | %.1f | %d |" % (name, path, pct(times, 50), pct(times, 99), times[-1], size))
            rows.append({"name": name, "path": path, "calls": len(times), "p50_ms": pct(times, 50),
                         "p99_ms": pct(times, 99), "max_ms": times[-1], "bytes": size})
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"calls": n, "endpoints": rows, "failed": bad}, f)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
