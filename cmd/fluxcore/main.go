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
	"strings"

	"github.com/fluxcore/fluxcore/engine"
	"github.com/fluxcore/fluxcore/engine/limits"
)

// command is one entry of the CLI; subcommands are listed for help only, their command's
// run function dispatches them.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
	subcommands   []subcommand
}

type subcommand struct{ name, summary string }

var commands = []command{
	{"info", "describe the CPU, the CUDA devices and the backend fluxcore chooses", runInfo, nil},
	{"bench", "benchmark the kernels (--suite mix, cov or traj) on the chosen backend", runBench,
		[]subcommand{{"fno", "time a checkpoint's forward pass, with per-stage timings"}}},
	{"fno", "run a Fourier Neural Operator checkpoint on a .npy input", runFNO, nil},
	{"batch", "run a workload over a large input in chunks, sharded across processes or nodes, resumable", runBatch,
		[]subcommand{{"fno", "compute this shard's chunks of a checkpoint's forward pass"},
			{"conserve", "compute this shard's chunks of ProbConserv updates (.npz in)"},
			{"kalman", "compute this shard's chunks of Kalman steps (.npz in)"},
			{"merge", "join the chunks into one .npy, or an .npz for several outputs"},
			{"status", "chunks done, per shard"}}},
	{"serve", "serve checkpoints over the Open Inference Protocol (KServe/Triton v2): REST, gRPC, metrics", runServe, nil},
	{"loadgen", "measure a served model's throughput and p50/p99 latency per concurrency (like perf_analyzer)", runLoadgen, nil},
	{"conserve", "impose linear conservation laws on Gaussian predictions (ProbConserv), .npy in and out", runConserve,
		[]subcommand{{"gpme", "the ProbConserv paper's GPME experiment: diffusion, PME and Stefan problems"}}},
	{"kalman", "one predict and/or update step of many small Kalman filters, .npz in and out", runKalman, nil},
	{"plan", "one cycle of the risk-aware local planner on a JSON scenario, with an optional plot", runPlan,
		[]subcommand{{"sim", "run the planner closed-loop over a scenario and report arrival and clearance"}}},
	{"demo", "shipped demonstrations", runDemo,
		[]subcommand{{"fno", "the shipped heat-equation model, plain and with BOON's boundary correction"}}},
	{"version", "print fluxcore's version, its C ABI version and the Go toolchain", runVersion, nil},
}

// errUsage marks errors already explained by a usage message; they exit with status 2.
var errUsage = errors.New("usage")

// exitCode ends a command that has already said why with the given status: a stop on a
// signal exits 128 + its number, as a shell reports it.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 { // help <command> [subcommand]: that command's own -h
			return run(ctx, append(args[1:len(args):len(args)], "-h"), stdout, stderr)
		}
		usage(stdout)
		return 0
	case "-version", "--version":
		args = []string{"version"}
	}
	for _, c := range commands {
		if c.name == args[0] {
			budget, _ := limits.NewBudget(0)
			err := c.run(limits.WithBudget(ctx, budget), args[1:], stdout, stderr)
			switch {
			case err == nil, errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			if code, ok := errors.AsType[exitCode](err); ok {
				return int(code)
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
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
		for _, sub := range c.subcommands {
			fmt.Fprintf(w, "  %-14s %s\n", c.name+" "+sub.name, sub.summary)
		}
	}
	fmt.Fprintln(w, "\nRun 'fluxcore help <command>' or 'fluxcore <command> -h' for a command's flags.")
}

// engineFlags are the device-selection and memory flags every command shares.
type engineFlags struct {
	device, cpu string
	budget      *limits.Budget
}

// register adds the flags to fs. --mem-budget resizes the budget that ctx carries (run gives
// every command one), so that reading the inputs and the engine's buffers share it.
func (f *engineFlags) register(ctx context.Context, fs *flag.FlagSet) {
	f.budget = limits.From(ctx)
	fs.StringVar(&f.device, "device", "", "auto, cpu, cuda or cuda:N (default $FLUXCORE_DEVICE, else auto)")
	fs.StringVar(&f.cpu, "cpu", "", "CPU variant: generic, avx2 or avx512 (default $FLUXCORE_CPU, else the best supported)")
	fs.Func("mem-budget", "memory one run may allocate for its inputs, tensors, workspaces, maps and stencils (e.g. 512MiB, 8GiB; default 2GiB)",
		func(s string) error {
			n, err := limits.ParseBytes(s)
			if err == nil {
				err = f.budget.SetLimit(n)
			}
			return err
		})
}

// open opens the engine on the device and CPU variant the flags ask for, charging its
// buffers to the run's budget.
func (f *engineFlags) open() (*engine.Engine, error) {
	return engine.Open(engine.Options{Device: f.device, CPUVariant: f.cpu, Budget: f.budget})
}

// requireFlags is a usage error naming the required flags, as "--in and --out are
// required", when any of them is empty.
func requireFlags(fs *flag.FlagSet, names ...string) error {
	missing := false
	for _, name := range names {
		missing = missing || fs.Lookup(name).Value.String() == ""
	}
	if !missing {
		return nil
	}
	list, verb := "--"+names[len(names)-1], "is"
	if len(names) > 1 {
		list = "--" + strings.Join(names[:len(names)-1], ", --") + " and " + list
		verb = "are"
	}
	fmt.Fprintf(fs.Output(), "%s %s required\n", list, verb)
	fs.Usage()
	return errUsage
}

// parseFlags parses args, reporting bad flags and stray arguments as usage errors.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage // the flag package has printed the error and the usage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	return nil
}
