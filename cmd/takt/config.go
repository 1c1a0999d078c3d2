package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// takt serve takes each setting from, in order of precedence: its flag, its TAKT_* environment
// variable, the config file, its default. The config file (--config, or TAKT_CONFIG) holds one
// setting per line, named as its flag without dashes:
//
//	# /etc/takt/takt.conf
//	addr = 0.0.0.0:8080
//	data = /var/lib/takt
//	nats-url = nats://nats-0:4222,nats://nats-1:4222,nats://nats-2:4222
//	replicas = 3
//	tenant = falun,haninge
//
// Blank lines and lines starting with # are skipped; a key the flags do not know is an error, so a
// misspelt setting is not silently ignored.

// configFlag is the flag that names the config file; it is not a setting itself.
const configFlag = "config"

// envNames are the environment variables whose names do not follow from their flag's.
var envNames = map[string]string{"tenant": "TAKT_TENANTS"}

// envName is the environment variable of flag name: TAKT_ and the name in upper case, dashes as
// underscores (nats-url: TAKT_NATS_URL).
func envName(name string) string {
	if e, ok := envNames[name]; ok {
		return e
	}
	return "TAKT_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// configure sets every flag of the parsed fs that the command line left alone from its environment
// variable, or else from the config file. getenv reads the environment.
func configure(fs *flag.FlagSet, getenv func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	path := getenv(envName(configFlag))
	if f := fs.Lookup(configFlag); f != nil && set[configFlag] {
		path = f.Value.String()
	}
	file := map[string]string{}
	if path != "" {
		var err error
		if file, err = readConfig(path, fs); err != nil {
			return err
		}
	}

	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || f.Name == configFlag {
			return
		}
		from, value := "", ""
		if v, ok := file[f.Name]; ok {
			from, value = path, v
		}
		if v := getenv(envName(f.Name)); v != "" {
			from, value = envName(f.Name), v
		}
		if from == "" {
			return
		}
		if err := fs.Set(f.Name, value); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s=%q: %w", from, f.Name, value, err))
		}
	})
	return errors.Join(errs...)
}

// readConfig reads a config file of key = value lines, every key one of fs's flags.
func readConfig(path string, fs *flag.FlagSet) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	return parseConfig(path, f, fs)
}

func parseConfig(path string, r io.Reader, fs *flag.FlagSet) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		switch {
		case !ok:
			return nil, fmt.Errorf("%s:%d: want key = value, got %q", path, n, line)
		case key == configFlag || fs.Lookup(key) == nil:
			return nil, fmt.Errorf("%s:%d: takt serve has no setting %q", path, n, key)
		case out[key] != "":
			return nil, fmt.Errorf("%s:%d: %s is set twice", path, n, key)
		}
		out[key] = strings.Trim(value, `"`)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}

// printSettings writes fs's flags as takt serve --help shows them: each with its environment
// variable and its default.
func printSettings(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintf(w, "%s\n    \t%s\n", line, strings.ReplaceAll(usage, "\n", "\n    \t"))
		if def := f.DefValue; def == "" || def == "false" || def == "0" {
			fmt.Fprintf(w, "    \t(env %s)\n", envName(f.Name))
		} else {
			fmt.Fprintf(w, "    \t(env %s; default %s)\n", envName(f.Name), def)
		}
	})
}
