#!/bin/sh
# The `keys` one-shot of docker/compose.yaml (image: the keygen stage of
# docker/Dockerfile.service). Makes the key material the services read, once,
# the way scripts/stack.sh does under var/keys/:
#   $KEYS_DIR/jwt-es256.pub     ES256 public key      every service (read-only)
#   $KEYS_DIR/data.key          64 hex chars          auth, volunteer (read-only)
#   $PRIVATE_DIR/jwt-es256.key  ES256 signing key     auth only (read-only)
# Existing keys are kept: data.key above all, since losing it makes every
# encrypted ID number unreadable. The public key is derived again on every run,
# so it always matches the signing key. Runs as root and hands the secret files
# to $STVS_UID (mode 0400): the services run as that uid and nothing else can
# read them.
set -eu
KEYS_DIR=${KEYS_DIR:-/keys}
PRIVATE_DIR=${PRIVATE_DIR:-/private/auth}
STVS_UID=${STVS_UID:-10001}

say() { echo "keys: $*"; }
die() { echo "keys: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root, to hand the keys to uid $STVS_UID"
for d in "$KEYS_DIR" "$PRIVATE_DIR"; do
    [ -d "$d" ] || die "$d is not mounted"
done
umask 077

# Each file is written beside its final name and renamed: a half-written key
# never passes for a real one.
if [ ! -s "$PRIVATE_DIR/jwt-es256.key" ]; then
    say "generating the ES256 signing key"
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$PRIVATE_DIR/.jwt-es256.key.new"
    mv -f "$PRIVATE_DIR/.jwt-es256.key.new" "$PRIVATE_DIR/jwt-es256.key"
fi
openssl pkey -in "$PRIVATE_DIR/jwt-es256.key" -pubout -out "$KEYS_DIR/.jwt-es256.pub.new"
mv -f "$KEYS_DIR/.jwt-es256.pub.new" "$KEYS_DIR/jwt-es256.pub"

if [ ! -s "$KEYS_DIR/data.key" ]; then
    say "generating the data-encryption key"
    openssl rand -hex 32 >"$KEYS_DIR/.data.key.new"
    mv -f "$KEYS_DIR/.data.key.new" "$KEYS_DIR/data.key"
fi

chown "$STVS_UID:$STVS_UID" "$PRIVATE_DIR/jwt-es256.key" "$KEYS_DIR/data.key"
chmod 0400 "$PRIVATE_DIR/jwt-es256.key" "$KEYS_DIR/data.key"
chown 0:0 "$KEYS_DIR/jwt-es256.pub"
chmod 0444 "$KEYS_DIR/jwt-es256.pub"
chmod 0755 "$KEYS_DIR" "$PRIVATE_DIR"
say "ready"
