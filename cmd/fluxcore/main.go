// Command fluxcore runs fluxcore's engine from the shell: it reports the machine and the
// backend it would use (info) and measures the kernels (bench). Every command takes
// --device and --cpu, which override FLUXCORE_DEVICE and FLUXCORE_CPU.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/fluxcore/fluxcore/engine"
)

var commands = []struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}{
	{"info", "describe the CPU, the CUDA devices and the backend fluxcore chooses", runInfo},
	{"bench", "benchmark the kernels (or, with 'bench fno', a model) on the chosen backend", runBench},
	{"fno", "run a Fourier Neural Operator checkpoint on a .npy input", runFNO},
	{"conserve", "impose linear conservation laws on Gaussian predictions (ProbConserv), .npy in and out", runConserve},
	{"kalman", "one predict and/or update step of many small Kalman filters, .npz in and out", runKalman},
	{"plan", "one cycle of the risk-aware local planner on a JSON scenario, with an optional plot", runPlan},
	{"demo", "'demo fno': the shipped heat-equation model, plain and with BOON's boundary correction", runDemo},
}

// errUsage marks errors already explained by a usage message; they exit with status 2.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		return 2
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
				return 2
			}
			fmt.Fprintf(stderr, "fluxcore %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "fluxcore: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: fluxcore <command> [flags]\n\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'fluxcore <command> -h' for a command's flags.")
}

// engineFlags are the device-selection flags every command shares.
type engineFlags struct {
	device, cpu string
}

func (f *engineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.device, "device", "", "auto, cpu, cuda or cuda:N (default $FLUXCORE_DEVICE, else auto)")
	fs.StringVar(&f.cpu, "cpu", "", "CPU variant: generic, avx2 or avx512 (default $FLUXCORE_CPU, else the best supported)")
}

// open opens the engine on the device and CPU variant the flags ask for.
func (f *engineFlags) open() (*engine.Engine, error) {
	return engine.Open(engine.Options{Device: f.device, CPUVariant: f.cpu})
}

// parseFlags parses args, reporting bad flags and stray arguments as usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
