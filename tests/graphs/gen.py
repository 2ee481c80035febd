#!/usr/bin/python3
"""Generate the graph and nesting cases under tests/graphs/cases/.

Run with Debian's /usr/bin/python3 (needs python3-h5py and python3-numpy
for the nesting cases, whose weights move to the deeper groups):

    /usr/bin/python3 tests/graphs/gen.py

Every case starts from a fixture real Keras 3.16 wrote
(tests/fixtures/layers/keras-3.16/) and rewrites its config.json (and, for
the nesting cases, the groups of model.weights.h5) with Python's zipfile.
The output is deterministic and committed, so CI needs no Python.
cases.tsv lists

    FILE <TAB> EXIT-STATUS <TAB> MESSAGE-FRAGMENT-OR-EXPECTED-CSV <TAB> WHAT

For status 0 the third field names the CSV of Keras's outputs the model
must reproduce on its fixture's input (the rewrite keeps the numbers); for
status 4 the message `kanx predict` must refuse it with. tests/graphs.bats
checks every line with predict, validate and serve-stdin. The status-0
rewrites (dead_layer, shuffled, cast_float32) were run through real Keras 3.16
(../shared/oracle/predict.py), which gave the fixture's numbers.
"""
import copy
import io
import json
import os
import tempfile
import zipfile

import h5py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "tests", "fixtures", "layers", "keras-3.16")
OUT = os.path.join(HERE, "cases")
CASES = []


def members(name):
    with zipfile.ZipFile(os.path.join(FIX, name + ".keras")) as z:
        return {n: z.read(n) for n in z.namelist()}


def write(name, m):
    """A .keras archive, byte for byte the same on every run."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n in ("metadata.json", "config.json", "model.weights.h5"):
            if n in m:
                zi = zipfile.ZipInfo(n, date_time=(2026, 1, 1, 0, 0, 0))
                zi.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(zi, m[n])
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(buf.getvalue())


def case(name, status, expect, what):
    def deco(fn):
        CASES.append((name, status, expect, what, fn))
        return fn
    return deco


def config(m):
    return json.loads(m["config.json"])


def layer(cfg, name):
    for lo in cfg["config"]["layers"]:
        if lo["config"].get("name") == name:
            return lo
    raise KeyError(name)


def tensor(lo, i=0):
    """The i-th tensor the layer's (only) call reads."""
    a = lo["inbound_nodes"][0]["args"][0]
    return a[i]["config"] if isinstance(a, list) else a["config"]


def rewrite(src, edit):
    """A builder: src's archive with edit(config) applied to config.json."""
    def build():
        m = members(src)
        cfg = config(m)
        edit(cfg)
        m["config.json"] = json.dumps(cfg).encode()
        return m
    return build


def refuse(name, src, expect, what, edit):
    case(name, 4, expect, what)(rewrite(src, edit))


refuse("cycle.keras", "graph_residual",
       "read each other's outputs in a cycle",
       "blk0_kan reads blk1_add, which is computed from blk0_kan: a cycle",
       lambda c: tensor(layer(c, "blk0_kan")).__setitem__("keras_history", ["blk1_add", 0, 0]))
refuse("self_loop.keras", "graph_dag", "read each other's outputs in a cycle",
       "Dense 'a' reads its own output",
       lambda c: tensor(layer(c, "a")).__setitem__("keras_history", ["a", 0, 0]))
refuse("dangling.keras", "graph_dag",
       "layer 'add': reads the output of layer 'ghost', which is not in the model",
       "Add reads a layer the model does not have",
       lambda c: tensor(layer(c, "add"), 1).__setitem__("keras_history", ["ghost", 0, 0]))
refuse("output_dangling.keras", "graph_dag",
       "output_layers names layer 'ghost', which is not in the model",
       "output_layers naming a layer the model does not have",
       lambda c: c["config"].__setitem__("output_layers", ["ghost", 0, 0]))
refuse("no_inbound.keras", "graph_dag", "layer 'mul': the layer is called on nothing",
       "a layer with no inbound node",
       lambda c: layer(c, "mul").__setitem__("inbound_nodes", []))
