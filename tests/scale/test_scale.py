#!/usr/bin/env python3
"""Scale-out tests (make test-scale): a stack of 3 processes per service, a hot
standby and read pools (tests/scale/run.sh starts it), driven through nginx.
What is served where is read from PostgreSQL's own counters, not assumed.

Environment (set by tests/scale/run.sh): the tests/api harness's STVS_TEST_*,
plus STVS_SCALE_REPLICA_PSQL (psql prefix on the standby), STVS_SCALE_INTERNAL
(the internal server's base URL), STVS_TEST_RUN_DIR (sockets and pid files),
STVS_SCALE_STACK (scripts/stack.sh, same environment).
"""

import datetime
import os
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.dont_write_bytecode = True

import fcgi  # noqa: E402  (tests/api/fcgi.py)
import harness  # noqa: E402
from runtime import alive  # noqa: E402  (tests/api/runtime.py)
from harness import Client, approved_org, eq, json_ok, ok, parallel, psql, register_volunteer  # noqa: E402

RUN_DIR = os.environ.get("STVS_TEST_RUN_DIR", "")
REPLICA_PSQL = os.environ.get("STVS_SCALE_REPLICA_PSQL", "")
INTERNAL = os.environ.get("STVS_SCALE_INTERNAL", "").rstrip("/")
STACK = os.environ.get("STVS_SCALE_STACK", "")
PROCS = int(os.environ.get("STVS_PROCS", "3"))

state = {}  # what one test leaves for the next: volunteers, an org, its admin


def psql_r(sql):
    out = subprocess.run(shlex.split(REPLICA_PSQL), input=sql, capture_output=True, text=True, timeout=30)
    ok(out.returncode == 0, "psql on the standby: %s" % out.stderr.strip())
    return out.stdout.strip()


