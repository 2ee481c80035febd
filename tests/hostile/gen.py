#!/usr/bin/python3
"""Generate the hostile-model corpus under tests/hostile/cases/.

Run with Debian's /usr/bin/python3 (needs python3-h5py and python3-numpy):

    /usr/bin/python3 tests/hostile/gen.py

Every case starts from a real Keras 3 fixture (tests/fixtures/keras-3.16/)
and breaks one thing at the zip, config.json or HDF5 level. The output is
deterministic, and committed, so CI needs no h5py. cases.tsv lists

    FILE <TAB> EXIT-STATUS <TAB> MESSAGE-FRAGMENT <TAB> WHAT

and tests/hostile.bats checks every line: the loader must refuse the file
with that exit status and a message containing the fragment, within the
time and memory bounds stated there, with nothing from libhdf5 on the
terminal.
"""
import bz2
import io
import json
import os
import struct
import sys
import tempfile
import zipfile
import zlib

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIX = os.path.join(ROOT, "tests", "fixtures", "keras-3.16")
OUT = os.path.join(HERE, "cases")
REF_OUT = os.path.join(HERE, "refs")   # for some sound cases: the values h5py reads, stored plain

MiB = 1 << 20
GiB = 1 << 30

# ---------------------------------------------------------------- zip writer
# A small hand-written zip writer, so a case can say anything a zip can:
# lying sizes, flags, Unix file types, duplicate or absolute names.

DOSTIME = (0, 0x21)  # 1980-01-01 00:00


class Member:
    def __init__(self, name, data=b"", method=0, flags=0, mode=0o100644,
                 system=3, usize=None, csize=None, crc=None, raw=None, local_name=None):
        self.name = name.encode() if isinstance(name, str) else name
        self.local_name = self.name if local_name is None else local_name.encode()
        self.method = method
        self.flags = flags
        self.mode = mode
        self.system = system
        if raw is not None:          # (compressed bytes, uncompressed size, crc)
            self.comp, self.true_usize, self.true_crc = raw
        else:
            self.true_usize = len(data)
            self.true_crc = zlib.crc32(data) & 0xffffffff
            if method == 0:
                self.comp = data
            elif method == 8:
                c = zlib.compressobj(9, zlib.DEFLATED, -15)
                self.comp = c.compress(data) + c.flush()
            elif method == 12:
                self.comp = bz2.compress(data, 9)
            else:
                self.comp = data
        self.usize = self.true_usize if usize is None else usize
        self.csize = len(self.comp) if csize is None else csize
        self.crc = self.true_crc if crc is None else crc


def zip_bytes(members, comment=b"", before_eocd=b""):
    out = io.BytesIO()
    central = []
    for m in members:
        off = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, m.flags, m.method,
                              DOSTIME[0], DOSTIME[1], m.crc, m.csize, m.usize,
                              len(m.local_name), 0))
        out.write(m.local_name)
        out.write(m.comp)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50,
                                   (m.system << 8) | 20, 20, m.flags, m.method,
                                   DOSTIME[0], DOSTIME[1], m.crc, m.csize, m.usize,
                                   len(m.name), 0, 0, 0, 0,
                                   (m.mode << 16) & 0xffffffff, off) + m.name)
    cd_off = out.tell()
    for c in central:
        out.write(c)
    cd_size = out.tell() - cd_off
    out.write(before_eocd)
    out.write(struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, len(members), len(members),
                          cd_size, cd_off, len(comment)))
    out.write(comment)
    return out.getvalue()


_ZEROS = {}


def zeros_stream(total, method):
    """Compress `total` zero bytes without holding them: (bytes, size, crc)."""
    if (total, method) not in _ZEROS:
        _ZEROS[total, method] = _zeros_stream(total, method)
    return _ZEROS[total, method]


def _zeros_stream(total, method):
    if method == 12:
        c = bz2.BZ2Compressor(9)
        fin = c.flush
    else:
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        fin = c.flush
    chunk = b"\0" * (64 * MiB)
    crc = 0
    parts = []
    left = total
    while left:
        n = min(left, len(chunk))
        piece = chunk if n == len(chunk) else chunk[:n]
        crc = zlib.crc32(piece, crc)
        parts.append(c.compress(piece))
        left -= n
    parts.append(fin())
    return b"".join(parts), total, crc & 0xffffffff


# ---------------------------------------------------------------- the base model

def load_fixture(name):
    with zipfile.ZipFile(os.path.join(FIX, name + ".keras")) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


BASE = load_fixture("kan_a")          # KAN [2, 8, 1], G=5, k=3
FUNC = load_fixture("functional_i")   # InputLayer -> KANLinear -> Dense -> KANLinear
MIXED = load_fixture("mixed_g")       # Sequential: InputLayer, KANLinear x2, Dense


