#!/bin/sh
# Installs the Fencer relay agent as a systemd service (fencer-relay.service).
#
#   npm run build:relay && sudo relay-agent/install.sh [--hostname relay.dc1.example] [--no-start]
#   npm run build:relay && sudo relay-agent/install.sh --pull https://fencer.example/api --name site1
#
# Creates the system user `fencer-relay`, /opt/fencer-relay (the single-file build),
# /etc/fencer-relay (relay.yaml 0640, TLS key 0640, credentials/ 0700 root), a relay key and a
# self-signed TLS certificate when they are missing, and the unit. Existing files are kept.
# --pull URL --name NAME: a pull-mode relay (it dials out to Fencer and listens nowhere): its
# relay.yaml polls URL as relays.NAME, and no TLS certificate is made.
# DESTDIR=/some/root stages the files under that root (packaging, tests): no user, no
# ownership changes, no systemctl.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bundle="$here/../dist/fencer-relay.mjs"
hostname=$(hostname -f 2>/dev/null || hostname)
start=yes
pull=
name=
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) bundle=$2; shift 2 ;;
    --hostname) hostname=$2; shift 2 ;;
    --no-start) start=no; shift ;;
    --pull) pull=$2; shift 2 ;;
    --name) name=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
if [ -n "$pull" ]; then
  case "$pull" in https://*|http://127.*) ;; *) echo "install.sh: --pull needs Fencer's https:// URL" >&2; exit 2 ;; esac
  printf '%s' "$pull" | grep -Eq '^[A-Za-z0-9:/._~%-]+$' ||
    { echo "install.sh: --pull URL has characters a base URL does not need" >&2; exit 2; }
  printf '%s' "$name" | grep -Eq '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' ||
    { echo "install.sh: --pull needs --name NAME (the relay's name at Fencer)" >&2; exit 2; }
fi
root=${DESTDIR:-}
staged=no; [ -n "$root" ] && staged=yes

[ -f "$bundle" ] || { echo "install.sh: $bundle is missing; run npm run build:relay first" >&2; exit 1; }
if [ "$staged" = no ]; then
  [ "$(id -u)" = 0 ] || { echo "install.sh: run as root (or set DESTDIR for a staged install)" >&2; exit 1; }
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge 20 ] || { echo "install.sh: Node.js 20 or newer is needed at /usr/bin/node" >&2; exit 1; }
  command -v ipmitool >/dev/null || echo "install.sh: note: ipmitool is not installed (apt-get install -y ipmitool)" >&2
  getent passwd fencer-relay >/dev/null ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin fencer-relay
fi

# owner MODE USER:GROUP PATH: chown only for a real install.
own() { chmod "$1" "$3"; [ "$staged" = yes ] || chown "$2" "$3"; }

install -d -m 0755 "$root/opt/fencer-relay" "$root/etc/systemd/system"
install -m 0755 "$bundle" "$root/opt/fencer-relay/fencer-relay.mjs"
install -m 0644 "$here/README.md" "$root/opt/fencer-relay/README.md"
install -d "$root/etc/fencer-relay" "$root/etc/fencer-relay/credentials"
own 0750 root:fencer-relay "$root/etc/fencer-relay"
own 0700 root:root "$root/etc/fencer-relay/credentials"

conf="$root/etc/fencer-relay"
if [ ! -f "$conf/relay.yaml" ]; then
  if [ -n "$pull" ]; then
    (umask 027; sed -e "s|^  url: https://fencer.example/api|  url: $pull|" \
      -e "s|^  keyName: site1|  keyName: $name|" "$here/relay.pull.example.yaml" > "$conf/relay.yaml")
  else
    install -m 0640 "$here/relay.example.yaml" "$conf/relay.yaml"
  fi
  own 0640 root:fencer-relay "$conf/relay.yaml"
  echo "install.sh: wrote $conf/relay.yaml from the example: edit its targets"
fi
if [ ! -f "$conf/credentials/relay-key" ]; then
  (umask 077; openssl rand -base64 32 > "$conf/credentials/relay-key")
  own 0600 root:root "$conf/credentials/relay-key"
  echo "install.sh: created the relay key $conf/credentials/relay-key: put the same text in Fencer's relays.${name:-<name>}.key"
fi
if [ -z "$pull" ] && [ ! -f "$conf/tls.crt" ]; then
  (umask 027; openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
    -subj "/CN=$hostname" -addext "subjectAltName=DNS:$hostname" \
    -keyout "$conf/tls.key" -out "$conf/tls.crt" 2>/dev/null)
  own 0640 root:fencer-relay "$conf/tls.key"
  own 0644 root:root "$conf/tls.crt"
  echo "install.sh: created a self-signed certificate for $hostname: give $conf/tls.crt to Fencer as relays.<name>.ca"
fi
install -m 0644 "$here/systemd/fencer-relay.service" "$root/etc/systemd/system/fencer-relay.service"

if [ "$staged" = no ]; then
  systemctl daemon-reload
  systemctl enable fencer-relay.service
  if [ "$start" = yes ]; then
    if systemctl restart fencer-relay.service; then
      echo "install.sh: fencer-relay started; journalctl -u fencer-relay shows 'listening on https://...' (push) or 'polling https://...' (pull)"
    else
      echo "install.sh: fencer-relay did not start: edit $conf/relay.yaml (journalctl -u fencer-relay says why), then systemctl start fencer-relay" >&2
    fi
  fi
fi
