"""Reference data served by the volunteer service: the code tables (GET /meta/codes)
and the GB/T 2260 region table (GET /meta/regions[?parent=])."""

import re

from harness import Client, eq, ok, json_ok, problem, field_errors

CODES = "/meta/codes"
REGIONS = "/meta/regions"


def _pairs(text):
    """'a 甲, b 乙' -> [("a", "甲"), ("b", "乙")] (as API.md writes the tables)."""
    return [tuple(item.strip().split(" ", 1)) for item in text.split(",")]


# The tables as API.md lists them, in its order.
EXPECTED_TABLES = {
    "service_category": _pairs("training 科技培训, consulting 科技咨询, lecture 科普报告, agri_tech 农技服务, "
                               "youth_education 青少年科技教育, exhibit_guide 科普讲解, online 网络科普, other 其他"),
    "service_field": _pairs("consulting 科技咨询类, training 科技培训类, science_education 科学教育类, "
                            "lecture 科普报告类, agri_tech 农技服务类, health 健康咨询类, online 网络服务类, "
                            "culture_sports 文体娱乐类, other 其他科技服务"),
    "political_status": _pairs("cpc_member 中共党员, cpc_probationary 中共预备党员, cyl_member 共青团员, "
                               "democratic_party 民主党派成员, non_party 无党派人士, masses 群众"),
    "education": _pairs("doctorate 博士研究生, master 硕士研究生, bachelor 本科, college 大专, high_school 高中/中专"),
    "title": _pairs("senior 正高, associate_senior 副高, intermediate 中级, junior 初级, none 无"),
    "occupation": _pairs("enterprise 企业, public_institution 事业单位, government 机关, university 高校, "
                         "research_institute 科研院所, school 中小学, medical 医疗卫生, agriculture 农业, "
                         "student 学生, retired 离退休, other 其他"),
    "grassroots_role": _pairs("none 否, hospital_head 基层医院院长, school_head 学校校长, "
                              "agri_station_head 农技站站长, tech_entrepreneur 科技型企业家"),
    "supervisor_type": _pairs("local_cast 地方科协, society 学会/协会/研究会, university_cast 高校科协, "
                              "enterprise_cast 企业科协, park_cast 园区科协, rural_tech_assoc 农技协, "
                              "science_base 科普教育基地, other 其他"),
    "org_level": _pairs("corps 总队, detachment 支队, brigade 大队, team 队, squad 分队"),
    "activity_theme": _pairs("science_day 全国科普日, sci_tech_week 科技活动周, workers_day 全国科技工作者日, "
                             "volunteer_day 国际志愿者日, three_to_countryside 三下乡, "
                             "rural_revitalization 乡村振兴, health 卫生健康, women_youth 农村妇女和青少年, "
                             "enterprise_innovation 助力企业创新, emergency 防灾减灾与应急, other 其他"),
}

# GB/T 3304-1991: the 56 groups in code order, then 97 and 98.
ETHNIC_GROUPS = ("汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 "
                 "哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 "
                 "达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 "
                 "俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族").split()
EXPECTED_TABLES["ethnicity"] = ([("%02d" % (i + 1), name) for i, name in enumerate(ETHNIC_GROUPS)]
                                + [("97", "其他"), ("98", "外国血统中国籍人士")])

# NBS 2023: 31 provincial-level divisions (no 71 台湾, 81 香港, 82 澳门).
PROVINCES = [
    ("110000", "北京市"), ("120000", "天津市"), ("130000", "河北省"), ("140000", "山西省"),
    ("150000", "内蒙古自治区"), ("210000", "辽宁省"), ("220000", "吉林省"), ("230000", "黑龙江省"),
    ("310000", "上海市"), ("320000", "江苏省"), ("330000", "浙江省"), ("340000", "安徽省"),
    ("350000", "福建省"), ("360000", "江西省"), ("370000", "山东省"), ("410000", "河南省"),
    ("420000", "湖北省"), ("430000", "湖南省"), ("440000", "广东省"), ("450000", "广西壮族自治区"),
    ("460000", "海南省"), ("500000", "重庆市"), ("510000", "四川省"), ("520000", "贵州省"),
    ("530000", "云南省"), ("540000", "西藏自治区"), ("610000", "陕西省"), ("620000", "甘肃省"),
    ("630000", "青海省"), ("640000", "宁夏回族自治区"), ("650000", "新疆维吾尔自治区"),
]


