# test/data/parent-lab.sh -- sourced after lib.sh, agentd-lab.sh (lab_start
# done) and msync-lib.sh (the signers serve example.com.): the parent zone
# com. of example.com., as t-msync-parent.sh and the lab (contrib/lab/
# multi.sh) use it.
#
# named serves com., signed (dnssec-policy default), with example.com.'s
# delegation (NS ns1.owner.test., DS of the KSKs of the signers named) and
# the DSYNC, SVCB and KEY records of an agentd in the parent role
# (identity agent-p.lab), which is com.'s UPDATE receiver: it takes SIG(0)
# UPDATEs from the child and sends what it accepts to named by TSIG UPDATE.
# A validating unbound on $JP trusts lab.'s and com.'s KSKs and reaches
# com. at named and example.com. at signer $PARENT_STUB (a unless set):
# it is the resolver of the providers' agents and of the parent agent.
#
#   parent_start X...   com. at named with the DS of signer X's KSK, for each
#                       X; the resolver; the parent agentd (logs parent.log
#                       and pagent.log). Sets P_NAMED P_RECV JP, PKEY (the
#                       receiver's key), CKEY (the child's key, not yet known
#                       to the parent), CTAG (its key tag)
#   parent_agents NSWAIT X...   the providers' agents' configurations
#                       (msync_agent) with waits of $WAIT s (NS-Wait NSWAIT s),
#                       parent-poll 1s, the resolver $JP and com.'s server as
#                       their parent-nameserver
#   parent_child X [LINES]   a child block for example.com. in agent X's
#                       configuration (key CKEY, source signer X), LINES added
#   pctl CMD...         a command on the parent agentd's control socket
#   ds_tags             key tags of example.com.'s DS at named, one line
#   ns_at_parent        the NS names of example.com.'s delegation at named
#                       (AXFR of com.), sorted, lower case, one line
#   ns_referral         the same from the authority section of named's
#                       referral for www.example.com.
#   res_ok              the resolver validates www.example.com. A (AD)
#   parent_validator NAME X   an unbound trusting com.'s KSK only, asking
#                       named for com. and only signer X for example.com.
#                       (port VP_NAME): the chain a resolver follows
PARENT_STUB=${PARENT_STUB:-a}

parent_start() {
	local x
	new_port; P_NAMED=$NEWPORT
	new_port; P_RECV=$NEWPORT
	new_port; P_PAGENT=$NEWPORT
	new_port; JP=$NEWPORT
	mkdir -p "$W/jlpk" "$W/jlck" "$W/pstate" "$W/named"
	PKEY=$W/jlpk/$(cd "$W/jlpk" && dnssec-keygen -q -T KEY -a ED25519 -n HOST com)
	CKEY=$W/jlck/$(cd "$W/jlck" && dnssec-keygen -q -T KEY -a ED25519 -n HOST example.com)
	CTAG=$(echo "$CKEY" | sed 's/.*+0*//')
	tsig-keygen -a hmac-sha256 pupd >"$W/pupd.key"
	cat >"$W/parent.conf" <<EOF
identity agent-p.lab
key "$PKEY"
listen 127.0.0.1@$P_PAGENT
resolver 127.0.0.1@$JP
tsig-key-file "$W/pupd.key"
state-dir "$W/pstate"
control-socket "$W/parent.ctl"
log-level info
parent com {
	listen 127.0.0.1@$P_RECV
	key "$PKEY"
	target ddns.com
	primary 127.0.0.1@$P_NAMED key pupd
	trust-store "$W/pstate/trust.json"
}
EOF
	"$BIN/agentd" -n -f "$W/parent.conf" || fail "agentd -n parent.conf"

	# the delegation: DS (SHA-256) of the KSKs the named signers serve
	for x in "$@"; do
		kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$(signer_port "$x")" example.com DNSKEY |
			awk '$4 == "DNSKEY" && $5 == 257' | sed 's/[[:space:]]\+[0-9]\+[[:space:]]\+IN[[:space:]]\+/ 2 IN /'
	done >"$W/ksk-parent.txt"
	[ "$(wc -l <"$W/ksk-parent.txt")" = "$#" ] || fail "KSKs for the parent's DS: $(cat "$W/ksk-parent.txt")"
	{
		echo '$ORIGIN com.'
		echo '$TTL 2'
		echo '@ SOA ns1 hostmaster 1 3600 900 604800 1'
		echo '@ NS ns1'
		echo 'ns1 A 127.0.0.1'
		echo 'ddns A 127.0.0.1'
		echo 'example NS ns1.owner.test.'
		dnssec-dsfromkey -2 -T 2 -f "$W/ksk-parent.txt" example.com
		"$BIN/agentd" -p -f "$W/parent.conf" | sed -n '/^; parent /,$p' | grep -v '^;' |
			awk '$1 ~ /(^|\.)com\.$/ && $1 !~ /^_dns/'
	} >"$W/named/com.zone"
	grep -q TYPE66 "$W/named/com.zone" || fail "no DSYNC for com."
	[ "$(grep -c ' DS ' "$W/named/com.zone")" = "$#" ] || fail "initial DS: $(grep ' DS ' "$W/named/com.zone")"
	named_primary "$W/named" "$P_NAMED" com. com.zone "dnssec-policy default;"
	bg named named -g -c "$W/named/named.conf"
	psigned() { kdig +short +norec +time=1 +retry=0 @127.0.0.1 -p "$P_NAMED" com. DNSKEY | grep -q '^257 '; }
	wait_for 20 psigned || fail "named did not sign com.: $(tail "$W/named.log")"
	kdig +nocomments +noquestion +nostats +norec @127.0.0.1 -p "$P_NAMED" com. DNSKEY |
		awk '$4 == "DNSKEY" && $5 == 257' >"$W/com-anchor.key"
	cat "$W/anchor.key" "$W/com-anchor.key" >"$W/jl-anchors.key"
	unbound_conf "$W/jlres.conf" "$JP" "trust-anchor-file: \"$W/jl-anchors.key\"
cache-max-ttl: 1
cache-max-negative-ttl: 1" "lab.=127.0.0.1@$KP" "com.=127.0.0.1@$P_NAMED" \
		"example.com.=127.0.0.1@$(signer_port "$PARENT_STUB")"
	bg jlres unbound -d -c "$W/jlres.conf"
	wait_for 20 res_ok || fail "the resolver does not validate com. -> example.com.: $(kdig +dnssec @127.0.0.1 -p "$JP" www.example.com A)"
	kdig +dnssec @127.0.0.1 -p "$JP" example._dsync.com. TYPE66 | grep -qi 'flags:.* ad;' || fail "DSYNC does not validate"
	bg pagent "$BIN/agentd" -f "$W/parent.conf"
	wait_for 10 grep -q "UPDATE receiver on" "$W/pagent.log" || fail "parent agentd: $(tail "$W/pagent.log")"
}

