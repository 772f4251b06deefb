#!/usr/bin/env bash
# Packs what a notebook run needs on a machine with no network and no Go (our GPU machine):
# the go1.27.4 toolchain without tests, docs or the sources of the go commands, the source of
# just the module packages that the library, the kernel and the named extra packages import
# (as a module cache: GOFLAGS=-mod=mod with GOPROXY=off), and bin/{labnotes,gonb,goimports}.
# Output: .device/bundle.tar.xz (git-ignored), unpacked and used by scripts/gpu-run.sh.
#
#   scripts/gpu-bundle.sh [extra packages a notebook imports...]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export GOTOOLCHAIN=go1.27.4 GOEXPERIMENT=simd
[ -x bin/labnotes ] && [ -x bin/gonb ] || { echo "gpu-bundle: run make setup first" >&2; exit 1; }
out=.device/bundle
rm -rf "$out" && mkdir -p "$out/mod/cache/download" "$out/bin"
GOROOT_=$(go env GOROOT) MODCACHE=$(go env GOMODCACHE)
base=$(basename "$GOROOT_")

# 1. The toolchain: bin/go and the compile/link/asm/cgo tools; std sources without tests.
tar -C "$(dirname "$GOROOT_")" --exclude='*_test.go' --exclude=testdata \
  --exclude="$base/test" --exclude="$base/api" --exclude="$base/doc" --exclude="$base/misc" \
  --exclude="$base/src/cmd" --exclude="$base/bin/gofmt" \
  --exclude="$base/pkg/tool/linux_amd64/cover" --exclude="$base/pkg/tool/linux_amd64/fix" \
  --exclude="$base/pkg/tool/linux_amd64/preprofile" --exclude="$base/pkg/tool/linux_amd64/vet" \
  -cf - "$base" | (mkdir -p "$out/go" && tar -C "$out/go" --strip-components=1 -xf -)

# 2. Modules: go.mod/.info/.ziphash of every module in the graph (MVS and go.sum checks need
# them), and the source directories of the packages actually imported.
pkgs=(./lib/... ./kernel/... github.com/janpfeifer/gonb/gonbui "$@")
for mv in $(go mod graph | tr ' ' '\n' | grep @ | sort -u); do
  m=${mv%@*} v=${mv#*@}
  esc=$(echo "$m" | sed 's/[A-Z]/!\L&/g')
  mkdir -p "$out/mod/cache/download/$esc/@v"
  for s in .mod .info .ziphash; do
    f="$MODCACHE/cache/download/$esc/@v/$v$s"
    [ -f "$f" ] && cp "$f" "$out/mod/cache/download/$esc/@v/"
  done
done
go list -deps -f '{{if and .Module (not .Module.Main) (not .Standard)}}{{.Module.Dir}} {{.Dir}}{{end}}' "${pkgs[@]}" |
  sort -u | while read -r moddir pkgdir; do
    rel=${pkgdir#"$MODCACHE"/}
    mkdir -p "$out/mod/$rel"
    find "$pkgdir" -maxdepth 1 -type f ! -name '*_test.go' -exec cp {} "$out/mod/$rel/" \;
    modrel=${moddir#"$MODCACHE"/}
    cp "$moddir/go.mod" "$out/mod/$modrel/" 2>/dev/null || true
  done
# Embedded files (go:embed) live in subfolders of some packages: copy those packages whole.
go list -deps -f '{{if and .Module (not .Module.Main) .EmbedPatterns}}{{.Dir}}{{end}}' "${pkgs[@]}" |
  sort -u | while read -r d; do [ -n "$d" ] && cp -r "$d/." "$out/mod/${d#"$MODCACHE"/}/"; done

# 3. Binaries.
cp bin/labnotes bin/gonb bin/goimports "$out/bin/"
tar -C .device -cf - bundle | xz -T2 -6 > .device/bundle.tar.xz
rm -rf "$out"
ls -la .device/bundle.tar.xz
