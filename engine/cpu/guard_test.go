package cpu_test

import (
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine/cpu"
	"github.com/fluxcore/fluxcore/engine/enginetest"
)

// TestGuardPages runs the conformance suite, with its grid of awkward shapes, on every CPU
// variant this machine has, once with each buffer's end and once with its start flush
// against an inaccessible page. A kernel that reads or writes one element outside a buffer
// faults here, deterministically, where on Go's heap it would touch a neighbour's memory and
// crash only when that happens to be an unmapped page.
func TestGuardPages(t *testing.T) {
	for _, memory := range []cpu.Memory{cpu.MemoryGuardEnd, cpu.MemoryGuardStart} {
		for _, v := range cpu.Supported() {
			t.Run(memory.String()+"/"+v.String(), func(t *testing.T) {
				b, err := cpu.New(cpu.Options{Variant: &v, Memory: memory})
				if err != nil {
					t.Fatal(err)
				}
				defer b.Close()
				enginetest.Run(t, b)
			})
		}
	}
}

func TestParseMemory(t *testing.T) {
	for name, want := range map[string]cpu.Memory{"": cpu.MemoryDefault, "default": cpu.MemoryDefault, "go": cpu.MemoryGo, "guard-end": cpu.MemoryGuardEnd,
		"GUARD-START": cpu.MemoryGuardStart, "c": cpu.MemoryC} {
		if got, err := cpu.ParseMemory(name); err != nil || got != want {
			t.Errorf("ParseMemory(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := cpu.ParseMemory("mmap"); err == nil {
		t.Error(`ParseMemory("mmap") succeeded`)
	}
}

// The zero Memory follows FLUXCORE_CPU_MEMORY, an explicit one wins over it, and a bad value
// is an error that names the variable.
func TestMemoryFromEnvironment(t *testing.T) {
	t.Setenv(cpu.EnvMemory, "guard-start")
	for _, c := range []struct{ opt, want cpu.Memory }{{cpu.MemoryDefault, cpu.MemoryGuardStart}, {cpu.MemoryGo, cpu.MemoryGo}} {
		b, err := cpu.New(cpu.Options{Memory: c.opt})
		if err != nil {
			t.Fatal(err)
		}
		if b.Memory() != c.want {
			t.Errorf("option %v under %s=guard-start: memory %v, want %v", c.opt, cpu.EnvMemory, b.Memory(), c.want)
		}
	}
	t.Setenv(cpu.EnvMemory, "")
	b, err := cpu.New(cpu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Memory() != cpu.MemoryGo {
		t.Errorf("unset: memory %v, want go", b.Memory())
	}
	t.Setenv(cpu.EnvMemory, "pages")
	if _, err := cpu.New(cpu.Options{}); err == nil || !strings.Contains(err.Error(), cpu.EnvMemory) || !strings.Contains(err.Error(), `"pages"`) {
		t.Errorf("a bad value: err %v, want one naming %s and the value", err, cpu.EnvMemory)
	}
}
