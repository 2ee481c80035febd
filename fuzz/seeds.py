#!/usr/bin/python3
"""Seed the spec and weights corpora from the fixtures and the hostile cases.

    /usr/bin/python3 fuzz/seeds.py

fuzz/corpus/spec/    config.json of every fixture and hostile case (<= 64 KiB)
fuzz/corpus/weights/ model.weights.h5 of the kan_a fixtures and of the
                     hostile cases built on kan_a (h5-*, ok-*), <= 64 KiB
fuzz/corpus/rows/    the keras-3.16 fixture inputs as CSV, TSV, JSON lines
                     (arrays, objects with ids, 2-D) and API documents,
                     each behind the two option bytes fuzz_rows.c reads
fuzz/corpus/request/ API request documents, good and bad
The model target needs no copies: it replays tests/fixtures and
tests/hostile/cases directly; the yamlcfg target replays tests/configs. Files are named seed-<sha1 prefix>, so
re-running adds nothing twice; entries the fuzzer found are named by
libFuzzer (a sha1) and kept.
"""
import glob
import hashlib
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CAP = 64 * 1024


def member(path, name):
    try:
        with zipfile.ZipFile(path) as z:
            return z.read(name)
    except Exception:
        return None


def put(kind, data):
    if data is None or len(data) > CAP:
        return 0
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    name = os.path.join(d, "seed-" + hashlib.sha1(data).hexdigest()[:16])
    if os.path.exists(name):
        return 0
    with open(name, "wb") as f:
        f.write(data)
    return 1


def main():
    fixtures = sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "*", "*.keras")))
    hostile = sorted(glob.glob(os.path.join(ROOT, "tests", "hostile", "cases", "*.keras")))
    n = sum(put("spec", member(p, "config.json")) for p in fixtures + hostile)
    kan_a = [p for p in fixtures if os.path.basename(p) == "kan_a.keras"]
    on_kan_a = [p for p in hostile if os.path.basename(p).startswith(("h5-", "ok-"))
                and "-crash-" not in p]   # libhdf5 crashers: see fuzz/README.md
    w = sum(put("weights", member(p, "model.weights.h5")) for p in kan_a + on_kan_a)
    r = 0
    for p in sorted(glob.glob(os.path.join(ROOT, "tests", "fixtures", "keras-3.16", "*_input.csv"))):
        with open(p) as f:
            lines = f.read().splitlines()[:6]
        head, rows = lines[0], [l.split(",") for l in lines[1:]]
        ncol = len(rows[0])
        b1 = bytes([ncol - 1])
        csv = "\n".join(lines) + "\n"
        r += put("rows", bytes([0]) + b1 + csv.encode())                      # auto
        r += put("rows", bytes([1 | 2 << 3]) + b1 + csv.encode())             # csv, header
        r += put("rows", bytes([2]) + b1 + csv.replace(",", "\t").encode())   # tsv
        r += put("rows", bytes([1 | 2 << 3 | 32]) + bytes([ncol - 2]) +
                 ("id," + head + "\n" + "".join("r%d,%s\n" % (i, ",".join(x))
                                                for i, x in enumerate(rows))).encode())
        jl = "".join("[%s]\n" % ",".join(x) for x in rows)
        r += put("rows", bytes([3]) + b1 + jl.encode())
        jo = "".join('{"x": [%s], "id": "r%d"}\n' % (",".join(x), i) for i, x in enumerate(rows))
        r += put("rows", bytes([3 | 64]) + b1 + jo.encode())
        api = '{"x": [\n%s\n]}\n' % ",\n".join("[%s]" % ",".join(x) for x in rows)
        r += put("rows", bytes([4]) + b1 + api.encode())
        r += put("rows", bytes([0]) + b1 + ("[%s]\n" % ",".join("[%s]" % ",".join(x) for x in rows)).encode())
    q = 0
    for doc in ['{"x": [0.1, 0.2]}', '{"x": [[1, 2], [3, 4]], "id": "a"}', '{"x": 3}',
                '{"x": ["a", 1]}', '{"x": [[1], [2, 3]]}', '{"x": [1e39]}', '{"op": "info"}',
                '{"op": "predict", "path": "m.keras", "x": [[-1, -1]], "id": {"k": [1, null]}}',
                '{"x": [1, 2], "x": [3]}', '{"x": [[[[[[[[1]]]]]]]]}', '{"x": "\\ud800"}',
                '{"x": [0.5,\n 0.5]}', '[1, 2]', '{"x": [NaN]}', '{"x": []}', '{"x": [[]]}']:
        q += put("request", doc.encode())
    print("spec: %d new seeds, weights: %d, rows: %d, request: %d" % (n, w, r, q))


if __name__ == "__main__":
    main()
