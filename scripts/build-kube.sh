#!/usr/bin/env bash
# Builds the real Kubernetes control plane (tools/kube-cluster) and installs kwok from the Go module proxy into
# .cache/kube/bin, with kwok's module source (its stage files) in the Go module cache. Skips work that is already up to date. Prints progress; writes the build log, with
# `/usr/bin/time -v` figures, to .cache/kube/build.log and appends one line per compile to
# .cache/kube/build-history.tsv (read by bench/kube.ts). Usage: scripts/build-kube.sh [--force]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$root/tools/kube-cluster"
out="$root/.cache/kube/bin"
log="$root/.cache/kube/build.log"
history="$root/.cache/kube/build-history.tsv"
k8s_version="v1.36.3"
kwok_version="v0.8.0"
mkdir -p "$out"
# One build at a time: `npm test` builds in the background while a developer may run `npm run test:kube`; a second
# run waits here and then finds the binary up to date instead of compiling the same packages twice.
exec 9>"$root/.cache/kube/build.lock"
if command -v flock >/dev/null 2>&1; then
  flock -n 9 || { echo "kube build: another build is running; waiting for it"; flock 9; }
fi

fail() { echo "kube build: $*" >&2; echo "kube build: full log: $log" >&2; exit 1; }

# One history line from the `time -v` block of a build log: date, what ran, wall s, user s, sys s, peak RSS kB.
record() {
  awk -v when="$1" -v what="$2" -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
    /User time \(seconds\)/ { user = $2 }
    /System time \(seconds\)/ { sys = $2 }
    /Maximum resident set size/ { rss = $2 }
    END { if (wall != "") printf "%s\t%s\t%.1f\t%s\t%s\t%s\n", when, what, wall, user, sys, rss }' "$3"
}
if [ ! -f "$history" ]; then
  printf 'date\tbuild\twall_s\tuser_s\tsys_s\tmax_rss_kb\n' > "$history"
  # Keep the figures of a build made before this history existed (the first, cold one) before the log is replaced.
  if [ -f "$log" ] && grep -q 'Maximum resident' "$log"; then
    record "$(date -u -r "$log" +%Y-%m-%dT%H:%M:%SZ)" "build (first, before history)" "$log" >> "$history"
  fi
fi

binary="$out/kube-cluster"
needs_build=1
if [ "${1:-}" != "--force" ] && [ -x "$binary" ] && [ "$binary" -nt "$src/go.sum" ] && [ "$binary" -nt "$src/main.go" ] && [ "$binary" -nt "$src/go.mod" ]; then
  needs_build=0
fi

if [ "$needs_build" = 1 ] || [ ! -x "$out/kwok" ]; then
  if ! command -v go >/dev/null 2>&1; then
    fail "Go is not installed (needed to build the real kube-apiserver). Install Go ≥ 1.26 and run this again."
  fi
fi

if [ "$needs_build" = 1 ]; then
  free_kb=$(df -Pk "$root" | awk 'NR==2 {print $4}')
  if [ "${free_kb:-0}" -lt 6000000 ]; then
    fail "less than 6 GB free on $(df -P "$root" | awk 'NR==2 {print $6}'); the Kubernetes build needs about 6 GB for modules and cache. Free disk space and run this again."
  fi
  what="build"
  if [ -x "$binary" ]; then what="rebuild"; fi
  if [ "${1:-}" = "--force" ]; then what="forced rebuild"; fi
  echo "kube build: compiling kube-apiserver, kube-controller-manager and kube-scheduler $k8s_version (first time: about 10 min on 2 cores; log: $log)"
  start=$(date +%s)
  # /version reports the tag's time as buildDate, read from the module cache (present once modules are downloaded).
  info="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$k8s_version.info"
  build_date=$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "$info" 2>/dev/null || true)
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$k8s_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36 -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=${build_date:-1970-01-01T00:00:00Z}"
  (
    cd "$src"
    # go build -v prints each package as it compiles; progress below counts them.
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
  record "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$what" "$log" >> "$history"
  echo "kube build: built $binary in $(( $(date +%s) - start )) s"
else
  echo "kube build: kube-cluster is up to date"
fi

if [ ! -x "$out/kwok" ]; then
  echo "kube build: installing kwok $kwok_version from the Go module proxy"
  GOBIN="$out" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$kwok_version" >>"$log" 2>&1 \
    || fail "installing kwok $kwok_version failed"
fi

# kwok's own stages (nodes Ready with leases; pods started, Job pods completed, deleted pods removed) are read from
# its module source at run time by scripts/kube/cluster.ts, never copied into this repository. `go install` leaves
# that source in the Go module cache, but `go clean -modcache` removes it: make sure it is there and record where
# (the `go mod download -json` answer, whose Dir is the folder).
kwok_source="$root/.cache/kube/kwok-source.json"
kwok_dir=""
if [ -f "$kwok_source" ] && grep -q "\"Version\": \"$kwok_version\"" "$kwok_source"; then
  kwok_dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' "$kwok_source")
fi
if [ -z "$kwok_dir" ] || [ ! -f "$kwok_dir/kustomize/stage/pod/fast/pod-ready.yaml" ]; then
  command -v go >/dev/null 2>&1 || fail "Go is not installed (needed to download kwok's module source, whose stage files kwok plays). Install Go ≥ 1.26 and run this again."
  echo "kube build: fetching the source of kwok $kwok_version (its stage files) into the Go module cache"
  (cd "$root/.cache/kube" && go mod download -json "sigs.k8s.io/kwok@$kwok_version") > "$kwok_source.tmp" 2>>"$log" \
    || { rm -f "$kwok_source.tmp"; fail "downloading the kwok $kwok_version module source failed (GOPROXY=$(go env GOPROXY))"; }
  mv "$kwok_source.tmp" "$kwok_source"
  kwok_dir=$(sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p' "$kwok_source")
  [ -f "$kwok_dir/kustomize/stage/pod/fast/pod-ready.yaml" ] || fail "the kwok $kwok_version module source in ${kwok_dir:-?} has no stage files"
fi
echo "kube build: ready ($out)"
