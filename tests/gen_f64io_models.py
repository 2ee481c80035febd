#!/usr/bin/python3
"""Generate the edge-case float64 checkpoints in tests/f64io/ for
f64io.bats: weights beyond FLT_MAX in a layer that computes in float32
(refused), NaN and infinite float64 weights (refused), and KAN grids whose
problems only double precision sees (refused). A float64 grid beyond FLT_MAX that runs is a
Keras fixture (tests/fixtures/f64io: f64io_kan_wide).

Each file is a fixture Keras wrote (tests/fixtures/f64io/keras-3.16) with
one change. The outputs are committed, so CI needs no h5py; rerun after
changing this script:

    /usr/bin/python3 tests/gen_f64io_models.py

Members are stored uncompressed with fixed dates so reruns are identical.
Each case is one line of tests/f64io/cases.tsv: file, exit status, where
the refusal points (archive member: tensor or layer), and a piece of the
message.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "f64io", "keras-3.16")
OUT = os.path.join(HERE, "f64io")
CASES = []


def read(name):
    with zipfile.ZipFile(os.path.join(FIX, name)) as z:
        return {n: z.read(n) for n in z.namelist()}


def edit_weights(members, path, fn):
    bio = io.BytesIO(members["model.weights.h5"])
    with h5py.File(bio, "r+") as f:
        a = np.array(f[path])
        fn(a)
        f[path][...] = a
    return dict(members, **{"model.weights.h5": bio.getvalue()})


def edit_config(members, fn):
    cfg = json.loads(members["config.json"])
    fn(cfg)
    return dict(members, **{"config.json": json.dumps(cfg).encode()})


def layer_cfg(cfg, name):
    for lo in cfg["config"]["layers"]:
        if lo["config"].get("name") == name:
            return lo["config"]
    raise KeyError(name)


def write(name, members, status, where, says):
    with zipfile.ZipFile(os.path.join(OUT, name), "w", zipfile.ZIP_STORED) as z:
        for n in ("metadata.json", "config.json", "model.weights.h5"):
            if n in members:
                z.writestr(zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0)), members[n])
    CASES.append((name, status, where, says))
    print(os.path.join(OUT, name))


def main():
    os.makedirs(OUT, exist_ok=True)
    big = read("f64io_big.keras")        # big64 (kernel 3e39 ..), head64: float64
    kan = read("f64io_kan_big.keras")    # kanbig64 (G=4, k=2), scale64: float64

    # big64 computing in float32: its float64 kernel holds 3e39, beyond
    # FLT_MAX: refused, naming the tensor
    def big_f32(cfg):
        layer_cfg(cfg, "big64")["dtype"] = "float32"
    write("big_weight_f32_layer.keras", edit_config(big, big_f32), 4,
          "model.weights.h5: layers/dense/vars/0 (kernel)", "beyond the float32 range")

    # NaN and infinity in a float64 layer's weights: refused as ever
    def nan(a):
        a[1, 2] = np.nan
    write("nan_weight_f64.keras", edit_weights(big, "layers/dense/vars/0", nan), 4,
          "model.weights.h5: layers/dense/vars/0 (kernel)", "1 of 6 values are NaN or infinite (the first at [1, 2]: nan)")

    def inf(a):
        a[0] = np.inf
    write("inf_weight_f64.keras", edit_weights(big, "layers/dense_1/vars/1", inf), 4,
          "model.weights.h5: layers/dense_1/vars/1 (bias)", "1 of 2 values are NaN or infinite (the first at [0]: inf)")

    # a float64 grid whose knots decrease by less than float32 can see
    # (rounded to float32 they are equal): refused in double
    def dec(a):
        a[1, 2] = 1e-9
        a[1, 3] = 1e-9 - 1e-12
        a[1, 4] = 1.0
    write("grid_decreasing_f64.keras", edit_weights(kan, "layers/kan_linear/vars/2", dec), 4,
          "model.weights.h5: layers/kan_linear/vars/2 (grid)", "feature 1: knots decrease (grid[1][2] = 1e-09 > grid[1][3] = 9.99e-10)")

    # a float64 grid spanning [-1e308, 1e308]: its span overflows float64
    # (Keras's extension would be inf and NaN too)
    def huge(a):
        a[0] = [-1e308, -5e307, 0.0, 5e307, 1e308]
    write("grid_overflow_f64.keras", edit_weights(kan, "layers/kan_linear/vars/2", huge), 4,
          "model.weights.h5: layers/kan_linear/vars/2 (grid)",
          "row 0 has a knot that is not finite, or overflows float64 when extended by 2 knots")

    with open(os.path.join(OUT, "cases.tsv"), "w") as t:
        t.write("# file\texit\twhere the refusal points (archive member: tensor or layer)\tthe message says\n")
        for c in CASES:
            t.write("\t".join(str(x) for x in c) + "\n")


if __name__ == "__main__":
    main()
