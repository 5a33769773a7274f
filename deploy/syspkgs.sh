#!/usr/bin/env bash
# Debian packages `make demo` and `make test` need: a virtual X server for the
# Kivy window, Mesa's software GL, libmtdev (Kivy's input), a CJK font.
# Installs them when run as root; otherwise names what is missing and fails.
set -euo pipefail
needed=(xvfb xauth libgl1-mesa-dri libegl1 libmtdev1 fonts-wqy-microhei python3-venv)
missing=()
for p in "${needed[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  echo "installing system packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "missing system packages: ${missing[*]}" >&2
  echo "install them with:  sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
