#!/bin/sh
# Installs Debian's chromium for the dashboard's browser test (web/browser_test.go).
# Runs apt-get as root, through sudo otherwise.
set -eu
if command -v chromium >/dev/null 2>&1; then
	exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
	as_root=""
elif command -v sudo >/dev/null 2>&1; then
	as_root="sudo -n"
else
	echo "install-chromium: not root and no sudo; install the chromium package yourself" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$as_root apt-get update
$as_root apt-get install -y --no-install-recommends chromium
command -v chromium
