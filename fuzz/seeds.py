#!/usr/bin/python3
"""Seed the spec and weights corpora from the fixtures and the hostile cases.

    /usr/bin/python3 fuzz/seeds.py

fuzz/corpus/spec/    config.json of every fixture and hostile case (<= 64 KiB)
fuzz/corpus/weights/ model.weights.h5 of the kan_a fixtures and of the
                     hostile cases built on kan_a (h5-*, ok-*), <= 64 KiB
The model target needs no copies: it replays tests/fixtures and
tests/hostile/cases directly. Files are named seed-<sha1 prefix>, so
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
    on_kan_a = [p for p in hostile if os.path.basename(p).startswith(("h5-", "ok-"))]
    w = sum(put("weights", member(p, "model.weights.h5")) for p in kan_a + on_kan_a)
    print("spec: %d new seeds, weights: %d new seeds" % (n, w))


if __name__ == "__main__":
    main()
