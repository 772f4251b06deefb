#!/usr/bin/env bash
# Labnotes setup: idempotent; used by `make setup` (and so by `make reports` and `make test`),
# by .ci/run and by both Dockerfiles. It installs only what is missing and finishes in seconds
# when everything is there.
#
#   scripts/setup.sh [--test] [--no-apt]
#
#   --test           also install what the tests need (jupyter_kernel_test, Chromium, Selenium,
#                    podman, runc and debootstrap for the Docker stage)
#   --no-apt         never call apt-get; fail naming the missing Debian packages instead
#   --packages-only  only the Debian packages (the root step of the Dockerfiles)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GO_TOOLCHAIN=go1.27.4
RUNTIME_PKGS=(jupyter-notebook jupyter-nbconvert jupyter-client dataset-fashion-mnist
  gcc libc6-dev ca-certificates curl unzip)
# The Docker stage of `make test` builds and runs docker/Dockerfile with podman (runc: crun fails
# on hosts with a mixed cgroup layout) from a debootstrapped base image.
TEST_PKGS=(python3-jupyter-kernel-test chromium chromium-driver python3-selenium podman runc debootstrap)

with_tests=0 apt=1 packages_only=0
for a in "$@"; do
  case "$a" in
    --test) with_tests=1 ;;
    --no-apt) apt=0 ;;
    --packages-only) packages_only=1 ;;
    *) echo "setup: unknown option $a (expected --test, --no-apt or --packages-only)" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

# 1. Debian packages.
pkgs=("${RUNTIME_PKGS[@]}")
[ "$with_tests" = 1 ] && pkgs+=("${TEST_PKGS[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$apt" = 0 ]; then
    die "missing Debian packages: ${missing[*]}. Install them: sudo apt-get install --no-install-recommends ${missing[*]}"
  fi
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null && SUDO="sudo -n" ||
      die "missing Debian packages: ${missing[*]}, and I am not root. Run: sudo apt-get install --no-install-recommends ${missing[*]}"
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null || die "apt-get update failed"
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
else
  say "Debian packages present (${#pkgs[@]})"
fi

[ "$packages_only" = 1 ] && exit 0

# 2. Go. Any go >= 1.21 fetches $GO_TOOLCHAIN through the module proxy; with none at all,
# bootstrap $GO_TOOLCHAIN itself from the proxy (the same zip go would fetch).
goproxy=$(echo "${GOPROXY:-https://proxy.golang.org}" | cut -d, -f1 | cut -d'|' -f1)
have_go=0
if command -v go >/dev/null; then
  v=$(go env GOVERSION 2>/dev/null || true)
  minor=$(echo "$v" | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
  [ -n "$minor" ] && [ "$minor" -ge 21 ] && have_go=1
fi
if [ "$have_go" = 0 ]; then
  dest=${LABNOTES_GO_DIR:-$HOME/.local/share/labnotes/$GO_TOOLCHAIN}
  if [ ! -x "$dest/bin/go" ]; then
    say "no usable go on PATH: fetching $GO_TOOLCHAIN from $goproxy into $dest"
    tmp=$(mktemp -d)
    curl -fsSL -o "$tmp/go.zip" "$goproxy/golang.org/toolchain/@v/v0.0.1-$GO_TOOLCHAIN.linux-amd64.zip" ||
      die "downloading $GO_TOOLCHAIN from the module proxy $goproxy failed"
    (cd "$tmp" && unzip -q go.zip) || die "unpacking $GO_TOOLCHAIN failed"
    mkdir -p "$(dirname "$dest")"
    rm -rf "$dest" && mv "$tmp/golang.org/toolchain@v0.0.1-$GO_TOOLCHAIN.linux-amd64" "$dest"
    chmod +x "$dest/bin/"* "$dest/pkg/tool/"*/* 2>/dev/null || true
    rm -rf "$tmp"
  fi
  export PATH="$dest/bin:$PATH"
fi
export GOTOOLCHAIN=$GO_TOOLCHAIN GOEXPERIMENT=simd
gv=$(go env GOVERSION 2>&1) || die "go cannot provide $GO_TOOLCHAIN: $gv"
[ "$gv" = "$GO_TOOLCHAIN" ] || die "expected $GO_TOOLCHAIN, go reports $gv"
say "go: $gv ($(go env GOROOT)), GOEXPERIMENT=simd"

# 3. The kernel's tools (GoNB, goimports, gopls: pinned as go.mod tools) and labnotes.
cd "$ROOT"
mkdir -p bin
# GoNB is built with the small fixes of kernel/gonbpatch (forged messages dropped, gopls and cell
# programs die with the kernel), from a patched copy that bin/.gonb-build/go.mod points at.
stamp=$(cat go.mod go.sum kernel/gonbpatch/*.go | sha256sum | cut -c1-16)
if [ "$(cat bin/.tools-stamp 2>/dev/null)" != "$stamp" ] || [ ! -x bin/gonb ] || [ ! -x bin/goimports ] || [ ! -x bin/gopls ]; then
  say "building gonb (patched: kernel/gonbpatch), goimports, gopls into bin/ (first time: a few minutes)"
  go mod download github.com/janpfeifer/gonb || die "downloading GoNB failed"
  modfile=$(go run ./kernel/cmd/gonbpatch -o bin/.gonb-build) || die "patching GoNB failed"
  go build -modfile "$modfile" -o bin/ tool || die "building the tools pinned in go.mod failed"
  echo "$stamp" > bin/.tools-stamp
else
  say "tools up to date: $(bin/gonb -V 2>/dev/null || echo gonb)"
fi
go build -o bin/labnotes ./kernel/cmd/labnotes || die "building bin/labnotes failed"

# 4. The kernelspec, and a warm build cache for the library (the first notebook cell is then fast).
bin/labnotes install
say "warming the Go build cache for lib/..."
go build ./lib/... || die "building lib/... failed"
say "done. Next: make lab (Jupyter), make reports (all notebooks), make test"
