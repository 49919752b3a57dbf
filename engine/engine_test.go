package engine

import (
	"errors"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/backend"
	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/cuda"
)

func TestParseDevice(t *testing.T) {
	good := map[string]DeviceSpec{
		"auto":    {Ordinal: -1},
		"CPU":     {Kind: backend.KindCPU, Ordinal: -1},
		"cuda":    {Kind: backend.KindCUDA, Ordinal: -1},
		"cuda:3":  {Kind: backend.KindCUDA, Ordinal: 3},
		" cuda:0": {Kind: backend.KindCUDA, Ordinal: 0},
	}
	for in, want := range good {
		got, err := ParseDevice(in)
		if err != nil || got != want {
			t.Errorf("ParseDevice(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "gpu", "cuda:", "cuda:-1", "cuda:x", "cpu:0"} {
		if _, err := ParseDevice(bad); err == nil || !strings.Contains(err.Error(), "want") {
			t.Errorf("ParseDevice(%q): error %v, want one that says what is accepted", bad, err)
		}
	}
}

func TestOpenCPU(t *testing.T) {
	t.Setenv(EnvDevice, "")
	t.Setenv(EnvCPU, "")
	e, err := Open(Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	info := e.Info()
	if info.Backend != backend.KindCPU || e.Backend().Kind() != backend.KindCPU {
		t.Errorf("backend %q, want cpu", info.Backend)
	}
	if best := cpu.Best().String(); info.CPU.Variant != best {
		t.Errorf("variant %q, want the best supported, %q", info.CPU.Variant, best)
	}
	if info.CPU.Model == "" || len(info.CPU.Features) == 0 {
		t.Errorf("cpu info lacks model or features: %+v", info.CPU)
	}
}

func TestOptionWinsOverEnvironment(t *testing.T) {
	t.Setenv(EnvDevice, "cuda:7")
	t.Setenv(EnvCPU, "no-such-variant")
	e, err := Open(Options{Device: "cpu", CPUVariant: "generic"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if got := e.Info().Device; got != "cpu/generic" {
		t.Errorf("device %q, want cpu/generic", got)
	}
}

func TestEnvironmentPinsVariant(t *testing.T) {
	for _, v := range cpu.AllVariants {
		t.Run(v.String(), func(t *testing.T) {
			t.Setenv(EnvDevice, "cpu")
			t.Setenv(EnvCPU, v.String())
			e, err := Open(Options{})
			if v.Check() != nil {
				if err == nil || !strings.Contains(err.Error(), "lacks") && !strings.Contains(err.Error(), "not compiled") {
					t.Fatalf("pinning unsupported %s: error %v, want one naming what is missing", v, err)
				}
				if !errors.Is(err, ErrVariantUnavailable) {
					t.Errorf("pinning unsupported %s: %v is not marked ErrVariantUnavailable", v, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			if got := e.Info().CPU.Variant; got != v.String() {
				t.Errorf("variant %q, want %q", got, v)
			}
		})
	}
	t.Setenv(EnvCPU, "sse9")
	if _, err := Open(Options{Device: "cpu"}); err == nil || !strings.Contains(err.Error(), `"sse9"`) {
		t.Errorf("unknown variant: error %v, want one naming \"sse9\"", err)
	}
}

func TestExplicitCUDAWithoutDeviceFails(t *testing.T) {
	probe := cuda.Probe()
	if probe.Available {
		t.Skip("this machine has a CUDA device")
	}
	for _, dev := range []string{"cuda", "cuda:0"} {
		_, err := Open(Options{Device: dev})
		if err == nil {
			t.Fatalf("Open(%s) succeeded without a CUDA device", dev)
		}
		if !strings.Contains(err.Error(), probe.Reason) {
			t.Errorf("Open(%s): error %q does not give the reason %q", dev, err, probe.Reason)
		}
		if !errors.Is(err, ErrDeviceUnavailable) || errors.Is(err, ErrVariantUnavailable) {
			t.Errorf("Open(%s): %v is not marked ErrDeviceUnavailable (alone)", dev, err)
		}
	}
	if _, err := Open(Options{Device: "gpu"}); err == nil || errors.Is(err, ErrDeviceUnavailable) {
		t.Errorf("Open(gpu), a malformed device: %v, want an error not marked unavailable", err)
	}
}

func TestAutoFallsBackWithReason(t *testing.T) {
	t.Setenv(EnvDevice, "")
	probe := cuda.Probe()
	if probe.Available {
		t.Skip("this machine has a CUDA device")
	}
	e, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	info := e.Info()
	if info.Backend != backend.KindCPU {
		t.Fatalf("backend %q, want the cpu fall-back", info.Backend)
	}
	if !strings.Contains(info.Reason, probe.Reason) || info.CUDA.Available {
		t.Errorf("reason %q, cuda %+v: want the probe's reason %q", info.Reason, info.CUDA, probe.Reason)
	}
	if info.CUDA.Compiled != cuda.Compiled {
		t.Errorf("info says compiled=%v, build says %v", info.CUDA.Compiled, cuda.Compiled)
	}
}

func TestBestDevice(t *testing.T) {
	devs := []cuda.Device{
		{Ordinal: 0, ComputeCapability: "8.0", Multiprocessors: 108},
		{Ordinal: 1, ComputeCapability: "9.0", Multiprocessors: 132, MemoryBytes: 80 << 30},
		{Ordinal: 2, ComputeCapability: "9.0", Multiprocessors: 132, MemoryBytes: 141 << 30},
		{Ordinal: 3, ComputeCapability: "10.0", Multiprocessors: 10},
	}
	if got := bestDevice(devs[:3]); got != 2 {
		t.Errorf("best of A100, H100, H200 = %d, want 2 (H200)", got)
	}
	if got := bestDevice(devs); got != 3 {
		t.Errorf("best with a 10.0 device = %d, want 3 (newest compute capability)", got)
	}
}
