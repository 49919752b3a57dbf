package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/fluxcore/fluxcore/internal/experiments/heat"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "fno" {
		fmt.Fprintln(stderr, "usage: fluxcore demo fno [--plot heat_boundary.png] [--device ...]")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return errUsage
	}
	fs := flag.NewFlagSet("fluxcore demo fno", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var ef engineFlags
	ef.register(ctx, fs)
	plotPath := fs.String("plot", "heat_boundary.png", "write a plot of one prediction near the insulated end to this PNG")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	e, err := ef.open()
	if err != nil {
		return err
	}
	defer e.Close()
	rep, err := heat.Run(ctx, e.Backend())
	if err != nil {
		return err
	}
	rep.Print(stdout)
	if *plotPath != "" {
		if err := rep.Plot(*plotPath); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "\nwrote %s (sample 0 near the insulated end x = 0)\n", *plotPath)
	}
	return nil
}
