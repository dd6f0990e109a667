#!/usr/bin/env python3
"""Expands the pgbench scripts bench/pg_*.sql from the services' own SQL.

A line
    -- @stmt SERVICE NAME ARG1 ARG2 ... [| SUFFIX]
is followed by the statement NAME of services/SERVICE/sql.c (printed by the
sqldump-SERVICE binary built from it), with $1, $2, ... replaced by ARG1,
ARG2, ...: pgbench variables (:name, sent as parameters of the prepared
statement as the service sends its own), or NULL for a filter the request
leaves out (pgbench cannot send a NULL parameter). A statement written in
variants (services/activity/sql.c: the list) has one text per shape of its
parameters: an argument :name=VALUE sends :name and picks the text the
service runs when that parameter is VALUE (the shape of ended and of a
province's range, say); a text may leave out such an argument, and an
absent filter's NULL. SUFFIX
ends the statement (default ';', or \\gset / \\aset PREFIX). The line right
after a directive is always its statement, one line, replaced on every run
(write any SQL line there when adding a directive).

    pgscripts.py SQLDUMP_DIR IN.sql OUT.sql
exits 1 when a statement is missing or an argument count is wrong."""

import re
import subprocess
import sys


def expand(sqldump_dir, line, where):
    spec, _, suffix = line[len("-- @stmt "):].partition("|")
    words = spec.split()
    suffix = suffix.strip() or ";"
    if len(words) < 2:
        sys.exit("%s: bad directive: %s" % (where, line))
    svc, name, spec_args = words[0], words[1], words[2:]
    args = [a.split("=", 1)[0] for a in spec_args]
    samples = [a.split("=", 1)[1] if "=" in a else a for a in spec_args]  # what sqldump picks a variant by
    try:
        sql = subprocess.run([sqldump_dir + "/sqldump-" + svc, name] + samples, check=True, capture_output=True,
                             text=True).stdout
    except subprocess.CalledProcessError:
        sys.exit("%s: services/%s/sql.c has no statement %s" % (where, svc, name))
    sql = " ".join(sql.split("\n"))
    used = set()

    def sub(m):
        i = int(m.group(1))
        if i > len(args):
            sys.exit("%s: %s %s has $%d but only %d arguments are given" % (where, svc, name, i, len(args)))
        used.add(i)
        return args[i - 1]

    out = re.sub(r"\$(\d+)", sub, sql)
    # a variant leaves out the filters it has no use for: a NULL, or one given
    # with the value that picked the variant (a province's upper bound)
    unused = [a for i, a in enumerate(args) if i + 1 not in used and a != "NULL" and "=" not in spec_args[i]]
    if unused:
        sys.exit("%s: %s %s does not take %s" % (where, svc, name, " ".join(unused)))
    return out + (" " if suffix.startswith("\\") else "") + suffix


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sqldump_dir, src, dst = sys.argv[1:]
    lines = open(src, encoding="utf-8").read().split("\n")
    out, i = [], 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        if line.startswith("-- @stmt "):
            if i >= len(lines) or not lines[i].strip() or lines[i].startswith(("--", "\\")):
                sys.exit("%s:%d: the line after a directive must be its statement (any SQL line to replace)"
                         % (src, i))
            out.append(expand(sqldump_dir, line, "%s:%d" % (src, i)))
            i += 1  # the previous expansion
    open(dst, "w", encoding="utf-8").write("\n".join(out))


if __name__ == "__main__":
    main()
