#!/usr/bin/env bash
# Builds the real Kubernetes control plane (tools/kube-cluster) and installs kwok from the Go module proxy into
# .cache/kube/bin. Skips work that is already up to date. Prints progress; writes the build log and timing to
# .cache/kube/build.log. Usage: scripts/build-kube.sh [--force]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/tools/kube-cluster"
out="$root/.cache/kube/bin"
log="$root/.cache/kube/build.log"
k8s_version="v1.36.3"
kwok_version="v0.8.0"
mkdir -p "$out"

fail() { echo "kube build: $*" >&2; echo "kube build: full log: $log" >&2; exit 1; }

if ! command -v go >/dev/null 2>&1; then
  fail "Go is not installed (needed to build the real kube-apiserver). Install Go ≥ 1.26 and run this again."
fi

free_kb=$(df -Pk "$root" | awk 'NR==2 {print $4}')
if [ "${free_kb:-0}" -lt 6000000 ]; then
  fail "less than 6 GB free on $(df -P "$root" | awk 'NR==2 {print $6}'); the Kubernetes build needs about 6 GB for modules and cache. Free disk space and run this again."
fi

binary="$out/kube-cluster"
needs_build=1
if [ "${1:-}" != "--force" ] && [ -x "$binary" ] && [ "$binary" -nt "$src/go.sum" ] && [ "$binary" -nt "$src/main.go" ] && [ "$binary" -nt "$src/go.mod" ]; then
  needs_build=0
fi

if [ "$needs_build" = 1 ]; then
  echo "kube build: compiling kube-apiserver, kube-controller-manager and kube-scheduler $k8s_version (first time: 10–25 min on 2 cores; log: $log)"
  start=$(date +%s)
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36 -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=2026-07-15T00:00:00Z"
  (
    cd "$src"
    # Progress: go build -v prints each package as it compiles; a dot per 50 packages keeps the terminal calm.
    CGO_ENABLED=0 /usr/bin/env time -v go build -v -trimpath -ldflags "$ldflags" -o "$binary.tmp" . 2>&1
  ) > "$log" 2>&1 &
  pid=$!
  count=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 15
    now=$(grep -c '^[a-z].*/' "$log" 2>/dev/null || true)
    if [ "$now" != "$count" ]; then count=$now; echo "kube build: $count packages compiled so far ($(( $(date +%s) - start )) s)"; fi
  done
  if ! wait "$pid"; then
    if grep -qiE 'dial tcp|proxy|no such host|i/o timeout' "$log"; then
      fail "downloading Go modules failed (is the Go module proxy reachable? GOPROXY=$(go env GOPROXY))"
    elif grep -qi 'no space left' "$log"; then
      fail "the disk filled up during the build; free space and run this again"
    fi
    tail -20 "$log" >&2
    fail "go build failed"
  fi
  mv "$binary.tmp" "$binary"
  echo "kube build: built $binary in $(( $(date +%s) - start )) s"
else
  echo "kube build: kube-cluster is up to date"
fi

if [ ! -x "$out/kwok" ]; then
  echo "kube build: installing kwok $kwok_version from the Go module proxy"
  GOBIN="$out" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$kwok_version" >>"$log" 2>&1 \
    || fail "installing kwok $kwok_version failed"
fi
echo "kube build: ready ($out)"
