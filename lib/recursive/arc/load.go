package arc

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"

	"github.com/labnotes/labnotes/lib/datasets"
)

// ShippedSide is the largest grid side of the ARC-AGI-1 evaluation tasks
// shipped with this package: the 13 tasks whose grids are all at most 6x6
// (tasks/SOURCES.md), copied byte for byte from the dataset.
const ShippedSide = 6

//go:embed tasks/arc-agi-1/evaluation/*.json
var shipped embed.FS

// Load returns the tasks of split ("training" or "evaluation") of the ARC
// dataset name ("arc-agi-1" or "arc-agi-2", see lib/datasets) whose grids
// all fit a side x side canvas ([Select]; side <= 0: every task), sorted by
// ID. It reads the dataset's folder (datasets.Path). When the dataset is
// absent and the request is for ARC-AGI-1 evaluation tasks with side <=
// [ShippedSide], it reads the copies shipped in this package instead: the
// same files, so the same tasks in the same order. Otherwise a missing
// dataset is datasets.Path's error, which names the command that fetches it.
func Load(name, split string, side int) ([]*Task, error) {
	if split != "training" && split != "evaluation" {
		return nil, fmt.Errorf("arc: unknown split %q (want \"training\" or \"evaluation\")", split)
	}
	dir, err := datasets.Path(name)
	var tasks []*Task
	switch {
	case err == nil:
		if tasks, err = LoadDir(filepath.Join(dir, split)); err != nil {
			return nil, err
		}
	case name == "arc-agi-1" && split == "evaluation" && side > 0 && side <= ShippedSide:
		if tasks, err = Shipped(); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if side > 0 {
		tasks = Select(tasks, side)
	}
	return tasks, nil
}

// Shipped returns the ARC-AGI-1 evaluation tasks shipped with this package
// (every task whose grids are all at most [ShippedSide] cells a side),
// sorted by ID.
func Shipped() ([]*Task, error) {
	const dir = "tasks/arc-agi-1/evaluation"
	paths, err := fs.Glob(shipped, dir+"/*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	tasks := make([]*Task, 0, len(paths))
	for _, p := range paths {
		data, err := shipped.ReadFile(p)
		if err != nil {
			return nil, err
		}
		t, err := ParseTask(data, path.Base(p))
		if err != nil {
			return nil, err
		}
		tasks = append(tasks, t)
	}
	return tasks, nil
}
