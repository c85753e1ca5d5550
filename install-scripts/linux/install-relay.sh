#!/usr/bin/env bash
# Installs the LinkSecure relay on Debian/Ubuntu (docs/relay.md, "Installing on Debian/Ubuntu"):
#   postfix and unbound (the local DNSSEC-validating resolver, on 127.0.0.1 and ::1 only, with the root trust anchor);
#   a self-contained linux-x64 build of the CLI in /opt/linksecure (no .NET runtime on the host);
#   the 'linksecure' system user and the policy-server unit (linksecure-policy-server.service);
#   a private Postfix instance postfix-linksecure written by 'linksecure relay config'.
# Idempotent: a second run changes nothing that is already right. --dry-run prints every change and makes none.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=relay-common.sh
. "${HERE}/relay-common.sh"

usage() {
    cat <<'USAGE'
Usage: install-relay.sh --hostname NAME --listen ADDR:PORT --exchange CIDR [--exchange CIDR]...
                        --cert FILE --key FILE [--client-cert-fingerprint SHA256]...
                        [--return-host HOST [--return-host HOST]... --return-cert-name NAME [--return-cert-name NAME]...
                         [--return-domain DOMAIN]... [--return-port PORT]]
                        [--config FILE] [--from DIR] [--dry-run]

  --hostname NAME    the relay's host name; a name on its certificate (the Send connector's TlsDomain)
  --listen ADDR:PORT the address and port Exchange connects to (e.g. 192.0.2.1:25)
  --exchange CIDR    an Exchange server address or network allowed to send (repeatable, at least one)
  --cert, --key      PEM certificate chain and key the relay presents to Exchange
  --client-cert-fingerprint SHA256   an Exchange client certificate also allowed to send (repeatable)
  --return-host HOST an Exchange server (host name or IP address) the relay returns the organisation's own mail to:
                     its DSNs to the envelope sender (repeatable, tried in order; docs/relay.md, "DSNs and the return route")
  --return-cert-name NAME   a name on the Exchange servers' certificate (*.x for any name under x) the return route
                     requires over TLS (repeatable; required with --return-host)
  --return-domain DOMAIN    an organisation domain that takes the return route (repeatable; *.x for its subdomains);
                     default: the configuration's internalDomains
  --return-port PORT the SMTP port of --return-host (default 25)
  --config FILE      LinkSecure.config.json to install as /etc/linksecure/LinkSecure.config.json
  --from DIR         folder holding a published 'linksecure' executable; default: publish it from this repository
  --dry-run          print every change and make none
USAGE
}

HOSTNAME_ARG=""
LISTEN=""
CERT=""
KEY=""
CONFIG=""
FROM=""
EXCHANGE=()
FINGERPRINTS=()
RETURN_HOSTS=()
RETURN_CERT_NAMES=()
RETURN_DOMAINS=()
RETURN_PORT=""

while [[ $# -gt 0 ]]; do
    case "$1" in
        --hostname) HOSTNAME_ARG="${2:?--hostname needs a value}"; shift 2 ;;
        --listen) LISTEN="${2:?--listen needs a value}"; shift 2 ;;
        --exchange) EXCHANGE+=("${2:?--exchange needs a value}"); shift 2 ;;
        --client-cert-fingerprint) FINGERPRINTS+=("${2:?--client-cert-fingerprint needs a value}"); shift 2 ;;
        --return-host) RETURN_HOSTS+=("${2:?--return-host needs a value}"); shift 2 ;;
        --return-cert-name) RETURN_CERT_NAMES+=("${2:?--return-cert-name needs a value}"); shift 2 ;;
        --return-domain) RETURN_DOMAINS+=("${2:?--return-domain needs a value}"); shift 2 ;;
        --return-port) RETURN_PORT="${2:?--return-port needs a value}"; shift 2 ;;
        --cert) CERT="${2:?--cert needs a value}"; shift 2 ;;
        --key) KEY="${2:?--key needs a value}"; shift 2 ;;
        --config) CONFIG="${2:?--config needs a value}"; shift 2 ;;
        --from) FROM="${2:?--from needs a value}"; shift 2 ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" 2 ;;
    esac
done

