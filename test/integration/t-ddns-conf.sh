#!/usr/bin/env bash
# agentd's parent and child blocks: agentd -n accepts a good one and
# refuses each mistake with exit 100 and file:line: reason.
. "$HSYNC_TOP/test/integration/lib.sh"
KD=$TOP/test/data/ddns-keys
cat >"$W/t.key" <<K
key "pupd" { algorithm hmac-sha256; secret "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="; };
K
base() {
	cat <<C
identity agent.parent.example
key "$KD/Kparent.example.+015+64135"
resolver 127.0.0.1@5353
tsig-key-file "$W/t.key"
state-dir "$W/state"
C
}
good_parent='parent parent.example {
	listen 127.0.0.1@5302
	key "'$KD'/Kparent.example.+015+64135"
	primary 127.0.0.1@5301 key pupd
}'
good_child='child child.parent.example {
	source 127.0.0.1@5300
	key "'$KD'/Kchild.parent.example.+013+11727"
	mode replace
}'
{ base; echo "$good_parent"; echo "$good_child"; } >"$W/good.conf"
"$BIN/agentd" -n -f "$W/good.conf" || fail "good configuration refused"
"$BIN/agentd" -p -f "$W/good.conf" | grep -q '^\*\._dsync\.parent\.example\. 3600 IN TYPE66 ' ||
	fail "agentd -p: no DSYNC"
ok "a parent and a child block are accepted; -p prints the DSYNC"

# bad CONF-TEXT LINE WANT: agentd -n exits 100 with "bad.conf:LINE: ...WANT..."
bad() {
	{ base; printf '%s\n' "$1"; } >"$W/bad.conf"
	local out rc=0
	out=$("$BIN/agentd" -n -f "$W/bad.conf" 2>&1) || rc=$?
	[ $rc = 100 ] || fail "$3: exit $rc ($out)"
	echo "$out" | grep -q "bad.conf:$2: .*$3" || fail "$3: got '$out'"
}
bad "${good_parent/key pupd/key nosuch}" 9 "key nosuch is in no tsig-key-file"
bad "${good_parent/Kparent.example.+015+64135/Knothere}" 8 "key: "
bad 'parent parent.example {
	key "'$KD'/Kparent.example.+015+64135"
	primary 127.0.0.1@5301 key pupd
}' 6 "listen"
bad "${good_parent/listen 127.0.0.1@5302/listen 127.0.0.1@5302 bogus}" 7 ""
bad "${good_child/Kchild.parent.example.+013+11727/Kother.parent.example.+015+11861}" 8 "its owner is not the child zone"
bad "${good_child/mode replace/mode sideways}" 9 "mode"
bad "$good_child
child child.parent.example. {
	source 127.0.0.1
	key \"$KD/Kchild.parent.example.+013+11727\"
}" 11 "duplicate child"
bad 'child child.parent.example {
	source 127.0.0.1
	key "'$KD'/Kchild.parent.example.+013+11727"
	parent other.example
}' 9 "not an ancestor"
ok "mistakes in parent and child blocks: exit 100 with file:line and the reason"

# publish-key (the child's KEY at its apex through combinerd)
{ base; echo "combinerd 127.0.0.1@5399 key pupd"; echo "${good_child/mode replace/publish-key yes}"; } >"$W/pk.conf"
"$BIN/agentd" -n -f "$W/pk.conf" || fail "publish-key yes with combinerd refused"
bad "${good_child/mode replace/publish-key yes}" 9 "publish-key yes needs a combinerd statement"
bad "combinerd 127.0.0.1@5399
${good_child/mode replace/publish-key yes}" 10 "publish-key yes needs a key on the combinerd statement"
bad "${good_child/mode replace/publish-key maybe}" 9 "publish-key"
{ base; echo "${good_child/mode replace/publish-key no}"; } >"$W/pkno.conf"
"$BIN/agentd" -n -f "$W/pkno.conf" || fail "publish-key no (no combinerd needed) refused"
ok "publish-key: yes needs a combinerd statement with a key (file:line: reason); yes/no only"

# the children block: the child role for every zone, keys from key-dir
good_children='children {
	source 127.0.0.1@5300 key pupd
	key-dir "'$KD'"
	mode replace
	ttl 300
}'
{ base; echo "$good_children"; echo "$good_child"; } >"$W/children.conf"
"$BIN/agentd" -n -f "$W/children.conf" || fail "a children block (and a child block) refused"
: >"$W/plainfile"
bad "${good_children/$KD/$W/nonexistent}" 8 "key-dir: $W/nonexistent: No such file or directory"
bad "${good_children/$KD/$W/plainfile}" 8 "key-dir: $W/plainfile: Not a directory"
bad "${good_children/key pupd/key nosuch}" 7 "source: key nosuch is in no tsig-key-file"
bad "${good_children/127.0.0.1@5300/not-an-address}" 7 "source"
bad "${good_children/mode replace/mode sideways}" 9 "mode"
bad 'children {
	source 127.0.0.1@5300
}' 6 "key-dir"
bad "${good_children/children/children all}" 6 "children"
bad "${good_children/mode replace/publish-key yes}" 9 "publish-key yes needs a combinerd statement"
bad "$good_children
$good_children" 12 "children"
ok "children block: key-dir must be a readable directory, source and its TSIG key checked (file:line: reason)"
