#!/usr/bin/python3
"""Checks that notebooks use the shared kit (lib/nb) instead of their own copies.

A notebook fails when it
  - mentions os.TempDir (work files go to nb.WorkDir's per-run folder),
  - defines a helper the kit provides: must, must2, check, workDir, save, load,
    saveJSON, loadJSON, show, figure, showMaps, windowed (use nb.Must, nb.Must2,
    nb.Check, nb.WorkDir, nb.SaveJSON, nb.LoadJSON, nb.Row, nb.Windowed),
  - or defines a function whose code is the same as one in another notebook
    (it belongs in lib).

usage: scripts/check-notebooks.py notebooks/*.ipynb
"""
import json
import re
import sys

KIT = {"must", "must2", "check", "workDir", "save", "load", "saveJSON", "loadJSON",
       "show", "figure", "showMaps", "windowed"}
FUNC = re.compile(r"^func (?:\([^)]*\) )?([A-Za-z_]\w*)(?:\[[^\]]*\])?\(", re.M)


def functions(src):
    """Yields (name, body) of the top-level functions of a cell's Go source."""
    for m in FUNC.finditer(src):
        start = m.start()
        # The body ends at the first line that closes the function: "}" alone,
        # or the declaration line itself for a one-line function.
        end = src.find("\n}", start)
        line_end = src.find("\n", start)
        if line_end < 0:
            line_end = len(src)
        one_line = src[start:line_end].rstrip().endswith("}")
        stop = line_end if one_line else (end + 2 if end >= 0 else len(src))
        yield m.group(1), src[start:stop]


def main(paths):
    problems, seen = [], {}
    for path in paths:
        nb = json.load(open(path))
        for i, cell in enumerate(nb["cells"]):
            if cell["cell_type"] != "code":
                continue
            src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            if "os.TempDir" in src:
                problems.append(f"{path} cell {i}: mentions os.TempDir (use nb.WorkDir)")
            for name, body in functions(src):
                if name in KIT:
                    problems.append(f"{path} cell {i}: defines {name} (use the lib/nb kit)")
                key = re.sub(r"\s+", " ", body)
                other = seen.setdefault(key, (path, name))
                if other[0] != path:
                    problems.append(f"{path} cell {i}: {name} is also defined in {other[0]} (move it to lib)")
    for p in problems:
        print("check-notebooks:", p)
    if problems:
        return 1
    print(f"check-notebooks: {len(paths)} notebooks use the kit; no helper defined twice")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
