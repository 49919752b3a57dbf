// fno_boundary.cpp: libfluxcore from C++. It wraps the handles in RAII types, runs a BOON
// checkpoint with its Dirichlet face values, lets fluxcore allocate the output (released
// through the DLPack deleter by a unique_ptr), and compares with PyTorch's output.
//
//   fno_boundary CASE_DIR   (model.safetensors, input.npy, left.npy, right.npy, output.npy)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "fluxcore.h"
#include "npy.h"

namespace {

void check(fluxcore_status st, const char *what)
{
    if (st != FLUXCORE_OK)
        throw std::runtime_error(std::string(what) + ": " + fluxcore_status_name(st) + ": " + fluxcore_last_error());
}

class Engine {
  public:
    explicit Engine(const char *device)
    {
        fluxcore_engine_options opts{};
        opts.struct_size = sizeof opts;
        opts.device = device;
        check(fluxcore_engine_create(&opts, &h_), "fluxcore_engine_create");
    }
    ~Engine() { fluxcore_engine_destroy(h_); }
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;
    fluxcore_engine handle() const { return h_; }

  private:
    fluxcore_engine h_ = 0;
};

struct TensorDeleter {
    void operator()(fluxcore_dl_managed_tensor *t) const { t->deleter(t); }
};
using Tensor = std::unique_ptr<fluxcore_dl_managed_tensor, TensorDeleter>;

class Model {
  public:
    Model(const Engine &engine, const std::string &path)
    {
        check(fluxcore_fno_load(engine.handle(), path.c_str(), &h_), "fluxcore_fno_load");
    }
    ~Model() { fluxcore_fno_destroy(h_); }
    Model(const Model &) = delete;
    Model &operator=(const Model &) = delete;

    Tensor operator()(const fluxcore_dl_tensor &x, const fluxcore_fno_boundary *bc) const
    {
        fluxcore_dl_managed_tensor *y = nullptr;
        check(fluxcore_fno_forward_alloc(h_, &x, bc, &y, nullptr), "fluxcore_fno_forward_alloc");
        return Tensor(y);
    }

  private:
    fluxcore_fno h_ = 0;
};

struct Array {
    npy_f32 a{};
    explicit Array(const std::string &path)
    {
        if (npy_read_f32(path.c_str(), &a) != 0) throw std::runtime_error("cannot read " + path);
    }
    ~Array() { free(a.data); }
    Array(const Array &) = delete;
    Array &operator=(const Array &) = delete;

    fluxcore_dl_tensor tensor()
    {
        fluxcore_dl_tensor t{};
        t.data = a.data;
        t.device = {FLUXCORE_DL_CPU, 0};
        t.ndim = a.ndim;
        t.dtype = {FLUXCORE_DL_FLOAT, 32, 1};
        t.shape = a.shape;
        return t;
    }
};

} // namespace

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CASE_DIR\n", argv[0]);
        return 2;
    }
    try {
        std::string dir = argv[1];
        Array x(dir + "/input.npy"), left(dir + "/left.npy"), right(dir + "/right.npy"), want(dir + "/output.npy");
        Engine engine("auto");
        Model model(engine, dir + "/model.safetensors");

        fluxcore_dl_tensor xt = x.tensor(), lt = left.tensor(), rt = right.tensor();
        fluxcore_fno_boundary bc{};
        bc.struct_size = sizeof bc;
        bc.kind = FLUXCORE_BC_DIRICHLET;
        bc.left = &lt;
        bc.right = &rt;
        Tensor y = model(xt, &bc);

        int64_t count = 1;
        for (int i = 0; i < y->dl_tensor.ndim; i++) count *= y->dl_tensor.shape[i];
        if (count != want.a.count) throw std::runtime_error("output size differs from the reference");
        const float *out = static_cast<const float *>(y->dl_tensor.data);
        double err = rel_l2(out, want.a.data, count);
        // The condition holds exactly: the first and last points of every sample are the faces.
        int64_t n = y->dl_tensor.shape[1];
        double face = 0;
        for (int64_t s = 0; s < y->dl_tensor.shape[0]; s++) {
            face = std::max(face, std::abs(double(out[s * n]) - left.a.data[s]));
            face = std::max(face, std::abs(double(out[s * n + n - 1]) - right.a.data[s]));
        }
        std::printf("%s: dirichlet, relative L2 error %.2e against PyTorch, largest face error %.1e\n",
                    dir.c_str(), err, face);
        return err <= 1e-5 && face == 0 ? 0 : 1;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
