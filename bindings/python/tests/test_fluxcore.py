"""Tests of the fluxcore Python package: the public goldens (PyTorch's outputs), errors,
zero-copy exchange through buffers and DLPack (legacy and versioned capsules), threads and
fork. Run in-tree after `make lib`: /usr/bin/python3 -m unittest discover -s bindings/python/tests
"""

import ctypes
import json
import multiprocessing
import os
import pathlib
import re
import tempfile
import threading
import unittest

import numpy as np

import fluxcore
from fluxcore import _dlpack, _native

ROOT = pathlib.Path(__file__).resolve().parents[3]
GOLDEN = ROOT / "engine" / "fno" / "testdata" / "golden"
HEADER = (ROOT / "bindings" / "include" / "fluxcore.h").read_text()
TOLERANCE = 1e-5  # relative L2 against PyTorch's float32 outputs, as the Go golden test


def rel_l2(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return np.linalg.norm(got - want) / np.linalg.norm(want)


def golden_call(case_dir):
    """The keyword arguments that reproduce a golden case's boundary condition."""
    case = json.loads((case_dir / "case.json").read_text())
    load = lambda name: np.load(case_dir / (name + ".npy"))
    kw = {}
    if case.get("bc") == "dirichlet":
        kw = dict(bc="dirichlet", left=load("left"), right=load("right"))
        if (case_dir / "top.npy").exists():
            kw.update(top=load("top"), down=load("down"))
    elif case.get("bc") == "neumann":
        kw = dict(bc="neumann", stencil_left=case.get("stencil_left"), stencil_right=case.get("stencil_right"))
        if (case_dir / "flux_left.npy").exists():
            kw.update(flux_left=load("flux_left"), flux_right=load("flux_right"))
        else:
            kw.update(flux_left=case["flux_left"], flux_right=case["flux_right"])
    elif case.get("bc") == "periodic":
        kw = dict(bc="periodic")
    return kw


class Base(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.engine = fluxcore.Engine(device="cpu")
        cls.model = cls.engine.load_fno(GOLDEN / "fno2d" / "model.safetensors")
        cls.x = np.load(GOLDEN / "fno2d" / "input.npy")
        cls.want = np.load(GOLDEN / "fno2d" / "output.npy")

    @classmethod
    def tearDownClass(cls):
        cls.model.close()
        cls.engine.close()


class TestGoldens(Base):
    def test_every_public_golden(self):
        cases = sorted(p.parent for p in GOLDEN.glob("*/case.json"))
        self.assertGreaterEqual(len(cases), 10)
        for case_dir in cases:
            with self.subTest(case=case_dir.name):
                with self.engine.load_fno(case_dir / "model.safetensors") as m:
                    y = m(np.load(case_dir / "input.npy"), **golden_call(case_dir))
                    self.assertLessEqual(rel_l2(y, np.load(case_dir / "output.npy")), TOLERANCE)

    def test_dirichlet_faces_hold_exactly(self):
        case_dir = GOLDEN / "boon1d_dirichlet"
        with self.engine.load_fno(case_dir / "model.safetensors") as m:
            x = np.load(case_dir / "input.npy")
            y = m(x, bc="dirichlet", left=0.25, right=-1.5)
            np.testing.assert_array_equal(y[:, 0, 0], np.float32(0.25))
            np.testing.assert_array_equal(y[:, -1, 0], np.float32(-1.5))

    def test_info(self):
        info = self.engine.info()
        self.assertEqual(info["backend"], "cpu")
        self.assertEqual(self.model.info()["dims"], 2)
        self.assertIn("C ABI %d" % fluxcore.ABI_VERSION, fluxcore.version())


class TestErrors(Base):
    def expect(self, code, text, fn, *args, **kw):
        with self.assertRaises(fluxcore.Error) as cm:
            fn(*args, **kw)
        self.assertEqual(cm.exception.code, code, str(cm.exception))
        self.assertIn(text, str(cm.exception))

    def test_bad_files(self):
        self.expect(fluxcore.IO, "no such file", self.engine.load_fno, "/nonexistent/model.safetensors")
        with tempfile.NamedTemporaryFile(suffix=".safetensors") as f:
            f.write(b"\x08\x00\x00\x00\x00\x00\x00\x00{\"a\":1}")
            f.flush()
            self.expect(fluxcore.INVALID_ARGUMENT, "safetensors", self.engine.load_fno, f.name)

    def test_bad_tensors(self):
        self.expect(fluxcore.INVALID_ARGUMENT, "float64", self.model, self.x.astype(np.float64))
        self.expect(fluxcore.INVALID_ARGUMENT, "input shape", self.model, np.zeros((1, 24, 24, 3), np.float32))
        self.expect(fluxcore.INVALID_ARGUMENT, "want (batch", self.model, np.zeros((24, 24), np.float32))
        bad = self.x.copy()
        bad[0, 3, 4, 0] = np.nan
        self.expect(fluxcore.INVALID_ARGUMENT, "NaN", self.model, bad)
        self.expect(fluxcore.INVALID_ARGUMENT, "bc='robin'", self.model, self.x, bc="robin")
        self.expect(fluxcore.INVALID_ARGUMENT, "read-only", self.model, self.x, out=_readonly(self.want))
        self.expect(fluxcore.INVALID_ARGUMENT, "shape", self.model, self.x, out=np.zeros((2, 24, 24, 2), np.float32))
        self.assertLessEqual(rel_l2(self.model(self.x.astype(np.float64), convert=True), self.want), TOLERANCE)

    def test_budget_and_lifetime(self):
        small = fluxcore.Engine(device="cpu", memory_budget=512 << 10)
        m = small.load_fno(GOLDEN / "fno2d" / "model.safetensors")
        self.expect(fluxcore.OUT_OF_MEMORY, "memory budget of 524288 bytes", m, self.x)
        self.expect(fluxcore.BUSY, "destroy them first", small.close)
        m.close()
        small.close()
        self.expect(fluxcore.INVALID_ARGUMENT, "closed", m, self.x)
        self.expect(fluxcore.INVALID_ARGUMENT, "want auto, cpu, cuda", fluxcore.Engine, device="tpu")


def _readonly(a):
    a = a.copy()
    a.setflags(write=False)
    return a


class TestZeroCopy(Base):
    def test_numpy_read_only_and_memmap_go_in_place(self):
        ro = _readonly(self.x)
        with tempfile.TemporaryDirectory() as d:
            np.save(os.path.join(d, "x.npy"), self.x)
            mm = np.load(os.path.join(d, "x.npy"), mmap_mode="r")
            for a in (ro, mm):
                b = _dlpack.borrow(a, "x", np.float32)
                self.assertEqual(b.data(), a.__array_interface__["data"][0])
                self.assertLessEqual(rel_l2(self.model(a), self.want), TOLERANCE)

    def test_strided_numpy_input(self):
        wide = np.zeros(self.x.shape[:-1] + (3,), np.float32)
        wide[..., 1] = self.x[..., 0]
        view = wide[..., 1:2]
        b = _dlpack.borrow(view, "x", np.float32)
        self.assertEqual(b.data(), view.__array_interface__["data"][0])
        self.assertLessEqual(rel_l2(self.model(view), self.want), TOLERANCE)

    def test_out_is_written_in_place(self):
        out = np.empty_like(self.want)
        self.assertIs(self.model(self.x, out=out), out)
        self.assertLessEqual(rel_l2(out, self.want), TOLERANCE)

    def test_legacy_dlpack_producer(self):
        class Legacy:  # the unversioned protocol only, as NumPy 1.24 and PyTorch 1.13 speak it
            def __init__(self, a):
                self.a = a

            def __dlpack__(self, stream=None):
                return self.a.__dlpack__(stream=stream)

            def __dlpack_device__(self):
                return self.a.__dlpack_device__()

        y = self.model(Legacy(self.x))
        self.assertIsInstance(y, np.ndarray)
        self.assertLessEqual(rel_l2(y, self.want), TOLERANCE)

    def test_versioned_capsule(self):
        for read_only in (False, True):
            with self.subTest(read_only=read_only):
                producer = VersionedProducer(self.x, read_only)
                y = self.model(producer)
                self.assertLessEqual(rel_l2(y, self.want), TOLERANCE)
                self.assertEqual(producer.capsule_name(), b"used_dltensor_versioned")
                self.assertEqual(producer.deleted, 1)
                if read_only:
                    target = VersionedProducer(np.empty_like(self.want), read_only=True)
                    with self.assertRaises(fluxcore.Error) as cm:
                        self.model(self.x, out=target)
                    self.assertIn("read-only", str(cm.exception))
                    self.assertEqual(target.deleted, 1)

    def test_torch_round_trip(self):
        try:
            import torch
        except ImportError:
            self.skipTest("torch is not installed")
        xt = torch.from_numpy(self.x.copy())
        b = _dlpack.borrow(xt, "x", np.float32)
        self.assertEqual(b.data(), xt.data_ptr())  # the tensor's own memory
        b.release()
        yt = self.model(xt)
        self.assertIsInstance(yt, torch.Tensor)
        self.assertLessEqual(rel_l2(yt.numpy(), self.want), TOLERANCE)
        out = torch.empty(tuple(self.want.shape))
        self.model(xt, out=out)
        self.assertLessEqual(rel_l2(out.numpy(), self.want), TOLERANCE)
        # Kalman and ProbConserv take torch tensors too, keeping float32.
        x2, P2, status = self.engine.kalman_update(torch.zeros(3, 1), torch.ones(3, 1, 1), torch.ones(3, 1),
                                                   torch.ones(1, 1), torch.ones(1, 1))
        self.assertEqual(x2.dtype, np.float32)
        np.testing.assert_allclose(x2[:, 0], 0.5)
        np.testing.assert_allclose(P2[:, 0, 0], 0.5)
        with self.assertRaises(fluxcore.Error) as cm:
            self.model(xt.clone().requires_grad_())
        self.assertIn("__dlpack__ failed", str(cm.exception))
        # A transposed view crosses with its strides, without a copy.
        xt_t = torch.from_numpy(np.ascontiguousarray(self.x.transpose(0, 2, 1, 3))).transpose(1, 2)
        self.assertFalse(xt_t.is_contiguous())
        self.assertLessEqual(rel_l2(self.model(xt_t).numpy(), self.want), TOLERANCE)


class VersionedProducer:
    """A producer of DLPack 1.x capsules, built here with ctypes (NumPy 1.24 and PyTorch 1.13
    do not make them): a DLManagedTensorVersioned whose deleter counts its calls."""

    def __init__(self, a, read_only=False):
        self.a, self.read_only, self.deleted, self.capsule = a, read_only, 0, None
        self.shape = (ctypes.c_int64 * a.ndim)(*a.shape)
        self._deleter = ctypes.CFUNCTYPE(None, ctypes.POINTER(_native.DLManagedTensorVersioned))(self._delete)

    def _delete(self, _):
        self.deleted += 1

    def __dlpack_device__(self):
        return (1, 0)

    def __dlpack__(self, stream=None, max_version=None):
        assert max_version == (1, 0), max_version
        m = _native.DLManagedTensorVersioned()
        m.version.major, m.version.minor = 1, 0
        m.deleter = self._deleter
        m.flags = 1 if self.read_only else 0
        t = m.dl_tensor
        t.data = self.a.__array_interface__["data"][0]
        t.device.device_type, t.ndim, t.shape = 1, self.a.ndim, self.shape
        t.dtype.code, t.dtype.bits, t.dtype.lanes = 2, 32, 1
        self.managed = m
        new = ctypes.pythonapi.PyCapsule_New
        new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
        self.capsule = new(ctypes.addressof(m), b"dltensor_versioned", None)
        return self.capsule

    def capsule_name(self):
        get = ctypes.pythonapi.PyCapsule_GetName
        get.restype, get.argtypes = ctypes.c_char_p, [ctypes.py_object]
        return get(self.capsule)


def _forked_call(q):
    try:
        _shared["model"](_shared["x"])
        q.put("no error")
    except fluxcore.Error as e:
        q.put(e.code)


def _spawned_call(q):
    import fluxcore as fc
    with fc.Engine(device="cpu") as e, e.load_fno(GOLDEN / "fno2d" / "model.safetensors") as m:
        q.put(float(rel_l2(m(np.load(GOLDEN / "fno2d" / "input.npy")), np.load(GOLDEN / "fno2d" / "output.npy"))))


_shared = {}


class TestProcessesAndThreads(Base):
    def test_fork_is_refused_and_spawn_works(self):
        _shared.update(model=self.model, x=self.x)
        for method, check in (("fork", lambda r: self.assertEqual(r, fluxcore.FORKED)),
                              ("spawn", lambda r: self.assertLessEqual(r, TOLERANCE))):
            ctx = multiprocessing.get_context(method)
            q = ctx.Queue()
            p = ctx.Process(target=_forked_call if method == "fork" else _spawned_call, args=(q,))
            p.start()
            p.join(60)
            self.assertEqual(p.exitcode, 0, method)
            check(q.get(timeout=5))

    def test_calls_release_the_gil(self):
        # While one long call runs in C, another Python thread keeps counting.
        x = np.repeat(self.x, 128, axis=0)
        counted, done = [0], threading.Event()

        def count():
            while not done.is_set():
                counted[0] += 1

        t = threading.Thread(target=count)
        t.start()
        try:
            before = counted[0]
            self.model(x)
            during = counted[0] - before
        finally:
            done.set()
            t.join()
        self.assertGreater(during, 1000, "the counting thread stalled during the call: the GIL was held")

    def test_threads_share_a_model(self):
        errors = []

        def work():
            for _ in range(10):
                if rel_l2(self.model(self.x), self.want) > TOLERANCE:
                    errors.append("mismatch")

        threads = [threading.Thread(target=work) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


def conserve_reference(mean, cov, G, b, noise_var):
    """ProbConserv's update of one slice in float64, from the paper's formulas."""
    A = noise_var * np.eye(len(b)) + G @ cov @ G.T
    K = cov @ G.T @ np.linalg.inv(A)
    return mean - K @ (G @ mean - b), cov - K @ G @ cov


class TestConserveAndKalman(Base):
    def test_conserve_every_covariance_form(self):
        rng = np.random.default_rng(7)
        S, N, C, M = 4, 30, 3, 12
        mean = rng.normal(size=(S, N))
        var = rng.uniform(0.1, 2.0, size=(S, N))
        U = rng.normal(size=(S, N, M))
        cov = U @ U.transpose(0, 2, 1) / (M - 1) + np.eye(N) * 0.01
        G, b = rng.normal(size=(C, N)), rng.normal(size=C)
        for dtype, tol in ((np.float64, 1e-10), (np.float32, 2e-3)):
            with self.subTest(dtype=dtype.__name__):
                cast = lambda a: a.astype(dtype)
                mu, v = self.engine.conserve(cast(mean), cast(G), cast(b), var=cast(var), noise_var=1e-2)
                mu_f, cov_f = self.engine.conserve(cast(mean), cast(G), cast(b), cov=cast(cov), noise_var=1e-2)
                mu_e, ens = self.engine.conserve(cast(mean), cast(G), cast(b), ensemble=cast(U), noise_var=1e-2)
                for out in (mu, v, mu_f, cov_f, mu_e, ens):
                    self.assertEqual(out.dtype, dtype)
                for s in range(S):
                    m_ref, c_ref = conserve_reference(mean[s], np.diag(var[s]), G, b, 1e-2)
                    np.testing.assert_allclose(mu[s], m_ref, atol=tol, rtol=tol)
                    np.testing.assert_allclose(v[s], np.diag(c_ref), atol=tol, rtol=tol)
                    m_ref, c_ref = conserve_reference(mean[s], cov[s], G, b, 1e-2)
                    np.testing.assert_allclose(mu_f[s], m_ref, atol=tol, rtol=tol)
                    np.testing.assert_allclose(cov_f[s], c_ref, atol=tol, rtol=tol)
                    e_cov = U[s] @ U[s].T / (M - 1)
                    m_ref, c_ref = conserve_reference(mean[s], e_cov, G, b, 1e-2)
                    np.testing.assert_allclose(mu_e[s], m_ref, atol=tol, rtol=tol)
                    e_out = ens[s].astype(np.float64)
                    np.testing.assert_allclose(e_out @ e_out.T / (M - 1), c_ref, atol=10 * tol, rtol=10 * tol)
        with self.assertRaises(fluxcore.Error) as cm:
            self.engine.conserve(mean, G[:, :5], b, var=var)
        self.assertIn("args->mean has 30 points, the problem's G has 5", str(cm.exception))

    def test_a_problem_serves_many_batches(self):
        rng = np.random.default_rng(11)
        N, C = 16, 2
        G, b = rng.normal(size=(C, N)), rng.normal(size=C)
        with self.engine.conserve_problem(G, b, noise_var=0.0) as p:
            for slices in (1, 5):
                mean, var = rng.normal(size=(slices, N)), rng.uniform(0.5, 1, size=(slices, N))
                mu, v = p.update(mean, var=var)
                np.testing.assert_allclose(mu @ G.T, np.broadcast_to(b, (slices, C)), atol=1e-10)  # exact constraints hold
                for s in range(slices):
                    m_ref, c_ref = conserve_reference(mean[s], np.diag(var[s]), G, b, 0.0)
                    np.testing.assert_allclose(mu[s], m_ref, atol=1e-10)
                    np.testing.assert_allclose(v[s], np.diag(c_ref), atol=1e-10)

    def test_kalman_batch_predicts_and_updates(self):
        rng = np.random.default_rng(5)
        F, nx, nz = 32, 3, 1
        x, P = rng.normal(size=(F, nx)), np.broadcast_to(np.eye(nx), (F, nx, nx)).copy()
        A = np.eye(nx) + 0.1 * rng.normal(size=(nx, nx))
        Q, H, R = 0.01 * np.eye(nx), rng.normal(size=(nz, nx)), np.eye(nz)
        with self.engine.kalman(x, P) as k:
            for step in range(5):
                z = rng.normal(size=(F, nz))
                k.predict(A, Q)
                status = k.update(z, H, R)
                self.assertTrue((status == 0).all())
                x, P = A @ x[..., None], A @ P @ A.T + Q  # the reference, filter by filter
                x = x[..., 0]
                S = H @ P @ H.T + R
                K = P @ H.T @ np.linalg.inv(S)
                I_KH = np.eye(nx) - K @ H
                x = x + (K @ (z - x @ H.T)[..., None])[..., 0]
                P = I_KH @ P @ I_KH.transpose(0, 2, 1) + K @ R @ K.transpose(0, 2, 1)
            got_x, got_P = k.state()
        np.testing.assert_allclose(got_x, x, atol=1e-10)
        np.testing.assert_allclose(got_P, P, atol=1e-10)

    def test_kalman_matches_the_joseph_form(self):
        rng = np.random.default_rng(3)
        F, nx, nz = 64, 4, 2
        x = rng.normal(size=(F, nx))
        L = rng.normal(size=(F, nx, nx))
        P = L @ L.transpose(0, 2, 1) + np.eye(nx)
        z = rng.normal(size=(F, nz))
        H = rng.normal(size=(F, nz, nx))
        R = np.broadcast_to(np.eye(nz) * 0.3, (F, nz, nz)).copy()
        R[5] = -np.eye(nz) * 100  # S = H P Hᵀ + R not positive definite for this filter
        for dtype, tol in ((np.float64, 1e-9), (np.float32, 2e-3)):
            with self.subTest(dtype=dtype.__name__):
                x2, P2, status = self.engine.kalman_update(*(a.astype(dtype) for a in (x, P, z, H, R)))
                self.assertEqual(x2.dtype, dtype)
                for f in range(F):
                    if f == 5:
                        self.assertEqual(status[f], 1)
                        np.testing.assert_allclose(x2[f], x[f].astype(dtype), rtol=0, atol=0)
                        continue
                    S = H[f] @ P[f] @ H[f].T + R[f]
                    K = P[f] @ H[f].T @ np.linalg.inv(S)
                    I_KH = np.eye(nx) - K @ H[f]
                    self.assertEqual(status[f], 0)
                    np.testing.assert_allclose(x2[f], x[f] + K @ (z[f] - H[f] @ x[f]), atol=tol, rtol=tol)
                    np.testing.assert_allclose(P2[f], I_KH @ P[f] @ I_KH.T + K @ R[f] @ K.T, atol=tol, rtol=tol)

    def test_planner(self):
        scenario = ROOT / "examples" / "corridor.json"
        with self.engine.planner({"candidates": 512, "top_k": 4}) as p:
            first = p.plan(str(scenario))
            second = p.plan(json.loads(scenario.read_text()))
        for r in (first, second):
            self.assertEqual(r["candidates_scored"] >= 512, True, r["candidates_scored"])
            self.assertEqual(len(r["top"]), 4)
            self.assertGreater(len(r["best_trajectory"]), 10)
        with self.assertRaises(fluxcore.Error) as cm:
            self.engine.planner({"candidate": 5})
        self.assertIn('unknown field "candidate"', str(cm.exception))
        with self.engine.planner() as p:
            for bad, code in (("/nonexistent/scenario.json", fluxcore.IO), ({"robot": object()}, fluxcore.INVALID_ARGUMENT),
                              ('{"robot": 1}', fluxcore.INVALID_ARGUMENT)):
                with self.assertRaises(fluxcore.Error) as cm:
                    p.plan(bad)
                self.assertEqual(cm.exception.code, code, str(cm.exception))
        with self.assertRaises(fluxcore.Error) as cm:
            self.engine.kalman_update([[1.0], [1.0, 2.0]], np.eye(1)[None], [[0.0]], np.eye(1), np.eye(1))
        self.assertIn("x: not an array", str(cm.exception))


class TestFactsMatchTheHeader(unittest.TestCase):
    def test_abi_version_and_status_codes(self):
        abi = int(re.search(r"#define FLUXCORE_ABI_VERSION (\d+)", HEADER).group(1))
        self.assertEqual(fluxcore.ABI_VERSION, abi)
        pyproject = (ROOT / "bindings" / "python" / "pyproject.toml").read_text()
        self.assertEqual(int(re.search(r'^version = "(\d+)\.', pyproject, re.M).group(1)), abi)
        for name, value in re.findall(r"FLUXCORE_(OK|ERR_\w+) = (\d+)", HEADER):
            self.assertEqual(getattr(fluxcore, name.replace("ERR_", "")), int(value), name)

    def test_struct_fields_in_header_order(self):
        # The ctypes mirrors name the same fields in the same order as fluxcore.h's structs.
        for struct, cls in (("fluxcore_dl_tensor", _native.DLTensor), ("fluxcore_engine_options", _native.EngineOptions),
                            ("fluxcore_fno_boundary", _native.FNOBoundary)):
            body = re.search(r"typedef struct %s \{(.*?)\} %s;" % (struct, struct), HEADER, re.S).group(1)
            body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
            fields = [f[0] for f in cls._fields_]
            self.assertEqual(fields, _declared_fields(body), struct)


class TestPrototypesMatchTheHeader(unittest.TestCase):
    def test_every_ctypes_prototype_is_the_headers(self):
        # The package declares the functions it calls by hand; each must be what fluxcore.h
        # declares, type by type, or ctypes would pass the wrong width without a word.
        handles = {"fluxcore_engine", "fluxcore_fno", "fluxcore_conserve", "fluxcore_kalman", "fluxcore_planner"}
        structs = {"fluxcore_dl_tensor": _native.DLTensor, "fluxcore_engine_options": _native.EngineOptions,
                   "fluxcore_fno_boundary": _native.FNOBoundary, "fluxcore_conserve_args": _native.ConserveArgs,
                   "fluxcore_dl_managed_tensor": _native.DLManagedTensor}
        scalars = {"int": ctypes.c_int, "fluxcore_status": ctypes.c_int, "size_t": ctypes.c_size_t, "int64_t": ctypes.c_int64,
                   "double": ctypes.c_double, "void": None}

        def ctype(decl):
            decl = decl.replace("const ", "").strip()
            base, stars = decl.rstrip("* ").strip(), decl.count("*")
            if base == "char" and stars == 1:
                return ctypes.c_char_p
            if base == "void" and stars == 1:
                return ctypes.c_void_p
            t = ctypes.c_uint64 if base in handles else structs.get(base) or scalars[base]
            for _ in range(stars):
                t = ctypes.POINTER(t)
            return t

        declared = {}
        for ret, name, params in re.findall(r"^([a-z_ ]+?\s*\**)\s*(fluxcore_\w+)\(([^)]*)\);", HEADER, re.M | re.S):
            params = " ".join(params.split())
            args = [] if params == "void" else [re.sub(r"\w+$", "", p.strip()) for p in params.split(",")]
            declared[name] = (ctype(ret), [ctype(a) for a in args])
        self.assertGreaterEqual(len(declared), 25)
        for name, (restype, argtypes) in _native._PROTOTYPES.items():
            self.assertIn(name, declared, "%s is not in fluxcore.h" % name)
            want_ret, want_args = declared[name]
            self.assertEqual(restype, want_ret, name)
            self.assertEqual(argtypes, want_args, name)


def _declared_fields(body):
    """Field names of a C struct body, in order (handles 'const T *a, *b;')."""
    out = []
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        first, *rest = decl.split(",")
        out.append(re.findall(r"(\w+)\s*$", first)[0])
        out += [re.findall(r"(\w+)\s*$", r)[0] for r in rest]
    return out


if __name__ == "__main__":
    unittest.main()
