#!/usr/bin/env bash
# Installs code-server (= VS Code in the browser, the same extension host as desktop VS Code) into the
# git-ignored .cache/code-server/, for the real-VS-Code test bench. Desktop VS Code cannot be downloaded on
# our machines; the npm registry and Debian packages can be reached. The reasons are in the step comments below.
#
# Idempotent: a marker file records a finished install, so a second run only checks the marker, the binary
# and the Debian packages and exits. Works as root without a TTY (CI). Never touches the project's own
# node_modules or package.json: code-server lives in its own folder with its own tiny package.json.
#
# Never touches the user's own code-server config either: code-server runs here with its own HOME, config file
# and data folders in <install folder>-home (default <repo>/.cache/code-server-home).
#
# Environment: EKS_CODE_SERVER_DIR overrides the install folder (default <repo>/.cache/code-server).
set -Eeuo pipefail # -E: the ERR trap also fires inside functions (step)

readonly VERSION=4.100.3 # = VS Code 1.100.3; 4.101+ need Node 22, our machines have Node 20
readonly APT_PACKAGES=(libkrb5-dev pkg-config ripgrep chromium)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="${EKS_CODE_SERVER_DIR:-$ROOT/.cache/code-server}"
MARKER="$DEST/.installed"
BIN="$DEST/node_modules/code-server/out/node/entry.js"
LOG="$DEST/install.log"
VSCODE_DIR="$DEST/node_modules/code-server/lib/vscode"
# code-server's HOME while this script runs it: without an explicit config file its first run writes
# ~/.config/code-server/config.yaml (with a password) and says so on stdout, before the version.
CS_HOME="$DEST-home"

say() { printf '[install-code-server] %s\n' "$*"; }

missing_apt_packages() {
  local p status
  for p in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || printf '%s ' "$p"
  done
}

# Fast path: nothing to do when the marker names this version, the entry point exists and apt is complete.
if [[ -f "$MARKER" && "$(cat "$MARKER" 2>/dev/null)" == "code-server@$VERSION" && -f "$BIN" && -z "$(missing_apt_packages)" ]]; then
  say "code-server $VERSION already installed in $DEST (marker $MARKER); nothing to do"
  exit 0
fi

# Serialise concurrent runs (e.g. two npm scripts started together) on a lock beside the install folder.
mkdir -p "$(dirname "$DEST")"
exec 9>"$DEST.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
  # Another run may have finished while we waited.
  if [[ -f "$MARKER" && "$(cat "$MARKER")" == "code-server@$VERSION" && -f "$BIN" && -z "$(missing_apt_packages)" ]]; then
    say "code-server $VERSION installed by a concurrent run; nothing to do"
    exit 0
  fi
fi

CURRENT_STEP="(start)"
on_error() {
  local rc=$?
  say "FAILED at step: $CURRENT_STEP (exit code $rc)"
  say "full log: $LOG"
  if [[ -f "$LOG" ]]; then
    say "last lines of the log:"
    tail -n 25 "$LOG" | sed 's/^/    /'
  fi
  exit "$rc"
}
trap on_error ERR

# step <name> <command...>: runs the command with its output in the log, stdin closed (no TTY in CI).
step() {
  CURRENT_STEP="$1"
  shift
  local started=$SECONDS
  say "$CURRENT_STEP ..."
  printf '\n=== %s: %s\n$ %s\n' "$(date -Is)" "$CURRENT_STEP" "$*" >>"$LOG"
  "$@" >>"$LOG" 2>&1 </dev/null
  say "$CURRENT_STEP done ($((SECONDS - started)) s)"
}

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" != "20" ]]; then
  say "code-server $VERSION needs Node 20 (found $(node -v)); pin another code-server version for this Node"
  exit 1
fi

# Start from a clean folder: a half-finished install (no marker) is not worth repairing.
rm -rf "$DEST" "$CS_HOME"
mkdir -p "$DEST"
: >"$LOG"
say "installing code-server $VERSION into $DEST (log: $LOG)"
total_started=$SECONDS

# --- 1. Debian packages: GSSAPI headers for the native `kerberos` module, ripgrep (its npm package would
#        download a binary from GitHub), Chromium to drive the workbench. apt-get update only when needed.
missing="$(missing_apt_packages)"
if [[ -n "$missing" ]]; then
  if [[ "$(id -u)" != 0 ]]; then
    say "missing Debian packages: $missing; run as root or install them first"
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  step "apt-get update" apt-get update -q
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  step "apt-get install $missing" apt-get install -y -q $missing
else
  say "Debian packages present: ${APT_PACKAGES[*]}"