def _codes():
    return json_ok(Client().get(CODES), 200, "GET /meta/codes")


def _regions(parent=None):
    path = REGIONS if parent is None else "%s?parent=%s" % (REGIONS, parent)
    body = json_ok(Client().get(path), 200, "GET " + path)
    ok(isinstance(body, list), "GET %s should answer a JSON array, got %r" % (path, body))
    return body


def _check_region_items(items, level, parent, msg):
    """Every item is {code, name, level, dev_zone}, at level, under parent, sorted by code, unique."""
    for it in items:
        ok(isinstance(it, dict), "%s: region item should be an object: %r" % (msg, it))
        eq(set(it), {"code", "name", "level", "dev_zone"}, "%s: keys of %r" % (msg, it))
        ok(isinstance(it["code"], str) and len(it["code"]) == 6 and it["code"].isdigit(),
           "%s: code should be six digits: %r" % (msg, it))
        ok(isinstance(it["name"], str) and it["name"], "%s: name should be a non-empty string: %r" % (msg, it))
        eq(it["level"], level, "%s: level of %r" % (msg, it))
        ok(isinstance(it["dev_zone"], bool), "%s: dev_zone should be a boolean: %r" % (msg, it))
        if parent:
            prefix = parent[:2] if parent.endswith("0000") else parent[:4]
            ok(it["code"].startswith(prefix) and it["code"] != parent,
               "%s: %r is not a child of %s" % (msg, it, parent))
    codes = [it["code"] for it in items]
    eq(len(set(codes)), len(codes), msg + ": codes should be unique")


# ================================================================ GET /meta/codes

def test_codes_has_exactly_the_eleven_tables_each_a_list_of_code_and_label():
    body = _codes()
    ok(isinstance(body, dict), "codes should be an object: %r" % body)
    eq(set(body), {"service_category", "service_field", "political_status", "ethnicity", "education", "title",
                   "occupation", "grassroots_role", "supervisor_type", "org_level", "activity_theme"},
       "table names")
    for name, table in body.items():
        ok(isinstance(table, list) and table, "table %s should be a non-empty list: %r" % (name, table))
        for entry in table:
            ok(isinstance(entry, dict), "%s entry should be an object: %r" % (name, entry))
            eq(set(entry), {"code", "label"}, "keys of %s entry %r" % (name, entry))
            ok(isinstance(entry["code"], str) and entry["code"], "%s: code should be a string: %r" % (name, entry))
            ok(isinstance(entry["label"], str) and entry["label"], "%s: label should be a string: %r" % (name, entry))
        codes = [e["code"] for e in table]
        eq(len(set(codes)), len(codes), "codes of %s should be unique" % name)


def test_codes_tables_hold_the_documented_codes_and_chinese_labels():
    body = _codes()
    for name, expected in EXPECTED_TABLES.items():
        got = [(e.get("code"), e.get("label")) for e in body.get(name, [])]
        eq(sorted(got), sorted(expected), "table %s" % name)
    ok({"code": "training", "label": "科技培训"} in body["service_category"], "training 科技培训")


def test_codes_ethnicity_is_gbt3304_56_groups_plus_97_and_98():
    table = _codes()["ethnicity"]
    eq(len(table), 58, "ethnicity entries")
    labels = {e["code"]: e["label"] for e in table}
    for code, label in (("01", "汉族"), ("05", "维吾尔族"), ("29", "柯尔克孜族"), ("43", "乌孜别克族"),
                        ("56", "基诺族"), ("97", "其他"), ("98", "外国血统中国籍人士")):
        eq(labels.get(code), label, "ethnicity %s" % code)
    eq(sorted(labels), ["%02d" % i for i in range(1, 57)] + ["97", "98"], "ethnicity codes")


def test_codes_chinese_labels_are_raw_utf8_not_unicode_escapes():
    r = Client().get(CODES)
    json_ok(r, 200)
    ok(b"\\u" not in r.body, "body should not contain \\u escapes: %r" % r.body[:200])
    for label in ("科技培训", "外国血统中国籍人士", "学会/协会/研究会", "防灾减灾与应急"):
        ok(label.encode("utf-8") in r.body, "raw body should contain UTF-8 %s" % label)
    m = re.search(r"charset=([^;\s]+)", r.content_type, re.I)
    ok(m is None or m.group(1).strip('"').lower() == "utf-8", "a declared charset must be UTF-8: %s" % r.content_type)


