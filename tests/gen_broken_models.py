#!/usr/bin/python3
"""Generate the broken checkpoints in tests/broken/ for validate.bats.

Each file is tests/fixtures/keras-3.16/kan_a.keras (KAN [2, 8, 1], G=5,
k=3, silu, grid_range [-1, 1]) with one or more defects written into its
weights or config with h5py. The outputs are committed, so CI needs no
h5py; rerun after changing this script:

    /usr/bin/python3 tests/gen_broken_models.py

(Debian's python3-h5py; a pyenv `python3` on PATH may lack h5py.)
Members are stored uncompressed with fixed dates so reruns are identical.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
BASE = os.path.join(HERE, "fixtures", "keras-3.16", "kan_a.keras")
OUT = os.path.join(HERE, "broken")


def read_base():
    with zipfile.ZipFile(BASE) as z:
        return {n: z.read(n) for n in z.namelist()}


def edit_weights(h5bytes, fn):
    bio = io.BytesIO(h5bytes)
    with h5py.File(bio, "r+") as f:
        fn(f)
    return bio.getvalue()


def write(name, members):
    path = os.path.join(OUT, name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for n in ("metadata.json", "config.json", "model.weights.h5"):
            if n in members:
                info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
                z.writestr(info, members[n])
    print(path)


def setv(f, path, fn):
    a = np.array(f[path])
    fn(a)
    f[path][...] = a


def main():
    os.makedirs(OUT, exist_ok=True)
    base = read_base()

    # NaN in layer 0's base weight, +inf in layer 1's spline weight.
    def nan(f):
        setv(f, "layers/kan_linear/vars/0", lambda a: a.__setitem__((0, 3), np.nan))
        setv(f, "layers/kan_linear_1/vars/1", lambda a: a.__setitem__((5, 0, 2), np.inf))
    write("nan_weights.keras", dict(base, **{"model.weights.h5": edit_weights(base["model.weights.h5"], nan)}))

    # Layer 0, feature 1: knots 2 and 3 swapped (-0.2 > -0.6 ... decreasing).
    def dec(f):
        def swap(a):
            a[1, 2], a[1, 3] = a[1, 3], a[1, 2]
        setv(f, "layers/kan_linear/vars/2", swap)
    write("decreasing_grid.keras", dict(base, **{"model.weights.h5": edit_weights(base["model.weights.h5"], dec)}))

    # Layer 1, feature 2: every knot 0.5 (zero span).
    def zero(f):
        setv(f, "layers/kan_linear_1/vars/2", lambda a: a.__setitem__(2, 0.5))
    write("zero_span_grid.keras", dict(base, **{"model.weights.h5": edit_weights(base["model.weights.h5"], zero)}))

    # All three at once: validate must name every one.
    def many(f):
        nan(f)
        dec(f)
        zero(f)
    write("many_problems.keras", dict(base, **{"model.weights.h5": edit_weights(base["model.weights.h5"], many)}))

    # A uniform grid over [-2, 2] while the config says [-1, 1].
    def wide(f):
        setv(f, "layers/kan_linear/vars/2", lambda a: a.__setitem__(slice(None), np.linspace(-2, 2, 6, dtype=np.float32)))
    write("wide_grid.keras", dict(base, **{"model.weights.h5": edit_weights(base["model.weights.h5"], wide)}))

    # Finite weights near the float32 limit: sound, but every output
    # overflows to inf or nan (serve-stdin answers 500 for those rows).
    def huge(f):
        setv(f, "layers/kan_linear/vars/0", lambda a: a.__setitem__(slice(None), np.float32(3e38)))
        setv(f, "layers/kan_linear_1/vars/0", lambda a: a.__setitem__(slice(None), np.float32(3e38)))
    write("overflow_weights.keras", dict(base, **{"model.weights.h5": edit_weights(base["model.weights.h5"], huge)}))

    # config.json declares grid_size 6 but the weights have G = 5: the loader refuses.
    cfg = json.loads(base["config.json"])
    cfg["config"]["grid_size"] = 6
    write("gk_mismatch.keras", dict(base, **{"config.json": json.dumps(cfg).encode()}))

    # A missing weight tensor (layer 1's spline weight).
    def drop(f):
        del f["layers/kan_linear_1/vars/1"]
    write("missing_tensor.keras", dict(base, **{"model.weights.h5": edit_weights(base["model.weights.h5"], drop)}))

    # Not a zip at all.
    path = os.path.join(OUT, "not_a_zip.keras")
    with open(path, "wb") as f:
        f.write(b"this is not a .keras archive\n")
    print(path)


if __name__ == "__main__":
    main()
