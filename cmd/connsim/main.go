// Command connsim runs connection-management experiments: it reads
// experiment files (YAML), simulates every run, and writes results (CSV or
// JSON), plots and an HTML report. See the README and
// docs/experiment-format.md for the file format.
//
// Exit codes: 0 ok; 1 a run or a plot failed (the others still finish
// and are written); 2 bad input (or bad usage, or an output folder that
// another connsim is writing); 130 and 143 stopped by SIGINT and SIGTERM
// (the finished runs written, marked partial).
package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// softMemoryLimit is the memory limit the command sets when GOMEMLIMIT
// is not set (see main).
const softMemoryLimit = 512 << 20

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	if os.Getenv("GOGC") == "" {
		// Runs allocate short-lived worlds and keep little: collecting
		// less often keeps both cores on simulation (the write barriers
		// of a running collector cost about a fifth of a sweep's CPU at
		// the default of 100: 100,000 runs of a small page took 5.7-7.1
		// s of CPU at 100, 4.8-5.5 s at 400). Output does not depend on
		// it. The heap then grows to about 5 times what is live: some
		// 80 MB for any number of runs under --no-plots.
		debug.SetGCPercent(400)
		if os.Getenv("GOMEMLIMIT") == "" {
			// A soft cap on that factor for a large live heap (the rows
			// a figure of a million runs draws: 1.4 GB at 400 without
			// it): the collector runs more often near the cap instead
			// of letting the heap grow 5 times, and never binds while
			// less than about 100 MB is live.
			debug.SetMemoryLimit(softMemoryLimit)
		}
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const (
	exitOK      = 0
	exitRunFail = 1
	exitBadUse  = 2
)

const usage = `connsim: a deterministic simulator of HTTP connection management

Usage:
  connsim run FILE.yaml|NAME... [--out DIR] [--workers N] [--format csv|json]
                                [--no-plots] [--quiet] [--shard K/N] [--yes]
                                [--replace-partial]
  connsim validate FILE.yaml...     check files, print errors, run nothing
  connsim list                      the built-in experiments, one line each
  connsim show NAME                 print a built-in experiment's YAML
  connsim page [flags]              one quick page load, waterfall in the terminal
  connsim merge DIR... [--out DIR]  join shard folders into the whole run's files
  connsim serve [--addr 127.0.0.1:8080]  a playground in the browser (local only by default)
  connsim version                   print the version

Run 'connsim COMMAND --help' for a command's flags and examples.

Examples:
  connsim run connection-models            # a built-in experiment, with plots
  connsim run my-experiment.yaml --out results
  connsim page --model pipelined --rtt 100ms --objects 40x10KB
`

// run is the whole command, testable without exec.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitBadUse
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return cmdRun(rest, stdout, stderr)
	case "validate":
		return cmdValidate(rest, stdout, stderr)
	case "list":
		return cmdList(rest, stdout, stderr)
	case "show":
		return cmdShow(rest, stdout, stderr)
	case "page":
		return cmdPage(rest, stdout, stderr)
	case "merge":
		return cmdMerge(rest, stdout, stderr)
	case "serve":
		return cmdServe(rest, stdout, stderr)
	case "version", "--version", "-version":
		if len(args) > 1 {
			if args[1] == "--help" || args[1] == "-h" {
				fmt.Fprint(stdout, "Usage: connsim version\n\nPrints the version of connsim, which report.html also records.\n")
				return exitOK
			}
			fmt.Fprintf(stderr, "connsim version: unexpected argument %q\n", args[1])
			return exitBadUse
		}
		fmt.Fprintf(stdout, "connsim %s\n", version)
		return exitOK
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "connsim: unknown command %q\n\n%s", cmd, usage)
	return exitBadUse
}

// splitArgs separates positional arguments from flags so that flags may
// come after the files, as in the documented usage (the flag package stops
// at the first positional argument).
func splitArgs(args []string, boolFlags map[string]bool) (flags, positional []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if strings.Contains(name, "=") || boolFlags[name] {
				continue
			}
			if i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		positional = append(positional, a)
	}
	return flags, positional
}
