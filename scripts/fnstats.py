#!/usr/bin/env python3
"""Function sizes in common/ and services/ (the measures of issue 10).

A function is a definition whose signature starts in column 0 and whose body
runs from a line "{" (or a signature ending in "{") to the next "}" in column
0; its length counts from the signature's first line to the closing brace,
as the December 2026 review counted with ctags. A handler is a function named
h_*. Prints the count, the median and p90 of all functions, the median and
longest handler, and the N longest functions.

    scripts/fnstats.py [--top N] [DIR ...]     (default: common services)
"""
import os
import re
import statistics
import sys

SIG = re.compile(r'^(?!static_assert|typedef|struct|enum|union|#)[A-Za-z_][^;=]*?\b([A-Za-z_]\w*)\s*\(')


def functions(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = f.read().split('\n')
    i = 0
    while i < len(lines):
        m = SIG.match(lines[i])
        if not m:
            i += 1
            continue
        if '{' in lines[i] and lines[i].rstrip().endswith('}'):  # a one-line function
            yield m.group(1), path, i + 1, 1
            i += 1
            continue
        # the signature may wrap: find the line that opens the body
        j = i
        while j < len(lines) and j < i + 6 and ';' not in lines[j] and not lines[j].rstrip().endswith('{') \
                and lines[j] != '{':
            j += 1
        if j >= len(lines) or ';' in lines[j] and not lines[j].rstrip().endswith('{'):
            i += 1
            continue
        if not (lines[j].rstrip().endswith('{') or lines[j] == '{'):
            i += 1
            continue
        if '{' in lines[j] and '}' in lines[j][lines[j].index('{'):]:  # one-line body
            yield m.group(1), path, i + 1, j - i + 1
            i = j + 1
            continue
        k = j + 1
        while k < len(lines) and lines[k] != '}':
            k += 1
        yield m.group(1), path, i + 1, k - i + 1
        i = k + 1


def main(argv):
    top = 10
    if argv[:1] == ['--top']:
        top, argv = int(argv[1]), argv[2:]
    roots = argv or ['common', 'services']
    found = []
    for root in roots:
        for d, _, files in os.walk(root):
            for name in sorted(files):
                if name.endswith('.c'):
                    found.extend(functions(os.path.join(d, name)))
    sizes = sorted(n for *_, n in found)
    handlers = sorted((n, name, f'{p}:{l}') for name, p, l, n in found if name.startswith('h_'))
    print(f'functions: {len(sizes)}, median {statistics.median(sizes):g}, '
          f'p90 {sizes[int(len(sizes) * 0.9)]}, mean {statistics.mean(sizes):.1f}')
    if handlers:
        print(f'handlers: {len(handlers)}, median {statistics.median(n for n, *_ in handlers):g}, '
              f'mean {statistics.mean(n for n, *_ in handlers):.1f}, longest {handlers[-1][0]} '
              f'({handlers[-1][1]}, {handlers[-1][2]})')
    print(f'{top} longest:')
    for name, p, l, n in sorted(found, key=lambda t: -t[3])[:top]:
        print(f'  {n:4d}  {name}  {p}:{l}')


if __name__ == '__main__':
    main(sys.argv[1:])
