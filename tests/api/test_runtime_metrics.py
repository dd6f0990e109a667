"""GET /metrics: every service process answers Prometheus text on its own
FastCGI socket (spoken to directly, as the internal scrape does), valid for
`promtool check metrics`; its counters move with requests; the public
nginx server never shows it."""

import os
import re
import shutil
import subprocess

import fcgi
from harness import BASE_PATH, Client, eq, ok, problem
from runtime import sockets

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def scrape(sock):
    status, headers, body = fcgi.request(sock, "GET", "/metrics")
    eq(status, 200, "GET /metrics on %s" % sock)
    eq(headers.get("content-type"), CONTENT_TYPE, "Content-Type of %s" % sock)
    return body.decode("utf-8")


def value(text, name, **labels):
    """The sample's value, or 0 when the series is not there yet."""
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        if got == {k: str(v) for k, v in labels.items()}:
            return float(m.group(3))
    return 0.0


def total(service, name, **labels):
    """Summed over the service's processes (one, or N behind nginx)."""
    return sum(value(scrape(s), name, **labels) for s in sockets(service))


def test_every_service_process_answers_metrics_that_promtool_accepts():
    promtool = shutil.which("promtool")
    ok(promtool, "promtool is not installed (Debian package prometheus: scripts/deps.sh)")
    socks = sockets()
    ok(len(socks) >= 6, "expected a socket per service in the runtime dir, found %s" % socks)
    for sock in socks:
        text = scrape(sock)
        r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
        eq(r.returncode, 0, "promtool check metrics for %s: %s%s" % (os.path.basename(sock), r.stdout, r.stderr))
        for family in ("stvs_http_requests_total", "stvs_http_request_duration_seconds", "stvs_db_errors_total",
                       "stvs_db_reconnects_total", "stvs_worker_threads", "stvs_worker_threads_busy",
                       "process_start_time_seconds"):
            ok("# TYPE %s " % family in text, "%s lacks %s" % (os.path.basename(sock), family))
        ok(value(text, "stvs_worker_threads") >= 1, "no worker threads counted")
        ok(value(text, "stvs_worker_threads_busy") >= 1, "the scrape itself is a busy thread")


def test_import_exports_its_job_gauges():
    text = scrape(sockets("import")[0])
    for family in ("stvs_import_jobs_running", "stvs_import_jobs_queued"):
        ok("# TYPE %s gauge" % family in text, "import lacks %s" % family)


def test_requests_count_by_route_pattern_and_status_and_in_the_histogram():
    health = {"method": "GET", "route": "/auth/health", "code": "200"}
    hist = {"method": "GET", "route": "/auth/health"}
    before = total("auth", "stvs_http_requests_total", **health)
    before_count = total("auth", "stvs_http_request_duration_seconds_count", **hist)
    before_inf = total("auth", "stvs_http_request_duration_seconds_bucket", le="+Inf", **hist)
    before_missing = total("auth", "stvs_http_requests_total", method="GET", route="unmatched", code="404")
    for _ in range(3):
        eq(Client().get("/auth/health").status, 200, "health")
    raw = "/auth/no-such-thing-4711"
    eq(Client().get(raw).status, 404, "an unknown auth path")
    eq(total("auth", "stvs_http_requests_total", **health) - before, 3, "GET /auth/health 200 counted thrice")
    eq(total("auth", "stvs_http_request_duration_seconds_count", **hist) - before_count, 3, "histogram count")
    eq(total("auth", "stvs_http_request_duration_seconds_bucket", le="+Inf", **hist) - before_inf, 3, "+Inf bucket")
    eq(total("auth", "stvs_http_requests_total", method="GET", route="unmatched", code="404") - before_missing, 1,
       "an unknown path counts as route=\"unmatched\"")
    ok(all("no-such-thing-4711" not in scrape(s) for s in sockets("auth")), "a raw path became a label")


def test_a_route_with_an_id_counts_under_its_pattern():
    before = total("activity", "stvs_http_requests_total", method="GET", route="/activities/{id}", code="404")
    eq(Client().get("/activities/999999999").status, 404, "an activity that does not exist")
    eq(total("activity", "stvs_http_requests_total", method="GET", route="/activities/{id}", code="404") - before, 1,
       "counted under the pattern /activities/{id}")


def test_metrics_is_not_reachable_through_the_public_server():
    problem(Client().get("/metrics"), 404, "not_found", "GET /api/v1/metrics")
    problem(Client().get("/metrics", absolute=True), 404, "not_found", "GET /metrics on nginx's public port")
    for svc in ("auth", "volunteers", "orgs", "activities", "imports", "stats"):
        r = Client().get("/%s/metrics" % svc)
        ok(r.status in (401, 404, 405) and "stvs_" not in r.body.decode("utf-8", "replace"),
           "GET %s/%s/metrics showed metrics: %s" % (BASE_PATH, svc, r))