def test_codes_are_public_no_token_needed():
    json_ok(Client().get(CODES), 200, "without Authorization")


# ================================================================ GET /meta/regions

def test_regions_without_parent_lists_the_31_nbs_2023_provinces():
    items = _regions()
    _check_region_items(items, "province", None, "provinces")
    eq([(it["code"], it["name"]) for it in sorted(items, key=lambda it: it["code"])], PROVINCES, "provinces")
    ok(all(it["dev_zone"] is False for it in items), "no province is a dev zone: %r" % items)
    for code in ("710000", "810000", "820000"):
        ok(all(it["code"] != code for it in items), "%s is not in the NBS 2023 table" % code)


def test_regions_are_public_no_token_needed():
    json_ok(Client().get(REGIONS), 200, "provinces without Authorization")
    json_ok(Client().get(REGIONS + "?parent=410000"), 200, "cities without Authorization")


def test_regions_of_a_province_are_its_cities():
    items = _regions("410000")
    _check_region_items(items, "city", "410000", "cities of 河南省")
    ok({"code": "410700", "name": "新乡市", "level": "city", "dev_zone": False} in items,
       "河南省 should list 410700 新乡市: %r" % items)
    ok({"code": "410100", "name": "郑州市", "level": "city", "dev_zone": False} in items,
       "河南省 should list 410100 郑州市: %r" % items)
    ok(len(items) >= 17, "河南省 has 17 prefecture-level cities (+ directly administered): %d" % len(items))


def test_regions_of_a_city_are_its_counties():
    items = _regions("410700")
    _check_region_items(items, "county", "410700", "counties of 新乡市")
    ok({"code": "410702", "name": "红旗区", "level": "county", "dev_zone": False} in items,
       "新乡市 should list 410702 红旗区: %r" % items)


def test_regions_municipality_has_one_city_named_after_it():
    eq(_regions("110000"), [{"code": "110100", "name": "北京市", "level": "city", "dev_zone": False}],
       "children of 北京市")
    counties = _regions("110100")
    _check_region_items(counties, "county", "110100", "districts of 北京市")
    ok({"code": "110101", "name": "东城区", "level": "county", "dev_zone": False} in counties,
       "北京市 should list 110101 东城区: %r" % counties)


def test_regions_development_zones_are_flagged_dev_zone():
    items = _regions("130100")
    _check_region_items(items, "county", "130100", "counties of 石家庄市")
    by_code = {it["code"]: it for it in items}
    ok("130171" in by_code, "石家庄市 should list dev zone 130171: %r" % items)
    eq(by_code["130171"]["dev_zone"], True, "130171 dev_zone")
    eq(by_code["130171"]["level"], "county", "130171 level")
    eq(by_code.get("130102", {}).get("dev_zone"), False, "130102 长安区 is not a dev zone")


def test_regions_under_a_county_or_a_city_without_counties_is_empty_list():
    eq(_regions("410702"), [], "children of county 410702")
    eq(_regions("441900"), [], "children of 东莞市 (a city without counties)")


def test_regions_unknown_parent_is_404_not_found():
    for parent in ("999999", "410799", "710000"):
        problem(Client().get(REGIONS + "?parent=" + parent), 404, "not_found", "parent=" + parent)


def test_regions_malformed_parent_is_422_naming_parent():
    for parent in ("41", "abc", "4100000", "41000a", "%EF%BC%94%EF%BC%91%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90"):
        body = field_errors(Client().get(REGIONS + "?parent=" + parent), ("parent", "invalid_format"))
        eq([e["field"] for e in body["errors"]], ["parent"], "only parent is reported for parent=" + parent)


def test_regions_chinese_names_are_raw_utf8_not_unicode_escapes():
    r = Client().get(REGIONS + "?parent=410700")
    json_ok(r, 200)
    ok(b"\\u" not in r.body, "body should not contain \\u escapes: %r" % r.body[:200])
    ok("红旗区".encode("utf-8") in r.body, "raw body should contain UTF-8 红旗区")


def test_unknown_meta_path_is_404():
    r = Client().get("/meta/nope")
    ok(r.status == 404, "GET /meta/nope should be 404, got %s" % r)