[[ -n "${HOSTNAME_ARG}" ]] || { usage >&2; die "--hostname is required" 2; }
[[ -n "${LISTEN}" ]] || { usage >&2; die "--listen is required" 2; }
[[ ${#EXCHANGE[@]} -gt 0 ]] || { usage >&2; die "--exchange is required: the relay accepts mail from the named Exchange servers only" 2; }
for network in "${EXCHANGE[@]}"; do
    case "${network}" in
        */0 | 0.0.0.0 | ::) die "--exchange ${network} names every address: that would be an open relay" 2 ;;
    esac
done
[[ -n "${CERT}" && -n "${KEY}" ]] || { usage >&2; die "--cert and --key are required" 2; }
[[ -f "${CERT}" ]] || die "--cert ${CERT} does not exist" 2
[[ -f "${KEY}" ]] || die "--key ${KEY} does not exist" 2
# The return route's own checks are the CLI's ('linksecure relay config'); these only refuse, before any change, a
# combination it would refuse at the last step.
if [[ ${#RETURN_HOSTS[@]} -gt 0 ]]; then
    [[ ${#RETURN_CERT_NAMES[@]} -gt 0 ]] || { usage >&2; die "--return-host needs --return-cert-name: the return route requires TLS with a certificate valid for that name" 2; }
    [[ ${#RETURN_DOMAINS[@]} -gt 0 || -n "${CONFIG}" ]] || { usage >&2; die "--return-host needs --return-domain (or --config with internalDomains): the organisation's domains that take the return route" 2; }
elif [[ ${#RETURN_CERT_NAMES[@]} -gt 0 || ${#RETURN_DOMAINS[@]} -gt 0 || -n "${RETURN_PORT}" ]]; then
    usage >&2
    die "--return-cert-name, --return-domain and --return-port need --return-host (the Exchange servers to return the organisation's mail to)" 2
fi
if [[ -n "${RETURN_PORT}" ]] && ! [[ "${RETURN_PORT}" =~ ^[0-9]{1,5}$ && "${RETURN_PORT}" -ge 1 && "${RETURN_PORT}" -le 65535 ]]; then
    die "--return-port ${RETURN_PORT} is not a port (1 to 65535)" 2
fi
[[ -z "${CONFIG}" || -f "${CONFIG}" ]] || die "--config ${CONFIG} does not exist" 2
[[ -z "${FROM}" || -x "${FROM}/linksecure" ]] || die "--from ${FROM} has no executable 'linksecure'" 2
[[ -f "${HERE}/${UNIT_NAME}" ]] || die "${HERE}/${UNIT_NAME} is missing" 2
require_root
CERT="$(readlink -f "${CERT}")"
KEY="$(readlink -f "${KEY}")"

if [[ "${DRY_RUN}" == 1 ]]; then
    log "dry run: nothing is changed"
fi
if [[ ${#RETURN_HOSTS[@]} -eq 0 ]]; then
    warn "no --return-host: the relay's DSNs to the organisation's own senders will use its public MX under the strict map" \
        "(normally 'secure': a certificate valid for the organisation's domain); if that MX's certificate is not, they are" \
        "deferred and finally lost. Give --return-host and --return-cert-name (docs/relay.md, \"DSNs and the return route\")."
fi

step() { log ""; log "== $*"; }

step "1. packages: postfix, unbound, ca-certificates"
missing=()
for package in postfix unbound ca-certificates; do
    package_installed "${package}" || missing+=("${package}")
done
if [[ ${#missing[@]} -gt 0 ]]; then
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
    state_add "packages=${missing[*]}"
else
    log "installed: postfix unbound ca-certificates"
fi

step "2. unbound: validating resolver on 127.0.0.1 and ::1 only, root trust anchor"
{
    printf '# Written by install-relay.sh (LinkSecure relay): the validating resolver Postfix uses for DANE.\n'
    printf 'server:\n'
    printf '    interface: 127.0.0.1\n'
    printf '    interface: ::1\n'
    printf '    access-control: 0.0.0.0/0 refuse\n'
    printf '    access-control: ::/0 refuse\n'
    printf '    access-control: 127.0.0.0/8 allow\n'
    printf '    access-control: ::1/128 allow\n'
    printf '    val-permissive-mode: no\n'
    # Debian's root-auto-trust-anchor-file.conf already names the RFC 5011-managed root key; add it only when absent.
    if [[ ! -f "${LINKSECURE_ROOT}/etc/unbound/unbound.conf.d/root-auto-trust-anchor-file.conf" ]]; then
        printf '    auto-trust-anchor-file: "/var/lib/unbound/root.key"\n'
    fi
} | put_file "${UNBOUND_CONF}" 0644
run unbound-checkconf
run systemctl enable unbound
run systemctl restart unbound

step "3. resolver: Postfix asks unbound (trust-ad keeps the AD bit that DANE needs)"
{
    printf '# Written by install-relay.sh (LinkSecure relay); the previous file is in %s.\n' "${STATE_DIR}/resolv.conf.orig"
    printf 'nameserver 127.0.0.1\n'
    printf 'options edns0 trust-ad\n'
} >"${TMPDIR:-/tmp}/linksecure-resolv.$$"
if ! cmp -s "${TMPDIR:-/tmp}/linksecure-resolv.$$" "${RESOLV_CONF}" && ! state_has resolv; then
    run mkdir -p "${STATE_DIR}"
    run cp -P --preserve=all "${RESOLV_CONF}" "${STATE_DIR}/resolv.conf.orig"
    state_add resolv
    if [[ -L "${RESOLV_CONF}" ]]; then
        run rm -f "${RESOLV_CONF}"
    fi
fi
put_file "${RESOLV_CONF}" 0644 <"${TMPDIR:-/tmp}/linksecure-resolv.$$"
rm -f "${TMPDIR:-/tmp}/linksecure-resolv.$$"

step "4. system user '${SERVICE_USER}'"
if id -u "${SERVICE_USER}" >/dev/null 2>&1; then
    log "exists: user ${SERVICE_USER}"
else
    run useradd --system --home-dir /var/lib/linksecure --no-create-home --shell /usr/sbin/nologin "${SERVICE_USER}"
    state_add user
fi

step "5. the CLI: self-contained linux-x64 build in ${APP_DIR}"
if [[ -z "${FROM}" ]]; then
    REPO="$(cd "${HERE}/../.." && pwd)"
    [[ -f "${REPO}/src/LinkSecure.Cli/LinkSecure.Cli.csproj" ]] || die "not in the repository: give --from DIR" 2
    FROM="${STATE_DIR}/publish"
    run dotnet publish "${REPO}/src/LinkSecure.Cli" -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o "${FROM}"
fi
if [[ -f "${APP_DIR}/linksecure" ]] && cmp -s "${FROM}/linksecure" "${APP_DIR}/linksecure"; then
    log "unchanged: ${APP_DIR}/linksecure"
else
    run install -d -m 0755 "${APP_DIR}"
    run install -m 0755 "${FROM}/linksecure" "${APP_DIR}/linksecure"
fi
if [[ "$(readlink "${BIN_LINK}" 2>/dev/null || true)" != "${APP_DIR}/linksecure" ]]; then
    run install -d -m 0755 "$(dirname "${BIN_LINK}")"
    run ln -sfn "${APP_DIR}/linksecure" "${BIN_LINK}"
else
    log "unchanged: ${BIN_LINK}"
fi
if [[ -n "${CONFIG}" ]]; then
    put_file "${CONFIG_DIR}/LinkSecure.config.json" 0644 <"${CONFIG}"
fi

step "6. the policy server unit (${UNIT_NAME})"
put_file "${UNIT_FILE}" 0644 <"${HERE}/${UNIT_NAME}"
run systemctl daemon-reload
run systemctl enable "${UNIT_NAME}"
run systemctl restart "${UNIT_NAME}"

step "7. the Postfix instance ${INSTANCE} (${INSTANCE_DIR})"
if [[ "$(postconf -h multi_instance_wrapper 2>/dev/null || true)" == "" ]]; then
    run postmulti -e init
    state_add postmulti-init
else
    log "enabled: postmulti"
fi
if postmulti -l 2>/dev/null | awk '{print $1}' | grep -qx "${INSTANCE}"; then
    log "exists: instance ${INSTANCE}"
else
    run postmulti -I "${INSTANCE}" -e create
    state_add instance
fi
relay_args=(relay config --out "${INSTANCE_DIR}" --listen "${LISTEN}" --hostname "${HOSTNAME_ARG}" --cert "${CERT}" --key "${KEY}"
    --queue-directory "${QUEUE_DIR}" --data-directory "${DATA_DIR}")
for network in "${EXCHANGE[@]}"; do relay_args+=(--exchange "${network}"); done
for fingerprint in "${FINGERPRINTS[@]+"${FINGERPRINTS[@]}"}"; do relay_args+=(--client-cert-fingerprint "${fingerprint}"); done
for host in "${RETURN_HOSTS[@]+"${RETURN_HOSTS[@]}"}"; do relay_args+=(--return-host "${host}"); done
for name in "${RETURN_CERT_NAMES[@]+"${RETURN_CERT_NAMES[@]}"}"; do relay_args+=(--return-cert-name "${name}"); done
for domain in "${RETURN_DOMAINS[@]+"${RETURN_DOMAINS[@]}"}"; do relay_args+=(--return-domain "${domain}"); done
if [[ -n "${RETURN_PORT}" ]]; then
    relay_args+=(--return-port "${RETURN_PORT}")
fi
if [[ -n "${CONFIG}" ]]; then
    relay_args+=(--config "${CONFIG_DIR}/LinkSecure.config.json")
fi
run "${APP_DIR}/linksecure" "${relay_args[@]}"
# The system instance keeps local mail but gives up its port-25 listener when the relay takes port 25.
if [[ "${LISTEN##*:}" == 25 ]]; then
    current="$(postconf -h master_service_disable 2>/dev/null || true)"
    if [[ "${current}" != *inet* ]]; then
        state_add "default-master_service_disable=${current}"
        run postconf -e "master_service_disable = inet"
        run systemctl reload postfix@-
    else
        log "unchanged: the system instance's inet services are disabled"
    fi
fi
run postfix -c "${INSTANCE_DIR}" check
run systemctl enable "postfix@${INSTANCE}"
run systemctl restart "postfix@${INSTANCE}"

step "done"
log "Check: postconf -c ${INSTANCE_DIR} -n; linksecure check <domain>; journalctl -u ${UNIT_NAME}"
