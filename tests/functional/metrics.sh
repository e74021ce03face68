#!/bin/sh
# Copyright (c) 2026 The mmproxyd authors
# SPDX-License-Identifier: ISC (see COPYING)
# metrics.sh -- -metrics: a scrape taken under load passes promtool; a
# real Prometheus scraping every second sees exactly the connections and
# bad headers this test made; idle scrapers block neither the next scrape
# nor the data path; a malformed request gets 400, a wrong path 404. The
# metrics thread runs without capabilities.
[ -n "$BASH_VERSION" ] || exec bash "$0" "$@"
. "${TOP_SRCDIR:-$(dirname "$0")/../..}/tests/functional/lib.sh"

mm_init metrics
mm_need promtool prometheus
mm_netns NS metrics
HT="$TOP_SRCDIR/tests/functional/http_tool.py"
ht() { local secs=$1; shift; timeout -k 2 "$secs" ip netns exec "$NS" \
    "$PYTHON" "$HT" "$@"; }
M=127.0.0.1:9100
P=127.0.0.1:9090

BE="$MM_TMP/backend.log"
mm_backend "$NS" 127.0.0.1:9001 echo "$BE"
# Two ports of two sockets each: one series per port, sockets summed.
mm_daemon "$NS" -l 127.0.0.1:8443-8444 -4 127.0.0.1:9001 -listeners 2 \
    -metrics "$M"
D=$MM_PID
mm_wait_listen "$NS" 9100 1 10 "$D" || mm_fail "no metrics listener"

