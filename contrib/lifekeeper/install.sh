#!/bin/sh
# Installs the Fencer prefailover action into LifeKeeper.
#   install.sh --url URL --key-id CLUSTER/NODE --secret-file FILE
#              [--prefix /opt/LifeKeeper] [--fencer-bin PATH] [--wait SECONDS] [--node-map "a=b ..."]
# It copies fencer-prefailover to PREFIX/events/prefailover/actions/fencer and writes
# PREFIX/config/fencer.env (0600). The secret file is referenced, never copied or printed.
set -eu

prefix=/opt/LifeKeeper url="" key_id="" secret_file="" fencer_bin="" wait=240 node_map=""
usage() { echo "usage: $0 --url URL --key-id CLUSTER/NODE --secret-file FILE [--prefix DIR] [--fencer-bin PATH] [--wait S] [--node-map MAP]" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --prefix) prefix=$2; shift 2 ;;
    --url) url=$2; shift 2 ;;
    --key-id) key_id=$2; shift 2 ;;
    --secret-file) secret_file=$2; shift 2 ;;
    --fencer-bin) fencer_bin=$2; shift 2 ;;
    --wait) wait=$2; shift 2 ;;
    --node-map) node_map=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$url" ] && [ -n "$key_id" ] && [ -n "$secret_file" ] || usage
[ -r "$secret_file" ] || { echo "$0: cannot read $secret_file" >&2; exit 2; }
case $wait in *[!0-9]* | "") usage ;; esac
if [ -z "$fencer_bin" ]; then fencer_bin=$(command -v fencer || true); fi
[ -n "$fencer_bin" ] || { echo "$0: fencer not found on PATH; pass --fencer-bin" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd)
actions=$prefix/events/prefailover/actions
mkdir -p "$actions" "$prefix/config"
install -m 0755 "$here/fencer-prefailover" "$actions/fencer"
umask 077
quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
{
  echo "# Written by fencer contrib/lifekeeper/install.sh"
  echo "FENCER_BIN=$(quote "$fencer_bin")"
  echo "FENCER_URL=$(quote "$url")"
  echo "FENCER_KEY_ID=$(quote "$key_id")"
  echo "FENCER_SECRET_FILE=$(quote "$secret_file")"
  echo "FENCER_WAIT=$(quote "$wait")"
  echo "FENCER_NODE_MAP=$(quote "$node_map")"
} >"$prefix/config/fencer.env"
chmod 0600 "$prefix/config/fencer.env"
echo "installed $actions/fencer and $prefix/config/fencer.env"
