#!/usr/bin/env bash
# The Docker image, for real: `make test-docker` (part of `make test`). Builds docker/Dockerfile
# with podman (no Docker engine needed), starts the container with Jupyter published on
# 127.0.0.1 only, checks Jupyter's API answers with the token and refuses without it (403),
# runs notebooks/00_tour.ipynb at smoke scale inside with `labnotes run`, and removes the
# container. Prints each stage's time.
#
# No container registry is needed: the base image docker.io/library/debian:bookworm is made with
# debootstrap from the Debian mirror this machine's apt uses, with the host's extra trusted CA
# certificates (/usr/local/share/ca-certificates: an intercepting HTTPS proxy, as behind many
# corporate networks, breaks the Go download otherwise), and kept in podman's store for the
# next run (a fresh CI machine builds it: ~1 min). Needs root (podman, runc, debootstrap: setup.sh
# --test installs them).
#
#   scripts/docker-test.sh            # build, run, check, remove the container
#   LABNOTES_DOCKER_TEST=0 ...        # skip (prints why)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=${LABNOTES_DOCKER_IMAGE:-localhost/labnotes-test}
BASE=docker.io/library/debian:bookworm
WORK=${LABNOTES_DOCKER_WORK:-/var/tmp/labnotes-docker}
say() { echo "docker-test: $*"; }
die() { echo "docker-test: ERROR: $*" >&2; exit 1; }
t0=$(date +%s)
lap() { local now; now=$(date +%s); say "$1 in $((now - t0)) s"; t0=$now; }

if [ "${LABNOTES_DOCKER_TEST:-1}" = 0 ]; then say "SKIPPED (LABNOTES_DOCKER_TEST=0)"; exit 0; fi
[ "$(id -u)" = 0 ] || die "needs root for podman here (or set LABNOTES_DOCKER_TEST=0 to skip)"
for c in podman runc debootstrap curl; do
  command -v $c >/dev/null || die "$c is missing: run scripts/setup.sh --test"
done

# runc, not crun (crun: "cgroups in hybrid mode not supported" on such hosts), and ulimits an
# unprivileged VM allows (podman's defaults fail with "setrlimit ... operation not permitted").
mkdir -p "$WORK"
export CONTAINERS_CONF=$WORK/containers.conf
cat > "$CONTAINERS_CONF" <<'CONF'
[containers]
default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]
[engine]
runtime = "runc"
CONF

# 1. The base image.
if podman image exists "$BASE"; then
  say "base image $BASE: cached in podman's store"
else
  mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
  [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  mirror=${mirror:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d "$WORK/rootfs.XXXXXX")
  trap 'rm -rf "$rootfs"' EXIT
  say "debootstrapping Debian bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$WORK/debootstrap.log" 2>&1 ||
    die "debootstrap failed; see $WORK/debootstrap.log"
  rm -f "$rootfs/etc/apt/sources.list"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$rootfs/etc/apt/sources.list.d/"
  else
    printf 'Types: deb\nURIs: %s\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
      > "$rootfs/etc/apt/sources.list.d/debian.sources"
  fi
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - "$BASE" > "$WORK/import.log" 2>&1 ||
    die "podman import failed; see $WORK/import.log"
  rm -rf "$rootfs"
  trap - EXIT
  lap "base image built"
fi

# 2. The image.
say "building $IMAGE from docker/Dockerfile (log: $WORK/build.log)"
podman build --pull=never -f "$ROOT/docker/Dockerfile" -t "$IMAGE" "$ROOT" > "$WORK/build.log" 2>&1 ||
  { tail -30 "$WORK/build.log" >&2; die "podman build failed; see $WORK/build.log"; }
podman image prune -f >/dev/null 2>&1 || true
size=$(podman image inspect "$IMAGE" --format '{{.Size}}')
lap "image built ($((size / 1000000)) MB)"

# 3. Run it: Jupyter published on 127.0.0.1 only, with a known token.
token=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ctr=labnotes-test-$$
cleanup() { podman rm -f "$ctr" >/dev/null 2>&1 || true; }
trap cleanup EXIT
podman run -d --name "$ctr" -e JUPYTER_TOKEN="$token" -p "127.0.0.1:$port:8888" "$IMAGE" >/dev/null
code=000
for _ in $(seq 120); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: token $token" "http://127.0.0.1:$port/api/kernelspecs" || true)
  [ "$code" = 200 ] && break
  sleep 0.5
done
[ "$code" = 200 ] || { podman logs "$ctr" 2>&1 | tail -20 >&2; die "Jupyter's API did not answer with the token (HTTP $code)"; }
curl -s -H "Authorization: token $token" "http://127.0.0.1:$port/api/kernelspecs" | grep -q '"labnotes"' ||
  die "the labnotes kernel is not registered in the image"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/api/kernelspecs")
[ "$code" = 403 ] || die "Jupyter's API answered HTTP $code without the token, want 403"
addr=$(podman port "$ctr" 8888/tcp)
case "$addr" in 127.0.0.1:*) ;; *) die "port 8888 is published on $addr, want 127.0.0.1 only" ;; esac
lap "container up ($addr): API 200 with the token, 403 without"

# 4. A notebook inside, as a user would.
podman exec "$ctr" bin/labnotes run notebooks/00_tour.ipynb -p scale=smoke --timeout 10m -o /tmp/00_tour.ipynb \
  > "$WORK/tour.log" 2>&1 || { tail -30 "$WORK/tour.log" >&2; die "00_tour failed inside the container"; }
grep "labnotes: notebooks/00_tour.ipynb ok" "$WORK/tour.log" || die "no success line in $WORK/tour.log"
lap "00_tour at smoke scale inside the container"

cleanup
trap - EXIT
podman container exists "$ctr" && die "container $ctr not removed"
say "ok: image $IMAGE $((size / 1000000)) MB; container removed"
