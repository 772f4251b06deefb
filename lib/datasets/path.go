package datasets

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"
)

// RootEnv names the environment variable holding the data root.
const RootEnv = "LABNOTES_DATA"

// cacheName is the data root's folder in the user's cache folder.
const cacheName = "labnotes"

// Root returns the data root: $LABNOTES_DATA if set, else
// os.UserCacheDir()/labnotes (e.g. ~/.cache/labnotes on Linux). The folder
// need not exist.
func Root() (string, error) {
	if d := os.Getenv(RootEnv); d != "" {
		return d, nil
	}
	c, err := os.UserCacheDir()
	if err != nil {
		return "", errors.Wrapf(err, "datasets: no data root (set $%s)", RootEnv)
	}
	return filepath.Join(c, cacheName), nil
}

// FetchCommand is the command that fetches the dataset called name.
func FetchCommand(name string) string { return "bin/labnotes data fetch " + name }

// Path returns the folder holding the dataset called name: the folder
// named by its Env variable when that is set (not checked further), else
// its folder under [Root]
// when every file is there, else the first of its Local folders that holds
// every file. Files are checked to exist, not verified ([Verify] does).
// When none holds the dataset, the error names the dataset, the folders
// tried and the command that fetches it.
func Path(name string) (string, error) {
	d, err := Lookup(name)
	if err != nil {
		return "", err
	}
	if d.Env != "" {
		if v := os.Getenv(d.Env); v != "" {
			if st, err := os.Stat(v); err != nil || !st.IsDir() {
				return "", errors.Errorf("datasets: $%s names %s, not a folder (it should hold %s)", d.Env, v, d.Title)
			}
			return v, nil
		}
	}
	var tried []string
	for _, dir := range d.candidates() {
		missing := d.missing(dir)
		if missing == "" {
			return dir, nil
		}
		tried = append(tried, missing)
	}
	return "", errors.Errorf("datasets: dataset %q (%s) not found (%s): run `%s` (it downloads %s from %s) or set $%s to a folder holding %s/",
		d.Name, d.Title, strings.Join(tried, "; "), FetchCommand(d.Name), humanBytes(d.Size()), d.Source, RootEnv, d.Dir)
}

// candidates returns the folders that may hold d, in order, when its Env
// variable is not set.
func (d *Dataset) candidates() []string {
	var out []string
	if root, err := Root(); err == nil {
		out = append(out, filepath.Join(root, filepath.FromSlash(d.Dir)))
	}
	return append(out, d.Local...)
}

// missing returns "" when dir holds every (non-transient) file and tree of
// d, else a phrase naming the first one missing.
func (d *Dataset) missing(dir string) string {
	for _, f := range d.Files {
		if f.Transient {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			return "no file " + p
		}
	}
	for _, t := range d.Trees {
		p := filepath.Join(dir, filepath.FromSlash(t.Path))
		if st, err := os.Stat(p); err != nil || !st.IsDir() {
			return "no folder " + p
		}
	}
	return ""
}

// humanBytes formats n as "12.3 MB".
func humanBytes(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	}
	return fmt.Sprintf("%d B", n)
}
