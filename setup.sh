#!/bin/bash
# MiniCon setup: installs what the project and its tests need, then builds it. Idempotent and
# non-interactive: safe to re-run; apt runs only when a package is missing. Run as root (or with sudo).
#   bash setup.sh                 everything
#   MINICON_SETUP_NPM=0 bash setup.sh   packages and the example rootfs only (no npm ci)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

say() { printf '==> %s\n' "$*"; }
SUDO=()
if [[ $EUID -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup.sh: run as root (apt-get needs it)" >&2; exit 1; }
  SUDO=(sudo)
fi

# 1. Debian/Ubuntu packages.
#    build-essential python3 make g++ libc6-dev: node-gyp builds the addon, minicon-init and the static
#      probe (libc6-dev ships the static libc.a);
#    busybox-static: the rootfs of test bundles and the example; runc, crun: reference runtimes for
#      tests and benchmarks; iproute2: veths and network namespaces; tmux: terminal tests of the labs;
#    qemu-system-x86: boots a cgroup-v2 kernel for the v2 integration checks.
pkgs=(build-essential python3 make g++ libc6-dev busybox-static runc crun iproute2 tmux qemu-system-x86)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  say "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" </dev/null
else
  say "packages: all present"
fi

# 2. Node.js: the project needs Node >= 20 (it is not installed here: on a new Debian 12 machine of this
#    project it is already there; the Vagrantfile installs it in the VM).
if ! command -v node >/dev/null; then
  echo "setup.sh: node is not installed; install Node.js 20 or newer" >&2; exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if ((major < 20)); then
  echo "setup.sh: Node.js $(node --version) is too old; MiniCon needs 20 or newer" >&2; exit 1
fi

# 3. The example bundle's rootfs (gitignored): busybox and one symlink per applet.
bb=$(readlink -f "$(command -v busybox || echo /bin/busybox)")
rootfs=examples/busybox/rootfs
if [[ ! -x $rootfs/bin/busybox ]] || ! cmp -s "$bb" "$rootfs/bin/busybox"; then
  say "building $rootfs from $bb"
  rm -rf "$rootfs.tmp"
  mkdir -p "$rootfs.tmp"/{bin,etc,proc,sys,dev,tmp,root}
  chmod 1777 "$rootfs.tmp/tmp"; chmod 700 "$rootfs.tmp/root"
  cp "$bb" "$rootfs.tmp/bin/busybox"
  for a in $("$rootfs.tmp/bin/busybox" --list); do
    [[ $a == busybox ]] || ln -sf busybox "$rootfs.tmp/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs.tmp/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs.tmp/etc/group"
  rm -rf "$rootfs"; mv "$rootfs.tmp" "$rootfs"
else
  say "$rootfs: up to date"
fi

# 4. npm dependencies; `npm install` runs node-gyp rebuild (addon, minicon-init, minicon-probe) and
#    `prepare` compiles TypeScript into dist/.
if [[ ${MINICON_SETUP_NPM:-1} != 0 ]]; then
  if [[ -f package-lock.json ]]; then
    say "npm ci"
    npm ci --no-audit --no-fund
  else
    say "npm install"
    npm install --no-audit --no-fund
  fi
fi
say "setup done"