refuse("shared_call.keras", "graph_dag", "layer 'c': the layer is called 2 times",
       "a layer called twice (shared weights)",
       lambda c: layer(c, "c")["inbound_nodes"].append(copy.deepcopy(layer(c, "c")["inbound_nodes"][0])))
refuse("second_output.keras", "graph_dag",
       "reads output 1 of call 0 of layer 'b'",
       "a tensor that is a layer's second output",
       lambda c: tensor(layer(c, "add"), 1).__setitem__("keras_history", ["b", 0, 1]))
refuse("concat_axis0.keras", "graph_dag", "layer 'cat': axis: only the features axis",
       "Concatenate on the batch axis",
       lambda c: layer(c, "cat")["config"].__setitem__("axis", 0))
refuse("subtract_three.keras", "graph_dag", "layer 'sub': Subtract takes exactly 2 inputs, not 3",
       "Subtract called on three tensors",
       lambda c: tensor(layer(c, "sub"), 0) and layer(c, "sub")["inbound_nodes"][0]["args"][0].append(
           copy.deepcopy(layer(c, "sub")["inbound_nodes"][0]["args"][0][0])))
refuse("merge_widths.keras", "graph_dag",
       "layer 'max': inputs of widths 3 and 4 cannot be merged elementwise",
       "Maximum of a width-4 layer and the width-3 input",
       lambda c: tensor(layer(c, "max"), 1).__setitem__("keras_history", ["x", 0, 0]))
refuse("two_inputs_declared.keras", "graph_multi_input",
       "the model has 2 inputs ('xa', 'xb')",
       "the multi-input fixture (also refused as Keras wrote it)", lambda c: None)
refuse("input_not_model_input.keras", "graph_multi_input",
       "layer 'kb': reads InputLayer 'xb', which is not the model's input",
       "input_layers names one of two InputLayers; the other is read by a layer",
       lambda c: c["config"].__setitem__("input_layers", [["xa", 0, 0]]))
refuse("kwargs_training.keras", "nest_kan_in_func",
       "layer 'kan_body': the layer is called with arguments (kwargs 'mask')",
       "a nested model called with a mask",
       lambda c: layer(c, "kan_body")["inbound_nodes"][0]["kwargs"].__setitem__("mask", True))


def ok_case(name, src, what, edit):
    """A rewrite Keras reads as the same model: its outputs are src's."""
    case(name, 0, "../fixtures/layers/keras-3.16/%s_expected.csv" % src, what)(rewrite(src, edit))


def add_dead(c):
    layers = c["config"]["layers"]
    dead = copy.deepcopy(layer(c, "trunk"))
    dead["name"] = dead["config"]["name"] = "dead"
    layers.insert(1, dead)


ok_case("dead_layer.keras", "graph_unused_branch",
        "a Dense no output needs, listed first: Keras neither builds it nor counts it in "
        "the weights' names (layers/dense stays trunk's)", add_dead)
ok_case("shuffled.keras", "graph_dag",
        "the layer list reversed: Keras orders the layers by depth from the outputs, "
        "so the Dense weights keep their names (a is dense, c is dense_1)",
        lambda c: c["config"]["layers"].reverse())


def insert_cast(dtype):
    """A Cast op node, as Keras 3.8 writes an autocast, between blk0_kan
    and blk0_dense."""
    def edit(c):
        lay = c["config"]["layers"]
        i = next(j for j, lo in enumerate(lay) if lo["config"].get("name") == "blk0_kan")
        lay.insert(i + 1, {
            "module": "keras.src.ops.core", "class_name": "Cast", "config": {"dtype": dtype},
            "registered_name": "Cast", "name": "cast",
            "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                "shape": [None, 4], "dtype": "float32", "keras_history": ["blk0_kan", 0, 0]}}],
                "kwargs": {}}]})
        tensor(layer(c, "blk0_dense"))["keras_history"] = ["cast", 0, 0]
    return edit


