#!/usr/bin/env bash
# Removes what install-relay.sh added (docs/relay.md, "Installing on Debian/Ubuntu"): the Postfix instance
# postfix-linksecure and its queue, the policy-server unit, the CLI, the unbound drop-in, the resolver change, the
# 'linksecure' user and the system instance's disabled listener. Packages stay unless --purge.
# --dry-run prints every change and makes none.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=relay-common.sh
. "${HERE}/relay-common.sh"

PURGE=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --dry-run) DRY_RUN=1; shift ;;
        --purge) PURGE=1; shift ;;
        -h | --help) printf 'Usage: uninstall-relay.sh [--purge] [--dry-run]\n'; exit 0 ;;
        *) die "unknown argument: $1 (usage: uninstall-relay.sh [--purge] [--dry-run])" 2 ;;
    esac
done
require_root
if [[ "${DRY_RUN}" == 1 ]]; then
    log "dry run: nothing is changed"
fi

step() { log ""; log "== $*"; }

step "1. the Postfix instance ${INSTANCE}"
if postmulti -l 2>/dev/null | awk '{print $1}' | grep -qx "${INSTANCE}"; then
    run systemctl disable --now "postfix@${INSTANCE}"
    # postmulti destroys only a stopped, disabled instance with empty queues (postmulti(1)).
    run postconf -c "${INSTANCE_DIR}" -e multi_instance_enable=no
    run postsuper -c "${INSTANCE_DIR}" -d ALL
    run postmulti -i "${INSTANCE}" -e destroy
else
    log "absent: instance ${INSTANCE}"
fi
if state_has postmulti-init; then
    run postconf -X multi_instance_wrapper multi_instance_directories
fi
remove_path "${INSTANCE_DIR}"
remove_path "${QUEUE_DIR}"
remove_path "${DATA_DIR}"
if state_has default-master_service_disable; then
    previous="$(state_get default-master_service_disable)"
    if [[ -z "${previous}" ]]; then
        run postconf -X master_service_disable
    else
        run postconf -e "master_service_disable = ${previous}"
    fi
    run systemctl reload postfix@-
fi

step "2. the policy server unit"
if [[ -f "${UNIT_FILE}" ]]; then
    run systemctl disable --now "${UNIT_NAME}"
fi
remove_path "${UNIT_FILE}"
run systemctl daemon-reload

step "3. the CLI and its configuration"
remove_path "${BIN_LINK}"
remove_path "${APP_DIR}"
remove_path "${CONFIG_DIR}"

step "4. the resolver and unbound"
if state_has resolv && [[ -e "${STATE_DIR}/resolv.conf.orig" || -L "${STATE_DIR}/resolv.conf.orig" ]]; then
    run rm -f "${RESOLV_CONF}"
    run cp -P --preserve=all "${STATE_DIR}/resolv.conf.orig" "${RESOLV_CONF}"
else
    log "unchanged: ${RESOLV_CONF}"
fi
if [[ -f "${UNBOUND_CONF}" ]]; then
    remove_path "${UNBOUND_CONF}"
    run systemctl restart unbound
fi

step "5. the '${SERVICE_USER}' user"
if state_has user && id -u "${SERVICE_USER}" >/dev/null 2>&1; then
    run userdel "${SERVICE_USER}"
else
    log "kept: no user ${SERVICE_USER} created by install"
fi

step "6. packages"
if [[ "${PURGE}" == 1 ]]; then
    packages="postfix unbound"
    if state_has packages; then
        packages="$(state_get packages)"
    fi
    # shellcheck disable=SC2086 # a list of package names
    run env DEBIAN_FRONTEND=noninteractive apt-get purge -y ${packages}
else
    log "kept: postfix and unbound (--purge removes them)"
fi
remove_path "${STATE_DIR}"

step "done"
