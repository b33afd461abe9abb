#!/usr/bin/env bash
# Installs the Debian package on this machine as an operator would, and checks what issue 20 asks of it. Run as
# root on a machine where it may install a package, make the `watershed` user and listen on 8443, 8444 and 9464
# (CI does; deploy/debian/README.md):
#
#   deploy/debian/check-install.sh dist/watershed_0.19.0_amd64.deb dist/watershed_0.19.0+1_amd64.deb
#
# 1. lintian: no errors (warnings are printed).
# 2. dpkg -i the first version: the watershed user, /var/lib/watershed 0700, the config 0640 root:watershed,
#    `systemd-analyze verify` on the installed unit, no library from the Swift toolchain.
# 3. The installed binary, as the watershed user, with the installed config, with the toolchain's folder hidden
#    (a mount namespace with an empty folder over it; no systemd runs here): --version, /healthz over TLS (the
#    development CA it made), a report filed, /metrics on its own listener, SIGTERM → exit 0.
# 4. The config edited, the second version installed over it: the edit and the report are still there.
# 5. dpkg --purge: the package is gone, the event log kept (postrm says so); then this script removes the user and
#    the data, so that it can run again.
set -euo pipefail
cd "$(dirname "$0")/../.."
old_deb=$1
new_deb=$2
report=Tests/Fixtures/longjiang-initial-report.json
toolchain=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")")
work=$(mktemp -d)
server=
fail() { echo "check-install: $*" >&2; [ -f "$work/serve.log" ] && tail -20 "$work/serve.log" >&2; exit 1; }
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "-- lintian $old_deb"
lintian --tag-display-limit 0 "$old_deb" | tee "$work/lintian.txt" || true
if grep -q '^E: ' "$work/lintian.txt"; then fail "lintian reports errors"; fi
echo "lintian: $(grep -c '^E: ' "$work/lintian.txt") errors, $(grep -c '^W: ' "$work/lintian.txt") warnings"

echo "-- dpkg -i $old_deb"
dpkg -i "$old_deb"
getent passwd watershed >/dev/null || fail "no watershed user"
[ "$(stat -c '%a %U' /var/lib/watershed)" = "700 watershed" ] || fail "/var/lib/watershed is $(stat -c '%a %U' /var/lib/watershed)"
[ "$(stat -c '%a %U:%G' /etc/watershed/watershed.yaml)" = "640 root:watershed" ] \
  || fail "the config is $(stat -c '%a %U:%G' /etc/watershed/watershed.yaml)"
systemd-analyze verify /lib/systemd/system/watershed.service
echo "systemd-analyze verify: no complaints"
if ldd /usr/lib/watershed/watershed | grep -F "$toolchain/"; then fail "the binary loads a library from $toolchain"; fi
ldd /usr/lib/watershed/watershed

# The installed binary as the service would run it, the toolchain hidden (an empty tmpfs over its folder).
# setpriv execs the command as the user, and unshare (without --fork) execs too: the pid started is the server's
# (runuser would fork and stand between a signal and the server).
as_service() {
  echo "mount -t tmpfs none '$toolchain' && cd /var/lib/watershed && exec setpriv --reuid watershed --regid watershed \
    --init-groups -- $*"
}
hidden() { unshare -m bash -c "$(as_service "$@")"; }
start() {
  unshare -m bash -c "$(as_service /usr/bin/watershed serve --config /etc/watershed/watershed.yaml)" \
    >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 60); do
    if [ -f /var/lib/watershed/tls/ca.pem ] \
      && curl -sf --cacert /var/lib/watershed/tls/ca.pem https://127.0.0.1:8443/healthz >/dev/null; then
      return 0
    fi
    kill -0 "$server" 2>/dev/null || fail "the server stopped at start"
    sleep 1
  done
  fail "no /healthz within 60 s"
}
stop() {
  kill -TERM "$server"
  local status=0
  wait "$server" || status=$?
  server=
  [ "$status" = 0 ] || fail "the server exited $status on SIGTERM"
  grep -q "shut down cleanly" "$work/serve.log" || fail "no clean shutdown in the log"
}
api() { curl -sS --cacert /var/lib/watershed/tls/ca.pem -H "Authorization: Bearer $1" "${@:2}"; }

echo "-- the installed binary, as watershed, toolchain hidden"
hidden /usr/bin/watershed --version | tee "$work/version.txt"
grep -q "^watershed " "$work/version.txt" || fail "--version says $(cat "$work/version.txt")"
start
echo "healthz: $(curl -sf --cacert /var/lib/watershed/tls/ca.pem https://127.0.0.1:8443/healthz)"
status=$(api wsd-dev-officer-yizhou -o "$work/filed.json" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary @"$report" https://127.0.0.1:8443/v1/incidents)
[ "$status" = 201 ] || fail "filing the report answered $status: $(cat "$work/filed.json")"
incident=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incident"]["id"])' "$work/filed.json")
echo "report filed: incident $incident"
curl -sf http://127.0.0.1:9464/metrics | grep '^watershed_build_info' || fail "no watershed_build_info on 127.0.0.1:9464"
[ "$(curl -s -o /dev/null -w '%{http_code}' --cacert /var/lib/watershed/tls/ca.pem https://127.0.0.1:8443/metrics)" = 404 ] \
  || fail "/metrics is on the HTTPS port too"
stop

echo "-- the config edited, then dpkg -i $new_deb"
sed -i 's/^logLevel: info$/logLevel: notice/' /etc/watershed/watershed.yaml
echo "# edited by the operator" >>/etc/watershed/watershed.yaml
DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold "$new_deb"
grep -q '^# edited by the operator$' /etc/watershed/watershed.yaml || fail "the edited config was replaced"
grep -q '^logLevel: notice$' /etc/watershed/watershed.yaml || fail "the edit was lost"
echo "installed: $(dpkg-query -W -f '${Version}' watershed); the edited config kept"
start
api wsd-dev-viewer-gx -f -o "$work/list.json" https://127.0.0.1:8443/v1/incidents
python3 - "$work/list.json" "$incident" <<'PY' || fail "the report is not there after the upgrade"
import json, sys
incidents = json.load(open(sys.argv[1]))
ids = [i["id"] for i in incidents]
print("incidents after the upgrade:", ids)
sys.exit(0 if sys.argv[2] in ids else 1)
PY
stop

echo "-- dpkg --purge watershed"
dpkg --purge watershed
if dpkg-query -W watershed 2>/dev/null | grep -q .; then fail "still installed after purge"; fi
[ ! -e /usr/bin/watershed ] && [ ! -e /etc/watershed/watershed.yaml ] || fail "files left after purge"
[ -f /var/lib/watershed/watershed.sqlite ] || fail "purge removed the event log"
echo "purged; the event log kept in /var/lib/watershed"
rm -rf /var/lib/watershed
userdel watershed 2>/dev/null || true
echo "package checks passed"
