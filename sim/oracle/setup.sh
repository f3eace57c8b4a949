#!/usr/bin/env bash
# Install what the real-kernel oracle needs, from the machine's Debian (or Ubuntu)
# packages: gcc and libc6-dev (the static guest program), qemu-system-x86 (to boot the
# kernels), zstd (to unpack them) and debian-archive-keyring (to check the archive's
# signatures). Only what is missing is installed; as root, or through sudo.
set -euo pipefail
need=()
if ! command -v gcc >/dev/null 2>&1; then
  need+=(gcc libc6-dev)
elif [ "$(gcc -print-file-name=libc.a)" = libc.a ]; then
  need+=(libc6-dev) # gcc -static needs libc.a
fi
command -v qemu-system-x86_64 >/dev/null 2>&1 || need+=(qemu-system-x86)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need+=(debian-archive-keyring)
if ((${#need[@]} == 0)); then
  echo "oracle setup: nothing to install"
  exit 0
fi
echo "oracle setup: installing ${need[*]}"
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
