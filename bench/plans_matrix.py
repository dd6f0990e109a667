#!/usr/bin/env python3
"""Page 1 of GET /activities for every combination of its filters, planned and run as the
service runs them (issue 15; docs/query-plans.md, "Every filter combination").

    bench/plans_matrix.py SQLDUMP_DIR [--out FILE]

The connection is psql's environment (PGHOST, PGPORT, PGUSER, PGDATABASE: a seeded bench
database, bench/seed.sh). The statements come from the compiled services/activity/sql.c
(SQLDUMP_DIR/sqldump-activity: list_page_desc, the page and its capped count in one statement),
each the variant the service
runs for that shape of filters, prepared with the service's parameter types, once per text, as
the service prepares each variant once per connection, under SET ROLE stvs_activity, and run
as the service runs it: on its generic plan (plan_cache_mode = force_generic_plan), or, for the
shapes the service plans per call, on custom plans. Every combination of region (none, a province, a city, a
county) x status (none and the six) x time window (none, today ±7 days) x title word (none,
two characters, four characters, two characters in no title) is run RUNS_BEFORE (6) times
(past the plan cache's five custom plans, had it been left to choose), then once more under
EXPLAIN (ANALYZE, BUFFERS); a combination is index-served when the statement does not
scan activities sequentially and no scan throws away more than 1,000 rows it read (rows
removed by a filter or a recheck, summed over the plan). Prints a Markdown section; --out
writes it to FILE too. Standard library only (psql does the talking)."""

import itertools
import json
import subprocess
import sys

REGIONS = [("—", None), ("province 410000", "410000"), ("city 410100", "410100"), ("county 410102", "410102")]
STATUSES = [None, "cancelled", "ended", "ongoing", "recruiting", "signup_closed", "upcoming"]
WINDOWS = [None, "±7 days"]
WORDS = [None, "科普", "科普讲座", "火箭"]
EXTRA = [  # single filters outside the matrix, with a status
    ("org_id (busiest org)", {"org": "busy"}), ("service_category=lecture", {"cat": "lecture"}),
    ("service_category=lecture&status=recruiting", {"cat": "lecture", "status": "recruiting"}),
    ("theme=science_day", {"theme": "science_day"}),
    ("theme=science_day&status=recruiting", {"theme": "science_day", "status": "recruiting"}),
]
REMOVED_LIMIT = 1000
RUNS_BEFORE = 6  # executions of a case before the measured one (the plan cache may go generic at the 6th)
TYPES = "text, text, text, bigint, text, text, text, timestamptz, timestamptz"  # as sql.c's list_types


def lit(v):
    return "NULL" if v is None else "'" + str(v).replace("'", "''") + "'"


def psql(sql):
    r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1"], input=sql, capture_output=True,
                       text=True, timeout=1800)
    if r.returncode:
        sys.exit("plans_matrix: psql failed: " + r.stderr[-2000:])
    return r.stdout


