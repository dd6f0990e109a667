"""GET /activities runs one prepared text per shape of its filters (services/activity/sql.c,
list_variants), kept on each of the service's connections. PostgreSQL's plan cache plans the
first five runs of a prepared statement for their values and may then switch to one generic plan
for all values: these tests run each shape many times in a row (enough for every connection of
the service to pass its sixth run), with different values of the same shape in turn, then other
shapes, and compare every answer with the activities that match, worked out here."""

import datetime
import os

from harness import eq, unique_name_part
from test_activities import CN, _cancel, _create, _org, _parse, _now, _all_ids

THREADS = int(os.environ.get("STVS_THREADS", "4"))
REPEAT = 8 * THREADS  # every connection past its sixth run when the requests take turns


def _matches(a, params):
    day = _parse(a["starts_at"]).astimezone(CN).date().isoformat()
    region = params.get("region", "000000")  # a province, a city or a county: its code's prefix
    prefix = region[:0] if region == "000000" else region[:2] if region.endswith("0000") else \
        region[:4] if region.endswith("00") else region
    return (("status" not in params or a["status"] == params["status"])
            and a["region"]["code"].startswith(prefix)
            and ("org_id" not in params or a["org"]["id"] == params["org_id"])
            and ("service_category" not in params or a["service_category"] == params["service_category"])
            and ("theme" not in params or params["theme"] in a["themes"])
            and ("q" not in params or params["q"] in a["title"])
            and ("from" not in params or day >= params["from"])
            and ("to" not in params or day <= params["to"]))


def _fixture():
    org, admin = _org()
    other, other_admin = _org()
    tag = unique_name_part(4)
    specs = [  # (preset, region, category, themes, title)
        ("recruiting", "410702", "lecture", ["health"], "讲座" + tag),
        ("recruiting", "420102", "lecture", ["health"], "讲座" + tag),
        ("upcoming", "410702", "lecture", ["health", "science_day"], "培训" + tag),
        ("upcoming", "420102", "training", ["science_day"], "讲座培训" + tag),
        ("ended", "410700", "lecture", [], "展览" + tag),
        ("ongoing", "410702", "training", ["science_day"], "展览讲座" + tag),
        ("signup_closed", "420102", "lecture", ["health"], "培训" + tag),
    ]
    acts = [_create(admin, org["id"], preset, region_code=region, service_category=cat, themes=themes, title=title)
            for preset, region, cat, themes, title in specs]
    acts.append(_cancel(admin, _create(admin, org["id"], "upcoming", title="取消" + tag)["id"]))
    acts.append(_create(other_admin, other["id"], "recruiting", region_code="420102", title="讲座" + tag))
    return org["id"], other["id"], tag, acts


def test_list_repeated_shapes_keep_answering_right_after_the_plan_cache_switches():
    oid, other, tag, acts = _fixture()
    today = _now().astimezone(CN).date()
    day = lambda n: (today + datetime.timedelta(days=n)).isoformat()  # noqa: E731
    # each row: one shape, as several values taken in turn
    shapes = [
        [{"org_id": oid}, {"org_id": other}],
        [{"org_id": oid, "status": "recruiting", "region": "410000"},
         {"org_id": oid, "status": "recruiting", "region": "420000"}],
        [{"org_id": oid, "status": "upcoming", "region": "410700"},
         {"org_id": oid, "status": "upcoming", "region": "420100"}],
        [{"org_id": oid, "region": "410702"}, {"org_id": oid, "region": "420102"}, {"org_id": oid, "region": "410700"}],
        [{"org_id": oid, "region": "000000"}, {"org_id": other, "region": "000000"}],
        [{"org_id": oid, "q": "讲座"}, {"org_id": oid, "q": "培训"}, {"org_id": oid, "q": "展览"}],
        [{"org_id": oid, "q": "讲座培训"}, {"org_id": oid, "q": "展"}, {"org_id": oid, "q": "培训" + tag}],
        [{"org_id": oid, "status": "ended", "q": "展览"}, {"org_id": oid, "status": "ended", "q": "讲座"}],
        [{"org_id": oid, "service_category": "lecture", "theme": "health"},
         {"org_id": oid, "service_category": "training", "theme": "science_day"}],
        [{"org_id": oid, "from": day(-1), "to": day(1)}, {"org_id": oid, "from": day(1), "to": day(3)},
         {"org_id": oid, "from": day(-4), "to": day(-2)}],
        [{"q": tag}, {"q": "讲座" + tag}],
        [{"org_id": oid, "status": "ongoing"}, {"org_id": other, "status": "ongoing"}],
        [{"org_id": oid, "status": "cancelled"}, {"org_id": other, "status": "cancelled"}],
        [{"org_id": oid, "status": "signup_closed", "region": "420000"},
         {"org_id": oid, "status": "signup_closed", "region": "410000"}],
    ]
    every = acts
    asked = 0
    for values in shapes:
        for i in range(REPEAT):
            params = values[i % len(values)]
            want = sorted(a["id"] for a in every if _matches(a, params))
            eq(sorted(_all_ids(**params)), want, "run %d of %r" % (i + 1, params))
            asked += 1
    # then every shape once more, in another order, each value: the plans cached by now
    for values in reversed(shapes):
        for params in values:
            eq(sorted(_all_ids(**params)), sorted(a["id"] for a in every if _matches(a, params)), "again %r" % params)
    eq(asked, len(shapes) * REPEAT, "every run made")
    # the fixture answers something for most shapes (a filter that matched nothing would prove little)
    eq(sum(1 for values in shapes if any(_matches(a, p) for a in every for p in values)), len(shapes),
       "every shape has matches")
