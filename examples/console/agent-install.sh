#!/bin/sh
# Installs the coffer agent on this machine and enrolls it with the console
# that served this script:
#   curl -fsSL CONSOLE/install.sh | sudo sh -s -- --token TOKEN [options]
# The console fills in the @@...@@ values when it serves the script (its URL,
# the SHA-256 of each file it hands out); the token never appears here.
set -eu

CONSOLE_URL=@@CONSOLE_URL@@
COFFER_VERSION=@@COFFER_VERSION@@
AGENT_ARCH=@@AGENT_ARCH@@
COFFER_SHA256=@@COFFER_SHA256@@
LIB_NAME=@@LIB_NAME@@
LIB_SHA256=@@LIB_SHA256@@
LIB_SONAME=@@LIB_SONAME@@

usage() {
  cat <<EOF
usage: sh install.sh --token TOKEN [options]

Installs coffer $COFFER_VERSION (the CLI and libcoffer) from $CONSOLE_URL,
verifies each file's SHA-256, enrolls this machine as an agent and, as root
on a systemd machine, starts the coffer-agent service.

  --token TOKEN          one-time enrollment token from the console (required)
  --prefix DIR           install into DIR/bin and DIR/lib (default /usr/local)
  --cacert FILE          CA certificate(s) to verify the console's HTTPS (a private CA)
  --console URL          console URL (default $CONSOLE_URL)
  --config FILE          agent config (default /etc/coffer/agent.json as root,
                         else coffer's default ~/.config/coffer/agent.json)
  --state-dir DIR        agent state and report queue (default /var/lib/coffer-agent as root)
  --cache-dir DIR        backup files cache
  --password-file FILE   repository password file (it never leaves this machine)
  --repository REPO      repository to use when the policy names none
  --host NAME            host name for snapshots (default: this machine's)
  --force                enroll again, replacing an existing agent config
  --no-service           do not install or start the systemd service
EOF
}

say() { printf 'coffer-install: %s\n' "$*"; }
die() {
  printf 'coffer-install: error: %s\n' "$*" >&2
  exit 1
}

TOKEN=
PREFIX=/usr/local
CACERT=
CONFIG=
STATE_DIR=
CACHE_DIR=
PASSWORD_FILE=
REPOSITORY=
HOST=
FORCE=
SERVICE=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --token | --prefix | --cacert | --console | --config | --state-dir | --cache-dir | \
      --password-file | --repository | --host)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --token) TOKEN=$2 ;;
        --prefix) PREFIX=$2 ;;
        --cacert) CACERT=$2 ;;
        --console) CONSOLE_URL=$2 ;;
        --config) CONFIG=$2 ;;
        --state-dir) STATE_DIR=$2 ;;
        --cache-dir) CACHE_DIR=$2 ;;
        --password-file) PASSWORD_FILE=$2 ;;
        --repository) REPOSITORY=$2 ;;
        --host) HOST=$2 ;;
      esac
      shift 2
      ;;
    --force) FORCE=yes && shift ;;
    --no-service) SERVICE= && shift ;;
    -h | --help) usage && exit 0 ;;
    *) usage >&2 && die "unknown option: $1" ;;
  esac
done
[ -n "$TOKEN" ] || {
  usage >&2
  die "--token TOKEN is required (make one in the console: Agents, Create enrollment token)"
}
if [ -n "$CACERT" ]; then
  [ -r "$CACERT" ] || die "--cacert $CACERT: no such readable file"
  # The agent's config keeps this path: make it absolute.
  CACERT=$(cd "$(dirname "$CACERT")" && pwd)/$(basename "$CACERT")
fi

MACHINE=$(uname -m)
[ "$MACHINE" = "$AGENT_ARCH" ] ||
  die "this machine is $MACHINE but the console hands out coffer for $AGENT_ARCH"
command -v curl >/dev/null 2>&1 || die "curl is needed (apt-get install curl)"

IS_ROOT=
[ "$(id -u)" = 0 ] && IS_ROOT=yes
if [ -n "$IS_ROOT" ]; then
  [ -n "$CONFIG" ] || CONFIG=/etc/coffer/agent.json
  [ -n "$STATE_DIR" ] || STATE_DIR=/var/lib/coffer-agent
fi

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    die "sha256sum or openssl is needed to verify the downloads"
  fi
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

# fetch NAME SHA256: downloads CONSOLE_URL/agent/NAME into $WORK and checks it.
fetch() {
  url="$CONSOLE_URL/agent/$1"
  if [ -n "$CACERT" ]; then
    curl -fsS --cacert "$CACERT" -o "$WORK/$1" "$url" || die "download failed: $url"
  else
    curl -fsS -o "$WORK/$1" "$url" || die "download failed: $url"
  fi
  actual=$(sha256_of "$WORK/$1")
  [ "$actual" = "$2" ] ||
    die "checksum mismatch for $1: expected SHA-256 $2, got $actual (nothing was installed)"
  say "downloaded $1 (SHA-256 verified)"
}

