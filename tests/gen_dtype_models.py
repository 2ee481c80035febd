#!/usr/bin/python3
"""Generate the hostile dtype checkpoints in tests/dtype/ for dtypes.bats.

Each file is a dtype fixture Keras wrote (tests/fixtures/layers/keras-3.16)
with one defect in its config or weights: a dataset whose values the
layer's dtype policy cannot hold, a policy name kanx does not know, an
integer dataset for a float weight. The outputs are committed, so CI needs
no h5py; rerun after changing this script:

    /usr/bin/python3 tests/gen_dtype_models.py

Members are stored uncompressed with fixed dates so reruns are identical.
Each case is one line of tests/dtype/cases.tsv: file, exit status, and the
archive member and tensor (or layer) the refusal must name.
"""
import io
import json
import os
import zipfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = os.path.join(HERE, "fixtures", "layers", "keras-3.16")
OUT = os.path.join(HERE, "dtype")


def read(name):
    with zipfile.ZipFile(os.path.join(FIX, name)) as z:
        return {n: z.read(n) for n in z.namelist()}


def edit_weights(members, fn):
    bio = io.BytesIO(members["model.weights.h5"])
    with h5py.File(bio, "r+") as f:
        fn(f)
    return dict(members, **{"model.weights.h5": bio.getvalue()})


def edit_config(members, fn):
    cfg = json.loads(members["config.json"])
    fn(cfg)
    return dict(members, **{"config.json": json.dumps(cfg).encode()})


def retype(f, path, dtype, fn=None):
    """Replace dataset PATH by one of DTYPE holding its values (fn(a) edits them)."""
    a = np.array(f[path]).astype(np.float64)
    if fn:
        fn(a)
    del f[path]
    f.create_dataset(path, data=a.astype(dtype))


def layer_cfg(cfg, name):
    for lo in cfg["config"]["layers"]:
        if lo["config"].get("name") == name:
            return lo["config"]
    raise KeyError(name)


CASES = []


def write(name, members, status, where):
    path = os.path.join(OUT, name)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for n in ("metadata.json", "config.json", "model.weights.h5"):
            if n in members:
                info = zipfile.ZipInfo(n, date_time=(1980, 1, 1, 0, 0, 0))
                z.writestr(info, members[n])
    CASES.append((name, status, where))
    print(path)


def main():
    os.makedirs(OUT, exist_ok=True)
    f64 = read("dtype_float64_layers.keras")   # kan64, dense64 float64; dense32 float32
    f16 = read("dtype_float16.keras")          # pre, kan, head float16 (float16 datasets)

    # A float64 dataset for the float32 layer dense32, with values float32
    # cannot hold: Keras would round them on load; kanx refuses.
    def f64_for_f32(f):
        retype(f, "layers/dense_1/vars/0", "<f8", lambda a: a.__setitem__((1, 1), a[1, 1] + 1e-12))
    write("f64_data_f32_policy.keras", edit_weights(f64, f64_for_f32), 4,
          "model.weights.h5: layers/dense_1/vars/0 (kernel)")

    # The same defect, the other way round: the config says float32 for
    # kan64 (whose datasets are float64, not float32 values).
    def kan_f32(cfg):
        layer_cfg(cfg, "kan64")["dtype"] = "float32"
    write("f32_policy_f64_data.keras", edit_config(f64, kan_f32), 4,
          "model.weights.h5: layers/kan_linear/vars/0 (base_weight)")

    # A float32 dataset under a float16 policy, with a value float16
    # cannot hold.
    def f32_for_f16(f):
        retype(f, "layers/dense/vars/0", "<f4", lambda a: a.__setitem__((0, 0), a[0, 0] + 1e-5))
    write("f32_data_f16_policy.keras", edit_weights(f16, f32_for_f16), 4,
          "model.weights.h5: layers/dense/vars/0 (kernel)")

    # An integer dataset for a float weight.
    def int_kernel(f):
        retype(f, "layers/dense/vars/1", "<i4")
    write("int_data_float_weight.keras", edit_weights(f64, int_kernel), 4,
          "model.weights.h5: layers/dense/vars/1 (bias)")

    # Policies kanx does not know: a name, a DTypePolicy naming one, a
    # quantized policy class, and the model's own policy.
    def unknown_name(cfg):
        layer_cfg(cfg, "dense64")["dtype"] = "float8_e4m3fn"
    write("unknown_policy_name.keras", edit_config(f64, unknown_name), 4,
          "config.json: layer 'dense64'")

    def unknown_object(cfg):
        layer_cfg(cfg, "kan64")["dtype"]["config"]["name"] = "int8"
    write("unknown_policy_object.keras", edit_config(f64, unknown_object), 4,
          "config.json: layer 'kan64'")

    def quantized(cfg):
        layer_cfg(cfg, "dense32")["dtype"] = {
            "module": "keras", "class_name": "QuantizedDTypePolicy",
            "config": {"name": "int8_from_float32", "source_name": "float32"},
            "registered_name": None}
    write("quantized_policy.keras", edit_config(f64, quantized), 4,
          "config.json: layer 'dense32'")

    def model_policy(cfg):
        cfg["config"]["dtype"]["config"]["name"] = "float128"
    write("unknown_model_policy.keras", edit_config(f64, model_policy), 4,
          "config.json: layer 'dtype_float64_layers'")

    # Accepted: a float16 dataset for a float64 layer (widening is exact;
    # Keras's assign casts it up) and float32 datasets under float64 (as
    # Keras with the JAX backend writes them: dtype_float64_narrowed).
    def f16_for_f64(f):
        retype(f, "layers/dense/vars/1", "<f2")
    write("f16_data_f64_policy.keras", edit_weights(f64, f16_for_f64), 0, "-")

    with open(os.path.join(OUT, "cases.tsv"), "w") as t:
        t.write("# file\texit\twhere the refusal points (archive member: tensor or layer)\n")
        for c in CASES:
            t.write("\t".join(str(x) for x in c) + "\n")


if __name__ == "__main__":
    main()
