#!/usr/bin/env bash
# test/bench/bench-convergence.sh -- multi-signer DNSKEY convergence time.
#
#   HSYNC_BIN=build/bin HSYNC_TOP=. test/bench/bench-convergence.sh [N]
#   (make bench-convergence)
#
# For each provider count N in BENCH_PROVIDERS ("2 4 8"), a fresh set-up
# of test/data/msync-lib.sh on loopback: an owner knotd whose HSYNC names N
# agents (ON AGENT SIGN), and per provider combinerd -> knotd signer ->
# hsyncd -> agentd (identities in lab., validated by unbound; all waits 0).
# Once every signer serves the same 2N DNSKEYs, BENCH_RUNS (5) times: a new
# ZSK is generated in provider a's KASP DB (published now, active in a
# month, so no roll follows), the clock starts just before
# `knotc zone-keys-load` at a's signer, and one poller per signer asks it
# (dig DNSKEY, every 10 ms) until it serves the new key tag. A run's figure
# is the latest of the other signers; the next run starts once all signers
# serve the same set again.
#
# Output, one line per N:  providers=N median_s=... max_s=...
# (median and max over the runs). On stderr: the per-run figures and the
# time a's own signer took to serve the key (local_s), which is part of it.
# BENCH_STAGES=1 polls the stages too (adds N pollers, so the figures move):
# a's hsyncd, then the latest of the other providers' combinerds (after
# agentd a -> SYNC -> agentd X -> UPDATE), then their signers.
# Loopback only; everything started is stopped by PID; scratch directories
# are removed unless BENCH_KEEP=1.
set -eu
export LC_ALL=C

if [ $# = 0 ]; then
	for n in ${BENCH_PROVIDERS:-2 4 8}; do
		"$0" "$n" || { echo "providers=$n failed" >&2; exit 1; }
	done
	exit 0
fi

N=$1
RUNS=${BENCH_RUNS:-5}
HSYNC_WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-conv.XXXXXX")
export HSYNC_WORK
. "${HSYNC_TOP:?HSYNC_TOP not set}/test/integration/lib.sh"
. "$TOP/test/data/agentd-lab.sh"
. "$TOP/test/data/msync-lib.sh"
trap 'cleanup; [ "${BENCH_KEEP:-0}" = 1 ] && echo "kept $W" >&2 || rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

say() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
ALL=(a b c d e f g h i j k l)
[ "$N" -ge 2 ] && [ "$N" -le ${#ALL[@]} ] || fail "providers: 2..${#ALL[@]}"
P=("${ALL[@]:0:$N}")

say "providers=$N: starting $((N * 4 + 4)) processes"
lab_agents "${P[@]}"
lab_start
msync_keys "${P[@]}"
new_port; OP=$NEWPORT
for x in "${P[@]}"; do
	new_port; eval "CP_$x=$NEWPORT"
	new_port; eval "SP_$x=$NEWPORT"
	new_port; eval "HP_$x=$NEWPORT"
done
msync_owner "${P[@]}"
for x in "${P[@]}"; do
	msync_combinerd "$x"
	msync_signer "$x"
	msync_hsyncd "$x"
done
for x in "${P[@]}"; do
	wait_for 30 signer_up "$x" || fail "signer $x does not serve a signed zone: $(tail -5 "$W/signer_$x.log")"
done
for x in "${P[@]}"; do
	msync_agent "$x"
	agent_start "$x"
done

# converged: every signer serves the same DNSKEY set as a, with at least MIN keys
converged() {
	local x ref
	ref=$(dnskeys a)
	[ "$(echo "$ref" | grep -c .)" -ge "$1" ] || return 1
	for x in "${P[@]}"; do
		[ "$(dnskeys "$x")" = "$ref" ] || return 1
	done
}
t=$EPOCHREALTIME
wait_for 90 converged $((2 * N)) || {
	for x in "${P[@]}"; do echo "# signer $x:"; dnskeys "$x"; done >&2
	fail "the $N signers do not serve the same $((2 * N)) DNSKEYs"
}
say "providers=$N: converged, $((2 * N)) keys at every signer, $(echo "$EPOCHREALTIME - $t" | bc) s after the agents started"

# poll NAME PORT TAG T0: wait until the server at PORT serves TAG; the
# delay after T0 in $W/seen.NAME ("timeout" after 60 s)
poll() {
	local name=$1 port=$2 tag=$3 t0=$4 end
	end=$(( ${t0%.*} + 60 ))
	while [ "${EPOCHREALTIME%.*}" -lt $end ]; do
		if dig +norec +multiline +time=1 +tries=1 @127.0.0.1 -p "$port" example.com DNSKEY |
			grep -q "key id = $tag\$"; then
			echo "$EPOCHREALTIME - $t0" | bc >"$W/seen.$name"
			return 0
		fi
		sleep 0.01
	done
	echo timeout >"$W/seen.$name"
}
# latest NAME...: the largest delay of those in $W/seen.NAME
latest() {
	local x; for x in "$@"; do cat "$W/seen.$x"; done | sort -g | tail -1
}

RES=()
for r in $(seq 1 "$RUNS"); do
	n=$(dnskeys a | grep -c .)
	wait_for 60 converged "$n" || fail "run $r: signers differ before the run"
	sleep 0.5
	before=$(own_tags a)
	keymgr -c "$W/signer_a/knot.conf" example.com generate algorithm=ecdsap256sha256 \
		ksk=no zsk=yes publish=+0 active=+30d >/dev/null || fail "keymgr generate"
	tag=$(comm -13 <(echo "$before" | sort) <(own_tags a | sort) | head -1)
	[ -n "$tag" ] || fail "no new key tag in a's KASP DB"
	rm -f "$W"/seen.*
	t0=$EPOCHREALTIME
	knotc -c "$W/signer_a/knot.conf" zone-keys-load example.com >/dev/null || fail "knotc zone-keys-load"
	pp=()
	for x in "${P[@]}"; do
		poll "$x" "$(signer_port "$x")" "$tag" "$t0" &
		pp+=($!)
		[ "${BENCH_STAGES:-0}" = 1 ] || continue
		if [ "$x" = a ]; then
			poll hsd_a "$HP_a" "$tag" "$t0" &
		else
			poll "cmb_$x" "$(eval echo "\$CP_$x")" "$tag" "$t0" &
		fi
		pp+=($!)
	done
	for p in "${pp[@]}"; do wait "$p"; done
	m=0
	for x in "${P[@]}"; do
		s=$(cat "$W/seen.$x")
		[ "$s" != timeout ] || fail "run $r: key $tag not at signer $x within 60 s"
		if [ "$x" = a ]; then
			loc=$s
		elif [ "$(echo "$s > $m" | bc)" = 1 ]; then
			m=$s
		fi
	done
	if [ "${BENCH_STAGES:-0}" = 1 ]; then
		say "providers=$N run $r: key $tag signer_a=$loc hsyncd_a=$(latest hsd_a) combinerds=$(latest "${P[@]/#/cmb_}" 2>/dev/null | tail -1) signers=$m"
	else
		say "providers=$N run $r: key $tag local_s=$loc all_s=$m"
	fi
	RES+=("$m")
done

printf '%s\n' "${RES[@]}" | sort -g | awk -v n="$N" '{ v[NR] = $1 }
	END { med = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "providers=%d median_s=%.3f max_s=%.3f\n", n, med, v[NR] }'