ok_case("cast_float32.keras", "graph_residual",
        "a Cast op node to float32 (as Keras 3.8 writes an autocast) inside a float32 graph: the identity",
        insert_cast("float32"))
refuse("cast_int32.keras", "graph_residual",
       "layer 'cast': dtype policy 'int32' is not supported",
       "a Cast op node to int32: kanx computes floats only", insert_cast("int32"))


def nest(depth):
    """nest_seq_in_seq with its inner Sequential wrapped in DEPTH - 1 more
    Sequentials (DEPTH models inside the top one), the weights moved to
    the groups Keras would name them by."""
    m = members("nest_seq_in_seq")
    cfg = config(m)
    top = cfg["config"]["layers"]
    idx = [i for i, lo in enumerate(top) if lo["class_name"] == "Sequential"][0]
    inner = top[idx]
    for d in range(depth - 1):
        inner = {"module": "keras", "class_name": "Sequential", "registered_name": None,
                 "config": {"name": "wrap%d" % d, "trainable": True,
                            "layers": [inner]}}
    top[idx] = inner
    m["config.json"] = json.dumps(cfg).encode()
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.h5")
        dst = os.path.join(tmp, "out.h5")
        with open(src, "wb") as f:
            f.write(m["model.weights.h5"])
        with h5py.File(src, "r") as fi, h5py.File(dst, "w") as fo:
            deep = "layers/sequential" + "/layers/sequential" * (depth - 1)
            gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
            gcpl.set_obj_track_times(False)   # no creation times: the same bytes each run

            def group(path):
                g = fo
                for part in path.split("/"):
                    if part.encode() not in g.id:
                        h5py.h5g.create(g.id, part.encode(), gcpl=gcpl)
                    g = g[part]
                return g

            def copy_ds(name, obj):
                if not isinstance(obj, h5py.Dataset):
                    return
                new = name
                if name.startswith("layers/sequential/"):
                    new = deep + name[len("layers/sequential"):]
                parent, leaf = new.rsplit("/", 1)
                group(parent).create_dataset(leaf, data=obj[()], track_times=False)
            fi.visititems(copy_ds)
        with open(dst, "rb") as f:
            m["model.weights.h5"] = f.read()
    return m


case("nest_16.keras", 0, "../fixtures/layers/keras-3.16/nest_seq_in_seq_expected.csv",
     "a Sequential nested 16 deep (the limit, KX_MAX_NEST): Keras's numbers")(lambda: nest(16))
case("nest_17.keras", 4, "models nested more than 16 deep",
     "a Sequential nested 17 deep: one past the limit")(lambda: nest(17))


def h5_case(name, expect, what, edit):
    """nest_seq_in_seq with its weights file edited by edit(h5py.File)."""
    def build():
        m = members("nest_seq_in_seq")
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "w.h5")
            with open(p, "wb") as f:
                f.write(m["model.weights.h5"])
            with h5py.File(p, "r+") as f:
                edit(f)
            with open(p, "rb") as f:
                m["model.weights.h5"] = f.read()
        return m
    case(name, 4, expect, what)(build)


h5_case("nest_group_missing.keras",
        "layers/sequential/layers/dense: missing: no weights for layer 'dense'",
        "the nested Sequential's Dense weights under another name",
        lambda f: f.move("layers/sequential/layers/dense", "layers/sequential/layers/dense_7"))


def soft(f):
    f.move("layers/sequential", "layers/elsewhere")
    f["layers/sequential"] = h5py.SoftLink("/layers/elsewhere")


h5_case("nest_group_softlink.keras", "layers/sequential/layers/dense: is a soft or external link; refused",
        "the nested model's group a soft link to its weights elsewhere in the file", soft)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.unlink(os.path.join(OUT, f))
    with open(os.path.join(HERE, "cases.tsv"), "w") as t:
        for name, status, expect, what, fn in CASES:
            write(name, fn())
            t.write("%s\t%d\t%s\t%s\n" % (name, status, expect, what))


if __name__ == "__main__":
    main()