def internal(path, timeout=5):
    try:
        with urllib.request.urlopen(INTERNAL + path, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def pid_of(slot):
    with open(os.path.join(RUN_DIR, slot + ".pid")) as f:
        return int(f.read().strip())


def restarts_of(slot):
    with open(os.path.join(RUN_DIR, slot + ".restarts")) as f:
        return int(f.read().strip())


def wait_until(cond, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def utc(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_activity(admin, org_id, capacity=500):
    now = datetime.datetime.now(datetime.timezone.utc)
    day, hour = datetime.timedelta(days=1), datetime.timedelta(hours=1)
    body = {"org_id": org_id, "title": "科普进社区" + harness.unique_name_part(4), "description": "科普讲座。",
            "service_category": "lecture", "themes": ["science_day"], "region_code": "410702",
            "address": "新乡市红旗区人民路1号", "capacity": capacity, "service_hours": 2.5,
            "contact_name": "李老师", "contact_phone": "0373-1234567", "requirements": "无",
            "members_only": False, "signup_starts_at": utc(now - hour), "signup_ends_at": utc(now + day),
            "starts_at": utc(now + 2 * day), "ends_at": utc(now + 2 * day + 4 * hour)}
    return json_ok(admin["client"].post("/activities", body, token=admin["token"]), 201, "create activity")


def on_standby(sql):
    """Waits until the standby has replayed what makes sql return a row."""
    ok(wait_until(lambda: psql_r(sql) != "", 10), "the standby never replayed: %s" % sql)


def scans(run, table):
    return int(run("SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables"
                   " WHERE schemaname || '.' || relname = '%s'" % table) or 0)


def setup():
    if "org" not in state:
        org, admin = approved_org()
        state["org"], state["admin"] = org, admin
        state["activity"] = new_activity(admin, org["id"])
    return state


# ---------------------------------------------------------------- layout

def test_every_process_answers_its_own_health_check_on_the_internal_server():
    status, _, listing = internal("/")
    eq(status, 200, "the internal server lists its metrics paths")
    paths = listing.decode().split()
    eq(len(paths), 6 * PROCS + 3 * PROCS, "one path per process (6 services and 3 read pools): %s" % paths)
    for p in paths:
        h = p.replace("/metrics/", "/health/", 1)
        status, _, body = internal(h)
        eq(status, 200, "%s: %r" % (h, body[:200]))


def test_metrics_route_to_each_process_internally_and_the_public_server_says_404():
    # The answer must come from the process itself (Prometheus text, checked by promtool when
    # installed; a problem+json 404 from a service without /metrics), never from nginx.
    for path in ("/metrics/activity/1", "/metrics/activity-ro/%d" % PROCS, "/metrics/auth/2"):
        status, ctype, body = internal(path)
        ok(status in (200, 404), "%s: %s" % (path, status))
        if status == 200:
            ok(ctype.startswith("text/plain"), "%s: Prometheus text, got %s" % (path, ctype))
            ok(b"# TYPE" in body, "%s: no # TYPE line" % path)
            promtool = subprocess.run(["sh", "-c", "command -v promtool"], capture_output=True, text=True).stdout
            if promtool.strip():
                check = subprocess.run([promtool.strip(), "check", "metrics"], input=body, capture_output=True)
                eq(check.returncode, 0, "promtool check metrics %s: %s" % (path, check.stdout + check.stderr))
        else:
            ok(ctype.startswith("application/problem+json"), "%s: the service's own 404, got %s %r"
               % (path, ctype, body[:200]))
    try:
        urllib.request.urlopen("http://%s:%d/metrics" % (harness.HOST, harness.PORT), timeout=5)
        status = 200
    except urllib.error.HTTPError as e:
        status = e.code
    eq(status, 404, "public /metrics")
    # the internal server's paths are the PC client's fallback page on the public one, never a process
    with urllib.request.urlopen("http://%s:%d/metrics/activity/1" % (harness.HOST, harness.PORT), timeout=5) as r:
        ok(r.headers.get("Content-Type", "").startswith("text/html"), "public /metrics/activity/1 is the client page")
        ok(b"# TYPE" not in r.read(), "public /metrics/activity/1 holds no metrics")


# ---------------------------------------------------------------- reads on the standby

def test_anonymous_lists_and_details_are_served_by_the_standby_and_token_reads_by_the_primary():
    s = setup()
    aid, oid = s["activity"]["id"], s["org"]["id"]
    on_standby("SELECT 1 FROM activity.activities WHERE id = %d" % aid)
    table = "activity.activities"
    before_r, before_p = scans(psql_r, table), scans(psql, table)
    n = 40
    for _ in range(n):
        eq(Client().get("/activities/%d" % aid).status, 200, "anonymous detail")
    for _ in range(10):
        eq(Client().get("/activities?page_size=5").status, 200, "anonymous list")
        eq(Client().get("/orgs/%d" % oid).status, 200, "anonymous org")
    ok(wait_until(lambda: scans(psql_r, table) - before_r >= n + 10, 20, 0.5),
       "the standby scanned %s %d times for %d anonymous reads" % (table, scans(psql_r, table) - before_r, n + 10))
    moved = scans(psql, table) - before_p
    ok(moved < 10, "the primary scanned %s %d times during anonymous reads" % (table, moved))

    before_r, before_p = scans(psql_r, table), scans(psql, table)
    token = s["admin"]["token"]
    for _ in range(n):
        eq(Client().get("/activities/%d" % aid, token=token).status, 200, "detail with a token")
    ok(wait_until(lambda: scans(psql, table) - before_p >= n, 20, 0.5),
       "the primary scanned %s %d times for %d reads with a token" % (table, scans(psql, table) - before_p, n))
    moved = scans(psql_r, table) - before_r
    ok(moved < 10, "the standby scanned %s %d times during reads with a token" % (table, moved))


def test_a_write_forced_onto_a_read_pool_process_is_503_and_writes_nothing():
    s = setup()
    vol = register_volunteer()
    aid = s["activity"]["id"]
    on_standby("SELECT 1 FROM volunteer.volunteers WHERE id = %d" % vol["id"])
    sock = os.path.join(RUN_DIR, "activity-ro.1.sock")
    status, _, body = fcgi.request(sock, "POST", "/api/v1/activities/%d/signups" % aid,
                                   params={"HTTP_AUTHORIZATION": "Bearer " + vol["token"]})
    eq(status, 503, "a sign-up sent to a read-pool process (its standby refuses writes): %r" % body[:300])
    eq(psql("SELECT count(*) FROM activity.signups WHERE activity_id = %d AND volunteer_id = %d"
            % (aid, vol["id"])), "0", "nothing written")


def test_stats_reads_on_the_standby_and_writes_its_targets_on_the_primary():
    admin = harness.platform_admin("410000")
    token = admin["access_token"]
    on_standby("SELECT 1 FROM auth.platform_admins WHERE user_id = %d" % admin["user"]["id"])
    stats_scans = ("SELECT coalesce(sum(seq_scan + coalesce(idx_scan, 0)), 0) FROM pg_stat_user_tables"
                   " WHERE schemaname = 'stats'")
    before_r = int(psql_r(stats_scans) or 0)
    for _ in range(20):
        eq(Client().get("/stats/overview?region=410702", token=token).status, 200, "stats overview")
    ok(wait_until(lambda: int(psql_r(stats_scans) or 0) - before_r >= 20, 20, 0.5),
       "the standby read the stats summaries %d times for 20 GETs" % (int(psql_r(stats_scans) or 0) - before_r))
    # (the primary's own counters move too: the fold thread reads the summaries there)
    volunteers = 1000 + int(time.time()) % 5000
    r = Client().put("/stats/targets/410702", {"volunteers": volunteers}, token=token)
    eq(r.status, 200, "PUT /stats/targets through the stats service with a standby: %r" % r.body)
    eq(psql("SELECT volunteers FROM stats.targets WHERE region_code = '410702'"), str(volunteers),
       "the target is written on the primary")


# ---------------------------------------------------------------- reads after writes

def test_100_registrations_each_read_back_at_once_through_volunteers_me():
    def one(_):
        v = register_volunteer()
        r = v["client"].get("/volunteers/me", token=v["token"])
        return v, r.status
    results = parallel(one, [(i,) for i in range(100)])
    errors = [r for r in results if isinstance(r, BaseException)]
    ok(not errors, "%d registrations failed: %s" % (len(errors), errors[:3]))
    statuses = [st for _, st in results]
    eq(statuses.count(200), 100, "GET /volunteers/me right after registering: %s"
       % {x: statuses.count(x) for x in set(statuses)})
    state["volunteers"] = [v for v, _ in results]


# ---------------------------------------------------------------- failures

class Load:
    """Threads repeating requests until stopped; counts every answer by status."""

    def __init__(self):
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = {}
        self.threads = []

    def add(self, fn):
        def loop():
            while not self.stop.is_set():
                try:
                    key = fn()
                except Exception as e:  # noqa: B902 - no answer at all is an error too
                    key = "no answer: %s" % type(e).__name__
                if key is None:
                    return
                with self.lock:
                    self.counts[key] = self.counts.get(key, 0) + 1
        t = threading.Thread(target=loop)
        self.threads.append(t)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def test_kill_9_of_processes_under_get_and_post_load_loses_no_request_and_they_come_back():
    # The processes killed serve GETs (an anonymous one's read pool, a token's primary pool)
    # while POSTs run on the same services' other pool: a POST a process was running when it
    # died has no answer (nginx never replays a POST), so none is killed mid-POST here.
    s = setup()
    vols = state.get("volunteers") or [register_volunteer() for _ in range(20)]
    acts = [new_activity(s["admin"], s["org"]["id"]) for _ in range(3)]
    aid = s["activity"]["id"]
    on_standby("SELECT 1 FROM activity.activities WHERE id = %d" % acts[-1]["id"])
    todo = [(v, a["id"]) for a in acts for v in vols]
    todo_lock = threading.Lock()

    def anon_get():
        return "GET %d" % Client().get("/activities/%d" % aid).status

    def me_get():
        v = vols[int(time.monotonic() * 1000) % len(vols)]
        return "GET me %d" % v["client"].get("/volunteers/me", token=v["token"]).status

    def signup():
        with todo_lock:
            if not todo:
                return None
            v, a = todo.pop()
        return "POST %d" % v["client"].post("/activities/%d/signups" % a, token=v["token"]).status

    victims = ["activity-ro.2", "volunteer.2"]
    old = {v: (pid_of(v), restarts_of(v)) for v in victims}
    load = Load()
    for _ in range(3):
        load.add(anon_get)
        load.add(me_get)
        load.add(signup)
    with load:
        time.sleep(1.5)
        for v in victims:
            os.kill(old[v][0], signal.SIGKILL)
        time.sleep(4)
    bad = {k: n for k, n in load.counts.items() if not k.endswith(" 200") and not k.endswith(" 201")}
    ok(not bad, "answers other than 200/201 under kill -9: %s (all: %s)" % (bad, load.counts))
    ok(sum(n for k, n in load.counts.items() if k.startswith("POST")) > 20, "POSTs ran: %s" % load.counts)
    for v in victims:
        ok(wait_until(lambda: pid_of(v) != old[v][0] and alive(pid_of(v)), 10), "%s was not restarted" % v)
        eq(restarts_of(v), old[v][1] + 1, "%s restarts counted" % v)
        pool, _, i = v.partition(".")
        ok(wait_until(lambda: internal("/health/%s/%s" % (pool, i))[0] == 200, 10), "%s healthy again" % v)


def test_sigterm_while_posts_queue_behind_a_row_lock_answers_none_of_them_502():
    s = setup()
    vols = state.get("volunteers") or [register_volunteer() for _ in range(30)]
    vols = vols[:30]
    act = new_activity(s["admin"], s["org"]["id"])
    holder = subprocess.Popen(shlex.split(harness.PSQL), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    holder.stdin.write("BEGIN; SELECT 1 FROM activity.activities WHERE id = %d FOR UPDATE; SELECT pg_sleep(4);"
                       " COMMIT;\n" % act["id"])
    holder.stdin.close()
    time.sleep(0.5)
    victim = "activity.1"
    pid = pid_of(victim)
    results = [None] * len(vols)

    def post(i):
        v = vols[i]
        r = v["client"].post("/activities/%d/signups" % act["id"], token=v["token"], timeout=30)
        # nginx shows its own 502 (the process reset the connection) as the problem+json 503
        # of @unavailable (nginx/nginx.conf.in): tell it from a service's answer by its detail
        nginx_made = r.status == 503 and b"the service is not running" in r.body
        results[i] = "502 (nginx: connection reset)" if nginx_made else r.status
    threads = [threading.Thread(target=post, args=(i,)) for i in range(len(vols))]
    for t in threads:
        t.start()
    time.sleep(1.5)  # 12 worker threads wait on the lock, the rest sit in the processes' listen queues
    os.kill(pid, signal.SIGTERM)
    for t in threads:
        t.join(40)
    holder.wait(30)
    got = {x: results.count(x) for x in set(results)}
    eq(results.count(502) + results.count("502 (nginx: connection reset)"), 0,
       "POSTs queued at SIGTERM answered 502: %s" % got)
    eq(results.count(201), len(vols), "every queued sign-up made: %s" % got)
    ok(wait_until(lambda: not alive(pid), 15), "%s exited after draining" % victim)
    time.sleep(1.5)
    eq(pid_of(victim), pid, "a process stopped on purpose (SIGTERM, exit 0) is not restarted")
    ok(not os.path.exists(os.path.join(RUN_DIR, victim + ".sup")), "its supervisor ended")


def test_stopping_the_standby_under_a_read_loop_fails_no_get():
    s = setup()
    aid, oid = s["activity"]["id"], s["org"]["id"]

    def detail():
        return "GET %d" % Client().get("/activities/%d" % aid).status

    def listing():
        return "GET list %d" % Client().get("/activities?page_size=5").status

    def org():
        return "GET org %d" % Client().get("/orgs/%d" % oid).status
    load = Load()
    for fn in (detail, listing, org, detail):
        load.add(fn)
    with load:
        time.sleep(1.5)
        stop = subprocess.run([STACK, "replica-stop"], capture_output=True, text=True, timeout=60)
        time.sleep(3)
    eq(stop.returncode, 0, "replica-stop: %s" % stop.stderr)
    bad = {k: n for k, n in load.counts.items() if not k.endswith(" 200")}
    ok(not bad, "GETs failed while the standby stopped: %s (all: %s)" % (bad, load.counts))
    ok(sum(load.counts.values()) > 50, "the loop ran: %s" % load.counts)
    start = subprocess.run([STACK, "replica-start"], capture_output=True, text=True, timeout=120)
    eq(start.returncode, 0, "replica-start: %s" % start.stderr)


def test_read_pools_fail_back_to_the_standby_once_it_returns():
    # Stopped standby: the read pools read the primary (libpq's prefer-standby). Started again:
    # within STVS_DB_FAILBACK_SECONDS (tests/scale/run.sh sets it small) they read the standby
    # again, without a restart and without one failed GET (common/db.c, fail_back).
    s = setup()
    aid = s["activity"]["id"]
    table = "activity.activities"
    failback = int(os.environ.get("STVS_DB_FAILBACK_SECONDS", "30"))
    stop = subprocess.run([STACK, "replica-stop"], capture_output=True, text=True, timeout=60)
    eq(stop.returncode, 0, "replica-stop: %s" % stop.stderr)
    codes = {}

    def read():
        st = Client().get("/activities/%d" % aid).status
        codes[st] = codes.get(st, 0) + 1
    before_p = scans(psql, table)
    for _ in range(60):
        read()
    ok(wait_until(lambda: scans(psql, table) - before_p >= 60, 20, 0.5),
       "with the standby stopped, the primary served the anonymous reads")
    start = subprocess.run([STACK, "replica-start"], capture_output=True, text=True, timeout=120)
    eq(start.returncode, 0, "replica-start: %s" % start.stderr)
    before_r = scans(psql_r, table)
    t0 = time.monotonic()
    moved = False
    while time.monotonic() - t0 < failback + 10 and not moved:
        for _ in range(20):
            read()
        moved = scans(psql_r, table) - before_r >= 20
        time.sleep(0.2)
    ok(moved, "the standby's own counters never moved within %d s of its return (failback %d s)"
       % (failback + 10, failback))
    eq(list(codes), [200], "every anonymous GET answered 200 while the standby left and came back: %s" % codes)



if __name__ == "__main__":
    tests = harness.collect([sys.modules[__name__]], [a for a in sys.argv[1:] if a])
    passed, failed = harness.run_tests(tests)
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
