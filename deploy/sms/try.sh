#!/usr/bin/env bash
# Try task texts on one machine (issue 19, docs/sms.md): Kannel's bearerbox and smsbox with its fake SMSCs on
# loopback, playing the phones, and Watershed sending through it.
#
#   deploy/sms/try.sh up                  # Kannel up; prints the `watershed serve` flags to use
#   deploy/sms/try.sh texts               # the texts the phones received, decoded (number and text)
#   deploy/sms/try.sh reply NUMBER TEXT   # a phone replies (e.g. "1 T3", a code, or "?"); prints the answer
#   deploy/sms/try.sh down
#
# Needs Debian's kannel and kannel-extras (the fake SMSC is /usr/lib/kannel/test/fakesmsc). Installing kannel
# starts its own boxes on 13000/13002: stop them (`systemctl stop kannel`) or install with a policy-rc.d that
# forbids starting. Ports: 23000–23003 and 23013 for Kannel, 8445 for Watershed's SMS listener; override with
# KANNEL_BASE (23000) and SMS_PORT (8445). State in KANNEL_DIR (/tmp/watershed-kannel).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${KANNEL_DIR:-/tmp/watershed-kannel}
base=${KANNEL_BASE:-23000}
sms_port=${SMS_PORT:-8445}
secret=try-it-sms-secret-0123
fakesmsc=/usr/lib/kannel/test/fakesmsc

decode() {
  # fakesmsc prints `Got message N: <from to ucs-2 %XX…>` (UTF-16BE, percent-encoded, `+` a space) or
  # `<from to udh HEADER DATA>` for a part of a concatenated text (3GPP TS 23.040 §9.2.3.24.1).
  python3 -c '
import re, signal, sys, urllib.parse
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
def data(s): return urllib.parse.unquote_to_bytes(s.replace("+", " "))
parts = {}
for line in sys.stdin:
    m = re.search(r"Got message \d+: <(\S+) (\S+) (\S+) (.*)>", line)
    if not m: continue
    sender, to, kind, rest = m.groups()
    if kind == "ucs-2": print(to, data(rest).decode("utf-16-be"))
    elif kind == "text": print(to, rest)
    elif kind == "udh":
        words = rest.split(" ")
        h = data(words[0])
        key = (to, h[3])
        parts.setdefault(key, {})[h[5]] = data(words[-1]).decode("utf-16-be")
        if len(parts[key]) == h[4]:
            print(to, "".join(text for _, text in sorted(parts.pop(key).items())))
'
}

case "${1:-}" in
up)
  for tool in /usr/sbin/bearerbox /usr/sbin/smsbox "$fakesmsc"; do
    [ -x "$tool" ] || { echo "$tool not found: apt-get install kannel kannel-extras" >&2; exit 1; }
  done
  mkdir -p "$dir"
  sed -e "s/@ADMIN_PORT@/$base/; s/@SMSBOX_PORT@/$((base + 1))/g; s/@SMSC_PORT@/$((base + 2))/g" \
    -e "s/@REPLY_PORT@/$((base + 3))/g; s/@SENDSMS_PORT@/$((base + 13))/; s/@SECRET@/try-it/g; s|@DIR@|$dir|g" \
    -e "s|@WATERSHED@|http://127.0.0.1:$sms_port|; s|@WATERSHED_SECRET@|$secret|" \
    "$root/Tests/kannel/kannel.conf.template" >"$dir/kannel.conf"
  /usr/sbin/bearerbox "$dir/kannel.conf" >"$dir/bearerbox.out" 2>&1 &
  echo $! >"$dir/bearerbox.pid"
  sleep 0.5
  /usr/sbin/smsbox "$dir/kannel.conf" >"$dir/smsbox.out" 2>&1 &
  echo $! >"$dir/smsbox.pid"
  "$fakesmsc" -H 127.0.0.1 -r $((base + 2)) -m 0 "0 0 text nop" >/dev/null 2>"$dir/phones.log" &
  echo $! >"$dir/phones.pid"
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$((base + 13))/cgi-bin/sendsms" && break
    sleep 0.1
  done
  cat <<TEXT
Kannel is up ($dir). Start Watershed with:

  swift run watershed serve --sms-gateway http://127.0.0.1:$((base + 13))/cgi-bin/sendsms --sms-user watershed \\
    --sms-password try-it --sms-secret $secret --sms-listen 127.0.0.1:$sms_port

File a report (README, "Try it"); each task's text goes to the rota's holder (seeds/450000/rota.yaml). Then:

  $0 texts
  $0 reply +8610000451231 "1 T3"      # the number the text went to, and the task's number or code
TEXT
  ;;
texts)
  decode <"$dir/phones.log"
  ;;
reply)
  [ $# -ge 3 ] || { echo "usage: $0 reply NUMBER TEXT" >&2; exit 2; }
  out=$(mktemp)
  "$fakesmsc" -H 127.0.0.1 -r $((base + 3)) -m 1 "$2 12369 text $3" >/dev/null 2>"$out" &
  pid=$!
  for _ in $(seq 50); do grep -q "Got message" "$out" && break; sleep 0.1; done
  { kill -9 "$pid" && wait "$pid"; } 2>/dev/null || true
  answer=$(decode <"$out" | cut -d' ' -f2-)
  echo "${answer:-(no answer: a number not on the rota gets none)}"
  rm -f "$out"
  ;;
down)
  for box in phones smsbox bearerbox; do
    [ -f "$dir/$box.pid" ] && kill -9 "$(cat "$dir/$box.pid")" 2>/dev/null || true
    rm -f "$dir/$box.pid"
  done
  ;;
*)
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
  ;;
esac
