#!/usr/bin/env bash
# linksecure policy-server vs Debian's postfix-mta-sts-resolver (mta-sts-daemon): the same run, the same MTA-STS
# domains of a loopback world (signed zone + validating unbound on 127.0.0.63:53, HTTPS policy hosts on
# 127.0.0.64:443 with a test CA), warm cache with 1, 16 and 64 persistent connections, then a miss storm.
# Prints the machine conditions and the tables (docs/benchmarks.md, "Socketmap"). Needs root (ports 53 and 443,
# unshare --mount for the peer's /etc/resolv.conf) and the Debian packages below.
# With gcc, the clients also measure a constant-answer C server (the ceiling of the measurement), and every load run is
# repeated with a light C client (bench/socketmap-load.c).
# Extra arguments go to the benchmark, e.g. --seconds 2 --connections 16 --no-peer.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

missing=()
for tool in mta-sts-daemon:postfix-mta-sts-resolver unbound:unbound nsd:nsd dnssec-signzone:bind9-utils unshare:util-linux; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Missing tools; install them with: apt-get install -y ${missing[*]}" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "Run as root: the world binds ports 53 and 443 on loopback addresses and the peer runs under unshare --mount." >&2
  exit 2
fi

echo "== build (Release)"
dotnet build src/LinkSecure.Cli -c Release --nologo -v quiet
dotnet build bench/LinkSecure.Benchmarks -c Release --nologo -v quiet

# The ceiling of the measurement: the same clients against a constant-answer C server (bench/socketmap-constant.c);
# and a second, lighter load client (bench/socketmap-load.c) that leaves more of the 2 cores to the servers.
constant=()
if command -v gcc >/dev/null 2>&1; then
  native="$(mktemp -d)"
  trap 'rm -rf "$native"' EXIT
  gcc -O2 -Wall -Wextra -Werror -o "$native/socketmap-constant" bench/socketmap-constant.c
  gcc -O2 -Wall -Wextra -Werror -o "$native/socketmap-load" bench/socketmap-load.c
  constant=(--constant "$native/socketmap-constant" --c-client "$native/socketmap-load")
else
  echo "gcc not found: the constant-answer ceiling and the C client are not measured (apt-get install -y gcc)" >&2
fi

echo "== machine"
echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "kernel: $(uname -r); dotnet: $(dotnet --version); peer: postfix-mta-sts-resolver $(dpkg-query -W -f='${Version}' postfix-mta-sts-resolver 2>/dev/null || echo '?')"
echo "clients: in-process .NET socketmap client (bench/LinkSecure.Benchmarks/Socketmap) and, with gcc, bench/socketmap-load.c; same machine as the servers"

echo "== run"
dotnet bench/LinkSecure.Benchmarks/bin/Release/net10.0/LinkSecure.Benchmarks.dll socketmap \
  --cli src/LinkSecure.Cli/bin/Release/net10.0/linksecure.dll "${constant[@]}" "$@"
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
