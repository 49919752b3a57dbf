package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/fluxcore/fluxcore/engine"
)

// help, -h and --help exit 0 and list every command and subcommand; each one's own help
// (through `help <command>` and `<command> -h`) exits 0 too.
func TestHelpListsEveryCommand(t *testing.T) {
	for _, flag := range []string{"help", "-h", "--help"} {
		code, out, _ := runCLI(t, flag)
		if code != 0 {
			t.Fatalf("fluxcore %s: exit %d, want 0", flag, code)
		}
		for _, c := range commands {
			if !regexp.MustCompile(`(?m)^  ` + c.name + ` `).MatchString(out) {
				t.Errorf("fluxcore %s does not list %q", flag, c.name)
			}
			for _, sub := range c.subcommands {
				if !strings.Contains(out, "  "+c.name+" "+sub.name+" ") {
					t.Errorf("fluxcore %s does not list %q", flag, c.name+" "+sub.name)
				}
			}
		}
	}
	for _, c := range commands {
		names := [][]string{{c.name}}
		for _, sub := range c.subcommands {
			names = append(names, []string{c.name, sub.name})
		}
		for _, n := range names {
			if code, _, errOut := runCLI(t, append([]string{"help"}, n...)...); code != 0 {
				t.Errorf("fluxcore help %s: exit %d: %s", strings.Join(n, " "), code, errOut)
			}
			if code, _, errOut := runCLI(t, append(n, "-h")...); code != 0 {
				t.Errorf("fluxcore %s -h: exit %d: %s", strings.Join(n, " "), code, errOut)
			}
		}
	}
	if code, _, _ := runCLI(t); code != 2 {
		t.Errorf("fluxcore with no command: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "no-such-command"); code != 2 {
		t.Errorf("an unknown command: exit %d, want 2", code)
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(out, "fluxcore ") || !strings.Contains(out, fmt.Sprintf("C ABI %d", engine.ABIVersion)) {
			t.Errorf("fluxcore %s: exit %d, %q %q", args[0], code, out, errOut)
		}
	}
}