say "installing coffer $COFFER_VERSION from $CONSOLE_URL into $PREFIX"
fetch coffer "$COFFER_SHA256"
fetch "$LIB_NAME" "$LIB_SHA256"

# Each file is copied next to its place and renamed over it, so a running
# agent keeps its old files and a failed copy leaves nothing half-written.
mkdir -p "$PREFIX/bin" "$PREFIX/lib" ||
  die "cannot create $PREFIX/bin and $PREFIX/lib (run as root, or choose another --prefix)"
PREFIX=$(cd "$PREFIX" && pwd)
install -m 0644 "$WORK/$LIB_NAME" "$PREFIX/lib/.$LIB_NAME.new" ||
  die "cannot write $PREFIX/lib (run as root, or choose another --prefix)"
mv -f "$PREFIX/lib/.$LIB_NAME.new" "$PREFIX/lib/$LIB_NAME"
[ "$LIB_NAME" = "$LIB_SONAME" ] || ln -sf "$LIB_NAME" "$PREFIX/lib/$LIB_SONAME"
install -m 0755 "$WORK/coffer" "$PREFIX/bin/.coffer.new" || die "cannot write $PREFIX/bin"
mv -f "$PREFIX/bin/.coffer.new" "$PREFIX/bin/coffer"
COFFER="$PREFIX/bin/coffer"

if ! "$COFFER" --version >/dev/null 2>&1; then
  missing=$(ldd "$COFFER" 2>/dev/null | grep 'not found' | sed 's/^[[:space:]]*//' || true)
  [ -z "$missing" ] || die "$COFFER cannot start; missing libraries (install them from the distribution's packages):
$missing"
  die "$COFFER was installed but does not run: $("$COFFER" --version 2>&1 || true)"
fi
say "installed $("$COFFER" --version) to $COFFER"

# Enroll. The token is used once; the credential goes into the config file.
set -- agent
[ -z "$CONFIG" ] || set -- "$@" --config "$CONFIG"
set -- "$@" enroll --console "$CONSOLE_URL" --token "$TOKEN"
[ -z "$STATE_DIR" ] || set -- "$@" --state-dir "$STATE_DIR"
[ -z "$CACHE_DIR" ] || set -- "$@" --cache-dir "$CACHE_DIR"
[ -z "$PASSWORD_FILE" ] || set -- "$@" --password-file "$PASSWORD_FILE"
[ -z "$REPOSITORY" ] || set -- "$@" --repository "$REPOSITORY"
[ -z "$HOST" ] || set -- "$@" --host "$HOST"
[ -z "$CACERT" ] || set -- "$@" --ca-file "$CACERT"
[ -z "$FORCE" ] || set -- "$@" --force
if [ -n "$CONFIG" ]; then
  mkdir -p "$(dirname "$CONFIG")" || die "cannot create the directory of $CONFIG"
fi
"$COFFER" "$@" ||
  die "enrollment failed (see the message above); coffer is installed in $PREFIX. Run this again once that is fixed; a used or expired token: make a new one in the console"

RUN_CONFIG=
[ -z "$CONFIG" ] || RUN_CONFIG=" --config $CONFIG"
# COFFER_INSTALL_SYSTEMD_ROOT (normally unset) puts /run/systemd and the unit
# under another directory: the tests check the unit this writes there.
SYSTEMD_ROOT=${COFFER_INSTALL_SYSTEMD_ROOT:-}
if [ -n "$SERVICE" ] && [ -n "$IS_ROOT" ] && [ -d "$SYSTEMD_ROOT/run/systemd/system" ] &&
  command -v systemctl >/dev/null 2>&1; then
  UNIT=$SYSTEMD_ROOT/etc/systemd/system/coffer-agent.service
  cat >"$UNIT.new" <<'UNIT_EOF' || die "cannot write $UNIT.new"
@@SERVICE_UNIT@@
UNIT_EOF
  # The unit names the default paths; point it at this installation.
  sed -e "s#/usr/local/bin/coffer#$COFFER#" -e "s#/etc/coffer/agent.json#$CONFIG#" \
    "$UNIT.new" >"$UNIT" || die "cannot write $UNIT"
  rm -f "$UNIT.new"
  systemctl daemon-reload || die "systemctl daemon-reload failed"
  systemctl enable coffer-agent.service || die "systemctl enable coffer-agent failed"
  systemctl restart coffer-agent.service ||
    die "the coffer-agent service did not start: see journalctl -u coffer-agent"
  say "the coffer-agent service is running (journalctl -u coffer-agent shows its log)"
  say "repository password: --password-file at enrollment, or COFFER_PASSWORD in /etc/coffer/agent.env"
else
  say "enrolled; start the agent daemon with:"
  say "  $COFFER agent$RUN_CONFIG run"
fi
