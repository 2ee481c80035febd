#!/usr/bin/env python3
"""Write copies of a .keras model whose compile_config is odd or hostile.

compile_config is training-only (what the model was compiled with): kanx
shows its names in inspect and never uses it, so none of these may block
predict, validate or serve-stdin, nor crash inspect. Usage:

    gen_compile_configs.py MODEL.keras OUTDIR

writes OUTDIR/cc_NAME.keras for each case below and prints the names.
"""
import json
import sys
import zipfile

LAMBDA = {"module": "builtins", "class_name": "__lambda__",
          "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAdAB8AIMBUwApAU4pAdoCb3MpAdoBeKkAcgMAAAD6"
                             "CDxzdHJpbmc+2gg8bGFtYmRhPgEAAABzAgAAAAgA", "defaults": None,
                     "closure": None}, "registered_name": None}


def nested(depth, leaf):
    v = leaf
    for _ in range(depth):
        v = [v]
    return v


CASES = {
    "lambda_metric": {"optimizer": "adam", "loss": "mse", "metrics": [LAMBDA, "mae"]},
    "lambda_loss": {"optimizer": "adam", "loss": LAMBDA, "metrics": None},
    "os_system": {"optimizer": {"module": "os", "class_name": "function", "config": "system",
                                "registered_name": "function"},
                  "loss": {"module": "subprocess", "class_name": "Popen", "config": {"args": "rm -rf /"}},
                  "metrics": []},
    "deep_nesting": {"optimizer": "adam", "loss": nested(60, "mse"), "metrics": nested(60, "mae")},
    "wide_metrics": {"optimizer": "adam", "loss": "mse",
                     "metrics": ["m%d" % i for i in range(2000)]},
    "non_string_names": {"optimizer": 12, "loss": [1, 2.5, True, None, {"x": False}],
                         "metrics": [3, None, {"class_name": 7, "config": []}, [], {}]},
    "dict_per_output": {"optimizer": {"module": "keras.optimizers", "class_name": "SGD", "config": {}},
                        "loss": {"y_a": "mse", "y_b": {"module": "builtins", "class_name": "function",
                                                     "config": "my>loss"}},
                        "metrics": {"y_a": ["mae", "mse"], "y_b": LAMBDA},
                        "weighted_metrics": [LAMBDA]},
    "files_and_urls": {"optimizer": "/etc/passwd", "loss": "https://example.com/loss.py",
                       "metrics": [{"filepath": "/etc/shadow"}, "file:///etc/hosts", "../../x"]},
    "control_chars": {"optimizer": "\u001b]0;pwned\u0007", "loss": "a\nb\r\tc",
                      "metrics": ["\u001b[31mred\u001b[0m", "\u0000nul" if False else "x\u007fy"]},
    "long_names": {"optimizer": "o" * 5000, "loss": "l" * 100000, "metrics": ["m" * 3000] * 40},
    "not_an_object": "mse",
    "a_list": ["adam", "mse"],
    "a_number": 42,
    "empty": {},
    "null": None,
}


def main():
    src, out = sys.argv[1], sys.argv[2]
    with zipfile.ZipFile(src) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    for name, cc in CASES.items():
        with zipfile.ZipFile("%s/cc_%s.keras" % (out, name), "w") as o:
            for info, data in members:
                if info.filename == "config.json":
                    c = json.loads(data)
                    c["compile_config"] = cc
                    data = json.dumps(c).encode()
                o.writestr(info, data)
        print(name)


if __name__ == "__main__":
    main()
