package main

import (
	"context"
	"errors"
	"flag"
	"io"
	"sort"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/store"
)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// newFlags returns a FlagSet that prints its usage to w and never exits.
func newFlags(name, usage string, w io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(w)
	fs.Usage = func() {
		io.WriteString(w, "Usage: jmk "+name+" "+usage+"\n")
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags; --help is a success that prints usage.
func parse(fs *flag.FlagSet, args []string) (help bool, err error) {
	err = fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return true, nil
	}
	return false, err
}

// openStore loads the configuration and opens a migrated database.
func openStore(ctx context.Context, e env) (server.Config, *store.Store, func(), error) {
	cfg, err := server.LoadConfig(e.getenv)
	if err != nil {
		return cfg, nil, nil, err
	}
	pool, err := server.OpenPool(ctx, cfg, true)
	if err != nil {
		return cfg, nil, nil, err
	}
	return cfg, store.New(pool), pool.Close, nil
}
