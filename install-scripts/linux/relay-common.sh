# Shared by install-relay.sh and uninstall-relay.sh (sourced, not run). docs/relay.md, "Installing on Debian/Ubuntu".
# Every change goes through one of the functions below, so --dry-run prints each change and makes none.

# Paths (overridable from the environment for a staged install; the tests use only --dry-run).
LINKSECURE_ROOT="${LINKSECURE_ROOT:-}"
INSTANCE="postfix-linksecure"
INSTANCE_DIR="${LINKSECURE_ROOT}/etc/${INSTANCE}"
QUEUE_DIR="/var/spool/${INSTANCE}"
DATA_DIR="/var/lib/${INSTANCE}"
APP_DIR="${LINKSECURE_ROOT}/opt/linksecure"
BIN_LINK="${LINKSECURE_ROOT}/usr/local/bin/linksecure"
CONFIG_DIR="${LINKSECURE_ROOT}/etc/linksecure"
STATE_DIR="${LINKSECURE_ROOT}/var/lib/linksecure/install"
UNIT_NAME="linksecure-policy-server.service"
UNIT_FILE="${LINKSECURE_ROOT}/etc/systemd/system/${UNIT_NAME}"
UNBOUND_CONF="${LINKSECURE_ROOT}/etc/unbound/unbound.conf.d/linksecure.conf"
RESOLV_CONF="${LINKSECURE_ROOT}/etc/resolv.conf"
SERVICE_USER="linksecure"

DRY_RUN=0

log() { printf '%s\n' "$*"; }

# warn TEXT...: a warning on stderr (the words joined by spaces); the install goes on.
warn() { printf 'warning: %s\n' "$*" >&2; }

# die TEXT [CODE]: an error on stderr and exit CODE (default 1).
die() {
    printf 'error: %s\n' "$1" >&2
    exit "${2:-1}"
}

# run CMD ARGS...: runs a command that changes the system, or prints it under --dry-run.
run() {
    if [[ "${DRY_RUN}" == 1 ]]; then
        log "would run: $*"
    else
        log "run: $*"
        "$@"
    fi
}

# put_file DEST MODE: writes stdin to DEST with MODE when the content differs (idempotent).
put_file() {
    local dest="$1" mode="$2" tmp
    tmp="$(mktemp)"
    cat >"${tmp}"
    if [[ -f "${dest}" ]] && cmp -s "${tmp}" "${dest}"; then
        log "unchanged: ${dest}"
        rm -f "${tmp}"
        return 0
    fi
    if [[ "${DRY_RUN}" == 1 ]]; then
        log "would write: ${dest} (mode ${mode}, $(wc -l <"${tmp}") lines)"
        rm -f "${tmp}"
        return 0
    fi
    mkdir -p "$(dirname "${dest}")"
    install -m "${mode}" "${tmp}" "${dest}.linksecure-new"
    mv -f "${dest}.linksecure-new" "${dest}"
    rm -f "${tmp}"
    log "wrote: ${dest}"
}

# remove_path PATH: removes a file, symlink or directory tree when present.
remove_path() {
    local path="$1"
    if [[ -e "${path}" || -L "${path}" ]]; then
        run rm -rf -- "${path}"
    else
        log "absent: ${path}"
    fi
}

# state_has KEY: whether install recorded KEY (one "KEY=VALUE" or "KEY" per line in the state file).
state_has() { [[ -f "${STATE_DIR}/state" ]] && grep -q -E "^$1(=|$)" "${STATE_DIR}/state"; }

# state_get KEY: the recorded value of KEY.
state_get() { sed -n "s/^$1=//p" "${STATE_DIR}/state" | head -n 1; }

# state_add KEY[=VALUE]: records a change install made, once.
state_add() {
    local key="${1%%=*}"
    if state_has "${key}"; then
        return 0
    fi
    if [[ "${DRY_RUN}" == 1 ]]; then
        log "would record: $1"
        return 0
    fi
    mkdir -p "${STATE_DIR}"
    printf '%s\n' "$1" >>"${STATE_DIR}/state"
}

require_root() {
    if [[ "${DRY_RUN}" != 1 && "$(id -u)" != 0 ]]; then
        die "run as root (or with --dry-run to see the plan)" 1
    fi
}

package_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
