#!/usr/bin/env bash
# Debian packages `make demo` and `make test` need: a virtual X server for the
# Kivy window and xdotool to send it keys (the lock-down test), Mesa's
# software GL, libmtdev (Kivy's input), a CJK font; for the
# deployment tests (tests/deploy/): Ansible and ansible-lint, promtool (in
# Debian's prometheus package) and debootstrap (`make test-install`).
# Installs them when run as root; otherwise names what is missing and fails.
#
# With --test (what `make test` runs) also PostgreSQL (Debian's postgresql): the
# central tests start a throwaway server of their own (tests/pgcluster.py); the
# machine's own cluster is neither started nor enabled. Not root and without it,
# this names it and goes on: those test variants skip, saying why. `make demo`
# stays on SQLite and needs none of it.
set -euo pipefail
test_pkgs=()
[ "${1:-}" = "--test" ] && test_pkgs=(postgresql)
needed=(xvfb xauth xdotool libgl1-mesa-dri libegl1 libmtdev1 fonts-wqy-microhei python3-venv)
# Installed without their recommends (Ansible's whole collection bundle, the
# node exporter): only these tools are used.
tools=(ansible-core ansible-lint prometheus debootstrap)

missing_of() {
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}
mapfile -t missing < <(missing_of "${needed[@]}")
mapfile -t missing_tools < <(missing_of "${tools[@]}")
if [ ${#test_pkgs[@]} -gt 0 ]; then
  mapfile -t missing_test < <(missing_of "${test_pkgs[@]}")
  if [ ${#missing_test[@]} -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is not installed: the PostgreSQL variants of tests/central will be" \
      "skipped. Install it with:  sudo apt-get install --no-install-recommends" \
      "${missing_test[*]}  (then sudo systemctl disable --now postgresql: the tests run" \
      "their own server)" >&2
  else
    missing_tools+=("${missing_test[@]}")
  fi
fi
[ ${#missing[@]} -eq 0 ] && [ ${#missing_tools[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${missing[*]} ${missing_tools[*]}" >&2
  [ ${#missing[@]} -gt 0 ] && echo "install them with:  sudo apt-get install ${missing[*]}" >&2
  [ ${#missing_tools[@]} -gt 0 ] && echo "  and:  sudo apt-get install --no-install-recommends" \
    "${missing_tools[*]}  (then sudo systemctl disable --now prometheus: only promtool is used)" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]} ${missing_tools[*]}"
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ ${#missing_tools[@]} -gt 0 ]; then
  # The prometheus server must not be started (policy-rc.d refuses every start
  # while we install) nor left enabled.
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    made_policy=1
  fi
  trap '[ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d' EXIT
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing_tools[@]}" >/dev/null
  if [[ " ${missing_tools[*]} " == *" prometheus "* ]]; then
    systemctl disable --now prometheus.service >/dev/null 2>&1 \
      || systemctl disable prometheus.service >/dev/null 2>&1 || true
  fi
  if [[ " ${missing_tools[*]} " == *" postgresql "* ]]; then
    systemctl disable --now postgresql.service >/dev/null 2>&1 \
      || systemctl disable postgresql.service >/dev/null 2>&1 || true
  fi
fi