def _values(h5):
    out = {}
    with h5py.File(io.BytesIO(h5), "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, o[()]) if isinstance(o, h5py.Dataset) else None)
    return out


BASE_VALUES = _values(BASE["model.weights.h5"])   # every dataset of the base weights


def keras(members=None, base=BASE, **override):
    """A .keras image: the base members with some replaced (None = removed)."""
    parts = dict(base)
    parts.update(override)
    if members is not None:
        return zip_bytes(members)
    return zip_bytes([Member(n, d) for n, d in parts.items() if d is not None])


def with_config(cfg, base=BASE):
    return keras(base=base, **{"config.json": json.dumps(cfg).encode()})


def base_config(base=BASE):
    return json.loads(base["config.json"])


def h5_edit(edit, base=BASE):
    """Apply edit(h5py.File) to a copy of the base weights; return the bytes."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "model.weights.h5")
        with open(p, "wb") as f:
            f.write(base["model.weights.h5"])
        with h5py.File(p, "r+") as f:
            edit(f)
        with open(p, "rb") as f:
            return f.read()


def with_h5(edit, base=BASE):
    return keras(base=base, **{"model.weights.h5": h5_edit(edit, base)})


def replace_ds(f, path, data=None, **kw):
    """Replace dataset PATH by a new one (same data unless given)."""
    old = f[path][()] if data is None else data
    del f[path]
    f.create_dataset(path, data=old, **kw)


# ---------------------------------------------------------------- the cases

CASES = []


def case(name, status, fragment, what):
    def reg(fn):
        CASES.append((name, status, fragment, what, fn))
        return fn
    return reg


KV = "layers/kan_linear/vars"

# --- zip level -----------------------------------------------------------------


@case("zip-not-a-zip.keras", 4, "not a .keras (zip) archive", "plain text, not a zip")
def _():
    return b"this is not a zip archive\n" * 8


@case("zip-empty.keras", 4, "not a .keras (zip) archive", "a zero-byte file")
def _():
    return b""


@case("zip-truncated.keras", 4, "zip", "the base model cut in half")
def _():
    b = keras()
    return b[: len(b) // 2]


@case("zip-tar.keras", 4, "not a .keras (zip) archive", "a tar archive, not a zip")
def _():
    import tarfile
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for n, d in BASE.items():
            ti = tarfile.TarInfo(n)
            ti.size = len(d)
            ti.mtime = 0
            t.addfile(ti, io.BytesIO(d))
    return bio.getvalue()


@case("zip-encrypted.keras", 4, "config.json: encrypted members are not supported",
      "config.json flagged as (traditional PKWARE) encrypted")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", BASE["config.json"], flags=1),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("zip-absolute-name.keras", 4, "member name '/etc/config.json'",
      "a member with an absolute path")
def _():
    return keras([Member(n, d) for n, d in BASE.items()] +
                 [Member("/etc/config.json", b"{}")])


@case("zip-dotdot-name.keras", 4, "member name '../../config.json'",
      "a member whose path climbs out with ..")
def _():
    return keras([Member(n, d) for n, d in BASE.items()] +
                 [Member("../../config.json", b"{}")])


@case("zip-dotdot-inner.keras", 4, "member name 'assets/../../x'",
      "a member with .. in the middle of its path")
def _():
    return keras([Member(n, d) for n, d in BASE.items()] +
                 [Member("assets/../../x", b"x")])


@case("zip-backslash-name.keras", 4, "member name '../evil'",
      "a member with a DOS-style ..\\ path (libarchive turns \\ into /)")
def _():
    return keras([Member(n, d) for n, d in BASE.items()] + [Member("..\\evil", b"x")])


@case("zip-control-name.keras", 4, "member name 'a?b?[31m' is absolute, has '..' or control characters",
      "a member name with a newline and an escape in it")
def _():
    return keras([Member(n, d) for n, d in BASE.items()] + [Member("a\nb\x1b[31m", b"x")])


@case("zip-symlink.keras", 4, "model.weights.h5: links, devices and other special members are refused",
      "model.weights.h5 as a Unix symlink to /etc/passwd")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", BASE["config.json"]),
                  Member("model.weights.h5", b"/etc/passwd", mode=0o120777)])


@case("zip-device.keras", 4, "config.json: links, devices and other special members are refused",
      "config.json as a character device")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", BASE["config.json"], mode=0o020644),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("zip-dir-dotdot.keras", 4, "member name '../'",
      "a directory entry that climbs out with ..")
def _():
    return keras([Member(n, d) for n, d in BASE.items()] + [Member("../", b"", mode=0o040755)])


@case("zip-duplicate.keras", 4, "config.json: duplicate member name",
      "two config.json members, the second one different")
def _():
    evil = base_config()
    evil["config"]["layers"] = [2, 3, 1]
    return keras([Member(n, d) for n, d in BASE.items()] +
                 [Member("config.json", json.dumps(evil).encode())])


@case("zip-too-many-members.keras", 4, "the zip directory lists 65 members, more than the limit of 64",
      "65 members (limit 64)")
def _():
    return keras([Member(n, d) for n, d in BASE.items()] +
                 [Member("assets/%d" % i, b"") for i in range(62)])


@case("zip-count-lie.keras", 4, "more than 64 members",
      "65 members, but the end record claims 3")
def _():
    b = bytearray(keras([Member(n, d) for n, d in BASE.items()] +
                        [Member("assets/%d" % i, b"") for i in range(62)]))
    struct.pack_into("<HH", b, len(b) - 22 + 8, 3, 3)
    return bytes(b)


@case("zip-no-config.keras", 4, "missing config.json", "no config.json member")
def _():
    return keras(**{"config.json": None})


@case("zip-no-weights.keras", 4, "missing model.weights.h5", "no model.weights.h5 member")
def _():
    return keras(**{"model.weights.h5": None})


@case("zip-bad-method.keras", 4, "config.json", "config.json with an unknown compression method (99)")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", BASE["config.json"], method=99),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("zip-bad-crc.keras", 4, "config.json", "config.json whose CRC does not match")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", BASE["config.json"], method=8, crc=0x12345678),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("zip-bomb-declared.keras", 4, "model.weights.h5: member declares 3221225472 bytes",
      "bzip2 bomb: model.weights.h5 inflates to 3 GiB and says so")
def _():
    raw = zeros_stream(3 * GiB, 12)
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", BASE["config.json"]),
                  Member("model.weights.h5", method=12, raw=raw)])


@case("zip-bomb-lying.keras", 4, "model.weights.h5: member inflates past its declared size of 14112 bytes",
      "bzip2 bomb: model.weights.h5 inflates to 3 GiB but declares 14112 bytes")
def _():
    raw = zeros_stream(3 * GiB, 12)
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", BASE["config.json"]),
                  Member("model.weights.h5", method=12, raw=raw, usize=14112, crc=0)])


@case("zip-bomb-deflate.keras", 4, "config.json: member inflates past its declared size of 306 bytes",
      "deflate bomb: config.json inflates to 64 MiB but declares 306 bytes")
def _():
    raw = zeros_stream(64 * MiB, 8)
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", method=8, raw=raw, usize=306, crc=0),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("zip-bomb-total.keras", 4, "members declare more than the limit of 1073741824 bytes together",
      "honest bzip2 members kanx needs: model.weights.h5 declares 1021 MiB and config.json 4 MiB, "
      "each under its limit, 1 GiB + 1 MiB together")
def _():
    raw = zeros_stream(1021 * MiB, 12)
    spaces = b" " * (4 * MiB)
    cfg = (bz2.compress(spaces, 9), len(spaces), zlib.crc32(spaces) & 0xffffffff)
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("model.weights.h5", method=12, raw=raw),
                  Member("config.json", method=12, raw=cfg)])


# Python's zipfile is what Keras reads the archive with: where libarchive
# (kanx's reader) could see other members or other bytes, the file is refused.

@case("zip-name-nul.keras", 4, "member name 'config.json?.evil' holds a NUL byte",
      "config.json stored as 'config.json\\0.evil' (Python's zipfile cuts the name at the NUL)")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member(b"config.json\0.evil", BASE["config.json"]),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("zip-name-nul-extra.keras", 4, "member name 'model.weights.h5?' holds a NUL byte",
      "a second weights member named 'model.weights.h5\\0' beside the real one")
def _():
    evil = h5_edit(lambda f: f[KV + "/0"].__setitem__(Ellipsis, 0.0))
    return keras([Member(n, d) for n, d in BASE.items()] + [Member(b"model.weights.h5\0", evil)])


@case("zip-name-case.keras", 4, "config.json: member 'CONFIG.JSON' differs from it only in case",
      "config.json and a different CONFIG.JSON (one file on a case-insensitive file system)")
def _():
    evil = base_config()
    evil["config"]["base_activation"] = "tanh"
    return keras([Member(n, d) for n, d in BASE.items()] +
                 [Member("CONFIG.JSON", json.dumps(evil).encode())])


@case("zip-name-dotslash.keras", 4, "missing config.json",
      "the config stored as './config.json', which Python's zipfile does not find as config.json")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("./config.json", BASE["config.json"]),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("zip-local-name.keras", 4, "config.json: the member's local header is missing or names another file",
      "the directory says config.json, its local header says other.json (Python refuses to read it)")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", BASE["config.json"], local_name="other.json"),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("zip-prepended.keras", 4, "the central directory is not where the end record says",
      "100 bytes before the zip, offsets not adjusted (Python shifts every offset; libarchive may not)")
def _():
    return b"#!/bin/sh\n" + b"x" * 90 + keras()


@case("zip-fake-eocd-comment.keras", 4, "the central directory is not where the end record says (46 bytes at 0)",
      "an archive comment holding a second end record (Python reads the last one)")
def _():
    fake = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 1, 1, 46, 0, 0)
    return zip_bytes([Member(n, d) for n, d in BASE.items()], comment=b"note " + fake + b" end")


@case("zip-zip64-locator.keras", 4, "zip64 archives are not supported",
      "a zip64 end-of-directory locator before the end record")
def _():
    loc = struct.pack("<IIQI", 0x07064b50, 0, 0, 1)
    return zip_bytes([Member(n, d) for n, d in BASE.items()], before_eocd=loc)


@case("zip-method-zstd.keras", 4, "config.json: compression method 93 is not one Python's zipfile reads",
      "config.json flagged as zstd (93): libarchive may read it, Keras's Python cannot")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", BASE["config.json"], method=93),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


# --- config.json level ---------------------------------------------------------


@case("cfg-not-json.keras", 4, "config.json:1:1: invalid JSON", "config.json is not JSON")
def _():
    return keras(**{"config.json": b"<xml>not json</xml>"})


@case("cfg-truncated.keras", 4, "config.json:1:", "config.json cut short")
def _():
    return keras(**{"config.json": BASE["config.json"][:100]})


@case("cfg-nul.keras", 4, "config.json: contains a NUL byte", "a NUL byte inside config.json")
def _():
    c = BASE["config.json"]
    return keras(**{"config.json": c[:20] + b"\0" + c[20:]})


@case("cfg-deep.keras", 4, "config.json: JSON nested deeper than 64 levels",
      "config.json nested 100000 levels deep")
def _():
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", b"[" * 100000 + b"]" * 100000, method=8),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("cfg-huge.keras", 4, "config.json: member declares 67108864 bytes, over the limit of 4194304",
      "bzip2: config.json of 64 MiB of spaces")
def _():
    raw = (bz2.compress(b" " * (64 * MiB), 9), 64 * MiB, zlib.crc32(b" " * (64 * MiB)) & 0xffffffff)
    return keras([Member("metadata.json", BASE["metadata.json"]),
                  Member("config.json", method=12, raw=raw),
                  Member("model.weights.h5", BASE["model.weights.h5"])])


@case("cfg-not-object.keras", 4, "not a Keras model config", "config.json is a JSON array")
def _():
    return keras(**{"config.json": b"[1, 2, 3]"})


@case("cfg-lambda-layer.keras", 4, "Python lambda",
      "a Sequential with a Lambda layer carrying marshalled bytecode")
def _():
    cfg = base_config(MIXED)
    cfg["config"]["layers"].insert(1, {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "pwn", "function": {
            "class_name": "__lambda__",
            "config": {"code": "4wEAAAAAAAAAAAAAAAEAAAADAAAAQwAAAHMMAAAAdABkAYMBAQB8AFMA",
                       "defaults": None, "closure": None}}}})
    return with_config(cfg, MIXED)


@case("cfg-lambda-activation.keras", 4, "Python lambda",
      "a KAN whose base_activation is a serialized lambda")
def _():
    cfg = base_config()
    cfg["config"]["base_activation"] = {"class_name": "__lambda__",
                                        "config": {"code": "YQ==", "defaults": None}}
    return with_config(cfg)


@case("cfg-function-builtins.keras", 4, "module 'builtins'",
      "a Dense activation that names builtins.eval")
def _():
    cfg = base_config(MIXED)
    for l in cfg["config"]["layers"]:
        if l["class_name"] == "Dense":
            l["config"]["activation"] = {"module": "builtins", "class_name": "function",
                                         "config": "eval", "registered_name": "function"}
    return with_config(cfg, MIXED)


@case("cfg-module-os.keras", 4, "module 'os'",
      "the model itself claims to come from module os")
def _():
    cfg = base_config()
    cfg["module"] = "os"
    return with_config(cfg)


@case("cfg-initializer-module.keras", 4, "module 'subprocess'",
      "a Dense kernel_initializer from module subprocess")
def _():
    cfg = base_config(MIXED)
    for l in cfg["config"]["layers"]:
        if l["class_name"] == "Dense":
            l["config"]["kernel_initializer"] = {"module": "subprocess", "class_name": "Popen",
                                                 "config": {"args": ["sh", "-c", "id"]},
                                                 "registered_name": None}
    return with_config(cfg, MIXED)


@case("cfg-registered-name.keras", 4, "registered_name 'evil>Backdoor'",
      "a layer registered under a custom name")
def _():
    cfg = base_config(MIXED)
    cfg["config"]["layers"][1]["registered_name"] = "evil>Backdoor"
    cfg["config"]["layers"][1]["module"] = "kanx.layers"
    return with_config(cfg, MIXED)


@case("cfg-unknown-class.keras", 4, "unsupported layer class 'Conv2D'",
      "a Sequential with a Conv2D layer")
def _():
    cfg = base_config(MIXED)
    cfg["config"]["layers"][3]["class_name"] = "Conv2D"
    return with_config(cfg, MIXED)


@case("cfg-escape-name.keras", 4, "layer '?]0;pwned??kanx: all good': unsupported layer class 'Conv2D'",
      "a layer name carrying a terminal escape sequence and a newline")
def _():
    cfg = base_config(MIXED)
    cfg["config"]["layers"][3]["class_name"] = "Conv2D"
    cfg["config"]["layers"][3]["config"]["name"] = "\x1b]0;pwned\x07\nkanx: all good"
    return with_config(cfg, MIXED)


@case("cfg-unknown-model.keras", 4, "unsupported model class 'SimpleRNN'",
      "a model class kanx does not run (a Keras RNN)")
def _():
    cfg = base_config()
    cfg.update({"module": "keras.layers", "class_name": "SimpleRNN", "registered_name": None})
    return with_config(cfg)


@case("cfg-registered-model.keras", 4, "registered_name 'kanx>KANTransformer' is not supported",
      "a kanx-looking registered class that kanx does not have")
def _():
    cfg = base_config()
    cfg["registered_name"] = "kanx>KANTransformer"
    cfg["class_name"] = "KANTransformer"
    return with_config(cfg)


@case("cfg-url.keras", 4, "names a URL", "a config value that is a URL")
def _():
    cfg = base_config()
    cfg["config"]["weights_origin"] = "https://evil.example/payload.h5"
    return with_config(cfg)


@case("cfg-filepath.keras", 4, "names a file", "a config value that is an absolute file path")
def _():
    cfg = base_config()
    cfg["config"]["filepath"] = "/etc/shadow"
    return with_config(cfg)


@case("cfg-width-limit.keras", 4, "KAN widths must be integers from 1 to 1048576",
      "a KAN layer wider than the width limit")
def _():
    cfg = base_config()
    cfg["config"]["layers"] = [2, 1048577, 1]
    return with_config(cfg)


@case("cfg-width-product.keras", 4, "layer 'kan_linear' (1048576 -> 1048576): the weights the config declares up to here pass the limit of 1073741824 bytes",
      "KAN [1048576, 1048576]: each width allowed, in*out*(G+k) floats = 32 TiB")
def _():
    cfg = base_config()
    cfg["config"]["layers"] = [1048576, 1048576]
    cfg["build_config"]["input_shape"] = [1, 1048576]
    return with_config(cfg)


@case("cfg-dense-product.keras", 4, "(1048576 -> 1048576): the weights the config declares up to here pass the limit of 1073741824 bytes",
      "a Sequential of Dense(1048576) layers: 4 TiB of kernel")
def _():
    cfg = base_config(MIXED)
    for l in cfg["config"]["layers"]:
        if l["class_name"] == "Dense":
            l["config"]["units"] = 1048576
    cfg["config"]["layers"].append(json.loads(json.dumps(
        [l for l in cfg["config"]["layers"] if l["class_name"] == "Dense"][0])))
    return with_config(cfg, MIXED)


@case("cfg-grid-limit.keras", 4, "grid_size must be an integer from 1 to 65536",
      "grid_size 1e9")
def _():
    cfg = base_config()
    cfg["config"]["grid_size"] = 1000000000
    return with_config(cfg)


@case("cfg-grid-fraction.keras", 4, "grid_size must be an integer", "grid_size 2.5")
def _():
    cfg = base_config()
    cfg["config"]["grid_size"] = 2.5
    return with_config(cfg)


@case("cfg-order-limit.keras", 4, "spline_order must be an integer from 0 to 64",
      "spline_order 65")
def _():
    cfg = base_config()
    cfg["config"]["spline_order"] = 65
    return with_config(cfg)


@case("cfg-order-zero.keras", 4, "but the config says 5 and 0",
      "spline_order 0 in the config, order 3 in the weights")
def _():
    cfg = base_config()
    cfg["config"]["spline_order"] = 0
    return with_config(cfg)


@case("cfg-too-many-layers.keras", 4, "more than 1024 layers", "a KAN of 2000 layers")
def _():
    cfg = base_config()
    cfg["config"]["layers"] = [1] * 2001
    return with_config(cfg)


@case("cfg-grid-range.keras", 4, "grid_range must be [low, high] with low < high",
      "grid_range [1, 1]")
def _():
    cfg = base_config()
    cfg["config"]["grid_range"] = [1.0, 1.0]
    return with_config(cfg)


@case("cfg-dtype-number.keras", 4, "dtype policy '?' is not supported",
      "a KAN whose dtype is a number, not a name")
def _():
    cfg = base_config()
    cfg["config"]["dtype"] = 64
    return with_config(cfg)


@case("cfg-dtype-unknown.keras", 4, "dtype policy 'float8_e5m2' is not supported",
      "a layer under a dtype policy kanx does not know")
def _():
    cfg = base_config(MIXED)
    cfg["config"]["layers"][1]["config"]["dtype"] = "float8_e5m2"
    return with_config(cfg, MIXED)


@case("cfg-width-chain.keras", 4, "in_features is 3 but the previous layer gives 4",
      "a KANLinear whose in_features does not match the layer before")
def _():
    cfg = base_config(MIXED)
    cfg["config"]["layers"][1]["config"]["in_features"] = 3
    return with_config(cfg, MIXED)


@case("cfg-functional-branch.keras", 4, "layers/dense: vars/0 (kernel) has shape (5, 4), expected (2, 4)",
      "a Functional model whose Dense layer takes the InputLayer, skipping a layer: a graph "
      "whose Dense kernel does not fit its new input")
def _():
    cfg = base_config(FUNC)
    cfg["config"]["layers"][2]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][0] = "x"
    return with_config(cfg, FUNC)


def func_case(name, fragment, what, edit):
    def build():
        cfg = base_config(FUNC)
        edit(cfg["config"])
        return with_config(cfg, FUNC)
    case(name, 4, fragment, what)(build)


func_case("cfg-functional-output-unknown.keras",
          "output_layers names layer 'ghost', which is not in the model",
          "output_layers naming a layer that does not exist",
          lambda c: c.__setitem__("output_layers", [["ghost", 0, 0]]))
func_case("cfg-functional-output-dict.keras", "output_layers must name each output as [layer, 0, 0]",
          "outputs as a dict whose value is no [layer, 0, 0] triple ({'y': 'kan_out'}; a dict "
          "of triples is Keras's model given a dict of outputs, and runs)",
          lambda c: c.__setitem__("output_layers", {"y": "kan_out"}))
func_case("cfg-functional-output-node.keras", "output_layers must name each output as [layer, 0, 0]",
          "output_layers naming the last layer's second call (node 1)",
          lambda c: c.__setitem__("output_layers", ["kan_out", 1, 0]))
func_case("cfg-functional-no-output.keras", "output_layers must name each output as [layer, 0, 0]",
          "a Functional config without output_layers",
          lambda c: c.pop("output_layers"))
func_case("cfg-functional-input-other.keras",
          "input_layers names layer 'kan_hidden', which is not an InputLayer",
          "input_layers naming an inner layer", lambda c: c.__setitem__("input_layers", ["kan_hidden", 0, 0]))
func_case("cfg-functional-kwargs.keras", "layer 'kan_hidden': the layer is called with arguments (kwargs 'training')",
          "a layer called with training=True (Dropout would then be active in Keras)",
          lambda c: c["layers"][1]["inbound_nodes"][0].__setitem__("kwargs", {"training": True}))
func_case("cfg-functional-history-node.keras", "layer 'kan_hidden': reads output 0 of call 1 of layer 'x'",
          "an inbound tensor from the InputLayer's node 1",
          lambda c: c["layers"][1]["inbound_nodes"][0]["args"][0]["config"].__setitem__(
              "keras_history", ["x", 1, 0]))


@case("cfg-activation.keras", 4, "unsupported activation 'os.system'",
      "an activation name kanx does not know")
def _():
    cfg = base_config()
    cfg["config"]["base_activation"] = "os.system"
    return with_config(cfg)


# Parser differentials: config.json is read by Python's json in Keras and
# by cJSON in kanx. Text the two would read differently is refused, with
# its line and column (in characters).

CFG_TEXT = BASE["config.json"]
MIXED_TEXT = MIXED["config.json"]


def pos(text, off):
    """1-based line and column (in characters) of byte offset off."""
    before = text[:off]
    line = before.count(b"\n") + 1
    col = len(before[before.rfind(b"\n") + 1:].decode("utf-8", "replace")) + 1
    return "%d:%d" % (line, col)


def cfg_case(name, text, fragment_fmt, what, at, member="config.json", base=BASE):
    """A case whose config text is TEXT; fragment_fmt gets the position of
    byte offset AT (an int, or a bytes needle searched from the end)."""
    if isinstance(at, bytes):
        at = text.rindex(at)
    frag = "%s:%s: %s" % (member, pos(text, at), fragment_fmt)
    case(name, 4, frag, what)(lambda: keras(base=base, **{member: text}))


DUP = CFG_TEXT.replace(b'"base_activation": "silu"',
                       b'"base_activation": "silu",\n  "base_activation": "tanh"')
cfg_case("cfg-dup-key.keras", DUP, "duplicate key 'base_activation' (first at 1:",
         "base_activation given twice: silu, then tanh on the next line (Python keeps tanh)",
         b'"base_activation": "tanh"')

DUP_ESC = CFG_TEXT.replace(b'"base_activation": "silu"',
                           b'"base_activation": "silu", "base_activ\\u0061tion": "tanh"')
cfg_case("cfg-dup-key-escaped.keras", DUP_ESC, "duplicate key 'base_activation'",
         "the second base_activation spelled with a \\u0061 escape", b'"base_activ\\u0061tion"')

DUP_NESTED = MIXED_TEXT.replace(b'"units": 2', b'"units": 2, "units": 3', 1)
cfg_case("cfg-dup-key-nested.keras", DUP_NESTED, "duplicate key 'units'",
         "a Dense layer's units given twice, deep inside a Sequential", b'"units": 3', base=MIXED)

cfg_case("cfg-nul-escape.keras", CFG_TEXT.replace(b'"silu"', b'"silu\\u0000tanh"'),
         "a \\u0000 escape in a string is refused",
         "base_activation 'silu\\u0000tanh': cJSON would stop at the NUL, Python would not",
         b"\\u0000")

cfg_case("cfg-lone-surrogate.keras", CFG_TEXT.replace(b'"name": "kan"', b'"name": "kan\\ud800"'),
         "a lone surrogate escape \\ud800 is refused", "a model name with a lone surrogate escape",
         b"\\ud800")

for _n, _bad, _what in (("cfg-not-utf8.keras", b"\xff\xfe", "bytes 0xff 0xfe in a name"),
                        ("cfg-overlong-utf8.keras", b"\xc0\xaf", "an overlong UTF-8 encoding of '/'"),
                        ("cfg-surrogate-utf8.keras", b"\xed\xa0\x80", "a UTF-16 surrogate encoded as UTF-8"),
                        ("cfg-cut-utf8.keras", b"\xe2\x82", "a UTF-8 sequence cut short")):
    cfg_case(_n, CFG_TEXT.replace(b'"name": "kan"', b'"name": "k' + _bad + b'an"'),
             "not valid UTF-8 (byte 0x%02x)" % _bad[0], "config.json that is not UTF-8: " + _what,
             _bad)

cfg_case("cfg-trailing-data.keras", CFG_TEXT + b'\n{"class_name": "Sequential"}',
         "invalid JSON: extra data after the value",
         "a second JSON object after the config (cJSON stops after the first)", b'{"class_name"')

cfg_case("cfg-leading-zero.keras", CFG_TEXT.replace(b'"grid_size": 5', b'"grid_size": 05'),
         "invalid JSON: invalid number", "grid_size written 05 (not JSON; cJSON reads 5)", b"05")

cfg_case("cfg-trailing-dot.keras", CFG_TEXT.replace(b'"grid_size": 5', b'"grid_size": 5.'),
         "invalid JSON: invalid number", "grid_size written '5.' (not JSON; cJSON reads 5)", b"5.")

cfg_case("cfg-control-char.keras", CFG_TEXT.replace(b'"name": "kan"', b'"name": "k\x01an"'),
         "invalid JSON: control character 0x01 in a string",
         "a raw control character inside a string (Python's json refuses it)", b"\x01")

cfg_case("cfg-vtab-space.keras", CFG_TEXT.replace(b', "grid_size"', b',\x0b"grid_size"'),
         "invalid JSON: expecting a property name in double quotes",
         "a vertical tab between tokens (whitespace to cJSON, not to JSON)", b"\x0b")

cfg_case("cfg-nan-literal.keras", CFG_TEXT.replace(b'[-1.0, 1.0]', b'[NaN, 1.0]'),
         "non-finite number NaN (after the key 'grid_range')",
         "grid_range [NaN, 1.0] (Python reads NaN; kanx refuses)",
         b"NaN")

META_DUP = BASE["metadata.json"].replace(b'"keras_version": ', b'"keras_version": "1.0", "keras_version": ')
cfg_case("meta-dup-key.keras", META_DUP, "duplicate key 'keras_version'",
         "metadata.json with keras_version twice", b'"keras_version": "3', member="metadata.json")


@case("meta-not-object.keras", 4, "metadata.json: not a JSON object", "metadata.json is a string")
def _():
    return keras(**{"metadata.json": b'"3.16.0"'})


# --- HDF5 level ------------------------------------------------------------------


@case("h5-not-hdf5.keras", 4, "model.weights.h5: not an HDF5 file",
      "model.weights.h5 is a zip, not HDF5")
def _():
    return keras(**{"model.weights.h5": keras()})


@case("h5-truncated.keras", 4, "model.weights.h5: not a readable HDF5 file (",
      "model.weights.h5 cut to its first 2 KiB")
def _():
    return keras(**{"model.weights.h5": BASE["model.weights.h5"][:2048]})


@case("h5-superblock-garbage.keras", 4, "model.weights.h5", "HDF5 signature followed by garbage")
def _():
    b = bytearray(BASE["model.weights.h5"])
    for i in range(8, 2048):
        b[i] = (i * 131 + 7) & 0xff
    return keras(**{"model.weights.h5": bytes(b)})


@case("h5-missing-layer.keras", 4, "layers/kan_linear_1: missing: no weights for layer",
      "the second layer's group is deleted")
def _():
    return with_h5(lambda f: f.__delitem__("layers/kan_linear_1"))


@case("h5-missing-var.keras", 4, "layers/kan_linear: layer 'kan_linear' (KANLinear) has 2 weights, expected 3",
      "vars/2 (grid) is deleted")
def _():
    return with_h5(lambda f: f.__delitem__(KV + "/2"))


@case("h5-extra-var.keras", 4, "has 4 weights, expected 3", "a fourth variable is added")
def _():
    return with_h5(lambda f: f.create_dataset(KV + "/3", data=np.zeros(3, np.float32)))


@case("h5-renamed-var.keras", 4, "layers/kan_linear/vars/2 (grid): missing",
      "vars/2 renamed to vars/x")
def _():
    return with_h5(lambda f: f.move(KV + "/2", KV + "/x"))


@case("h5-wrong-rank.keras", 4, "layers/kan_linear/vars/1 (spline_weight): rank 2, expected 3",
      "spline_weight flattened to 2-D")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/1", f[KV + "/1"][()].reshape(2, 64)))


@case("h5-wrong-shape.keras", 4, "vars/0 (base_weight) has shape (8, 2), expected (2, 8)",
      "base_weight transposed")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/0", f[KV + "/0"][()].T.copy()))


@case("h5-grid-mismatch.keras", 4, "weights give grid_size 6 and spline_order 2, but the config says 5 and 3",
      "grid and spline_weight shapes that say G=6, k=2 against a config of G=5, k=3")
def _():
    def ed(f):
        replace_ds(f, KV + "/2", np.tile(np.linspace(-1, 1, 7, dtype=np.float32), (2, 1)))
    return with_h5(ed)


@case("h5-huge-dims.keras", 4, "vars/1 (spline_weight) has shape (2, 8, 4294967296)",
      "spline_weight declares 2x8x2^32 floats (never written: no storage)")
def _():
    def ed(f):
        del f[KV + "/1"]
        f.create_dataset(KV + "/1", shape=(2, 8, 1 << 32), dtype=np.float32, chunks=(1, 1, 1024))
    return with_h5(ed)


@case("h5-int-dtype.keras", 4, "vars/0 (base_weight): an integer dataset; a float weight needs a float dataset",
      "base_weight stored as int32")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/0", np.arange(16, dtype=np.int32).reshape(2, 8)))


@case("h5-string-dtype.keras", 4, "vars/2 (grid): not a float dataset; a float weight needs a float dataset",
      "grid stored as strings")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/2", np.array([[b"x"] * 6] * 2)))


@case("h5-compound-dtype.keras", 4, "vars/0 (base_weight): not a float dataset; a float weight needs a float dataset",
      "base_weight as a compound (struct) type")
def _():
    dt = np.dtype([("a", np.float32), ("b", np.float32)])
    return with_h5(lambda f: replace_ds(f, KV + "/0", np.zeros((2, 8), dt)))


@case("h5-float64-inexact.keras", 4, "vars/0 (base_weight): float64 value 0.10000000000000001 at index 0 is not exactly a float32",
      "base_weight as float64 holding 0.1")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/0", np.full((2, 8), 0.1, np.float64)))


@case("h5-scalar.keras", 4, "vars/0 (base_weight): not a simple array", "base_weight is a scalar")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/0", np.float32(1.0)))


@case("h5-var-is-group.keras", 4, "vars/1 (spline_weight): not a dataset", "spline_weight is a group")
def _():
    def ed(f):
        del f[KV + "/1"]
        f.create_group(KV + "/1")
    return with_h5(ed)


@case("h5-layers-dataset.keras", 4, "model.weights.h5: /layers is not a group",
      "/layers is a dataset")
def _():
    def ed(f):
        del f["layers"]
        f.create_dataset("layers", data=np.zeros(4, np.float32))
    return with_h5(ed)


@case("h5-soft-link-var.keras", 4, "vars/0 (base_weight): is a soft or external link; refused",
      "base_weight is a soft link to a dataset elsewhere in the file")
def _():
    def ed(f):
        f.create_dataset("stash", data=f[KV + "/0"][()])
        del f[KV + "/0"]
        f[KV + "/0"] = h5py.SoftLink("/stash")
    return with_h5(ed)


@case("h5-soft-link-group.keras", 4, "layers/kan_linear: is a soft or external link; refused",
      "a layer group is a soft link to another layer's group")
def _():
    def ed(f):
        del f["layers/kan_linear"]
        f["layers/kan_linear"] = h5py.SoftLink("/layers/kan_linear_1")
    return with_h5(ed)


@case("h5-external-link-var.keras", 4, "vars/2 (grid): is a soft or external link; refused",
      "the grid is an external link into /etc/passwd")
def _():
    def ed(f):
        del f[KV + "/2"]
        f[KV + "/2"] = h5py.ExternalLink("/etc/passwd", "/grid")
    return with_h5(ed)


@case("h5-external-link-root.keras", 4, "model.weights.h5: /layers is a soft or external link; refused",
      "/layers is an external link to another HDF5 file")
def _():
    def ed(f):
        del f["layers"]
        f["layers"] = h5py.ExternalLink("/tmp/kanx-evil.h5", "/layers")
    return with_h5(ed)


@case("h5-external-storage.keras", 4, "vars/2 (grid): datasets with external storage are refused",
      "the grid's raw data lives in /etc/passwd (external storage)")
def _():
    def ed(f):
        del f[KV + "/2"]
        f.create_dataset(KV + "/2", shape=(2, 6), dtype=np.float32,
                         external=[("/etc/passwd", 0, 48)])
    return with_h5(ed)


@case("h5-virtual.keras", 4, "vars/1 (spline_weight): virtual datasets are refused",
      "spline_weight is a virtual dataset mapped from another file")
def _():
    def ed(f):
        del f[KV + "/1"]
        space = h5py.h5s.create_simple((2, 8, 8))
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_obj_track_times(False)
        dcpl.set_virtual(space, b"/tmp/kanx-evil.h5", b"/data", space)
        h5py.h5d.create(f[KV].id, b"1", h5py.h5t.IEEE_F32LE, space, dcpl=dcpl)
    return with_h5(ed)


@case("h5-filter-lzf.keras", 4, "vars/1 (spline_weight): filter 32000 is not supported",
      "spline_weight compressed with h5py's LZF filter (a plugin for HDF5)")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/1", compression="lzf"))


@case("h5-filter-unknown.keras", 4, "vars/0 (base_weight): filter 32123 is not supported",
      "base_weight through an unregistered filter id (plugin loading must stay off)")
def _():
    def ed(f):
        data = f[KV + "/0"][()]
        del f[KV + "/0"]
        dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
        dcpl.set_chunk((2, 8))
        dcpl.set_obj_track_times(False)
        dcpl.set_filter(32123, h5py.h5z.FLAG_OPTIONAL, ())
        sid = h5py.h5s.create_simple((2, 8))
        ds = h5py.h5d.create(f[KV].id, b"0", h5py.h5t.IEEE_F32LE, sid, dcpl=dcpl)
        ds.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
    return with_h5(ed)


@case("h5-deflate-bomb.keras", 4, "vars/1 (spline_weight): a compressed chunk inflates past its 512 bytes",
      "spline_weight (512 bytes) whose one deflate chunk inflates to 256 MiB")
def _():
    def ed(f):
        del f[KV + "/1"]
        ds = f.create_dataset(KV + "/1", shape=(2, 8, 8), dtype=np.float32,
                              chunks=(2, 8, 8), compression="gzip")
        ds.id.write_direct_chunk((0, 0, 0), zlib.compress(b"\0" * (256 * MiB), 9))
    return with_h5(ed)


@case("h5-chunk-oversized.keras", 4, "vars/1 (spline_weight): chunk (1024, 1024, 1023) is larger than the dataset",
      "spline_weight (2, 8, 8) stored in chunks of 1024^3 floats (4 GiB each)")
def _():
    def ed(f):
        data = f[KV + "/1"][()]
        del f[KV + "/1"]
        ds = f.create_dataset(KV + "/1", shape=(2, 8, 8), maxshape=(None, None, None),
                              dtype=np.float32, chunks=(1024, 1024, 1023), compression="gzip")
        ds.id.write_direct_chunk((0, 0, 0), zlib.compress(data.tobytes(), 9))
    return with_h5(ed)


@case("h5-grid-nan.keras", 4, "vars/2 (grid): row 0 has a knot that is not finite",
      "a grid holding NaN")
def _():
    def ed(f):
        g = f[KV + "/2"][()]
        g[0, 2] = np.nan
        f[KV + "/2"][...] = g
    return with_h5(ed)


@case("h5-grid-overflow.keras", 4, "vars/2 (grid): row 0 has a knot that is not finite, or overflows float32 when extended by 3 knots",
      "a grid spanning +-3e38: extending it by k knots overflows float32")
def _():
    def ed(f):
        g = f[KV + "/2"][()]
        g[0] = np.linspace(-3e38, 3e38, 6, dtype=np.float32)
        f[KV + "/2"][...] = g
    return with_h5(ed)


# --- HDF5: datasets the file never wrote ----------------------------------------
# An element whose storage was never written is read as the dataset's fill
# value when HDF5 defines one (as h5py returns it); with fill time "never"
# or no fill value, HDF5 leaves the reader's buffer as it was: refused.

from h5py import h5d, h5p, h5s, h5t, h5z  # noqa: E402


def raw_dataset(f, path, shape, layout, fill_time=None, fill=None, alloc=None, chunks=None,
                dtype=h5t.IEEE_F32LE, undefined_fill=False, write=None, filters=()):
    """Create PATH with a hand-made creation property list; write only the
    parts named in write: [(selection, array)]."""
    if path in f:
        del f[path]
    dcpl = h5p.create(h5p.DATASET_CREATE)
    dcpl.set_obj_track_times(False)
    dcpl.set_layout(layout)
    if chunks:
        dcpl.set_chunk(chunks)
    for flt in filters:
        flt(dcpl)
    if fill_time is not None:
        dcpl.set_fill_time(fill_time)
    if alloc is not None:
        dcpl.set_alloc_time(alloc)
    if fill is not None:
        dcpl.set_fill_value(np.array(fill, dtype=np.float32 if dtype == h5t.IEEE_F32LE else np.float64))
    if undefined_fill:
        import ctypes
        lib = ctypes.CDLL("libhdf5_serial.so.103")
        lib.H5Pset_fill_value.argtypes = [ctypes.c_int64, ctypes.c_int64, ctypes.c_void_p]
        assert lib.H5Pset_fill_value(dcpl.id, h5t.NATIVE_FLOAT.id, None) >= 0
    grp, name = path.rsplit("/", 1)
    h5d.create(f[grp].id, name.encode(), dtype, h5s.create_simple(shape), dcpl=dcpl)
    for sel, arr in (write or ()):
        f[path][sel] = arr


BW = KV + "/0"      # base_weight of layer 0: (2, 8)
REFS = []           # (case name, reference builder)


def ref_from(case_bytes):
    """A reference model: the same weights as h5py reads them from the case
    (fill values, filters undone), stored plain (contiguous, no filters)."""
    with zipfile.ZipFile(io.BytesIO(case_bytes)) as z:
        h5 = z.read("model.weights.h5")
    vals = {}
    with h5py.File(io.BytesIO(h5), "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and "/vars/" in name:
                vals[name] = obj[()]
        f.visititems(visit)

    def ed(f):
        for name, v in vals.items():
            replace_ds(f, name, data=v)
    return with_h5(ed)


def ok_h5_case(name, what, edit, same_as_base=False):
    """A sound HDF5 variant (status 0) with a reference model of the values
    h5py reads from it; kanx must print the same numbers for both. With
    same_as_base (lossless filters), those values must be the base's; with
    False, they must differ from them somewhere; None: no claim."""
    def build():
        return with_h5(edit)
    case(name, 0, "", what)(build)
    REFS.append((name, same_as_base))


case("h5-unwritten-contiguous-never.keras", 4,
     "vars/0 (base_weight): it was never written and its fill time is 'never': its values are not in the file",
     "base_weight contiguous, never written, fill time never (the read buffer would be left as it was)")(
    lambda: with_h5(lambda f: raw_dataset(f, BW, (2, 8), h5d.CONTIGUOUS, fill_time=h5d.FILL_TIME_NEVER,
                                         alloc=h5d.ALLOC_TIME_LATE)))
case("h5-unwritten-chunked-never.keras", 4,
     "vars/0 (base_weight): 2 of its 2 chunks were never written and its fill time is 'never'",
     "base_weight in (1, 8) chunks, none written, fill time never")(
    lambda: with_h5(lambda f: raw_dataset(f, BW, (2, 8), h5d.CHUNKED, chunks=(1, 8),
                                         fill_time=h5d.FILL_TIME_NEVER, fill=0.25)))
case("h5-partial-chunked-never.keras", 4,
     "vars/0 (base_weight): 1 of its 2 chunks was never written and its fill time is 'never'",
     "base_weight in (1, 8) chunks, only row 0 written, fill time never")(
    lambda: with_h5(lambda f: raw_dataset(f, BW, (2, 8), h5d.CHUNKED, chunks=(1, 8),
                                         fill_time=h5d.FILL_TIME_NEVER,
                                         write=[(np.s_[0:1], np.full((1, 8), 0.5, np.float32))])))
case("h5-partial-chunked-deflate-never.keras", 4,
     "vars/1 (spline_weight): 1 of its 2 chunks was never written and its fill time is 'never'",
     "spline_weight deflated in (1, 8, 8) chunks, the second never written, fill time never")(
    lambda: with_h5(lambda f: raw_dataset(f, KV + "/1", (2, 8, 8), h5d.CHUNKED, chunks=(1, 8, 8),
                                         fill_time=h5d.FILL_TIME_NEVER,
                                         filters=[lambda d: d.set_deflate(6)],
                                         write=[(np.s_[0:1], np.full((1, 8, 8), 0.1, np.float32))])))
case("h5-unwritten-no-fill-value.keras", 4,
     "vars/0 (base_weight): it was never written and it has no fill value",
     "base_weight contiguous, never written, its fill value undefined (H5Pset_fill_value(NULL))")(
    lambda: with_h5(lambda f: raw_dataset(f, BW, (2, 8), h5d.CONTIGUOUS, alloc=h5d.ALLOC_TIME_LATE,
                                         undefined_fill=True)))
case("h5-partial-no-fill-value.keras", 4,
     "vars/0 (base_weight): 1 of its 2 chunks was never written and it has no fill value",
     "base_weight chunked, row 1 never written, fill value undefined")(
    lambda: with_h5(lambda f: raw_dataset(f, BW, (2, 8), h5d.CHUNKED, chunks=(1, 8),
                                         undefined_fill=True,
                                         write=[(np.s_[0:1], np.full((1, 8), 0.5, np.float32))])))
case("h5-unwritten-float64-fill.keras", 4,
     "vars/0 (base_weight): float64 value 0.10000000000000001 at index 0 is not exactly a float32",
     "base_weight float64, never written, fill value 0.1 (not a float32)")(
    lambda: with_h5(lambda f: raw_dataset(f, BW, (2, 8), h5d.CONTIGUOUS, alloc=h5d.ALLOC_TIME_LATE,
                                         fill=0.1, dtype=h5t.IEEE_F64LE)))

ok_h5_case("ok-unwritten-contiguous-default.keras",
           "control: base_weight contiguous, never written, default fill (0), fill time ifset",
           lambda f: raw_dataset(f, BW, (2, 8), h5d.CONTIGUOUS, alloc=h5d.ALLOC_TIME_LATE,
                                 fill_time=h5d.FILL_TIME_IFSET))
ok_h5_case("ok-unwritten-chunked-fill-ifset.keras",
           "control: base_weight chunked, never written, fill value 0.25, fill time ifset",
           lambda f: raw_dataset(f, BW, (2, 8), h5d.CHUNKED, chunks=(1, 8), fill=0.25,
                                 fill_time=h5d.FILL_TIME_IFSET))
ok_h5_case("ok-unwritten-contiguous-fill-alloc.keras",
           "control: base_weight contiguous, allocated early with fill value -0.5 written (fill time alloc)",
           lambda f: raw_dataset(f, BW, (2, 8), h5d.CONTIGUOUS, alloc=h5d.ALLOC_TIME_EARLY, fill=-0.5,
                                 fill_time=h5d.FILL_TIME_ALLOC))
ok_h5_case("ok-partial-chunked-fill.keras",
           "control: base_weight chunked, row 0 written, row 1 never: read as the fill value 0.125",
           lambda f: raw_dataset(f, BW, (2, 8), h5d.CHUNKED, chunks=(1, 8), fill=0.125,
                                 write=[(np.s_[0:1], np.linspace(-1, 1, 8, dtype=np.float32)[None])]))
ok_h5_case("ok-partial-chunked-default-ifset.keras",
           "control: base_weight chunked, row 1 never written, default fill value (0), fill time ifset",
           lambda f: raw_dataset(f, BW, (2, 8), h5d.CHUNKED, chunks=(1, 8), fill_time=h5d.FILL_TIME_IFSET,
                                 write=[(np.s_[0:1], np.full((1, 8), 0.5, np.float32))]))
ok_h5_case("ok-partial-chunked-fill-alloc.keras",
           "control: spline_weight deflated in (1, 8, 4) chunks, half written, fill -0.25 (fill time alloc)",
           lambda f: raw_dataset(f, KV + "/1", (2, 8, 8), h5d.CHUNKED, chunks=(1, 8, 4), fill=-0.25,
                                 fill_time=h5d.FILL_TIME_ALLOC, filters=[lambda d: d.set_deflate(6)],
                                 write=[(np.s_[0:1, :, 0:4], np.full((1, 8, 4), 0.3, np.float32))]))
ok_h5_case("ok-compact-never.keras",
           "control: base_weight compact, never written, fill time never: its bytes live in the object header",
           lambda f: raw_dataset(f, BW, (2, 8), h5d.COMPACT, fill_time=h5d.FILL_TIME_NEVER))
ok_h5_case("ok-contiguous-allocated-never.keras",
           "control: base_weight contiguous, allocated early, never written, fill time never: "
           "the file's bytes there",
           lambda f: raw_dataset(f, BW, (2, 8), h5d.CONTIGUOUS, alloc=h5d.ALLOC_TIME_EARLY,
                                 fill_time=h5d.FILL_TIME_NEVER), same_as_base=None)


# --- HDF5: the built-in filters, user blocks --------------------------------------
# Every built-in filter h5py writes is read, with the numbers h5py reads.

def all_vars(f, **kw):
    for layer in ("kan_linear", "kan_linear_1"):
        for v in ("0", "1", "2"):
            p = "layers/%s/vars/%s" % (layer, v)
            replace_ds(f, p, chunks=f[p].shape, **kw)


ok_h5_case("ok-h5-fletcher32.keras", "control: every weight chunked with fletcher32 checksums",
           lambda f: all_vars(f, fletcher32=True), same_as_base=True)
ok_h5_case("ok-h5-shuffle-gzip-fletcher32.keras", "control: shuffle, deflate and fletcher32 together",
           lambda f: all_vars(f, shuffle=True, compression="gzip", fletcher32=True), same_as_base=True)
ok_h5_case("ok-h5-szip.keras", "control: every weight szip-compressed (libaec)",
           lambda f: all_vars(f, compression="szip"), same_as_base=True)
ok_h5_case("ok-h5-szip-fletcher32.keras", "control: szip with fletcher32",
           lambda f: all_vars(f, compression="szip", fletcher32=True, shuffle=True), same_as_base=True)


def nbit_all(f):
    for layer in ("kan_linear", "kan_linear_1"):
        for v in ("0", "1", "2"):
            p = "layers/%s/vars/%s" % (layer, v)
            raw_dataset(f, p, f[p].shape, h5d.CHUNKED, chunks=f[p].shape,
                        filters=[lambda d: d.set_filter(h5z.FILTER_NBIT, 0, ())],
                        write=[(Ellipsis, BASE_VALUES[p])])


ok_h5_case("ok-h5-nbit.keras", "control: every weight through the nbit filter (full float32 precision)",
           nbit_all, same_as_base=True)
ok_h5_case("ok-h5-nbit-gzip.keras", "control: nbit then deflate on spline_weight",
           lambda f: raw_dataset(f, KV + "/1", (2, 8, 8), h5d.CHUNKED, chunks=(1, 8, 8),
                                 filters=[lambda d: d.set_filter(h5z.FILTER_NBIT, 0, ()),
                                          lambda d: d.set_deflate(6)],
                                 write=[(Ellipsis, BASE_VALUES[KV + "/1"])]), same_as_base=True)
ok_h5_case("ok-h5-scaleoffset.keras", "control: base and spline weights through the lossy scaleoffset "
           "filter (3 decimal digits): the numbers are h5py's decoded values",
           lambda f: [replace_ds(f, KV + "/0", scaleoffset=3), replace_ds(f, KV + "/1", scaleoffset=3)])
ok_h5_case("ok-h5-scaleoffset-shuffle-gzip.keras", "control: scaleoffset, shuffle and deflate",
           lambda f: replace_ds(f, KV + "/1", scaleoffset=4, shuffle=True, compression="gzip"))


def userblock(size):
    def build():
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "w.h5")
            with h5py.File(io.BytesIO(BASE["model.weights.h5"]), "r") as src, \
                    h5py.File(p, "w", userblock_size=size) as dst:
                for k in src:
                    src.copy(src[k], dst, k)
                for k, v in src.attrs.items():
                    dst.attrs[k] = v
            with open(p, "r+b") as fh:
                fh.write(b"kanx user block: not HDF5 ".ljust(min(size, 64), b"."))
                fh.seek(0)
                data = fh.read()
        assert data[size:size + 8] == b"\x89HDF\r\n\x1a\n"
        return keras(**{"model.weights.h5": data})
    return build


for _size in (512, 4096):
    case("ok-h5-userblock-%d.keras" % _size, 0, "",
         "control: model.weights.h5 with a %d-byte user block (superblock at %d)" % (_size, _size))(
        userblock(_size))
    REFS.append(("ok-h5-userblock-%d.keras" % _size, True))


def corrupt_chunk(path, **kw):
    """Flip one byte of the first stored chunk of PATH (written with kw)."""
    def build():
        data = bytearray(h5_edit(lambda f: replace_ds(f, path, chunks=None, **kw)))
        with h5py.File(io.BytesIO(bytes(data)), "r") as f:
            info = f[path].id.get_chunk_info(0)
        data[info.byte_offset + 1] ^= 0x40
        return keras(**{"model.weights.h5": bytes(data)})
    return build


case("h5-fletcher32-corrupt.keras", 4, "vars/1 (spline_weight): cannot be read:",
     "spline_weight with fletcher32, one stored byte flipped: the checksum must refuse it")(
    corrupt_chunk(KV + "/1", fletcher32=True))
case("h5-szip-fletcher32-corrupt.keras", 4, "vars/1 (spline_weight): cannot be read:",
     "spline_weight szip + fletcher32, one stored byte flipped")(
    corrupt_chunk(KV + "/1", compression="szip", fletcher32=True))


@case("h5-szip-bomb.keras", 4, "vars/1 (spline_weight): a compressed chunk inflates past its 512 bytes",
      "spline_weight (512 bytes) whose szip chunk header claims 1 GiB")
def _():
    def ed(f):
        del f[KV + "/1"]
        ds = f.create_dataset(KV + "/1", shape=(2, 8, 8), dtype=np.float32, chunks=(2, 8, 8),
                              compression="szip")
        ds.id.write_direct_chunk((0, 0, 0), struct.pack("<I", 1 << 30) + b"\0" * 60)
    return with_h5(ed)


def patch_cd(path, kw, old, new):
    """Write PATH with h5py's kw (None: through nbit), then replace the
    filter parameters OLD (uint32s, as libhdf5 computed them) by NEW in the
    file's bytes."""
    def write(f):
        if kw is None:
            raw_dataset(f, path, f[path].shape, h5d.CHUNKED, chunks=f[path].shape,
                        filters=[lambda d: d.set_filter(h5z.FILTER_NBIT, 0, ())],
                        write=[(Ellipsis, BASE_VALUES[path])])
        else:
            replace_ds(f, path, **kw)

    def build():
        data = h5_edit(write)
        o, n = struct.pack("<%dI" % len(old), *old), struct.pack("<%dI" % len(new), *new)
        assert data.count(o) == 1, (path, kw, data.count(o))
        return keras(**{"model.weights.h5": data.replace(o, n)})
    return build


case("h5-nbit-params.keras", 4,
     "vars/1 (spline_weight): filter 5 (nbit) has parameters that do not describe this dataset's "
     "chunks of 128 4-byte floats",
     "nbit parameters claiming 2^28 elements a chunk (libhdf5 would allocate 1 GiB)")(
    patch_cd(KV + "/1", None, (8, 1, 128, 1, 4, 0, 32, 0), (8, 1, 1 << 28, 1, 4, 0, 32, 0)))


case("h5-scaleoffset-params.keras", 4,
     "vars/1 (spline_weight): filter 6 (scaleoffset) has parameters that do not describe",
     "scaleoffset parameters claiming 2^28 elements a chunk")(
    patch_cd(KV + "/1", {"scaleoffset": 3, "chunks": (2, 8, 8)}, (0, 3, 128, 1, 4), (0, 3, 1 << 28, 1, 4)))


def pipeline_case(name, frag, what, *filters):
    case(name, 4, frag, what)(lambda: with_h5(lambda f: raw_dataset(
        f, KV + "/1", (2, 8, 8), h5d.CHUNKED, chunks=(2, 8, 8), filters=list(filters),
        write=[(Ellipsis, BASE_VALUES[KV + "/1"])])))


pipeline_case("h5-filter-twice.keras", "vars/1 (spline_weight): filter 2 (shuffle) twice in one pipeline",
              "shuffle twice", lambda d: d.set_shuffle(), lambda d: d.set_shuffle())
pipeline_case("h5-filter-after-compressor.keras",
              "vars/1 (spline_weight): filter 2 (shuffle) after the compressor (deflate) is refused",
              "deflate, then shuffle (the stored chunk is not a deflate stream)",
              lambda d: d.set_deflate(4), lambda d: d.set_shuffle())
pipeline_case("h5-filter-two-compressors.keras",
              "vars/1 (spline_weight): two compressors (szip and deflate) in one pipeline",
              "szip, then deflate", lambda d: d.set_szip(h5z.SZIP_NN_OPTION_MASK, 8),
              lambda d: d.set_deflate(4))


# --- found by fuzzing: fuzz/fuzz_weights.c inputs (model.weights.h5 files
# for kan_a's config), kept in tests/hostile/found/ and wrapped here ------------

FOUND = [
    ("weights-crash-9b3583e6.h5", "model.weights.h5: libhdf5 crashed reading the file (signal 11)",
     "a corrupt local heap: libhdf5 1.10.8 reads through NULL inside H5Lexists"),
    ("weights-crash-3f176a69.h5", "model.weights.h5: libhdf5 crashed reading the file (signal 11)",
     "another corrupt local heap: the same NULL read, by another path in H5HL_protect"),
    ("weights-alloc16g-817deffd.h5", "model.weights.h5: layers/kan_linear",
     "a corrupt object header: libhdf5 asks malloc for 16 GiB while opening a group"),
    ("weights-leak-fe65a598.h5", "model.weights.h5: layers/kan_linear: vars is not a group",
     "a corrupt object header on which libhdf5 leaks 56 bytes"),
]


def found_case(fname):
    def build():
        with open(os.path.join(HERE, "found", fname), "rb") as f:
            return keras(**{"model.weights.h5": f.read()})
    return build


for _f, _frag, _what in FOUND:
    case("h5-found-" + _f.rsplit(".", 1)[0] + ".keras", 4, _frag, "fuzzing: " + _what)(found_case(_f))


# --- controls: sound files the hardening must still accept (status 0) ---------


@case("ok-deflate-shuffle.keras", 0, "", "control: every weight chunked, shuffled and deflated")
def _():
    def ed(f):
        for layer in ("kan_linear", "kan_linear_1"):
            for v in ("0", "1", "2"):
                p = "layers/%s/vars/%s" % (layer, v)
                replace_ds(f, p, compression="gzip", shuffle=True, chunks=f[p].shape)
    return with_h5(ed)


@case("ok-deflate-many-chunks.keras", 0, "", "control: spline_weight deflated in 1x1x8 chunks")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/1", compression="gzip", chunks=(1, 1, 8)))


@case("ok-float64-exact.keras", 0, "", "control: weights stored as float64 holding float32 values")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/1", f[KV + "/1"][()].astype(np.float64)))


@case("ok-big-endian.keras", 0, "", "control: weights stored as big-endian float32")
def _():
    return with_h5(lambda f: replace_ds(f, KV + "/0", f[KV + "/0"][()].astype(">f4")))


@case("ok-deflated-zip.keras", 0, "", "control: the members deflated instead of stored")
def _():
    return keras([Member(n, d, method=8) for n, d in BASE.items()])


@case("ok-zip-comment-max.keras", 0, "", "control: an archive comment of 65535 bytes, the most a zip holds")
def _():
    return zip_bytes([Member(n, d) for n, d in BASE.items()], comment=bytes(range(256)) * 255 + b"x" * 255)


@case("ok-unused-bomb.keras", 0, "", "control: a 1000 MiB bzip2 member the model does not use "
      "(a few KiB on disk): loads without inflating it")
def _():
    raw = zeros_stream(1000 * MiB, 12)
    return keras([Member(n, d) for n, d in BASE.items()] + [Member("assets/blob", method=12, raw=raw)])


@case("ok-cfg-bom.keras", 0, "", "control: config.json starting with a UTF-8 byte order mark "
      "(Python's json.loads of bytes skips it)")
def _():
    return keras(**{"config.json": b"\xef\xbb\xbf" + CFG_TEXT})


@case("ok-cfg-unicode.keras", 0, "", "control: non-ASCII names, raw and escaped (a surrogate pair)")
def _():
    cfg = base_config()
    cfg["config"]["name"] = "k\u00e4n \U0001f600"
    t = json.dumps(cfg, ensure_ascii=False).encode()
    return keras(**{"config.json": t.replace("\U0001f600".encode(), b"\\ud83d\\ude00")})


# ---------------------------------------------------------------- main

def main():
    os.makedirs(OUT, exist_ok=True)
    only = set(sys.argv[1:])
    for old in os.listdir(OUT):
        if not only and old.endswith(".keras"):
            os.unlink(os.path.join(OUT, old))
    rows = []
    refs = dict(REFS)
    os.makedirs(REF_OUT, exist_ok=True)
    for old in os.listdir(REF_OUT):
        if not only and old.endswith(".keras"):
            os.unlink(os.path.join(REF_OUT, old))
    for name, status, frag, what, fn in CASES:
        if only and name not in only:
            rows.append((name, status, frag, what))
            continue
        data = fn()
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        rows.append((name, status, frag, what))
        print("%-36s %8d bytes" % (name, len(data)))
        if name in refs:
            ref = ref_from(data)
            got = _values(zipfile.ZipFile(io.BytesIO(ref)).read("model.weights.h5"))
            if refs[name]:
                assert all(np.array_equal(got[k], BASE_VALUES[k]) for k in got), name
            elif refs[name] is not None:
                assert any(not np.array_equal(got[k], BASE_VALUES[k]) for k in got), name
            with open(os.path.join(REF_OUT, name), "wb") as f:
                f.write(ref)
    with open(os.path.join(HERE, "cases.tsv"), "w") as f:
        f.write("# file\tstatus\tmessage fragment\twhat it is (generated by gen.py)\n")
        for r in rows:
            f.write("%s\t%d\t%s\t%s\n" % (r[0], r[1], r[2] or "-", r[3]))
    print("%d cases" % len(rows))


if __name__ == "__main__":
    main()