fi

# --- npm settings for all steps below.
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export npm_config_yes=true         # node-pty's install runs `npx node-gyp`, refused when yes=false
# Native modules compile against the Node headers the image ships under /usr/include/node (offline).
if [[ -z "${npm_config_nodedir:-}" && -f /usr/include/node/node.h ]]; then
  export npm_config_nodedir=/usr
fi

# --- 2. code-server itself, in a package of its own. Install scripts are skipped and their work is done
#        explicitly below: some would download from GitHub (unreachable), code-server's postinstall.sh runs
#        npm itself, and npm 11's allowScripts policy would otherwise have to approve each package.
cat >"$DEST/package.json" <<EOF
{
  "name": "eks-connector-code-server",
  "private": true,
  "description": "code-server for the EKS Connector real-VS-Code test bench (installed by scripts/vscode/install-code-server.sh)",
  "dependencies": { "code-server": "$VERSION" }
}
EOF
cd "$DEST"
step "npm install code-server@$VERSION (no scripts)" npm install --ignore-scripts --no-audit --no-fund

# --- 3. VS Code's own dependencies (what code-server's postinstall.sh would do), native modules rebuilt.
cd "$VSCODE_DIR"
step "npm install in lib/vscode (no scripts)" npm install --omit=dev --ignore-scripts --no-audit --no-fund
# @vscode/ripgrep's postinstall skips its GitHub download when bin/ already holds the binary.
step "copy Debian ripgrep into @vscode/ripgrep" bash -c 'mkdir -p node_modules/@vscode/ripgrep/bin && cp /usr/bin/rg node_modules/@vscode/ripgrep/bin/rg'
step "npm rebuild in lib/vscode (node-pty, kerberos, spdlog, watcher, ...)" npm rebuild

# --- 4. The rest of code-server's postinstall.sh: symlinks and the built-in extensions' shared dependencies.
step "postinstall symlinks" bash -c '
  set -e
  rm -rf node_modules.asar && ln -s node_modules node_modules.asar
  (cd bin/remote-cli && rm -f code-server && ln -s code-linux.sh code-server)
  (cd bin/helpers && rm -f browser.sh && ln -s browser-linux.sh browser.sh)'
cd "$VSCODE_DIR/extensions"
step "npm install in lib/vscode/extensions" npm install --omit=dev --ignore-scripts --no-audit --no-fund
step "trim extensions' typescript (their postinstall)" node ./postinstall.mjs

# --- 5. argon2 (code-server's password hashing) is native too.
cd "$DEST"
step "npm rebuild argon2" npm rebuild argon2

# --- 6. Smoke check: the server prints its version and the native modules load.
# (no `tee /dev/stderr` here: reopening the log through /dev/stderr would truncate it)
mkdir -p "$CS_HOME/config" "$CS_HOME/data"
printf 'auth: none\ncert: false\n' >"$CS_HOME/config/config.yaml"
# The version line is found among whatever else it prints (log lines start with "[<time>]").
check_version() {
  local out
  out="$(env HOME="$CS_HOME" XDG_CONFIG_HOME="$CS_HOME/config" XDG_DATA_HOME="$CS_HOME/data" XDG_CACHE_HOME="$CS_HOME/cache" \
    node "$BIN" --config "$CS_HOME/config/config.yaml" --user-data-dir "$CS_HOME/data/user-data" --version)"
  echo "$out"
  if ! grep -q "^${VERSION//./\\.} " <<<"$out"; then
    echo "no line starting with '$VERSION ' in the output of code-server --version"
    return 1
  fi
}
step "check code-server --version" check_version
step "check native modules load" node -e "
  const path = require('node:path');
  for (const m of ['node-pty', 'kerberos', '@vscode/spdlog', '@parcel/watcher', 'native-watchdog']) {
    require(path.join('$VSCODE_DIR', 'node_modules', m));
  }
  require(path.join('$DEST', 'node_modules', 'argon2'));"

echo "code-server@$VERSION" >"$MARKER"
trap - ERR
say "code-server $VERSION installed in $((SECONDS - total_started)) s: $BIN"
