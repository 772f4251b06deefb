package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/labnotes/labnotes/lib/datasets"
)

const dataUsage = `labnotes data [list|fetch|verify] [NAME ...]
  list              every dataset the notebooks read: size, license, where it is found (the default)
  fetch NAME ...    download datasets into the data root ($LABNOTES_DATA, else the user cache), verified
                    (NAME "all": every dataset)
  verify [NAME ...] check datasets against their SHA-256 digests (default: every dataset found)
`

// dataCommand runs `labnotes data ARGS` on the terminal.
func dataCommand(ctx context.Context, args []string) error {
	return runData(ctx, args, &datasets.Fetcher{}, os.Stdout)
}

// runData runs `labnotes data`: list, fetch or verify datasets (lib/datasets)
// with f (its Progress is set to out), writing to out.
func runData(ctx context.Context, args []string, f *datasets.Fetcher, out io.Writer) error {
	sub, names := "list", []string(nil)
	if len(args) > 0 {
		sub, names = args[0], args[1:]
	}
	switch sub {
	case "list":
		if len(names) > 0 {
			return usageError("data list takes no NAME, got %q\n%s", names, dataUsage)
		}
		return listData(out)
	case "fetch":
		if len(names) == 0 {
			return usageError("data fetch needs a NAME (or all)\n%s", dataUsage)
		}
		ds, err := lookupAll(names)
		if err != nil {
			return err
		}
		f.Progress = out
		for _, d := range ds {
			if dir, err := datasets.Path(d.Name); err == nil && d.Verify(dir) == nil {
				fmt.Fprintf(out, "%s: already in %s (verified)\n", d.Name, dir)
				continue
			}
			if _, err := f.Fetch(ctx, d); err != nil {
				return err
			}
		}
		return nil
	case "verify":
		return verifyData(names, out)
	case "help", "-h", "--help":
		fmt.Fprint(out, dataUsage)
		return nil
	}
	return usageError("unknown data command %q\n%s", sub, dataUsage)
}

// lookupAll returns the datasets named ("all": every one).
func lookupAll(names []string) ([]*datasets.Dataset, error) {
	if len(names) == 1 && names[0] == "all" {
		return datasets.List(), nil
	}
	var out []*datasets.Dataset
	for _, n := range names {
		d, err := datasets.Lookup(n)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// listData prints one line per dataset and the data root.
func listData(out io.Writer) error {
	root, err := datasets.Root()
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "data root: %s (set $%s to change it)\n\n", root, datasets.RootEnv)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tLICENSE\tWHERE")
	for _, d := range datasets.List() {
		where, err := datasets.Path(d.Name)
		if err != nil {
			where = "missing: " + datasets.FetchCommand(d.Name)
		}
		fmt.Fprintf(tw, "%s\t%.1f MB\t%s\t%s\n", d.Name, float64(d.Size())/1e6, strings.SplitN(d.License, " ", 2)[0], where)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out)
	for _, d := range datasets.List() {
		fmt.Fprintf(out, "%s: %s\n  source: %s\n  license: %s\n", d.Name, d.Title, d.Source, d.License)
	}
	return nil
}

// verifyData verifies the named datasets (all that are found when none is
// named; a named one that is missing is an error).
func verifyData(names []string, out io.Writer) error {
	ds, err := lookupAll(names)
	if len(names) == 0 {
		ds, err = datasets.List(), nil
	}
	if err != nil {
		return err
	}
	failed := 0
	for _, d := range ds {
		dir, err := datasets.Path(d.Name)
		if err != nil {
			if len(names) == 0 {
				fmt.Fprintf(out, "%s: absent (%s)\n", d.Name, datasets.FetchCommand(d.Name))
				continue
			}
			return err
		}
		if err := d.Verify(dir); err != nil {
			fmt.Fprintf(out, "%s: FAILED\n%v\n", d.Name, err)
			failed++
			continue
		}
		fmt.Fprintf(out, "%s: ok (%.1f MB verified in %s)\n", d.Name, float64(d.Size())/1e6, dir)
	}
	if failed > 0 {
		return fmt.Errorf("data verify: %d dataset(s) do not verify", failed)
	}
	return nil
}
