package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/fluxcore/fluxcore/engine"
)

func runVersion(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fluxcore version", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintln(stdout, engine.Version())
	return nil
}
