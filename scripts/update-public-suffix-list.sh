#!/usr/bin/env bash
# Refreshes the embedded Public Suffix List (src/LinkSecure.Core/Internal/public_suffix_list.dat) from Debian's
# maintained 'publicsuffix' package. The list is Mozilla's (MPL-2.0); its licence header is kept as shipped.
# Run as root (it installs or upgrades the package). Afterwards: record the package version printed below in
# docs/known-domains.md ("Public Suffix List"), run the tests, and commit the .dat file together with the doc.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source_file=/usr/share/publicsuffix/public_suffix_list.dat
target="$root/src/LinkSecure.Core/Internal/public_suffix_list.dat"

apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq publicsuffix >/dev/null

if [[ ! -s "$source_file" ]]; then
  echo "error: $source_file is missing or empty after installing publicsuffix" >&2
  exit 1
fi
# A sanity check before replacing the embedded copy: the licence header and both sections must be there.
for marker in "Mozilla Public" "===BEGIN ICANN DOMAINS===" "===END ICANN DOMAINS===" \
              "===BEGIN PRIVATE DOMAINS===" "===END PRIVATE DOMAINS==="; do
  if ! grep -q -- "$marker" "$source_file"; then
    echo "error: $source_file lacks '$marker'; not updating" >&2
    exit 1
  fi
done

if cmp -s "$source_file" "$target"; then
  echo "unchanged: $target"
else
  cp "$source_file" "$target"
  echo "updated: $target"
fi
echo "publicsuffix package version: $(dpkg-query -W -f='${Version}' publicsuffix)"
echo "rules: $(grep -cvE '^[[:space:]]*(//|$)' "$target")"