# The thread that parses HTTP holds no capability, though the daemon runs
# as root with all of them (the relays need CAP_NET_ADMIN).
cap() { awk -v k="$1:" '$1 == k { print $2 }' "$2/status"; }
MT=
for t in /proc/"$D"/task/*; do
	[ "$(cat "$t/comm" 2>/dev/null)" = metrics ] && MT=$t
done
if [ -z "$MT" ]; then
	mm_fail "no thread named metrics"
else
	assert_eq "CapEff of the metrics thread" 0000000000000000 \
	    "$(cap CapEff "$MT")"
	assert_eq "CapPrm of the metrics thread" 0000000000000000 \
	    "$(cap CapPrm "$MT")"
	[ "$(cap CapEff "/proc/$D")" != 0000000000000000 ] ||
	    mm_fail "the main thread has no capability: nothing was tested"
fi

# Prometheus, in the namespace, on loopback, with its own storage.
cat >"$MM_TMP/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $TOP_SRCDIR/examples/prometheus-alerts.yml
scrape_configs:
  - job_name: mmproxyd
    static_configs:
      - targets: ['$M']
EOT
assert_ok "promtool check rules examples/prometheus-alerts.yml" \
    promtool check rules "$TOP_SRCDIR/examples/prometheus-alerts.yml"
mkdir "$MM_TMP/tsdb"
mm_bg "$NS" "$MM_TMP/prometheus.log" prometheus \
    --config.file="$MM_TMP/prometheus.yml" \
    --storage.tsdb.path="$MM_TMP/tsdb" --web.listen-address="$P"
PROM=$MM_LASTPID
MM_DAEMON_LOGS+=("$MM_TMP/prometheus.log")
mm_wait_listen "$NS" 9090 1 30 "$PROM" || mm_fail "prometheus did not start"

# A scrape under load: 300 echo connections, 20 at a time.
NCONN=300
mm_tool "$NS" 120 many --connect 127.0.0.1:8443 --src 198.51.100.7:20000 \
    --count $NCONN --parallel 20 >"$MM_TMP/many.json" 2>&1 &
LOAD=$!
sleep 0.3
ht 10 get --connect "$M" --out "$MM_TMP/scrape-load.txt" >/dev/null ||
    mm_fail "scrape under load"
assert_ok "promtool check metrics on a scrape under load" \
    promtool check metrics <"$MM_TMP/scrape-load.txt"
wait $LOAD || mm_fail "load: $(cat "$MM_TMP/many.json")"

# Bad headers: clients that send HTTP instead of a PROXY header.
NBAD=25
res=$(ht 60 badpp --connect 127.0.0.1:8444 --count $NBAD) ||
    mm_fail "bad headers were answered: $res"

# Idle scrapers, more than there are slots: the next scrape is still
# served at once, and a proxied connection is not held up either.
ht 30 idle --connect "$M" --count 12 --secs 4 \
    --ready-file "$MM_TMP/idle.ready" >"$MM_TMP/idle.json" 2>&1 &
IDLE=$!
mm_wait_until 10 test -e "$MM_TMP/idle.ready" || mm_fail "idle clients"
res=$(ht 10 get --connect "$M" --out "$MM_TMP/scrape-idle.txt") ||
    mm_fail "scrape behind idle clients: $res"
assert_lt "scrape behind idle clients (s)" 0.5 \
    "$(printf '%s\n' "$res" | jget secs)"
res=$(mm_client "$NS" 10 -- --connect 127.0.0.1:8443 --header v2 \
    --src 198.51.100.8:30000 --mode echo) ||
    mm_fail "proxied connection behind idle scrapers: $res"
NCONN=$((NCONN + 1))
wait $IDLE

# Malformed and misdirected requests; the server goes on.
assert_eq "malformed request" "HTTP/1.1 400 Bad Request" \
    "$(ht 10 raw --connect "$M" --data 'GARBAGE\r\n\r\n')"
assert_eq "binary garbage" "HTTP/1.1 400 Bad Request" \
    "$(ht 10 raw --connect "$M" --data '\x16\x03\x01\x00\xa5\x01\n')"
ht 10 get --connect "$M" --path /nothing --expect 404 >/dev/null ||
    mm_fail "a wrong path is not 404"
assert_eq "POST" "HTTP/1.1 405 Method Not Allowed" \
    "$(ht 10 raw --connect "$M" --data 'POST /metrics HTTP/1.1\r\n\r\n')"
ht 10 get --connect "$M" --out "$MM_TMP/scrape-end.txt" >/dev/null ||
    mm_fail "scrape after bad requests"
assert_ok "promtool check metrics at the end" \
    promtool check metrics <"$MM_TMP/scrape-end.txt"
assert_eq "one series per listening port" \
    "mmproxyd_connections_proxied_total{listener=\"127.0.0.1:8443\"} $NCONN
mmproxyd_connections_proxied_total{listener=\"127.0.0.1:8444\"} 0" \
    "$(grep '^mmproxyd_connections_proxied_total{' "$MM_TMP/scrape-end.txt")"
mm_alive "$D" daemon

# What Prometheus stored, summed over the listeners.
promq() { ht 10 promq --connect "$P" --query "$1"; }
promq_is() { test "$(promq "$1")" = "$2"; }
want_prom() {
	local what=$1 query=$2 want=$3 got
	if ! mm_wait_until 20 promq_is "$query" "$want"; then
		got=$(promq "$query")
		mm_fail "prometheus: $what: $query is '$got', want $want"
		return
	fi
	mm_log "prometheus: $query = $want"
}
want_prom "connections" 'sum(mmproxyd_connections_proxied_total)' $NCONN
want_prom "bad headers" \
    'sum(mmproxyd_bad_headers_total{reason="not_proxy"})' $NBAD
want_prom "all bad headers" 'sum(mmproxyd_bad_headers_total)' $NBAD
want_prom "bad headers on their port" \
    'mmproxyd_bad_headers_total{listener="127.0.0.1:8444",reason="not_proxy"}' \
    $NBAD
want_prom "connections on their port" \
    'mmproxyd_connections_proxied_total{listener="127.0.0.1:8443"}' $NCONN
want_prom "scrapes succeed" 'min_over_time(up{job="mmproxyd"}[5s])' 1
want_prom "accepted" 'sum(mmproxyd_connections_accepted_total)' \
    $((NCONN + NBAD))
want_prom "return route" 'min(mmproxyd_return_route_ok{target="127.0.0.1"})' 1
# Every example alert loaded and was evaluated without error.
NRULES=$(grep -c '^ *- alert: ' "$TOP_SRCDIR/examples/prometheus-alerts.yml")
WANT="$NRULES$(for i in $(seq "$NRULES"); do printf ' ok'; done)"
rules_ok() { test "$(ht 10 rules --connect "$P" --group mmproxyd)" = \
    "$WANT"; }
mm_wait_until 10 rules_ok || mm_fail "example alerts: $(ht 10 rules --connect "$P" \
    --group mmproxyd)"

mm_stop "$PROM" 20 >/dev/null
assert_eq "prometheus stops" 0 "$MM_RC"
mm_stop "$D" >/dev/null
assert_eq "daemon exit status" 0 "$MM_RC"
grep -q "metrics on http://$M/metrics" "$MM_LOG" ||
    mm_fail "no metrics line in the log"
mm_finish
