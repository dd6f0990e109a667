#!/usr/bin/env python3
"""Seeds for make fuzz: the API tests' own fixtures (tests/api/test_imports.py
makes them in code), written into the corpus folders given as arguments."""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "api"))
import test_imports as t  # noqa: E402

xlsx_dir, csv_dir = sys.argv[1], sys.argv[2]
os.makedirs(xlsx_dir, exist_ok=True)
os.makedirs(csv_dir, exist_ok=True)
people = [t.row_cells() for _ in range(3)]
seeds = {
    "plain": t.xlsx_bytes(t.sheet_of(people)),
    "inline-prefixed": t.xlsx_bytes(t.sheet_of(people), inline=True, prefix="x:"),
    "date1904": t.xlsx_bytes(t.sheet_of(people), date1904=True),
    "numeric": t.xlsx_bytes([t.HEADERS, ["1", "张三", ("n", "13710986743"), None, ("n", "2.2E+17")]]),
    "doctype": t.xlsx_bytes([t.HEADERS], doctype="<!DOCTYPE x [<!ENTITY e \"e\">]>\n"),
}
for name, data in seeds.items():
    with open(os.path.join(xlsx_dir, name + ".xlsx"), "wb") as f:
        f.write(data)
rows = [t.HEADERS] + t.as_rows(people)
text = "\r\n".join(",".join('"%s"' % str(c or "").replace('"', '""') for c in r) for r in rows)
for name, data in {"utf8": text.encode(), "bom": b"\xef\xbb\xbf" + text.encode(),
                   "gb18030": text.encode("gb18030")}.items():
    with open(os.path.join(csv_dir, name + ".csv"), "wb") as f:
        f.write(data)

# fuzz_xlsx_parts: a selector byte, then the XML of one part of the plain seed
import io  # noqa: E402
import zipfile  # noqa: E402

parts_dir = sys.argv[3] if len(sys.argv) > 3 else None
if parts_dir:
    os.makedirs(parts_dir, exist_ok=True)
    z = zipfile.ZipFile(io.BytesIO(seeds["plain"]))
    for sel, name in enumerate(["xl/worksheets/data.xml", "xl/sharedStrings.xml", "xl/workbook.xml",
                                "xl/_rels/workbook.xml.rels"]):
        with open(os.path.join(parts_dir, "part%d.bin" % sel), "wb") as f:
            f.write(bytes([sel]) + z.read(name).replace(b"worksheets/data.xml", b"worksheets/sheet1.xml"))
