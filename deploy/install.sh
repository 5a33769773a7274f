#!/usr/bin/env bash
# Make this Pi (Pi OS Bookworm Lite, or Debian Bookworm) a CityCard kiosk, or
# update it: the Ansible role deploy/ansible/roles/citycard_kiosk, run here
# with `ansible-playbook -c local`, as for a fleet (docs/operations.md).
#
#   sudo deploy/install.sh --vars kiosk.yml [--wheel FILE] [ansible-playbook options...]
#   sudo deploy/install.sh --rollback       back to the previous release
#
# kiosk.yml holds this kiosk's settings (citycard_kiosk_id, citycard_terminal_id,
# citycard_central_url, citycard_kiosk_secret, ...; see the role's
# defaults/main.yml) - encrypt it with `ansible-vault encrypt kiosk.yml` and
# add --ask-vault-pass. Without --wheel the wheel is built from this checkout.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
vars="" wheel="" playbook=site.yml
while [ $# -gt 0 ]; do
  case "$1" in
    --vars) vars="$(realpath "$2")"; shift 2 ;;
    --wheel) wheel="$(realpath "$2")"; shift 2 ;;
    --rollback) playbook=rollback.yml; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
if [ -z "$vars" ] && [ "$playbook" = site.yml ]; then
  echo "install.sh: --vars FILE is needed (this kiosk's id, terminal id, central URL, secret)" >&2
  exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo)" >&2
  exit 2
fi

# Ansible itself and what building the wheel needs, from the distribution.
need=()
for p in ansible-core python3-venv; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if [ -z "$wheel" ] && [ "$playbook" = site.yml ]; then
  python3 -m venv "$work/build"
  "$work/build/bin/pip" wheel --quiet --no-deps --wheel-dir "$work/dist" "$repo"
  wheel="$(ls "$work"/dist/citycard_kiosk-*.whl)"
fi

cat > "$work/inventory.yml" <<INV
kiosks:
  hosts:
    localhost:
      ansible_connection: local
      ansible_python_interpreter: /usr/bin/python3
INV
export ANSIBLE_CONFIG="$here/ansible/ansible.cfg"
args=()
[ -n "$vars" ] && args+=(-e "@$vars")
[ -n "$wheel" ] && args+=(-e "citycard_wheel=$wheel")
status=0
ansible-playbook -i "$work/inventory.yml" "$here/ansible/$playbook" "${args[@]}" "$@" || status=$?
exit "$status"