parent_agents() {
	local nsw=$1 x
	shift
	UP=$JP
	for x in "$@"; do
		msync_agent "$x"
		sed -i "s/dnskey-wait 0; ds-wait 0; ns-wait 0; parent-poll 2s/dnskey-wait ${WAIT}s; ds-wait ${WAIT}s; ns-wait ${nsw}s; parent-poll 1s/" "$W/$x.conf"
		grep -q "ds-wait ${WAIT}s; ns-wait ${nsw}s; parent-poll 1s" "$W/$x.conf" || fail "waits not set in $x.conf"
		# the parent's NS is read at com.'s server (no recursion), which listens
		# on $P_NAMED, not on port 53 of the address its NS name has
		echo "parent-nameserver com 127.0.0.1@$P_NAMED" >>"$W/$x.conf"
		"$BIN/agentd" -n -f "$W/$x.conf" || fail "agentd -n $x.conf (parent-nameserver)"
	done
}

parent_child() {
	local x=$1 sp
	sp=$(signer_port "$x")
	cat >>"$W/$x.conf" <<EOF
child example.com {
	source 127.0.0.1@$sp
	key "$CKEY"
	ttl 2
	refresh 1s
${2:-}
}
EOF
	"$BIN/agentd" -n -f "$W/$x.conf" || fail "agentd -n $x.conf (with the child block)"
}

pctl() { "$BIN/hsync-ctl" -s "$W/parent.ctl" "$@"; }

ds_tags() {
	kdig +nocomments +noquestion +nostats @127.0.0.1 -p "$P_NAMED" com. AXFR |
		awk 'tolower($1) == "example.com." && $4 == "DS" {print $5}' | sort -n | tr '\n' ' '
}

ns_at_parent() {
	kdig +nocomments +noquestion +nostats @127.0.0.1 -p "$P_NAMED" com. AXFR |
		awk 'tolower($1) == "example.com." && $4 == "NS" {print tolower($5)}' | sort | tr '\n' ' ' |
		sed 's/ $//'
}
ns_referral() {
	kdig +noquestion +nostats +norec +time=1 +retry=0 @127.0.0.1 -p "$P_NAMED" www.example.com A |
		awk '/AUTHORITY SECTION/ {a = 1; next} /SECTION/ {a = 0}
		     a && tolower($1) == "example.com." && $4 == "NS" {print tolower($5)}' | sort |
		tr '\n' ' ' | sed 's/ $//'
}

res_ok() { kdig +dnssec +time=1 +retry=0 @127.0.0.1 -p "$JP" www.example.com A | grep -qi 'flags:.* ad;'; }

parent_validator() {
	MV_COM=$P_NAMED msync_validator "$1" "$2" "$W/com-anchor.key"
}
