#!/usr/bin/python3
"""Writes fluxcore's hostile-input catalogue: malformed, extreme and adversarial files, each
listed in cases.json with the command that reads it, the exit status and a fragment of the
error it must produce. cmd/fluxcore's TestHostileCatalogue runs every case through the
built binary. Run from the repository root: /usr/bin/python3 testdata/hostile/make.py"""
import io, json, os, struct, zipfile
import numpy as np

D = "testdata/hostile"
GOLD = "engine/fno/testdata/golden/fno1d"
cases = []


def case(name, args, want, exit=1):
    cases.append({"name": name, "args": args, "exit": exit, "stderr": want})


def npy_bytes(a):
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


def put(name, data):
    with open(os.path.join(D, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    return os.path.join(D, name)


def raw_npy(header, body=b"", version=1):
    h = header.encode()
    if version == 1:
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(h)) + h + body
    return b"\x93NUMPY\x02\x00" + struct.pack("<I", len(h)) + h + body


MODEL = GOLD + "/model.safetensors"
fno = lambda inp, *more: ["fno", "--model", MODEL, "--input", inp, "--output", "$OUT/y.npy", *more]

# --- .npy inputs to fno -------------------------------------------------------------------
good = np.load(GOLD + "/input.npy")
bad = good.copy(); bad.flat[7] = np.nan
case("npy NaN element", fno(put("input_nan.npy", npy_bytes(bad))), "element 7 (flat index) is NaN")
case("npy truncated data", fno(put("input_truncated.npy", npy_bytes(good)[:-5])), "data bytes, file has")
case("npy shape overflows", fno(put("input_shape_overflow.npy", raw_npy(
    "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }"))), "product overflows")
case("npy shape beyond limit", fno(put("input_shape_huge.npy", raw_npy(
    "{'descr': '<f4', 'fortran_order': False, 'shape': (65536, 65536), }"))), "exceeds limit 2147483647")
case("npy no magic", fno(put("input_no_magic.npy", b"PK\x03\x04 not numpy")), "no \\x93NUMPY magic")
case("npy int dtype", fno(put("input_int.npy", npy_bytes(np.zeros((2, 3), np.int32)))), "dtype \"<i4\" is not supported")
case("npy fortran order", fno(put("input_fortran.npy", npy_bytes(np.asfortranarray(np.zeros((2, 3), np.float32))))), "Fortran order")
case("npy header length 2 GiB", fno(put("input_header_huge.npy", b"\x93NUMPY\x02\x00\xff\xff\xff\x7f")), "header length 2147483647 exceeds limit 1048576")
case("npy rank 40", fno(put("input_rank40.npy", raw_npy(
    "{'descr': '<f4', 'fortran_order': False, 'shape': (" + "1, " * 40 + "), }", b"\0\0\0\0"))), "rank 40 exceeds limit 32")
case("npy big-endian", fno(put("input_big_endian.npy", npy_bytes(good.astype(">f4")))), "not supported")
case("npy is a device", fno("/dev/zero"), "not a regular file")
case("npy is a directory", fno(D), "not a regular file")

# --- checkpoints --------------------------------------------------------------------------
st = open(MODEL, "rb").read()
n = struct.unpack("<Q", st[:8])[0]
header = json.loads(st[8:8 + n])


def with_meta(meta):
    h = dict(header); h["__metadata__"] = {**header.get("__metadata__", {}), **meta}
    text = json.dumps(h).encode()
    pad = (8 - len(text) % 8) % 8
    text += b" " * pad
    return struct.pack("<Q", len(text)) + text + st[8 + n:]


case("metadata padding 2^62", fno(GOLD + "/input.npy", "--model", put("model_padding_huge.safetensors", with_meta({"padding": "4611686018427387904"}))),
     "metadata padding 4611686018427387904 exceeds limit 65536")
case("metadata grid_lb NaN", fno(GOLD + "/input.npy", "--model", put("model_grid_nan.safetensors", with_meta({"grid_lb": "NaN"}))),
     "metadata grid_lb NaN is NaN, want a finite number")
case("metadata grid_ub 1e300", fno(GOLD + "/input.npy", "--model", put("model_grid_huge.safetensors", with_meta({"grid_ub": "1e300"}))),
     "exceeds limit 1e+30")
case("safetensors header length 2^60", fno(GOLD + "/input.npy", "--model", put("model_header_huge.safetensors", struct.pack("<Q", 1 << 60) + b"{}")),
     "header length 1152921504606846976 exceeds")
case("safetensors truncated", fno(GOLD + "/input.npy", "--model", put("model_truncated.safetensors", st[:len(st) // 2])), "outside the")
case("safetensors not JSON", fno(GOLD + "/input.npy", "--model", put("model_not_json.safetensors", struct.pack("<Q", 4) + b"{{{{")),
     "header is not a JSON object")
case("flag padding beyond limit", fno(GOLD + "/input.npy", "--padding", "99999999"), "flag padding 99999999 exceeds limit 65536")
case("config padding beyond limit", fno(GOLD + "/input.npy", "--config", put("config_padding.json", '{"padding": 1000000}')),
     "config padding 1000000 exceeds limit 65536")
case("config unknown key", fno(GOLD + "/input.npy", "--config", put("config_typo.json", '{"paddding": 9}')), "unknown field")
case("memory budget too small", fno(GOLD + "/input.npy", "--mem-budget", "64KiB"), "exceeds the memory budget of 65536 bytes")
case("memory budget malformed", fno(GOLD + "/input.npy", "--mem-budget", "lots"), "invalid value \"lots\" for flag -mem-budget", exit=2)

# --- conserve -----------------------------------------------------------------------------
rng = np.random.default_rng(5)
mean = rng.standard_normal((1, 30))
ens = rng.standard_normal((1, 30, 5)); ens -= ens.mean(axis=2, keepdims=True)
G = rng.standard_normal((5, 30)); b = rng.standard_normal(5)
put("conserve_mean.npy", npy_bytes(mean)); put("conserve_ens.npy", npy_bytes(ens))
put("conserve_G.npy", npy_bytes(G)); put("conserve_b.npy", npy_bytes(b)); put("conserve_var.npy", npy_bytes(np.ones((1, 30))))
cons = lambda *more: ["conserve", "--mean", D + "/conserve_mean.npy", "--ensemble", D + "/conserve_ens.npy",
                      "--constraint", D + "/conserve_G.npy", "--rhs", D + "/conserve_b.npy", "--out-mean", "$OUT/mu.npy", *more]
case("conserve singular A", cons(), "not positive definite")
inf_mean = mean.copy(); inf_mean[0, 3] = np.inf
case("conserve Inf mean", ["conserve", "--mean", put("conserve_mean_inf.npy", npy_bytes(inf_mean)), "--var", D + "/conserve_var.npy",
                           "--constraint", D + "/conserve_G.npy", "--rhs", D + "/conserve_b.npy", "--out-mean", "$OUT/mu.npy"], "+Inf")
case("conserve G shape", ["conserve", "--mean", D + "/conserve_mean.npy", "--var", D + "/conserve_var.npy",
                          "--constraint", put("conserve_G_bad.npy", npy_bytes(np.ones((5, 7)))), "--rhs", D + "/conserve_b.npy",
                          "--out-mean", "$OUT/mu.npy"], "G")
case("conserve output is a device", ["conserve", "--mean", D + "/conserve_mean.npy", "--var", D + "/conserve_var.npy",
                                     "--constraint", D + "/conserve_G.npy", "--rhs", D + "/conserve_b.npy", "--out-mean", "/dev/null"],
     "not a regular file")
case("conserve second output unwritable", ["conserve", "--mean", D + "/conserve_mean.npy", "--var", D + "/conserve_var.npy",
                                           "--constraint", D + "/conserve_G.npy", "--rhs", D + "/conserve_b.npy", "--out-mean", "$OUT/mu.npy",
                                           "--out-var", "$OUT/missing/var.npy"], "no such file or directory")


# --- kalman -------------------------------------------------------------------------------
def npz(name, members, compress=zipfile.ZIP_DEFLATED):
    path = os.path.join(D, name)
    with zipfile.ZipFile(path, "w", compress) as z:
        for k, v in members.items():  # a fixed date, so that a rerun writes the same bytes
            z.writestr(zipfile.ZipInfo(k, date_time=(1980, 1, 1, 0, 0, 0)), v if isinstance(v, bytes) else npy_bytes(v), compress)
    return path


kal = lambda path, *more: ["kalman", "--in", path, "--out", "$OUT/k.npz", *more]
eye = np.eye(2, dtype=np.float32)
case("kalman zero filters", kal(npz("kalman_zero.npz", {"x.npy": np.zeros((0, 2), np.float32), "P.npy": np.zeros((0, 2, 2), np.float32),
                                                         "F.npy": eye, "Q.npy": eye})), "B ≥ 1")
case("kalman float32 overflow", kal(npz("kalman_overflow.npz", {"x.npy": np.full((3, 2), 1e30, np.float32),
                                                               "P.npy": np.tile(eye * 1e38, (3, 1, 1)), "F.npy": eye * 1e10, "Q.npy": eye})),
     "3 of 3 filters failed")
bomb = npy_bytes(np.zeros(2)) + bytes(256 << 20)
case("kalman zip bomb", kal(npz("kalman_bomb.npz", {"x.npy": bomb, "P.npy": np.zeros((2, 1, 1))})), "the archive says")
case("kalman nx 100", kal(npz("kalman_nx.npz", {"x.npy": np.zeros((2, 100)), "P.npy": np.zeros((2, 100, 100)),
                                                 "F.npy": np.eye(100), "Q.npy": np.eye(100)})), "nx 1..16")
nanx = np.zeros((2, 2)); nanx[1, 0] = np.nan
case("kalman NaN state", kal(npz("kalman_nan.npz", {"x.npy": nanx, "P.npy": np.tile(np.eye(2), (2, 1, 1)), "F.npy": np.eye(2),
                                                     "Q.npy": np.eye(2)})), "NaN")
case("kalman not a zip", kal(put("kalman_not_zip.npz", b"\x93NUMPY this is an npy, not a zip")), "not a valid zip file")
case("kalman 2000 members", kal(npz("kalman_members.npz", {f"a{i}.npy": np.zeros(1) for i in range(2000)}, zipfile.ZIP_STORED)),
     "members 2000 exceeds limit 1024")


# --- plan ---------------------------------------------------------------------------------
scenario = json.load(open("examples/corridor.json"))


def plan_case(name, file, mutate, want, extra=()):
    s = json.loads(json.dumps(scenario))
    mutate(s)
    case(name, ["plan", "--scenario", put(file, json.dumps(s)), "--candidates", "256", *extra], want)


plan_case("plan pose 1e300", "plan_far_pose.json", lambda s: s["robot"]["state"].update(x_m=1e300), "exceeds limit 100000 m")
plan_case("plan footprint 300 m", "plan_footprint.json", lambda s: s["robot"].update(footprint={"radius_m": 300}), "exceeds limit 100 m")
plan_case("plan map cells overflow", "plan_map_overflow.json",
          lambda s: s.update(map={"resolution_m": 1e-5, "width": 4294967296, "height": 4294967296, "cost": [0]}), "cells")
plan_case("plan obstacle covariance 1e300", "plan_cov.json",
          lambda s: s.update(obstacles=[{"radius_m": 0.3, "constant_velocity": {"position_m": [1, 0], "velocity_mps": [0, 0],
                                         "covariance_m2": [[1e300, 0], [0, 1]], "growth_m2ps": [[0, 0], [0, 0]]}}]), "exceeds limit")
case("plan NaN literal", ["plan", "--scenario", put("plan_nan.json", json.dumps(scenario).replace('"x_m": 0', '"x_m": NaN', 1))], "invalid character")
case("plan deep nesting", ["plan", "--scenario", put("plan_deep.json", "[" * 100000 + "]" * 100000)], "exceeded max depth")
case("plan sim shorter than a cycle", ["plan", "sim", "--scenario", "examples/corridor.json", "--seconds", "0.01", "--candidates", "256"],
     "cycles, want 1..864000")
case("plan sim second output unwritable", ["plan", "sim", "--scenario", "examples/corridor.json", "--seconds", "0.3", "--candidates", "256",
                                          "--plot", "$OUT/frames", "--out", "$OUT/missing/log.json"], "no such file or directory")
case("plan scenario is a FIFO-like device", ["plan", "--scenario", "/dev/zero"], "not a regular file")

json.dump(cases, open(os.path.join(D, "cases.json"), "w"), indent=1, ensure_ascii=False)
print(len(cases), "cases,", len([f for f in os.listdir(D) if f not in ("cases.json", "make.py")]), "files")
