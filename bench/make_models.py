#!/usr/bin/python3
"""bench/make_models.py - write KAN checkpoints for the benchmark sweep.

Writes .keras archives laid out exactly like
tests/fixtures/models/bench16.keras (what Keras 3.16 writes for a kanx
KAN): a stored (uncompressed) zip holding metadata.json, config.json and
model.weights.h5, with one HDF5 group per layer,
layers/kan_linear[_N]/vars/{0,1,2} = base_weight (in,out),
spline_weight (in,out,G+k), grid (in,G+1), float32, a "name" attribute on
each vars group, and an empty root /vars group named after the model.
The weights are random (seeded), scaled so activations stay moderate; the
grid is uniform on [-1, 1]. These models are for timing, not accuracy.

usage: /usr/bin/python3 bench/make_models.py OUTDIR [SPEC ...]
  SPEC is WIDTHS:G:K, e.g. 16-64-64-1:5:3 (the default set is the sweep:
  hidden widths 16, 64, 256; G 5 and 20; k 3).
Needs h5py and numpy (Debian: python3-h5py); /usr/bin/python3, since a
python3 earlier on PATH may lack them.
"""
import json
import os
import sys
import tempfile
import zipfile

import h5py
import numpy as np

DEFAULT = ["16-%d-%d-1:%d:3" % (w, w, g) for w in (16, 64, 256) for g in (5, 20)]


def write_model(path, widths, grid, order, seed):
    rng = np.random.default_rng(seed)
    config = {
        "module": "kanx.model",
        "class_name": "KAN",
        "config": {
            "layers": widths,
            "grid_size": grid,
            "spline_order": order,
            "base_activation": "silu",
            "regularization_factor": 0.0,
            "grid_range": [-1.0, 1.0],
            "name": "kan",
        },
        "registered_name": "kanx>KAN",
        "build_config": {"input_shape": [1, widths[0]]},
        "compile_config": {},
    }
    metadata = {"keras_version": "3.16.0", "date_saved": "2026-01-01@00:00:00"}
    with tempfile.TemporaryDirectory() as tmp:
        h5path = os.path.join(tmp, "model.weights.h5")
        with h5py.File(h5path, "w") as f:
            layers = f.create_group("layers")
            for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
                name = "kan_linear" if i == 0 else "kan_linear_%d" % i
                v = layers.create_group(name).create_group("vars")
                v.attrs["name"] = name
                scale = 1.0 / np.sqrt(n_in)
                v.create_dataset("0", data=(rng.standard_normal((n_in, n_out)) * scale).astype(np.float32))
                v.create_dataset("1", data=(rng.standard_normal((n_in, n_out, grid + order)) * scale).astype(np.float32))
                knots = np.linspace(-1.0, 1.0, grid + 1, dtype=np.float32)
                v.create_dataset("2", data=np.tile(knots, (n_in, 1)).astype(np.float32))
            f.create_group("vars").attrs["name"] = "kan"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
            z.writestr("metadata.json", json.dumps(metadata))
            z.writestr("config.json", json.dumps(config))
            z.write(h5path, "model.weights.h5")


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        sys.stdout.write(__doc__)
        return 0 if len(argv) >= 2 else 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    for n, spec in enumerate(argv[2:] or DEFAULT):
        w, g, k = spec.split(":")
        widths = [int(x) for x in w.split("-")]
        name = "kan_%s_g%s_k%s.keras" % (w, g, k)
        write_model(os.path.join(outdir, name), widths, int(g), int(k), seed=1000 + n)
        print(os.path.join(outdir, name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
