"""Volunteer service: registration (POST /volunteers) and its validation, the own
profile (GET/PATCH /volunteers/me), reading one volunteer (GET /volunteers/{id}),
the platform admins' list (GET /volunteers), the own sub-lists, and how personal
data (ID number, phone) is kept out of the database, responses and logs."""

import base64
import datetime
import hashlib
import json
import re
import time
import urllib.parse

from harness import (Client, OMIT, parallel, eq, ok, json_ok, problem, field_errors, login, me, psql, platform_admin,
                     mask_phone, mask_id_number, make_id_number, china_today, volunteer_body, register_volunteer,
                     unique_name_part, logs_containing, log_files)
from harness import (VOLUNTEER_KEYS, RFC3339_CN, error_pairs as _errors, quote as _q,  # noqa: E402
                     my_volunteer as _me)

V = "/volunteers"
ME = "/volunteers/me"

REGIONS = {
    "410702": {"code": "410702", "province": "河南省", "city": "新乡市", "county": "红旗区"},
    "110101": {"code": "110101", "province": "北京市", "city": "北京市", "county": "东城区"},
    "441900": {"code": "441900", "province": "广东省", "city": "东莞市", "county": "东莞市"},
    "130171": {"code": "130171", "province": "河北省", "city": "石家庄市", "county": "石家庄高新技术产业开发区"},
}
PROFILE_FIELDS = ("real_name", "political_status", "ethnicity", "employer", "title", "education", "occupation",
                  "grassroots_role")
REQUIRED = ("real_name", "id_number", "political_status", "ethnicity", "employer", "title", "education",
            "occupation", "region_code", "service_categories", "service_fields", "grassroots_role")


# ---------------------------------------------------------------- helpers

def _session():
    """A fresh logged-in account that is not a volunteer: (client, login body)."""
    c = Client()
    return c, login(c)


def _post(body, session=None):
    """POST /volunteers as a fresh account (or session); returns the response."""
    c = Client()
    s = session or login(c)
    return c.post(V, body, token=s["access_token"])


def _register(**fields):
    return register_volunteer(**fields)


def _parse_time(s):
    return datetime.datetime.fromisoformat(s)


def _check_volunteer(v, body, phone, msg, region=None):
    """A volunteer response against the registration body it came from."""
    ok(isinstance(v, dict), "%s: volunteer should be an object: %r" % (msg, v))
    eq(set(v), VOLUNTEER_KEYS, msg + ": volunteer keys")
    ok(isinstance(v["id"], int) and not isinstance(v["id"], bool) and v["id"] > 0,
       "%s: id should be a positive integer: %r" % (msg, v["id"]))
    eq(v["phone"], phone, msg + ": phone")
    eq(v["id_number"], mask_id_number(body["id_number"]), msg + ": masked id_number")
    eq(v["gender"], "male" if int(body["id_number"][16]) % 2 else "female", msg + ": gender from 17th digit")
    for k in PROFILE_FIELDS:
        eq(v[k], body[k], "%s: %s" % (msg, k))
    eq(sorted(v["service_categories"]), sorted(body["service_categories"]), msg + ": service_categories")
    eq(sorted(v["service_fields"]), sorted(body["service_fields"]), msg + ": service_fields")
    eq(v["skills"], body.get("skills"), msg + ": skills")
    eq(v["availability"], body.get("availability"), msg + ": availability")
    ok(isinstance(v["region"], dict), "%s: region should be an object: %r" % (msg, v["region"]))
    eq(set(v["region"]), {"code", "province", "city", "county"}, msg + ": region keys")
    eq(v["region"]["code"], body["region_code"], msg + ": region.code")
    if region is not None:
        eq(v["region"], region, msg + ": region")
    ok(isinstance(v["service_hours"], (int, float)) and not isinstance(v["service_hours"], bool),
       "%s: service_hours should be a number: %r" % (msg, v["service_hours"]))
    eq(v["service_hours"], 0, msg + ": service_hours of a new volunteer")
    for k in ("created_at", "updated_at"):
        ok(isinstance(v[k], str) and RFC3339_CN.fullmatch(v[k]),
           "%s: %s should be RFC 3339 with +08:00: %r" % (msg, k, v[k]))
        age = (datetime.datetime.now(datetime.timezone.utc) - _parse_time(v[k])).total_seconds()
        ok(-120 < age < 600, "%s: %s %s is not about now" % (msg, k, v[k]))


def _error_fields(resp):
    return {f for f, _ in _errors(resp)}


def _id_with_check(check, region="410702"):
    """A valid ID number whose check character is check (e.g. "X")."""
    for _ in range(10000):
        n = make_id_number(region)
        if n[17] == check:
            return n
    raise AssertionError("no ID number with check char %s found" % check)


