# shellcheck shell=bash
# Helpers shared by the local run scripts: sourced after env.sh, never executed.

# The infrastructure's ports. They lie inside Linux's default ephemeral range (32768-60999), so
# an outgoing connection (Kafka's own broker-to-controller link, for one) can be given one of
# them as its local port and then the server cannot bind it ("Address already in use").
export ZHURNAL_INFRA_PORTS="$PG_PORT $KAFKA_PORT $KAFKA_CONTROLLER_PORT $KEYCLOAK_PORT $KEYCLOAK_MGMT_PORT $PROMETHEUS_PORT"

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# port_in_list PORT LIST: LIST is the kernel's "a,b-c,d" format.
port_in_list() {
  local p="$1" item lo hi
  local IFS=,
  for item in $2; do
    lo="${item%-*}"; hi="${item#*-}"
    [ -n "$lo" ] || continue
    if (( p >= lo && p <= hi )); then return 0; fi
  done
  return 1
}

# reserve_ports PORT...: keep the kernel from handing these ports out as ephemeral local ports
# (net.ipv4.ip_local_reserved_ports); adds to what is reserved already. Needs root; otherwise it
# only says how, and only for ports that really are in the ephemeral range.
reserve_ports() {
  local f=/proc/sys/net/ipv4/ip_local_reserved_ports range lo hi cur p missing=()
  [ -r "$f" ] || return 0
  range="$(cat /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo "32768 60999")"
  read -r lo hi <<<"$range"
  cur="$(cat "$f")"
  for p in "$@"; do
    (( p >= lo && p <= hi )) || continue
    port_in_list "$p" "$cur" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  local add; add="$(IFS=,; echo "${missing[*]}")"
  if [ "$(id -u)" -eq 0 ] && echo "${cur:+$cur,}$add" >"$f" 2>/dev/null; then
    log "reserved ports $add (net.ipv4.ip_local_reserved_ports) so no outgoing connection takes them"
  else
    log "warning: ports $add are in the ephemeral range $lo-$hi and not reserved; a server may fail to bind them now and then." \
        "Fix: sudo sysctl -w net.ipv4.ip_local_reserved_ports=${cur:+$cur,}$add"
  fi
}
