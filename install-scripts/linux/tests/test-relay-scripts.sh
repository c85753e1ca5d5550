#!/usr/bin/env bash
# Tests for install-relay.sh and uninstall-relay.sh. Never runs apt, systemctl, postmulti or useradd for real: every
# such command is a recording stand-in on PATH, and every file the scripts write goes under a temporary
# LINKSECURE_ROOT. Bounded: each script run is limited to 60 s. Usage: bash install-scripts/linux/tests/test-relay-scripts.sh
set -euo pipefail

SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "${WORK}"' EXIT
FAILURES=0
TESTS=0

fail() {
    printf 'FAIL %s: %s\n' "${CURRENT}" "$*"
    FAILURES=$((FAILURES + 1))
}

begin() {
    CURRENT="$1"
    TESTS=$((TESTS + 1))
}

expect_contains() { grep -qF -- "$2" <<<"$1" || fail "output lacks: $2"; }
expect_lacks() { if grep -qF -- "$2" <<<"$1"; then fail "output has: $2"; fi; }

# The scripts run from a copy so that the unit file the other half of the install provides can be a fixture when
# absent from the tree.
HERE="${WORK}/linux"
mkdir -p "${HERE}"
cp "${SCRIPTS}/install-relay.sh" "${SCRIPTS}/uninstall-relay.sh" "${SCRIPTS}/relay-common.sh" "${HERE}/"
if [[ -f "${SCRIPTS}/linksecure-policy-server.service" ]]; then
    cp "${SCRIPTS}/linksecure-policy-server.service" "${HERE}/"
else
    printf '[Unit]\nDescription=fixture unit for the install tests\n[Service]\nExecStart=/opt/linksecure/linksecure policy-server\n' >"${HERE}/linksecure-policy-server.service"
fi

# Recording stand-ins. STUB_STATE selects what the read-only queries report: "fresh" or "installed".
STUBS="${WORK}/stubs"
CALLS="${WORK}/calls"
mkdir -p "${STUBS}"
for command in apt-get systemctl useradd userdel postsuper postfix unbound-checkconf dotnet; do
    printf '#!/usr/bin/env bash\nprintf "%%s\\n" "%s $*" >>"%s"\n' "${command}" "${CALLS}" >"${STUBS}/${command}"