def _years_before(day, years):
    """The same month and day `years` years before; 29 Feb becomes 28 Feb in a non-leap year."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _of_age(birth, today):
    """The rule: of age on the 18th birthday (a 29 Feb birthday: on 1 March in non-leap years)."""
    try:
        eighteenth = birth.replace(year=birth.year + 18)
    except ValueError:
        eighteenth = datetime.date(birth.year + 18, 3, 1)
    return today >= eighteenth


def _list(admin, query="", msg=""):
    path = V + ("?" + query if query else "")
    body = json_ok(admin["client"].get(path, token=admin["access_token"]), 200, msg or "GET " + path)
    eq(set(body), {"items", "total", "page", "page_size"}, "list keys of GET " + path)
    ok(isinstance(body["items"], list), "items should be a list: %r" % body)
    return body


def _names(body):
    return sorted(it["real_name"] for it in body["items"])


# ================================================================ POST /volunteers: success

def test_register_is_201_with_location_and_the_full_volunteer():
    c, s = _session()
    body = volunteer_body(availability="周末全天")
    ok("skills" not in body, "skills left out")
    r = c.post(V, body, token=s["access_token"])
    v = json_ok(r, 201, "register")
    _check_volunteer(v, body, s["phone"], "201 body", REGIONS["410702"])
    eq(r.header("Location"), "/api/v1/volunteers/%d" % v["id"], "Location header")
    eq(v["skills"], None, "skills not given is null")
    eq(v["created_at"], v["updated_at"], "a new volunteer: updated_at equals created_at")


def test_register_response_equals_get_me_and_get_by_id_for_the_volunteer():
    v = _register()
    eq(_me(v), v["volunteer"], "GET /volunteers/me")
    got = json_ok(v["client"].get("%s/%d" % (V, v["id"]), token=v["token"]), 200, "GET /volunteers/{id} (self)")
    eq(got, v["volunteer"], "GET /volunteers/{id} by the volunteer itself")


def test_register_gender_is_male_for_odd_17th_digit_and_female_for_even():
    for male in (True, False):
        body = volunteer_body(id_number=make_id_number("410702", male=male))
        v = json_ok(_post(body), 201, "register male=%s" % male)
        eq(v["gender"], "male" if male else "female", "gender of %s" % mask_id_number(body["id_number"]))


def test_register_region_object_names_province_city_and_county():
    for code in ("410702", "110101", "441900"):
        v = _register(region_code=code)
        eq(v["volunteer"]["region"], REGIONS[code], "region of %s" % code)


def test_register_accepts_dev_zone_and_city_without_counties_as_county_level():
    for code in ("130171", "441900"):
        v = _register(region_code=code)
        eq(v["volunteer"]["region"], REGIONS[code], "region of %s" % code)


def test_register_lowercase_x_check_char_is_accepted_and_shown_as_uppercase():
    number = _id_with_check("X")
    body = volunteer_body(id_number=number.lower())
    c, s = _session()
    v = json_ok(c.post(V, body, token=s["access_token"]), 201, "register with lowercase x")
    eq(v["id_number"], number[:4] + "*" * 10 + number[-4:], "masked with uppercase X")
    ok(v["id_number"].endswith("X"), "mask ends with X: %r" % v["id_number"])
    row = psql("SELECT id_masked FROM volunteer.volunteers WHERE id = %d" % v["id"])
    eq(row, number[:4] + "*" * 10 + number[-4:], "stored id_masked")


def test_register_accepts_maximum_lengths_and_multiline_skills():
    name = "".join(unique_name_part(1) for _ in range(50))
    skills = ("农业技术推广\n" + "果树栽培" * 200)[:499] + "。"
    body = volunteer_body(real_name=name, employer="单" * 100, skills=skills, availability="周" * 200)
    eq(len(skills), 500, "skills length")
    v = json_ok(_post(body), 201, "50-char name, 100-char employer, 500-char skills, 200-char availability")
    eq(v["real_name"], name, "50 Chinese chars name")
    eq(v["skills"], skills, "multi-line skills kept as sent")
    eq(v["availability"], "周" * 200, "availability")


def test_register_accepts_null_skills_and_availability():
    body = volunteer_body(skills=None, availability=None)
    v = json_ok(_post(body), 201, "null skills and availability")
    eq((v["skills"], v["availability"]), (None, None), "null optional fields")


def test_register_accepts_every_service_category_and_field():
    cats = ["training", "consulting", "lecture", "agri_tech", "youth_education", "exhibit_guide", "online", "other"]
    fields = ["consulting", "training", "science_education", "lecture", "agri_tech", "health", "online",
              "culture_sports", "other"]
    body = volunteer_body(service_categories=cats, service_fields=fields)
    v = json_ok(_post(body), 201, "8 categories and 9 fields")
    eq(sorted(v["service_categories"]), sorted(cats), "all categories")
    eq(sorted(v["service_fields"]), sorted(fields), "all fields")


def test_register_born_29_feb_2000_is_a_real_date():
    body = volunteer_body(id_number=make_id_number("410702", "20000229"))
    json_ok(_post(body), 201, "born 2000-02-29 (2000 is a leap year)")


def test_register_chinese_text_round_trips_as_raw_utf8():
    name = "欧阳" + unique_name_part(4)
    c, s = _session()
    r = c.post(V, volunteer_body(real_name=name, employer="中国科学技术协会（科普部）", skills="会讲“科普”"),
               token=s["access_token"])
    v = json_ok(r, 201)
    eq(v["real_name"], name, "name")
    ok(name.encode("utf-8") in r.body, "raw 201 body should contain the UTF-8 name")
    ok(b"\\u" not in r.body, "201 body should not use \\u escapes: %r" % r.body[:300])
    r = c.get(ME, token=s["access_token"])
    ok(name.encode("utf-8") in r.body and b"\\u" not in r.body, "GET /me raw UTF-8: %r" % r.body[:300])


def test_auth_me_volunteer_id_is_null_before_and_the_volunteer_id_after_registration():
    c, s = _session()
    eq(json_ok(me(c, s["access_token"]))["volunteer_id"], None, "volunteer_id before registering")
    v = register_volunteer(client=c, session=s)
    eq(json_ok(me(c, s["access_token"]))["volunteer_id"], v["id"], "volunteer_id after registering")


# ================================================================ POST /volunteers: auth, body

def test_register_without_token_is_401():
    problem(Client().post(V, volunteer_body()), 401, "unauthorized")


def test_register_with_invalid_json_is_400_invalid_json():
    c, s = _session()
    problem(c.post(V, raw=b'{"real_name": ', headers={"Content-Type": "application/json"},
                   token=s["access_token"]), 400, "invalid_json")
    problem(c.get(ME, token=s["access_token"]), 404, "not_found", "nothing registered")


def test_register_with_empty_object_reports_every_field_required():
    body = field_errors(_post({}), *[(f, "required") for f in REQUIRED])
    fields = {e["field"] for e in body["errors"]}
    ok("skills" not in fields and "availability" not in fields, "optional fields are not required: %r" % body)


def test_register_missing_one_field_is_422_required_and_nothing_is_created():
    for f in REQUIRED:
        c, s = _session()
        r = c.post(V, volunteer_body(**{f: OMIT}), token=s["access_token"])
        eq(_errors(r), [(f, "required")], "errors without %s" % f)
        problem(c.get(ME, token=s["access_token"]), 404, "not_found", "no volunteer after a 422")


def test_register_server_managed_fields_are_422_unknown_field_and_nothing_is_created():
    extras = {"service_hours": 100, "id": 1, "phone": "13800000000", "status": "active", "role": "platform_admin"}
    c, s = _session()
    r = c.post(V, volunteer_body(**extras), token=s["access_token"])
    errors = _errors(r)
    for f in extras:
        ok((f, "unknown_field") in errors, "expected (%r, unknown_field) in %r" % (f, errors))
    eq(len(errors), len(extras), "only the unknown fields are reported: %r" % errors)
    problem(c.get(ME, token=s["access_token"]), 404, "not_found", "no volunteer after a 422")
    eq(json_ok(me(c, s["access_token"]))["volunteer_id"], None, "still no volunteer_id")


def test_register_reports_every_bad_field_at_once():
    body = volunteer_body(real_name="", id_number="41070219900101123", political_status="communist",
                          ethnicity="57", employer=42, title="professor", education="primary",
                          occupation="astronaut", region_code="410700", service_categories=[],
                          service_fields=["health", "health"], grassroots_role="mayor", skills="x" * 501,
                          availability=["weekends"], admin=True)
    r = _post(body)
    errors = _errors(r)
    for f in REQUIRED + ("skills", "availability", "admin"):
        ok(any(e[0] == f or e[0].startswith(f + "[") for e in errors), "%s should be reported: %r" % (f, errors))
    for pair in (("id_number", "invalid_format"), ("political_status", "invalid_choice"),
                 ("ethnicity", "invalid_choice"), ("employer", "invalid_type"), ("title", "invalid_choice"),
                 ("education", "invalid_choice"), ("occupation", "invalid_choice"), ("region_code", "wrong_level"),
                 ("service_categories", "too_short"), ("grassroots_role", "invalid_choice"),
                 ("skills", "too_long"), ("availability", "invalid_type"), ("admin", "unknown_field")):
        ok(pair in errors, "expected %r in %r" % (pair, errors))


# ================================================================ id_number

def test_id_number_of_wrong_length_non_digits_or_misplaced_x_is_invalid_format():
    good = make_id_number("410702")
    bad = [good[:17], good + "1", good[:15], "", good[:6] + "1990O101" + good[14:],  # letter O in the date
           good[:9] + "X" + good[10:], good[:9] + "x" + good[10:],                     # X not last
           good[:17] + "Y", good[:17] + " ", " " + good[:17], good[:10] + "-" + good[11:],
           "４１０７０２" + good[6:]]                                                   # full-width digits
    for number in bad:
        eq(_errors(_post(volunteer_body(id_number=number))), [("id_number", "invalid_format")],
           "errors for id_number %r" % number)


def test_id_number_with_wrong_check_char_is_checksum():
    good = make_id_number("410702")
    for wrong in [c for c in "0123456789X" if c != good[17]][:4]:
        eq(_errors(_post(volunteer_body(id_number=good[:17] + wrong))), [("id_number", "checksum")],
           "check char %s instead of %s" % (wrong, good[17]))


def test_id_number_with_impossible_or_future_birth_date_is_invalid_date():
    tomorrow = china_today() + datetime.timedelta(days=1)
    for ymd in ("19901301", "19900001", "19900100", "19900230", "19900431", "19000229", "21000229",
                tomorrow.strftime("%Y%m%d"), "20991231"):
        eq(_errors(_post(volunteer_body(id_number=make_id_number("410702", ymd)))), [("id_number", "invalid_date")],
           "errors for birth date %s" % ymd)


def test_id_number_as_a_json_number_is_invalid_type():
    number = _id_with_check("0")
    eq(_errors(_post(volunteer_body(id_number=int(number)))), [("id_number", "invalid_type")], "a JSON number")
    eq(_errors(_post(volunteer_body(id_number=[number]))), [("id_number", "invalid_type")], "a JSON array")


def test_volunteer_born_exactly_18_years_ago_today_in_china_may_register():
    today = china_today()
    birth = _years_before(today, 18)
    ok(_of_age(birth, today), "oracle: born %s is of age on %s" % (birth, today))
    body = volunteer_body(id_number=make_id_number("410702", birth))
    json_ok(_post(body), 201, "born %s, today in China %s" % (birth, today))


def test_volunteer_one_day_short_of_18_is_too_young():
    today = china_today()
    birth = _years_before(today, 18) + datetime.timedelta(days=1)
    ok(not _of_age(birth, today), "oracle: born %s is not of age on %s" % (birth, today))
    eq(_errors(_post(volunteer_body(id_number=make_id_number("410702", birth)))), [("id_number", "too_young")],
       "born %s, today in China %s" % (birth, today))
    for birth in (today, today - datetime.timedelta(days=365 * 10)):
        eq(_errors(_post(volunteer_body(id_number=make_id_number("410702", birth)))), [("id_number", "too_young")],
           "born %s, today in China %s" % (birth, today))


def test_29_february_birthday_comes_of_age_on_1_march_in_non_leap_years():
    """Whether the latest 29 Feb birthday that could be of age today is, by the rule
    (this year's case is decisive only around 28 Feb / 1 Mar, but the server must
    agree with the rule on any day); an older 29 Feb birthday is of age."""
    today = china_today()
    year = today.year - 18
    while not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        year -= 1
    birth = datetime.date(year, 2, 29)
    r = _post(volunteer_body(id_number=make_id_number("410702", birth)))
    if _of_age(birth, today):
        json_ok(r, 201, "born %s is of age on %s" % (birth, today))
    else:
        eq(_errors(r), [("id_number", "too_young")], "born %s is not of age on %s" % (birth, today))
    json_ok(_post(volunteer_body(id_number=make_id_number("410702", datetime.date(year - 4, 2, 29)))), 201,
            "born %d-02-29" % (year - 4))


# ================================================================ region_code

def test_region_code_not_six_digits_is_invalid_format():
    for code in ("41070", "4107020", "41070a", "", "４１０７０２", " 410702"):
        eq(_errors(_post(volunteer_body(region_code=code))), [("region_code", "invalid_format")],
           "region_code %r" % code)


def test_region_code_unknown_is_invalid_choice():
    for code in ("990101", "410799", "000000"):
        body = volunteer_body(region_code=code, id_number=make_id_number("410702"))
        eq(_errors(_post(body)), [("region_code", "invalid_choice")], "region_code %s" % code)


def test_region_code_of_a_province_or_city_is_wrong_level():
    for code in ("410000", "410700", "110100"):
        body = volunteer_body(region_code=code, id_number=make_id_number("410702"))
        eq(_errors(_post(body)), [("region_code", "wrong_level")], "region_code %s" % code)


def test_region_code_as_a_number_is_invalid_type():
    eq(_errors(_post(volunteer_body(region_code=410702))), [("region_code", "invalid_type")], "region_code 410702")


# ================================================================ code tables

def test_code_table_fields_with_unknown_codes_are_invalid_choice():
    body = volunteer_body(political_status="party", ethnicity="57", title="Senior", education="primary",
                          occupation="farmer", grassroots_role="yes")
    errors = _errors(_post(body))
    eq(sorted(errors), sorted((f, "invalid_choice") for f in ("political_status", "ethnicity", "title", "education",
                                                              "occupation", "grassroots_role")), "errors")
    for eth in ("00", "1", "99", "汉族", "001"):
        eq(_errors(_post(volunteer_body(ethnicity=eth))), [("ethnicity", "invalid_choice")], "ethnicity %r" % eth)


def test_every_code_of_each_single_code_table_is_accepted():
    codes = json_ok(Client().get("/meta/codes"), 200)
    v = _register()
    c, s = v["client"], v["session"]
    for field in ("political_status", "ethnicity", "title", "education", "occupation", "grassroots_role"):
        for entry in codes[field]:
            r = c.patch(ME, {field: entry["code"]}, token=s["access_token"])
            eq(json_ok(r, 200, "%s=%s" % (field, entry["code"]))[field], entry["code"], field)


def test_array_item_errors_name_the_index_with_invalid_choice_or_invalid_type():
    body = volunteer_body(service_categories=["training", "bogus"], service_fields=["health", 7])
    errors = _errors(_post(body))
    eq(sorted(errors), sorted([("service_categories[1]", "invalid_choice"), ("service_fields[1]", "invalid_type")]),
       "item errors")
    body = volunteer_body(service_categories=[None, "online", "科技培训"], service_fields=[["health"]])
    errors = _errors(_post(body))
    for pair in (("service_categories[0]", "invalid_type"), ("service_categories[2]", "invalid_choice"),
                 ("service_fields[0]", "invalid_type")):
        ok(pair in errors, "expected %r in %r" % (pair, errors))


def test_array_duplicates_are_reported_as_duplicate():
    body = volunteer_body(service_categories=["training", "lecture", "training"], service_fields=["health", "health"])
    errors = _errors(_post(body))
    eq(sorted(errors), [("service_categories[2]", "duplicate"), ("service_fields[1]", "duplicate")],
       "the repeated items are named")


def test_empty_arrays_are_too_short_and_non_arrays_invalid_type():
    errors = _errors(_post(volunteer_body(service_categories=[], service_fields=[])))
    eq(sorted(errors), [("service_categories", "too_short"), ("service_fields", "too_short")], "empty arrays")
    errors = _errors(_post(volunteer_body(service_categories="training", service_fields={"health": True})))
    eq(sorted(errors), [("service_categories", "invalid_type"), ("service_fields", "invalid_type")], "non-arrays")


def test_more_items_than_codes_is_rejected():
    cats = ["training", "consulting", "lecture", "agri_tech", "youth_education", "exhibit_guide", "online", "other"]
    ok("service_categories" in {f.split("[")[0] for f in _error_fields(_post(volunteer_body(
        service_categories=cats + ["training"])))}, "9 categories (8 codes exist) must be rejected")


# ================================================================ strings

def test_strings_one_char_over_their_limit_are_too_long():
    eq(_errors(_post(volunteer_body(real_name="张" * 51))), [("real_name", "too_long")], "51 chars")
    eq(_errors(_post(volunteer_body(employer="单" * 101))), [("employer", "too_long")], "employer 101 chars")
    eq(_errors(_post(volunteer_body(skills="技" * 501))), [("skills", "too_long")], "skills 501 chars")
    eq(_errors(_post(volunteer_body(availability="周" * 201))), [("availability", "too_long")],
       "availability 201 chars")


def test_empty_real_name_or_employer_is_rejected():
    fields = _error_fields(_post(volunteer_body(real_name="", employer="")))
    eq(fields, {"real_name", "employer"}, "empty required strings")


def test_control_characters_in_single_line_fields_are_control_character():
    for bad in ("张\u0001三", "张\n三", "张三\r", "张\t三", "张\u007f三", "张\u0085三"):
        eq(_errors(_post(volunteer_body(real_name=bad))), [("real_name", "control_character")], "real_name %r" % bad)
    eq(_errors(_post(volunteer_body(employer="科协\n办公室"))), [("employer", "control_character")], "employer")


def test_nul_in_a_json_string_is_400_invalid_json_never_a_cut_value():
    # jansson refuses \u0000 (DESIGN.md: keep it that way): one status, 400, not "400 or 422"
    for bad in ("\u0000张三", "张\u0000三", "张三\u0000"):
        problem(_post(volunteer_body(real_name=bad)), 400, "invalid_json", "NUL in real_name %r" % bad)


def test_skills_allow_newlines_but_not_other_control_characters():
    json_ok(_post(volunteer_body(skills="一\n二\r\n三", availability="周一\n周二")), 201, "newlines in skills")
    eq(_errors(_post(volunteer_body(skills="一\u0001二"))), [("skills", "control_character")], "\\u0001 in skills")
    eq(_errors(_post(volunteer_body(availability="\u0007"))), [("availability", "control_character")],
       "\\u0007 in availability")


def test_strings_sent_as_numbers_or_other_types_are_invalid_type():
    body = volunteer_body(real_name=123, employer=True, political_status=1, skills=5, availability={"a": 1})
    errors = _errors(_post(body))
    eq(sorted(errors), sorted((f, "invalid_type") for f in ("real_name", "employer", "political_status", "skills",
                                                            "availability")), "errors")
    ok(("real_name", "invalid_type") in _errors(_post(volunteer_body(real_name=None))), "null real_name")


# ================================================================ 409 already_exists

def test_registering_twice_is_409_already_exists():
    v = _register()
    r = v["client"].post(V, volunteer_body(), token=v["token"])
    problem(r, 409, "already_exists", "second registration by the same caller")
    eq(_me(v), v["volunteer"], "the first registration is unchanged")


def test_id_number_registered_by_another_volunteer_is_409_already_exists():
    v = _register()
    c, s = _session()
    r = c.post(V, volunteer_body(id_number=v["body"]["id_number"]), token=s["access_token"])
    problem(r, 409, "already_exists", "same ID number, another caller")
    problem(c.get(ME, token=s["access_token"]), 404, "not_found", "the second caller is not a volunteer")


def test_id_number_differing_only_by_lowercase_x_is_409_already_exists():
    number = _id_with_check("X")
    _register(id_number=number)
    problem(_post(volunteer_body(id_number=number.lower())), 409, "already_exists", "x vs X")
    number = _id_with_check("X")
    _register(id_number=number.lower())
    problem(_post(volunteer_body(id_number=number)), 409, "already_exists", "X vs x")


def test_concurrent_registrations_of_one_id_number_give_one_201_and_409s():
    number = make_id_number("410702")
    sessions = []
    for _ in range(6):
        c = Client()
        sessions.append((c, login(c)))
    results = parallel(lambda c, s: c.post(V, volunteer_body(id_number=number), token=s["access_token"]), sessions)
    for r in results:
        ok(not isinstance(r, BaseException), "request failed: %r" % r)
    eq(sorted(r.status for r in results), [201] + [409] * 5, "statuses: %r" % results)
    for r in results:
        if r.status == 409:
            problem(r, 409, "already_exists")


def test_concurrent_registrations_by_one_caller_give_one_201_and_409s():
    c, s = _session()
    results = parallel(lambda: c.post(V, volunteer_body(), token=s["access_token"]), [()] * 6)
    for r in results:
        ok(not isinstance(r, BaseException), "request failed: %r" % r)
    eq(sorted(r.status for r in results), [201] + [409] * 5, "statuses: %r" % results)
    created = [r for r in results if r.status == 201][0].json()
    eq(json_ok(c.get(ME, token=s["access_token"])), created, "GET /me is the one created")


# ================================================================ personal data

def test_full_id_number_is_not_stored_in_the_database_row():
    number = _id_with_check("X")
    v = _register(id_number=number.lower())
    row = psql("SELECT row_to_json(v)::text FROM volunteer.volunteers v WHERE id = %d" % v["id"])
    ok(row, "volunteer row %d should exist" % v["id"])
    for needle in (number, number.lower(), number[:17]):
        ok(needle not in row, "the row holds the ID number in clear: %s" % row)
    encodings = {number.encode().hex(), number.lower().encode().hex(), base64.b64encode(number.encode()).decode(),
                 base64.b64encode(number.lower().encode()).decode()}
    for alg in ("md5", "sha1", "sha256", "sha512"):
        for n in (number, number.lower()):
            encodings.add(hashlib.new(alg, n.encode()).hexdigest())
    for enc in encodings:
        ok(enc not in row, "the row holds the ID number hex/base64-encoded or unkeyed-hashed (%s): %s" % (enc, row))
    cols = json.loads(row)
    eq(cols.get("id_masked"), v["volunteer"]["id_number"], "id_masked is what responses show")
    eq(cols.get("id_masked"), mask_id_number(number), "id_masked")


def test_full_id_number_and_phone_never_reach_the_logs():
    c, s = _session()
    body = volunteer_body(id_number=make_id_number("410702"))
    json_ok(c.post(V, body, token=s["access_token"]), 201, "register")
    # A few more requests that carry the volunteer around, and one that fails validation.
    json_ok(c.get(ME, token=s["access_token"]), 200)
    json_ok(c.patch(ME, {"employer": "新单位"}, token=s["access_token"]), 200)
    problem(c.post(V, body, token=s["access_token"]), 409, "already_exists")
    problem(c.patch(ME, {"id_number": body["id_number"]}, token=s["access_token"]), 422, "validation_failed")
    other = Client()
    problem(other.post(V, volunteer_body(id_number=body["id_number"][:17] + "Z"),
                       token=login(other)["access_token"]), 422, "validation_failed")
    time.sleep(0.5)  # let the services flush
    files = log_files()
    ok(files, "no log files found")
    for what, needle in (("ID number", body["id_number"]), ("ID number (17 digits)", body["id_number"][:17]),
                         ("phone", s["phone"])):
        hits = logs_containing(needle)
        eq(hits, [], "the full %s appears in logs" % what)


# ================================================================ GET /volunteers/me

def test_get_me_without_registration_is_404_not_found():
    c, s = _session()
    problem(c.get(ME, token=s["access_token"]), 404, "not_found")


def test_volunteer_routes_without_token_are_401():
    c = Client()
    for method, path in (("GET", ME), ("PATCH", ME), ("GET", V), ("GET", V + "/1"), ("GET", ME + "/orgs"),
                         ("GET", ME + "/activities"), ("GET", ME + "/service-records")):
        body = {"employer": "x"} if method == "PATCH" else None
        problem(c.request(method, path, json=body), 401, "unauthorized", "%s %s" % (method, path))
        problem(c.request(method, path, json=body, token="not.a.token"), 401, "unauthorized",
                "%s %s with a garbage token" % (method, path))


# ================================================================ PATCH /volunteers/me

def test_patch_me_updates_fields_and_updated_at_but_not_created_at():
    v = _register()
    before = v["volunteer"]
    time.sleep(1.1)  # timestamps have whole seconds
    change = {"real_name": "改名" + unique_name_part(), "political_status": "cpc_member", "ethnicity": "05",
              "employer": "乌鲁木齐市科协", "title": "senior", "education": "doctorate", "occupation": "university",
              "region_code": "110101", "service_categories": ["online"],
              "service_fields": ["health", "culture_sports"], "grassroots_role": "school_head",
              "skills": "多行\n技能", "availability": "工作日晚上"}
    after = json_ok(v["client"].patch(ME, change, token=v["token"]), 200, "PATCH every field")
    expected = dict(v["body"], **change)
    _check_volunteer(after, expected, v["phone"], "after PATCH", REGIONS["110101"])
    eq(after["id"], before["id"], "id")
    eq(after["id_number"], before["id_number"], "id_number")
    eq(after["gender"], before["gender"], "gender")
    eq(after["created_at"], before["created_at"], "created_at unchanged")
    ok(_parse_time(after["updated_at"]) > _parse_time(before["updated_at"]),
       "updated_at should move forward: %s -> %s" % (before["updated_at"], after["updated_at"]))
    eq(_me(v), after, "GET /me after PATCH")


def test_patch_me_changes_only_the_fields_sent():
    v = _register(skills="讲座", availability="周末")
    after = json_ok(v["client"].patch(ME, {"employer": "新乡学院"}, token=v["token"]), 200)
    for k in VOLUNTEER_KEYS - {"employer", "updated_at"}:
        eq(after[k], v["volunteer"][k], "field %s untouched" % k)
    eq(after["employer"], "新乡学院", "employer")


def test_patch_me_null_skills_clears_them():
    v = _register(skills="果树修剪", availability="周末")
    after = json_ok(v["client"].patch(ME, {"skills": None}, token=v["token"]), 200)
    eq(after["skills"], None, "skills cleared")
    eq(after["availability"], "周末", "availability untouched")
    after = json_ok(v["client"].patch(ME, {"availability": None}, token=v["token"]), 200)
    eq(after["availability"], None, "availability cleared")


def test_patch_me_id_number_is_422_immutable():
    v = _register()
    for number in (make_id_number("410702"), v["body"]["id_number"]):
        r = v["client"].patch(ME, {"id_number": number}, token=v["token"])
        eq(_errors(r), [("id_number", "immutable")], "PATCH id_number")
    eq(_me(v), v["volunteer"], "nothing changed")


def test_patch_me_server_managed_fields_are_422_unknown_field():
    v = _register()
    for field, value in (("phone", "13900000000"), ("service_hours", 999), ("id", 1), ("gender", "female"),
                         ("status", "active"), ("created_at", "2020-01-01T00:00:00+08:00"), ("user_id", 1)):
        r = v["client"].patch(ME, {field: value}, token=v["token"])
        eq(_errors(r), [(field, "unknown_field")], "PATCH %s" % field)
    eq(_me(v), v["volunteer"], "nothing changed")


def test_patch_me_validates_like_registration():
    v = _register()
    cases = [({"region_code": "410700"}, ("region_code", "wrong_level")),
             ({"region_code": "410000"}, ("region_code", "wrong_level")),
             ({"region_code": "990101"}, ("region_code", "invalid_choice")),
             ({"region_code": "41070"}, ("region_code", "invalid_format")),
             ({"ethnicity": "57"}, ("ethnicity", "invalid_choice")),
             ({"real_name": "张" * 51}, ("real_name", "too_long")),
             ({"real_name": "张\n三"}, ("real_name", "control_character")),
             ({"real_name": None}, ("real_name", "invalid_type")),
             ({"employer": 5}, ("employer", "invalid_type")),
             ({"service_categories": []}, ("service_categories", "too_short")),
             ({"service_categories": ["training", "nope"]}, ("service_categories[1]", "invalid_choice")),
             ({"service_fields": [1]}, ("service_fields[0]", "invalid_type")),
             ({"skills": "技" * 501}, ("skills", "too_long"))]
    for change, pair in cases:
        eq(_errors(v["client"].patch(ME, change, token=v["token"])), [pair], "PATCH %r" % change)
    json_ok(v["client"].patch(ME, {"region_code": "130171"}, token=v["token"]), 200, "dev zone")
    after = json_ok(v["client"].patch(ME, {"region_code": "441900"}, token=v["token"]), 200, "东莞市")
    eq(after["region"], REGIONS["441900"], "region after PATCH")


def test_rejected_patch_changes_nothing():
    v = _register(skills="电工", availability="周末")
    before = _me(v)
    time.sleep(1.1)
    for change in ({"real_name": "新名字", "service_hours": 1000},
                   {"real_name": "新名字", "employer": "新单位", "region_code": "410700"},
                   {"real_name": "新名字", "id_number": v["body"]["id_number"]},
                   {"employer": "新单位", "phone": "13900000000"},
                   {"skills": None, "ethnicity": "99"}):
        problem(v["client"].patch(ME, change, token=v["token"]), 422, "validation_failed", "PATCH %r" % change)
        eq(_me(v), before, "nothing changed after the rejected PATCH %r" % change)
    eq(json_ok(me(v["client"], v["token"]))["phone"], v["phone"], "the account's phone is unchanged")


def test_patch_me_when_not_registered_is_404():
    c, s = _session()
    problem(c.patch(ME, {"employer": "某单位"}, token=s["access_token"]), 404, "not_found")


def test_patch_me_invalid_json_is_400():
    v = _register()
    problem(v["client"].request("PATCH", ME, raw=b"{employer:", headers={"Content-Type": "application/json"},
                                token=v["token"]), 400, "invalid_json")


# ================================================================ GET /volunteers/{id}

def test_get_volunteer_by_id_as_itself_shows_full_phone():
    v = _register()
    got = json_ok(v["client"].get("%s/%d" % (V, v["id"]), token=v["token"]), 200)
    eq(got["phone"], v["phone"], "full phone for the volunteer itself")


def test_get_volunteer_by_id_as_platform_admin_in_scope_shows_masked_phone():
    v = _register(region_code="410702")
    for region in ("410000", "410700", "410702", "000000"):
        admin = platform_admin(region)
        got = json_ok(admin["client"].get("%s/%d" % (V, v["id"]), token=admin["access_token"]), 200,
                      "admin of %s" % region)
        eq(got["phone"], mask_phone(v["phone"]), "masked phone for an admin of %s" % region)
        ok(re.fullmatch(r"1[3-9][0-9]\*{4}[0-9]{4}", got["phone"]), "masked phone shape: %r" % got["phone"])
        eq(dict(got, phone=v["phone"]), v["volunteer"], "the rest is the volunteer as it sees itself")


def test_get_volunteer_by_id_as_platform_admin_out_of_scope_is_404():
    v = _register(region_code="410702")
    for region in ("420000", "410100", "410703"):
        admin = platform_admin(region)
        problem(admin["client"].get("%s/%d" % (V, v["id"]), token=admin["access_token"]), 404, "not_found",
                "admin of %s" % region)


def test_get_volunteer_by_id_as_another_user_or_volunteer_is_404():
    v = _register()
    c, s = _session()
    problem(c.get("%s/%d" % (V, v["id"]), token=s["access_token"]), 404, "not_found", "plain user")
    w = _register()
    problem(w["client"].get("%s/%d" % (V, v["id"]), token=w["token"]), 404, "not_found", "another volunteer")


def test_get_volunteer_unknown_zero_or_non_numeric_id_is_404():
    v = _register()
    admin = platform_admin("000000")
    for who in (v, {"client": admin["client"], "token": admin["access_token"]}):
        for vid in ("0", "abc", "-1", "999999999", "99999999999999999999", "1.5", "%d.0" % v["id"]):
            problem(who["client"].get("%s/%s" % (V, vid), token=who["token"]), 404, "not_found", "id %s" % vid)


# ================================================================ GET /volunteers (platform admins)

def test_list_by_non_admin_is_403_forbidden():
    c, s = _session()
    problem(c.get(V, token=s["access_token"]), 403, "forbidden", "plain user")
    v = _register()
    problem(v["client"].get(V, token=v["token"]), 403, "forbidden", "volunteer")


def test_list_is_paged_with_masked_phones():
    tag = unique_name_part()
    vs = [_register(real_name="列表" + tag + str(i), region_code="410702") for i in range(3)]
    admin = platform_admin("410000")
    body = _list(admin, "q=" + _q(tag))
    eq((body["total"], body["page"], body["page_size"]), (3, 1, 20), "total/page/page_size")
    eq(len(body["items"]), 3, "items")
    by_id = {it["id"]: it for it in body["items"]}
    for v in vs:
        ok(v["id"] in by_id, "volunteer %d should be listed" % v["id"])
        eq(dict(by_id[v["id"]], phone=v["phone"]), v["volunteer"], "listed volunteer %d" % v["id"])
        eq(by_id[v["id"]]["phone"], mask_phone(v["phone"]), "masked phone in the list")


def test_list_scope_of_a_province_admin_covers_its_counties_not_other_provinces():
    tag = unique_name_part()
    inside = [_register(real_name="范围" + tag + "甲", region_code="410702"),
              _register(real_name="范围" + tag + "乙", region_code="410105"),
              _register(real_name="范围" + tag + "丙", region_code="410171")]
    outside = _register(real_name="范围" + tag + "丁", region_code="420102")
    admin = platform_admin("410000")
    body = _list(admin, "q=" + _q(tag))
    eq(sorted(it["id"] for it in body["items"]), sorted(v["id"] for v in inside), "volunteers listed")
    eq(body["total"], 3, "total")
    ok(outside["id"] not in [it["id"] for it in body["items"]], "420102 is outside 410000")
    body = _list(admin, "region=420000")
    eq((body["total"], body["items"]), (0, []), "?region=420000 for an admin of 410000")
    body = _list(admin, "region=420000&q=" + _q(tag))
    eq(body["total"], 0, "?region=420000&q= for an admin of 410000")


def test_list_region_filter_inside_scope_narrows_the_list():
    tag = unique_name_part()
    a = _register(real_name="筛选" + tag + "甲", region_code="650102")
    b = _register(real_name="筛选" + tag + "乙", region_code="650202")
    admin = platform_admin("650000")
    eq(_list(admin, "q=" + _q(tag))["total"], 2, "whole province")
    body = _list(admin, "region=650100&q=" + _q(tag))
    eq([it["id"] for it in body["items"]], [a["id"]], "?region=650100 (乌鲁木齐市)")
    body = _list(admin, "region=650202&q=" + _q(tag))
    eq([it["id"] for it in body["items"]], [b["id"]], "?region=650202 (a county)")
    body = _list(admin, "region=650000&q=" + _q(tag))
    eq(body["total"], 2, "?region= the admin's own province")


def test_list_city_admin_filtering_by_its_province_sees_only_its_city():
    tag = unique_name_part()
    mine = [_register(real_name="市级" + tag + "甲", region_code="410702"),
            _register(real_name="市级" + tag + "乙", region_code="410782")]
    _register(real_name="市级" + tag + "丙", region_code="410105")
    admin = platform_admin("410700")
    for query in ("region=410000&q=" + _q(tag), "q=" + _q(tag)):
        body = _list(admin, query)
        eq(sorted(it["id"] for it in body["items"]), sorted(v["id"] for v in mine), "admin of 410700: " + query)
        eq(body["total"], 2, "total for " + query)
        ok(all(it["region"]["code"].startswith("4107") for it in body["items"]), "only 4107xx")
    body = _list(admin, "region=410700")
    ok(all(it["region"]["code"].startswith("4107") for it in body["items"]), "only 4107xx: %r" % body)


def test_list_country_admin_sees_everyone():
    tag = unique_name_part()
    vs = [_register(real_name="全国" + tag + str(i), region_code=code)
          for i, code in enumerate(("540102", "650102", "110101", "441900"))]
    admin = platform_admin("000000")
    body = _list(admin, "q=" + _q(tag))
    eq(sorted(it["id"] for it in body["items"]), sorted(v["id"] for v in vs), "all four")
    everyone = int(psql("SELECT count(*) FROM volunteer.volunteers"))
    eq(_list(admin)["total"], everyone, "total without filters = every volunteer")


def test_list_admin_of_several_regions_sees_each_once():
    tag = unique_name_part()
    tibet = _register(real_name="多区" + tag + "甲", region_code="540102")
    xinjiang = _register(real_name="多区" + tag + "乙", region_code="650102")
    _register(real_name="多区" + tag + "丙", region_code="630102")
    admin = platform_admin("540000", "650000", "650100", "650102")
    body = _list(admin, "q=" + _q(tag))
    eq(sorted(it["id"] for it in body["items"]), sorted([tibet["id"], xinjiang["id"]]), "both provinces, once")
    eq(body["total"], 2, "total counts each volunteer once")
    body = _list(admin, "region=540000&q=" + _q(tag))
    eq([it["id"] for it in body["items"]], [tibet["id"]], "?region=540000")
    body = _list(admin, "region=650000&q=" + _q(tag))
    eq([it["id"] for it in body["items"]], [xinjiang["id"]], "?region=650000")
    body = _list(admin, "region=630000&q=" + _q(tag))
    eq(body["total"], 0, "?region=630000 is outside every scope of the admin")


def test_list_region_filter_malformed_or_unknown_is_422():
    admin = platform_admin("000000")
    for region, code in (("41", "invalid_format"), ("abc", "invalid_format"), ("4100000", "invalid_format"),
                         ("990000", "invalid_choice"), ("410799", "invalid_choice")):
        r = admin["client"].get(V + "?region=" + region, token=admin["access_token"])
        eq(_errors(r), [("region", code)], "region=" + region)


def test_list_q_matches_a_literal_substring_of_the_name():
    tag = unique_name_part()
    pct = _register(real_name="百分" + tag + "%号", region_code="540102")
    und = _register(real_name="下划" + tag + "_线", region_code="540102")
    plain = _register(real_name="普通" + tag + "名字", region_code="540102")
    admin = platform_admin("000000")
    eq([it["id"] for it in _list(admin, "q=" + _q(tag + "%"))["items"]], [pct["id"]], "q=tag%")
    eq([it["id"] for it in _list(admin, "q=" + _q(tag + "_"))["items"]], [und["id"]], "q=tag_")
    eq([it["id"] for it in _list(admin, "q=" + _q("普通" + tag))["items"]], [plain["id"]], "q=prefix+tag")
    eq(_list(admin, "q=" + _q(tag + "\\"))["total"], 0, "q with a backslash")
    everyone = _list(admin)["total"]
    body = _list(admin, "q=%25&page_size=100")
    ok(body["total"] < everyone, "q=%% must not match everything (%d of %d)" % (body["total"], everyone))
    ok(all("%" in it["real_name"] for it in body["items"]), "q=%% matched names without %%: %r" % _names(body))
    ok(pct["id"] in [it["id"] for it in body["items"]] or body["total"] > 100, "q=%% finds the name with %%")
    body = _list(admin, "q=_&page_size=100")
    ok(all("_" in it["real_name"] for it in body["items"]), "q=_ matched names without _: %r" % _names(body))
    eq(_list(admin, "q=" + _q("不存在" + tag))["total"], 0, "no match")


def test_list_service_category_filter_and_bad_code_is_422():
    tag = unique_name_part()
    a = _register(real_name="类别" + tag + "甲", region_code="650102", service_categories=["lecture", "online"])
    _register(real_name="类别" + tag + "乙", region_code="650102", service_categories=["training"])
    admin = platform_admin("650000")
    body = _list(admin, "service_category=online&q=" + _q(tag))
    eq([it["id"] for it in body["items"]], [a["id"]], "service_category=online")
    eq(_list(admin, "service_category=other&q=" + _q(tag))["total"], 0, "service_category=other")
    eq(_list(admin, "service_category=training&q=" + _q(tag))["total"], 1, "service_category=training")
    r = admin["client"].get(V + "?service_category=bogus", token=admin["access_token"])
    eq(_errors(r), [("service_category", "invalid_choice")], "service_category=bogus")


def test_list_paging_parameters_are_validated_and_pages_past_the_end_are_empty():
    tag = unique_name_part()
    vs = [_register(real_name="分页" + tag + str(i), region_code="540102") for i in range(3)]
    admin = platform_admin("540000")
    seen = []
    for page in (1, 2, 3):
        body = _list(admin, "page_size=1&page=%d&q=%s" % (page, _q(tag)))
        eq((body["total"], body["page"], body["page_size"], len(body["items"])), (3, page, 1, 1), "page %d" % page)
        seen.append(body["items"][0]["id"])
    eq(sorted(seen), sorted(v["id"] for v in vs), "pages cover every volunteer once")
    body = _list(admin, "page_size=2&page=5&q=" + _q(tag))
    eq((body["items"], body["total"], body["page"], body["page_size"]), ([], 3, 5, 2), "page past the end")
    eq(_list(admin, "page_size=100&q=" + _q(tag))["page_size"], 100, "page_size=100 is allowed")
    for query, field in (("page_size=101", "page_size"), ("page=abc", "page"), ("page_size=abc", "page_size")):
        ok(field in _error_fields(admin["client"].get(V + "?" + query, token=admin["access_token"])),
           "%s should be a 422 naming %s" % (query, field))


# ================================================================ own sub-lists

def test_me_orgs_of_a_new_volunteer_is_empty():
    v = _register()
    eq(json_ok(v["client"].get(ME + "/orgs", token=v["token"])), {"items": []}, "/volunteers/me/orgs")


def test_me_activities_of_a_new_volunteer_is_an_empty_page_for_every_filter():
    v = _register()
    empty = {"items": [], "total": 0, "page": 1, "page_size": 20}
    eq(json_ok(v["client"].get(ME + "/activities", token=v["token"])), empty, "no filter")
    for f in ("upcoming", "ended", "all"):
        eq(json_ok(v["client"].get(ME + "/activities?filter=" + f, token=v["token"])), empty, "filter=" + f)
    problem(v["client"].get(ME + "/activities?filter=bad", token=v["token"]), 422, "validation_failed",
            "filter=bad")
    ok("filter" in _error_fields(v["client"].get(ME + "/activities?filter=bad", token=v["token"])),
       "filter=bad names filter")


def test_me_service_records_of_a_new_volunteer_is_zero_hours():
    v = _register()
    eq(json_ok(v["client"].get(ME + "/service-records", token=v["token"])), {"total_hours": 0, "items": []},
       "/volunteers/me/service-records")


def test_me_sub_lists_need_a_volunteer_403_volunteer_required():
    c, s = _session()
    for path in (ME + "/orgs", ME + "/activities", ME + "/activities?filter=all", ME + "/service-records"):
        problem(c.get(path, token=s["access_token"]), 403, "volunteer_required", path)
    admin = platform_admin("000000")
    problem(admin["client"].get(ME + "/orgs", token=admin["access_token"]), 403, "volunteer_required",
            "a platform admin who is not a volunteer")
