#!/usr/bin/env bash
# Installs what the browser tests need from Debian: Chromium (driven by Playwright through
# executable_path, never `playwright install`) and the Arabic/Latin fonts the UI names.
# Idempotent: does nothing when everything is present; runs `apt-get update` only if a package
# cannot be found in the current lists.
set -euo pipefail

PACKAGES=(chromium fonts-noto-core fonts-dejavu-core)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "setup-browser: chromium and fonts already installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    echo "setup-browser: need root to apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# Update the package lists only when one of the missing packages is not known to apt yet.
for pkg in "${missing[@]}"; do
  if ! apt-cache show "$pkg" >/dev/null 2>&1; then
    $SUDO apt-get update -qq
    break
  fi
done
echo "setup-browser: installing ${missing[*]}"
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
command -v chromium >/dev/null || { echo "setup-browser: chromium not on PATH after install" >&2; exit 1; }
echo "setup-browser: done ($(chromium --version 2>/dev/null || echo chromium))"