done
cat >"${STUBS}/postconf" <<STUB
#!/usr/bin/env bash
printf '%s\n' "postconf \$*" >>"${CALLS}"
if [[ "\$1" == -h && "\$2" == multi_instance_wrapper && "\${STUB_STATE}" == installed ]]; then echo '\${command_directory}/postmulti -p --'; fi
if [[ "\$1" == -h && "\$2" == master_service_disable && "\${STUB_STATE}" == installed ]]; then echo inet; fi
exit 0
STUB
cat >"${STUBS}/postmulti" <<STUB
#!/usr/bin/env bash
printf '%s\n' "postmulti \$*" >>"${CALLS}"
if [[ "\$1" == -l ]]; then echo '-               -               y         /etc/postfix'; [[ "\${STUB_STATE}" == installed ]] && echo 'postfix-linksecure -            y         /etc/postfix-linksecure'; fi
exit 0
STUB
cat >"${STUBS}/dpkg-query" <<STUB
#!/usr/bin/env bash
[[ "\${STUB_STATE}" == installed ]] && printf 'install ok installed'
exit 0
STUB
cat >"${STUBS}/id" <<STUB
#!/usr/bin/env bash
if [[ "\$*" == "-u" ]]; then echo 0; exit 0; fi
[[ "\${STUB_STATE}" == installed ]] && { echo 999; exit 0; }
exit 1
STUB
chmod +x "${STUBS}"/*

ROOT="${WORK}/root"
FROM="${WORK}/publish"
mkdir -p "${FROM}"
printf '#!/usr/bin/env bash\nprintf "%%s\\n" "linksecure $*" >>"%s"\n' "${CALLS}" >"${FROM}/linksecure"
chmod +x "${FROM}/linksecure"
printf 'certificate\n' >"${WORK}/relay.crt"
printf 'key\n' >"${WORK}/relay.key"
INSTALL_ARGS=(--hostname relay.example.com --listen 192.0.2.1:25 --exchange 192.0.2.10 --exchange 2001:db8::/64
    --cert "${WORK}/relay.crt" --key "${WORK}/relay.key" --from "${FROM}")

# run_script STATE SCRIPT ARGS...: runs a script with the stand-ins; sets OUT, RC and CALLED (the commands it ran).
run_script() {
    local state="$1" script="$2"
    shift 2
    : >"${CALLS}"
    set +e
    OUT="$(STUB_STATE="${state}" LINKSECURE_ROOT="${ROOT}" PATH="${STUBS}:${PATH}" timeout 60 bash "${HERE}/${script}" "$@" 2>&1)"
    RC=$?
    set -e
    CALLED="$(cat "${CALLS}")"
}

# Commands that change the system; a dry run calls none of them.
expect_no_changes() {
    if grep -E '^(apt-get|systemctl|useradd|userdel|postsuper|postfix|dotnet|linksecure|unbound-checkconf) |^postconf .*(-e|-X)|^postmulti .*-e' <<<"${CALLED}"; then
        fail "a dry run ran a command that changes the system"
    fi
    if [[ -n "$(find "${ROOT}" -mindepth 1 -not -path "${ROOT}/etc" -not -path "${ROOT}/etc/resolv.conf" 2>/dev/null)" ]]; then
        fail "a dry run wrote files: $(find "${ROOT}" -mindepth 1 | head -n 5 | tr '\n' ' ')"
    fi
}

reset_root() {
    rm -rf "${ROOT}"
    mkdir -p "${ROOT}/etc"
    printf 'nameserver 10.0.0.1\n' >"${ROOT}/etc/resolv.conf"
}

begin "syntax"
for script in install-relay.sh uninstall-relay.sh relay-common.sh tests/test-relay-scripts.sh; do
    bash -n "${SCRIPTS}/${script}" || fail "bash -n ${script}"
done
for script in install-relay.sh uninstall-relay.sh tests/test-relay-scripts.sh; do
    head -n 1 "${SCRIPTS}/${script}" | grep -qx '#!/usr/bin/env bash' || fail "${script}: no bash shebang"
    grep -qx 'set -euo pipefail' "${SCRIPTS}/${script}" || fail "${script}: no 'set -euo pipefail'"
    [[ -x "${SCRIPTS}/${script}" ]] || fail "${script} is not executable"
done
# shellcheck-like checks without shellcheck: no backticks, no unquoted $@, no 'cd' without a guard.
for script in install-relay.sh uninstall-relay.sh relay-common.sh; do
    if grep -nE '`|[^"]\$@|^[[:space:]]*cd [^&|]*$' "${SCRIPTS}/${script}"; then fail "${script}: backtick, unquoted \$@ or unguarded cd"; fi
done

begin "install --dry-run on a fresh host plans every step and changes nothing"
reset_root
run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" --dry-run
[[ "${RC}" == 0 ]] || fail "exit ${RC}: ${OUT}"
expect_contains "${OUT}" "dry run: nothing is changed"
expect_contains "${OUT}" "would run: env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postfix unbound ca-certificates"
expect_contains "${OUT}" "would write: ${ROOT}/etc/unbound/unbound.conf.d/linksecure.conf"
expect_contains "${OUT}" "would run: systemctl restart unbound"
expect_contains "${OUT}" "would write: ${ROOT}/etc/resolv.conf"
expect_contains "${OUT}" "would run: cp -P --preserve=all ${ROOT}/etc/resolv.conf ${ROOT}/var/lib/linksecure/install/resolv.conf.orig"
expect_contains "${OUT}" "would run: useradd --system --home-dir /var/lib/linksecure --no-create-home --shell /usr/sbin/nologin linksecure"
expect_contains "${OUT}" "would run: install -m 0755 ${FROM}/linksecure ${ROOT}/opt/linksecure/linksecure"
expect_contains "${OUT}" "would run: ln -sfn ${ROOT}/opt/linksecure/linksecure ${ROOT}/usr/local/bin/linksecure"
expect_contains "${OUT}" "would write: ${ROOT}/etc/systemd/system/linksecure-policy-server.service"
expect_contains "${OUT}" "would run: systemctl enable linksecure-policy-server.service"
expect_contains "${OUT}" "would run: postmulti -e init"
expect_contains "${OUT}" "would run: postmulti -I postfix-linksecure -e create"
expect_contains "${OUT}" "would run: ${ROOT}/opt/linksecure/linksecure relay config --out ${ROOT}/etc/postfix-linksecure --listen 192.0.2.1:25 --hostname relay.example.com --cert ${WORK}/relay.crt --key ${WORK}/relay.key --queue-directory /var/spool/postfix-linksecure --data-directory /var/lib/postfix-linksecure --exchange 192.0.2.10 --exchange 2001:db8::/64"
expect_contains "${OUT}" "would run: postconf -e master_service_disable = inet"
expect_contains "${OUT}" "would run: postfix -c ${ROOT}/etc/postfix-linksecure check"
expect_contains "${OUT}" "would run: systemctl restart postfix@postfix-linksecure"
expect_no_changes

begin "install --dry-run without --from plans the self-contained publish"
reset_root
run_script fresh install-relay.sh --hostname relay.example.com --listen 192.0.2.1:2525 --exchange 192.0.2.10 --cert "${WORK}/relay.crt" --key "${WORK}/relay.key" --dry-run
# The copy under WORK is not in the repository, so the script asks for --from; the repository copy plans the publish.
[[ "${RC}" == 2 ]] || fail "the copy outside the repository should ask for --from (exit ${RC})"
expect_contains "${OUT}" "not in the repository: give --from DIR"
: >"${CALLS}"
set +e
OUT="$(STUB_STATE=fresh LINKSECURE_ROOT="${ROOT}" PATH="${STUBS}:${PATH}" timeout 60 bash "${SCRIPTS}/install-relay.sh" --hostname relay.example.com --listen 192.0.2.1:2525 --exchange 192.0.2.10 --cert "${WORK}/relay.crt" --key "${WORK}/relay.key" --dry-run 2>&1)"
RC=$?
set -e
CALLED="$(cat "${CALLS}")"
if [[ -f "${SCRIPTS}/linksecure-policy-server.service" ]]; then
    [[ "${RC}" == 0 ]] || fail "exit ${RC}: ${OUT}"
    expect_contains "${OUT}" "would run: dotnet publish $(cd "${SCRIPTS}/../.." && pwd)/src/LinkSecure.Cli -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o ${ROOT}/var/lib/linksecure/install/publish"
    expect_lacks "${OUT}" "master_service_disable"
else
    [[ "${RC}" == 2 ]] || fail "without the unit file the install must refuse (exit ${RC})"
    expect_contains "${OUT}" "linksecure-policy-server.service is missing"
fi
expect_no_changes

begin "install refuses an open relay or no Exchange server"
reset_root
run_script fresh install-relay.sh --hostname relay.example.com --listen 192.0.2.1:25 --cert "${WORK}/relay.crt" --key "${WORK}/relay.key" --from "${FROM}" --dry-run
[[ "${RC}" == 2 ]] || fail "no --exchange: exit ${RC}"
expect_contains "${OUT}" "--exchange is required"
for network in 0.0.0.0/0 ::/0; do
    run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" --exchange "${network}" --dry-run
    [[ "${RC}" == 2 ]] || fail "${network}: exit ${RC}"
    expect_contains "${OUT}" "would be an open relay"
done
run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" --bogus
[[ "${RC}" == 2 ]] || fail "unknown argument: exit ${RC}"
[[ -z "${CALLED}" ]] || fail "a refused install ran: ${CALLED}"

begin "install passes the return route to relay config"
reset_root
run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" --return-host exch1.contoso.example --return-host 192.0.2.11 \
    --return-cert-name mail.contoso.example --return-cert-name '*.contoso.example' --return-domain contoso.example \
    --return-domain '*.contoso.example' --return-port 2525 --dry-run
[[ "${RC}" == 0 ]] || fail "exit ${RC}: ${OUT}"
expect_contains "${OUT}" "would run: ${ROOT}/opt/linksecure/linksecure relay config --out ${ROOT}/etc/postfix-linksecure --listen 192.0.2.1:25 --hostname relay.example.com --cert ${WORK}/relay.crt --key ${WORK}/relay.key --queue-directory /var/spool/postfix-linksecure --data-directory /var/lib/postfix-linksecure --exchange 192.0.2.10 --exchange 2001:db8::/64 --return-host exch1.contoso.example --return-host 192.0.2.11 --return-cert-name mail.contoso.example --return-cert-name *.contoso.example --return-domain contoso.example --return-domain *.contoso.example --return-port 2525"
expect_lacks "${OUT}" "warning: no --return-host"
expect_no_changes
# A real run hands the CLI each value as its own argument (a '*' is not expanded by the shell); without
# --return-domain the CLI takes the configuration's internalDomains.
printf '{ "internalDomains": [ "contoso.example" ] }\n' >"${WORK}/LinkSecure.config.json"
run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" --return-host exch1.contoso.example --return-cert-name '*.contoso.example' \
    --config "${WORK}/LinkSecure.config.json"
[[ "${RC}" == 0 ]] || fail "exit ${RC}: ${OUT}"
expect_contains "${CALLED}" "--exchange 2001:db8::/64 --return-host exch1.contoso.example --return-cert-name *.contoso.example --config ${ROOT}/etc/linksecure/LinkSecure.config.json"
expect_lacks "${CALLED}" "--return-domain"
expect_lacks "${CALLED}" "--return-port"
expect_lacks "${OUT}" "warning: no --return-host"

begin "install without a return route warns that DSNs take the public MX under the strict map"
reset_root
run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" --dry-run
[[ "${RC}" == 0 ]] || fail "exit ${RC}: ${OUT}"
expect_contains "${OUT}" "warning: no --return-host: the relay's DSNs to the organisation's own senders will use its public MX under the strict map"
expect_lacks "$(grep -F 'relay config' <<<"${OUT}")" "--return-"
expect_no_changes

begin "install refuses an incomplete return route before any change"
reset_root
run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" --return-host exch1.contoso.example --return-domain contoso.example
[[ "${RC}" == 2 ]] || fail "no --return-cert-name: exit ${RC}"
expect_contains "${OUT}" "--return-host needs --return-cert-name"
[[ -z "${CALLED}" ]] || fail "a refused install ran: ${CALLED}"
run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" --return-host exch1.contoso.example --return-cert-name mail.contoso.example
[[ "${RC}" == 2 ]] || fail "no --return-domain and no --config: exit ${RC}"
expect_contains "${OUT}" "--return-host needs --return-domain (or --config with internalDomains)"
[[ -z "${CALLED}" ]] || fail "a refused install ran: ${CALLED}"
for option in --return-cert-name --return-domain --return-port; do
    value=contoso.example
    [[ "${option}" == --return-port ]] && value=25
    run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" "${option}" "${value}"
    [[ "${RC}" == 2 ]] || fail "${option} without --return-host: exit ${RC}"
    expect_contains "${OUT}" "need --return-host"
    [[ -z "${CALLED}" ]] || fail "a refused install ran: ${CALLED}"
done
for port in 0 65536 smtp; do
    run_script fresh install-relay.sh "${INSTALL_ARGS[@]}" --return-host exch1.contoso.example --return-cert-name mail.contoso.example \
        --return-domain contoso.example --return-port "${port}"
    [[ "${RC}" == 2 ]] || fail "--return-port ${port}: exit ${RC}"
    expect_contains "${OUT}" "--return-port ${port} is not a port (1 to 65535)"
    [[ -z "${CALLED}" ]] || fail "a refused install ran: ${CALLED}"
done
if find "${ROOT}" -mindepth 1 -not -path "${ROOT}/etc" -not -path "${ROOT}/etc/resolv.conf" | grep -q .; then fail "a refused install wrote files"; fi

begin "install with stand-ins writes under the root, and a second run changes nothing it already did"
reset_root
run_script fresh install-relay.sh "${INSTALL_ARGS[@]}"
[[ "${RC}" == 0 ]] || fail "first run exit ${RC}: ${OUT}"
expect_contains "${CALLED}" "apt-get install -y --no-install-recommends postfix unbound ca-certificates"
expect_contains "${CALLED}" "linksecure relay config --out ${ROOT}/etc/postfix-linksecure"
grep -qx 'interface: 127.0.0.1' <(sed 's/^ *//' "${ROOT}/etc/unbound/unbound.conf.d/linksecure.conf") || fail "unbound does not listen on 127.0.0.1"
if grep -E '^ *interface:' "${ROOT}/etc/unbound/unbound.conf.d/linksecure.conf" | grep -vE 'interface: (127\.0\.0\.1|::1)$'; then fail "unbound listens beyond loopback"; fi
grep -q 'auto-trust-anchor-file: "/var/lib/unbound/root.key"' "${ROOT}/etc/unbound/unbound.conf.d/linksecure.conf" || fail "no root trust anchor"
grep -qx 'nameserver 127.0.0.1' "${ROOT}/etc/resolv.conf" || fail "resolv.conf does not point at unbound"
grep -qx 'options edns0 trust-ad' "${ROOT}/etc/resolv.conf" || fail "resolv.conf lacks trust-ad"
grep -qx 'nameserver 10.0.0.1' "${ROOT}/var/lib/linksecure/install/resolv.conf.orig" || fail "the old resolv.conf is not kept"
cmp -s "${HERE}/linksecure-policy-server.service" "${ROOT}/etc/systemd/system/linksecure-policy-server.service" || fail "unit not installed"
[[ "$(readlink "${ROOT}/usr/local/bin/linksecure")" == "${ROOT}/opt/linksecure/linksecure" ]] || fail "no /usr/local/bin/linksecure link"
run_script installed install-relay.sh "${INSTALL_ARGS[@]}"
[[ "${RC}" == 0 ]] || fail "second run exit ${RC}: ${OUT}"
expect_lacks "${CALLED}" "apt-get"
expect_lacks "${CALLED}" "useradd"
expect_lacks "${CALLED}" "postmulti -e init"
expect_lacks "${CALLED}" "postmulti -I"
expect_lacks "${CALLED}" "postconf -e"
expect_lacks "${OUT}" "wrote:"
expect_contains "${OUT}" "unchanged: ${ROOT}/etc/unbound/unbound.conf.d/linksecure.conf"
expect_contains "${OUT}" "unchanged: ${ROOT}/etc/resolv.conf"
expect_contains "${OUT}" "unchanged: ${ROOT}/opt/linksecure/linksecure"
expect_contains "${OUT}" "unchanged: ${ROOT}/etc/systemd/system/linksecure-policy-server.service"

