#!/usr/bin/env bash
# `npm run check:fresh`: does `npm test` pass on a new machine? Clones the committed HEAD into a temporary folder and
# runs `npm test` there with HOME set to a new, empty folder (no config of code-server, Chromium, VS Code, npm or Go
# from this machine is seen) and a temp folder (TMPDIR) of its own. Only download and build caches stay warm: Go's
# module and build caches and npm's cache (they hold downloads and compiled objects, no settings; a cold Go build
# takes about 10 minutes more).
#
# Afterwards it lists what the run left in that HOME (outside those caches) and in its temp folder: both must be
# empty. Prints the clone path, the elapsed time and npm test's final "N passed, N failed" line. Exit code: npm
# test's when it failed, else 1 when something was left behind, else 0.
# Usage: scripts/fresh-machine.sh [--keep]   (--keep: keep the clone, HOME and temp folder for inspection)
set -uo pipefail

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    *) echo "fresh-machine: unknown argument $arg (usage: scripts/fresh-machine.sh [--keep])" >&2; exit 2 ;;
  esac
done

say() { printf '[fresh-machine] %s\n' "$*"; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
commit="$(git -C "$root" rev-parse HEAD)" || { say "not a git repository: $root"; exit 2; }
if [[ -n "$(git -C "$root" status --porcelain --untracked-files=no)" ]]; then
  say "note: the working tree has uncommitted changes; they are not part of this check (it tests $commit)"
fi

# The warm caches, read from this machine's own settings before HOME changes.
go_mod_cache="" go_build_cache=""
if command -v go >/dev/null 2>&1; then
  go_mod_cache="$(go env GOMODCACHE)"
  go_build_cache="$(go env GOCACHE)"
fi
npm_cache="$(npm config get cache)"

# A short base path: code-server's IPC sockets end up below TMPDIR and a socket path may not exceed 107 bytes.
system_tmp="${TMPDIR:-/tmp}"
base="$(mktemp -d "$system_tmp/eksf.XXXXXX")"
clone="$base/repo" home="$base/home" run_tmp="$base/t"
mkdir -p "$home" "$run_tmp"
cleanup() {
  if [[ "$keep" == 1 ]]; then
    say "kept: $base (clone, HOME, temp folder, npm-test.log); remove it with: rm -rf $base"
  else
    rm -rf "$base"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# The project's own temp names, to spot an entry written to the system temp folder instead of $TMPDIR.
project_tmp_names='^(eksc-|eks-|aws-emulator-|kube-|core-preflight-|core-kubeconfig-|exec-plugin-|vscode-ipc-|vscode-git-|playwright-artifacts-|org\.chromium\.)'
ls -A "$system_tmp" | grep -E "$project_tmp_names" | sort >"$base/system-tmp-before.txt"

say "cloning $commit into $clone"
git clone --quiet "$root" "$clone" && git -C "$clone" checkout --quiet --detach "$commit" || { say "git clone of $root failed"; exit 2; }

# The environment of a new user: this machine's npm and XDG settings are dropped (the outer `npm run` exports its
# whole configuration as npm_config_* variables; Go's settings file lives in the old HOME), only the caches named
# above are passed on.
unset_vars=()
while IFS= read -r name; do
  [[ "$name" =~ ^(npm_|XDG_|INIT_CWD$) ]] && unset_vars+=(-u "$name")
done < <(compgen -e)
run_env=(HOME="$home" TMPDIR="$run_tmp" npm_config_cache="$npm_cache")
[[ -n "$go_mod_cache" ]] && run_env+=(GOMODCACHE="$go_mod_cache" GOCACHE="$go_build_cache")

say "npm test in $clone (HOME=$home, TMPDIR=$run_tmp; warm caches: npm $npm_cache${go_mod_cache:+, Go $go_mod_cache and $go_build_cache})"
started=$SECONDS
(cd "$clone" && env "${unset_vars[@]}" "${run_env[@]}" npm test </dev/null) 2>&1 | tee "$base/npm-test.log"
test_code=${PIPESTATUS[0]}
elapsed=$((SECONDS - started))

# What the run left behind. In HOME, the toolchains' own caches are allowed, as the caches passed on above are:
# every go command writes its usage counters (~/.config/go/telemetry) and its checksum-database cache
# (~/go/pkg/sumdb), and npm ci runs node-gyp for an optional native dependency of @vscode/vsce, which makes its
# header cache (~/.cache/node-gyp). Anything else, files or empty folders, is reported. In the temp folder,
# tsx's compile cache (tsx-<uid>) is kept by tsx on purpose.
tool_caches=(./.config/go/telemetry ./go/pkg/sumdb ./.cache/node-gyp)
prune=()
for dir in "${tool_caches[@]}"; do prune+=(-path "$dir" -o); done
left_in_home="$(cd "$home" && find . -mindepth 1 \( "${prune[@]}" -false \) -prune -o \( -type d -empty -o ! -type d \) -print | sed 's|^\./|~/|' | sort)"
tool_caches_written="$(cd "$home" && for dir in "${tool_caches[@]}"; do [[ -e "$dir" ]] && printf '%s ' "${dir/#./\~}"; done)"
left_in_tmp="$(ls -A "$run_tmp" | grep -vE '^tsx-[0-9]+$' | sort)"
ls -A "$system_tmp" | grep -E "$project_tmp_names" | sort >"$base/system-tmp-after.txt"
new_in_system_tmp="$(comm -13 "$base/system-tmp-before.txt" "$base/system-tmp-after.txt")"

echo
say "clone:   $clone ($commit)"
say "elapsed: $((elapsed / 60)) min $((elapsed % 60)) s"
summary="$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$base/npm-test.log" | tail -n 1)"
say "npm test: ${summary:-no "N passed, N failed" line} (exit code $test_code; log: $base/npm-test.log)"
leftovers=0
if [[ -n "$left_in_home" ]]; then
  leftovers=1
  say "FAIL: files written to the new HOME outside the caches (a user's own config must not be touched):"
  printf '%s\n' "$left_in_home" | head -n 50 | sed 's/^/    /'
else
  say "HOME: nothing written outside the caches${tool_caches_written:+ (toolchain caches: $tool_caches_written)}"
fi
if [[ -n "$left_in_tmp" ]]; then
  leftovers=1
  say "FAIL: left in the run's temp folder ($run_tmp):"
  printf '%s\n' "$left_in_tmp" | head -n 50 | sed 's/^/    /'
else
  say "temp folder: nothing left"
fi
if [[ -n "$new_in_system_tmp" ]]; then
  say "note: entries with the project's temp names appeared in $system_tmp during the run (not under its TMPDIR; another process may have made them):"
  printf '%s\n' "$new_in_system_tmp" | head -n 50 | sed 's/^/    /'
fi
[[ "$leftovers" == 1 && "$keep" == 0 ]] && say "run again with --keep to inspect them"

if [[ "$test_code" != 0 ]]; then exit "$test_code"; fi
exit "$leftovers"
