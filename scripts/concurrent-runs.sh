#!/usr/bin/env bash
# Two runs of each notebook given, started at the same moment at smoke scale, must
# both pass and share no file. Each run prints its work folder ("work folder DIR",
# from nb.WorkDir); this checks that the two folders differ, that neither is inside
# the other, and that no file of one is a file (same device and inode) of the other.
# A WorkDir that returned a fixed folder fails here.
#
#   scripts/concurrent-runs.sh notebooks/07_hrm_vs_trm.ipynb notebooks/08_maze.ipynb
set -uo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: $0 NOTEBOOK..." >&2; exit 2; }
timeout=${SMOKE_TIMEOUT:-10m}
out=$(mktemp -d "${TMPDIR:-/tmp}/labnotes-concurrent.XXXXXX")
trap 'rm -rf "$out"' EXIT
status=0
for nb in "$@"; do
	name=$(basename "$nb" .ipynb)
	for r in a b; do
		bin/labnotes run "$nb" -p scale=smoke --timeout "$timeout" -o "$out/$name-$r.ipynb" >"$out/$name-$r.log" 2>&1 &
		eval "pid_$r=$!"
	done
	ok=1
	for r in a b; do
		pid_var=pid_$r
		if ! wait "${!pid_var}"; then
			echo "concurrent-runs: $name run $r FAILED:"
			tail -n 30 "$out/$name-$r.log"
			ok=0
		fi
	done
	if [ $ok = 1 ] && ! /usr/bin/python3 - "$name" "$out/$name-a.ipynb" "$out/$name-b.ipynb" <<'PY'; then ok=0; fi
import json, os, re, sys

name, paths = sys.argv[1], sys.argv[2:]

def folder(path):
    """The work folder a run printed: "work folder DIR" in any output."""
    text = []
    for c in json.load(open(path))["cells"]:
        for o in c.get("outputs", []):
            t = o.get("text") or o.get("data", {}).get("text/plain") or ""
            text.append("".join(t) if isinstance(t, list) else t)
    found = set(re.findall(r"work folder (\S+)", "\n".join(text)))
    if len(found) != 1:
        sys.exit(f"concurrent-runs: {name}: {path} prints {len(found)} work folders {sorted(found)}, want 1")
    return found.pop()

def files(d):
    """(device, inode) -> path of every file under d."""
    out = {}
    for root, _, names in os.walk(d):
        for n in names:
            p = os.path.join(root, n)
            st = os.lstat(p)
            out[(st.st_dev, st.st_ino)] = p
    return out

a, b = (os.path.realpath(folder(p)) for p in paths)
if a == b or a.startswith(b + os.sep) or b.startswith(a + os.sep):
    sys.exit(f"concurrent-runs: {name}: both runs used the work folder {a} / {b}")
fa, fb = files(a), files(b)
if not fa or not fb:
    sys.exit(f"concurrent-runs: {name}: a work folder is empty ({len(fa)} and {len(fb)} files): the runs left nothing to compare")
shared = set(fa) & set(fb)
if shared:
    sys.exit(f"concurrent-runs: {name}: the runs share {len(shared)} files, e.g. {fa[shared.pop()]}")
print(f"concurrent-runs: {name}: both runs passed; work folders {a} ({len(fa)} files) and {b} ({len(fb)} files) share no file")
for d in (a, b):
    # The runs' own temporary folders (nb.WorkDir: os.MkdirTemp), checked above.
    if os.path.basename(d).startswith("labnotes-" + name.split("_")[0] + "-"):
        import shutil
        shutil.rmtree(d)
PY
	[ $ok = 1 ] || status=1
done
exit $status