begin "uninstall --dry-run plans removing what install added and keeps the packages"
run_script installed uninstall-relay.sh --dry-run
[[ "${RC}" == 0 ]] || fail "exit ${RC}: ${OUT}"
expect_contains "${OUT}" "would run: systemctl disable --now postfix@postfix-linksecure"
expect_contains "${OUT}" "would run: postmulti -i postfix-linksecure -e destroy"
expect_contains "${OUT}" "would run: postconf -X multi_instance_wrapper multi_instance_directories"
expect_contains "${OUT}" "would run: postconf -X master_service_disable"
expect_contains "${OUT}" "would run: systemctl disable --now linksecure-policy-server.service"
expect_contains "${OUT}" "would run: rm -rf -- ${ROOT}/opt/linksecure"
expect_contains "${OUT}" "would run: cp -P --preserve=all ${ROOT}/var/lib/linksecure/install/resolv.conf.orig ${ROOT}/etc/resolv.conf"
expect_contains "${OUT}" "would run: rm -rf -- ${ROOT}/etc/unbound/unbound.conf.d/linksecure.conf"
expect_contains "${OUT}" "would run: userdel linksecure"
expect_contains "${OUT}" "kept: postfix and unbound (--purge removes them)"
expect_lacks "${OUT}" "apt-get"
if grep -E '^(apt-get|systemctl|userdel|postsuper) |^postconf .*(-e|-X)|^postmulti .*-e' <<<"${CALLED}"; then fail "a dry run ran a command that changes the system"; fi
[[ -f "${ROOT}/opt/linksecure/linksecure" ]] || fail "a dry run removed the CLI"
run_script installed uninstall-relay.sh --dry-run --purge
expect_contains "${OUT}" "would run: env DEBIAN_FRONTEND=noninteractive apt-get purge -y postfix unbound ca-certificates"

begin "uninstall with stand-ins restores the resolver and removes the files"
run_script installed uninstall-relay.sh
[[ "${RC}" == 0 ]] || fail "exit ${RC}: ${OUT}"
grep -qx 'nameserver 10.0.0.1' "${ROOT}/etc/resolv.conf" || fail "resolv.conf not restored"
for path in opt/linksecure usr/local/bin/linksecure etc/systemd/system/linksecure-policy-server.service etc/unbound/unbound.conf.d/linksecure.conf var/lib/linksecure/install; do
    [[ ! -e "${ROOT}/${path}" ]] || fail "${path} left behind"
done
expect_contains "${CALLED}" "postmulti -i postfix-linksecure -e destroy"
expect_lacks "${CALLED}" "apt-get"

printf '%d tests, %d failures\n' "${TESTS}" "${FAILURES}"
printf '%d passed, %d failed, 0 skipped\n' "$((TESTS - FAILURES))" "${FAILURES}"
[[ "${FAILURES}" == 0 ]]