def walk(node, acc):
    acc["nodes"].append(node["Node Type"] + (" " + node["Index Name"] if "Index Name" in node else ""))
    if node["Node Type"] in ("Seq Scan", "Parallel Seq Scan") and node.get("Relation Name") == "activities":
        acc["seq"] = True
    loops = node.get("Actual Loops", 1) or 1
    acc["removed"] += (node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)) * loops
    for c in node.get("Plans", []):
        walk(c, acc)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    out = argv[argv.index("--out") + 1] if "--out" in argv else None
    per_call = set()
    texts = {}  # (statement, the variant's SQL) -> its prepared name, as the service prepares each once

    def prepared(stmt, params):
        """The name of the variant the service runs for these parameters, prepared once."""
        dump = subprocess.run([argv[1] + "/sqldump-activity", stmt] + ["NULL" if v is None else v for v in params],
                              capture_output=True, text=True, check=True)
        key = (stmt, " ".join(dump.stdout.split("\n")))
        if key not in texts:
            texts[key] = "%s_%d" % (stmt[5:], len(texts))
            if key[1].startswith("/* planned per call */"):
                per_call.add(texts[key])
            types = TYPES + ", bigint, bigint"
            sql.append("PREPARE %s (%s) AS %s;" % (texts[key], types, key[1]))
        return texts[key]

    info = psql("SELECT count(*), (SELECT org_id FROM activity.activities GROUP BY 1 ORDER BY count(*) DESC LIMIT 1),"
                " version() FROM activity.activities").strip().split("|")
    nact, busy_org, version = int(info[0]), info[1], info[2]
    ranges = {}
    for _, code in REGIONS[1:]:
        lo, hi = psql("SELECT lo, hi FROM ref.region_range('%s')" % code).strip().split("|")
        ranges[code] = (lo, hi)

    cases = []
    for (rname, rcode), status, window, word in itertools.product(REGIONS, STATUSES, WINDOWS, WORDS):
        label = "&".join(x for x in (
            "region=" + rcode if rcode else "", "status=" + status if status else "",
            "from/to ±7 d" if window else "", "q=" + word if word else "") if x) or "no filter"
        cases.append((label, {"region": rcode, "status": status, "window": window, "q": word}))
    for label, f in EXTRA:
        cases.append((label, f))

    sql = ["SET ROLE stvs_activity;", "SET TimeZone = 'Asia/Shanghai';"]
    for _, f in cases:
        lo, hi = ranges[f["region"]] if f.get("region") else (None, None)
        window = "now() - interval '7 days'", "now() + interval '7 days'"
        params = [f.get("status"), lo, hi, busy_org if f.get("org") else None, f.get("cat"), f.get("theme"),
                  f.get("q"), window[0] if f.get("window") else None, window[1] if f.get("window") else None]
        args = ", ".join(lit(v) if i < 7 or v is None else v for i, v in enumerate(params))
        for stmt, extra in (("list_page_desc", ", 20, 0"),):
            name = prepared(stmt, params + ([] if not extra else ["20", "0"]))
            # the service runs a kept variant on its generic plan (common/db_variant.c), and
            # a shape it plans per call (sqldump says so) on custom plans
            sql.append("SET plan_cache_mode = %s;" % ("force_custom_plan" if name in per_call else "force_generic_plan"))
            for _ in range(RUNS_BEFORE):  # past the plan cache's fifth custom plan
                sql.append("EXECUTE %s(%s%s) \\g /dev/null" % (name, args, extra))
            sql.append("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) EXECUTE %s(%s%s);" % (name, args, extra))
            sql.append("SELECT json_build_array(generic_plans > 0) FROM pg_prepared_statements WHERE name = '%s';"
                       % name)
    raw = psql("\n".join(sql) + "\n")
    plans, buf = [], ""
    for line in raw.splitlines():  # each EXPLAIN's JSON is a multi-line array
        buf += line + "\n"
        try:
            plans.append(json.loads(buf))
            buf = ""
        except ValueError:
            pass
    if len(plans) != 2 * len(cases):
        sys.exit("plans_matrix: %d plans for %d cases" % (len(plans), len(cases)))
    generic = [g[0] for g in plans[1::2]]
    plans = plans[0::2]

    rows, served_all, worst = [], 0, []
    for i, (label, _) in enumerate(cases):
        res = []
        for plan, gen in zip(plans[i:i + 1], generic[i:i + 1]):
            acc = {"nodes": [], "seq": False, "removed": 0}
            top = plan[0]
            walk(top["Plan"], acc)
            shared = top["Plan"].get("Shared Hit Blocks", 0) + top["Plan"].get("Shared Read Blocks", 0)
            res.append({"ms": top["Execution Time"], "plan_ms": top.get("Planning Time", 0), "removed": int(acc["removed"]), "seq": acc["seq"],
                        "buffers": shared, "result": _child_rows(top["Plan"]) or 0,
                        "indexes": sorted({n.split(" ", 2)[-1] for n in acc["nodes"] if "Index" in n and " " in n}),
                        "generic": gen})
        served = not any(r["seq"] or r["removed"] > REMOVED_LIMIT for r in res)
        served_all += served
        rows.append((label, res, served))
        worst.append((max(r["ms"] for r in res), label))

    w("## Every filter combination, page 1 (issue 15)")
    w("")
    w("Generated by `bench/plans_matrix.py` (its header says how) on %s activities; %s." % (
        "{:,}".format(nact), version.split(",")[0]))
    w("Each combination: `list_page_desc` (page 1, 20 rows, and the capped count, at most 10,001 rows, in one "
      "statement), the prepared variant the service runs for that shape of filters (`services/activity/sql.c`), "
      "run %d times, then once more under EXPLAIN (ANALYZE, BUFFERS): on its generic plan, or planned per call "
      "for the shapes the service plans so (*plan*). *Index-served*: no sequential scan of activities and at "
      "most %s rows read then thrown away by a filter or recheck." % (RUNS_BEFORE, "{:,}".format(REMOVED_LIMIT)))
    w("")
    ngeneric = sum(r["generic"] for _, res, _ in rows for r in res)
    w("**%d of %d combinations index-served.** %d distinct statement texts; %d of the %d measured runs on a "
      "generic plan; planning %.1f ms in all (%.3f ms a run). Slowest: %s." % (
          served_all, len(rows), len(texts), ngeneric, len(rows),
          sum(r["plan_ms"] for _, res, _ in rows for r in res),
          sum(r["plan_ms"] for _, res, _ in rows for r in res) / len(rows),
          ", ".join("%s %.1f ms" % (l, t) for t, l in sorted(worst, reverse=True)[:5])))
    w("")
    w("| filters | ms | counted | thrown away | buffers | indexes | plan | index-served |")
    w("|---|---:|---:|---:|---:|---|---|---|")
    for label, (p,), served in rows:
        w("| %s | %.2f | %s | %s%s | %s | %s | %s | %s |" % (
            label, p["ms"], "{:,}".format(p["result"]), "{:,}".format(p["removed"]), " (seq scan)" if p["seq"] else "",
            "{:,}".format(p["buffers"]), ", ".join(p["indexes"]), "generic" if p["generic"] else "custom",
            "yes" if served else "**no**"))
    w("")
    text = "\n".join(w_lines) + "\n"
    sys.stdout.write(text)
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(text)


w_lines = []


def w(line):
    w_lines.append(line)


def _child_rows(plan):
    """The rows the count counted (at most 10,001): those under its Aggregate."""
    if plan["Node Type"] == "Aggregate":
        kids = plan.get("Plans") or [plan]
        return int(kids[0].get("Actual Rows", 0) * (kids[0].get("Actual Loops", 1) or 1))
    for kid in plan.get("Plans", []):
        n = _child_rows(kid)
        if n is not None:
            return n
    return None


if __name__ == "__main__":
    main(sys.argv)
