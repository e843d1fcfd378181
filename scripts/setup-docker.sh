#!/usr/bin/env bash
# Makes a Docker engine available on Debian: installs docker.io, and busybox-static (dcn builds
# its demo and test image, busybox:stable, from it when no registry is reachable), iproute2 and
# iptables (the fizz test builds a real NAT from them), then starts
# dockerd if no engine answers (there is no systemd in CI containers). Safe to run again.
set -euo pipefail
need=()
command -v dockerd >/dev/null || need+=(docker.io)
{ [ -x /bin/busybox ] && file -L /bin/busybox 2>/dev/null | grep -q 'statically linked'; } || need+=(busybox-static)
command -v file >/dev/null || need+=(file)
# The fizz tests build a real NAT from network namespaces, veth pairs and iptables MASQUERADE.
command -v ip >/dev/null || need+=(iproute2)
command -v iptables >/dev/null || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  echo "starting dockerd (log: /var/log/dockerd.log)"
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { tail -20 /var/log/dockerd.log; echo "dockerd did not start"; exit 1; }
fi
docker version --format 'docker engine {{.Server.Version}} ready'
