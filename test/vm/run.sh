#!/usr/bin/env bash
# Boot Debian's kernel (cgroup v2 only) under qemu TCG with a self-contained initramfs (busybox,
# node, the project) and run one shell command line inside it as root. See test/vm/README.md.
#
#   bash test/vm/run.sh [--] CMD...
# One CMD argument is a shell command line (run by /bin/sh in the VM); several are one command
# and its arguments. Prints the VM's serial console live on stdout and exits with CMD's exit
# status (1 when the VM ends without reporting one, 124 on timeout).
set -euo pipefail

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	cat <<'EOF'
Default CMD: node_modules/.bin/uvu test/integration "cgroups.*\.test\.js$"

Environment:
  MINICON_VM_TIMEOUT=300     wall-clock seconds before qemu is killed (exit 124)
  MINICON_VM_MEM=2048        guest RAM in MiB
  MINICON_VM_SMP=2           guest CPUs (TCG, multi-threaded)
  MINICON_VM_CACHE=/var/cache/minicon-vm   kernel and cached initramfs base
  MINICON_VM_KVER=           kernel ABI to use, e.g. 6.1.0-56-amd64 (default: linux-image-amd64's)
  MINICON_VM_MODULES="..."   kernel modules loaded at boot (dependencies are added)
  MINICON_VM_EXTRA_BINS="ip dash bash"  host programs copied into the VM with their libraries
                             (/bin/sh is dash when present; busybox provides the rest)
  MINICON_VM_NM_EXCLUDE="typescript @types esbuild @esbuild .cache"  node_modules entries left out
  MINICON_VM_KEEP_LOG=FILE   also keep the console log in FILE
  MINICON_VM_DEBUG=1         kernel messages (initcall_debug) and boot phase times
Variables named MINICON_* (except MINICON_VM_*), CI and NODE_OPTIONS are passed into the VM.
EOF
}

case "${1-}" in
-h | --help) usage; exit 0 ;;
--) shift ;;
esac
# One argument is a shell command line; several are one command and its arguments (quoted here).
if [ $# -eq 0 ]; then
	CMD='node_modules/.bin/uvu test/integration "cgroups.*\.test\.js$"'
elif [ $# -eq 1 ]; then
	CMD=$1
else
	CMD=
	for a in "$@"; do CMD="$CMD '${a//\'/\'\\\'\'}'"; done
	CMD=${CMD# }
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT=$(cd "$HERE/../.." && pwd)
CACHE=${MINICON_VM_CACHE:-/var/cache/minicon-vm}
[ -n "${MINICON_VM_CACHE-}" ] || [ -w /var/cache ] || CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/minicon-vm
TIMEOUT=${MINICON_VM_TIMEOUT:-300}
MEM=${MINICON_VM_MEM:-2048}
SMP=${MINICON_VM_SMP:-2}
MODULES=${MINICON_VM_MODULES:-overlay veth bridge loop tun}
EXTRA_BINS=${MINICON_VM_EXTRA_BINS-ip dash bash}
NM_EXCLUDE=${MINICON_VM_NM_EXCLUDE-typescript @types esbuild @esbuild .cache}
# Bump when the layout of the cached base part changes.
BASE_FORMAT=1

say() { echo "minicon-vm: $*"; }
die() { echo "minicon-vm: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f s", b - a }'; }

T0=$(now)
mkdir -p "$CACHE"
# Scratch space (~150 MB while booting): tmpfs when there is one, several times faster here.
TMPBASE=${MINICON_VM_TMP:-}
if [ -z "$TMPBASE" ]; then
	TMPBASE=${TMPDIR:-/tmp}
	if [ -d /dev/shm ] && [ -w /dev/shm ] &&
		[ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 { print $4 }')" -gt 1048576 ] 2>/dev/null; then
		TMPBASE=/dev/shm
	fi
fi
WORK=$(mktemp -d "$TMPBASE/minicon-vm.XXXXXX")
QEMU_PID=
cleanup() {
	# QEMU_PID is timeout(1)'s, which passes the signal on to qemu.
	[ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null || true
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- host tools
apt_updated=
apt_install() {
	say "installing $* (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y --no-install-recommends "$@" >"$WORK/apt.log" 2>&1; then
		apt-get update >>"$WORK/apt.log" 2>&1 || true
		apt_updated=1
		apt-get install -y --no-install-recommends "$@" >>"$WORK/apt.log" 2>&1 ||
			{ cat "$WORK/apt.log" >&2; die "apt-get install $* failed"; }
	fi
}
command -v qemu-system-x86_64 >/dev/null || apt_install qemu-system-x86
BUSYBOX=
for b in /bin/busybox /usr/bin/busybox; do [ -x "$b" ] && BUSYBOX=$b && break; done
[ -n "$BUSYBOX" ] || { apt_install busybox-static; BUSYBOX=/bin/busybox; }
NODE=$(command -v node) || die "node is not on PATH"
NODE=$(readlink -f "$NODE")
for t in timeout flock sha256sum; do command -v $t >/dev/null || die "$t is missing"; done

# ---------------------------------------------------------------- kernel
exec 9>"$CACHE/.lock"
flock 9
KVER=${MINICON_VM_KVER:-}
kver_from_apt() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1
}
if [ -z "$KVER" ]; then
	# apt-cache takes seconds here: ask it only when the package lists changed since last time.
	if [ -s "$CACHE/kernel-current" ] && [ "$CACHE/kernel-current" -nt /var/lib/apt/lists ]; then
		KVER=$(cat "$CACHE/kernel-current")
	else
		KVER=$(kver_from_apt)
	fi
	if [ -z "$KVER" ] && [ -s "$CACHE/kernel-current" ]; then
		KVER=$(cat "$CACHE/kernel-current")
	fi
	if [ -z "$KVER" ] && [ -z "$apt_updated" ]; then
		apt-get update >/dev/null 2>&1 || true
		KVER=$(kver_from_apt)
	fi
	[ -n "$KVER" ] || die "cannot find the kernel that linux-image-amd64 depends on (apt-cache)"
fi
KDIR=$CACHE/kernel/$KVER
# Like the kernel's scripts/extract-vmlinux: find the compressed payload in a bzImage.
extract_vmlinux() {
	local magic cmd off pair
	for pair in $'\xfd7zXZ:xz -dc' $'\x28\xb5\x2f\xfd:zstd -dc' $'\x1f\x8b\x08:gzip -dc'; do
		magic=${pair%%:*} cmd=${pair#*:}
		command -v "${cmd%% *}" >/dev/null || continue
		for off in $(LC_ALL=C grep -aboF "$magic" "$1" | cut -d: -f1 | head -n5); do
			tail -c +$((off + 1)) "$1" | $cmd >"$2.tmp" 2>/dev/null
			if [ "$(head -c4 "$2.tmp" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				mv "$2.tmp" "$2"
				return 0
			fi
		done
	done
	rm -f "$2.tmp"
	return 1
}
if [ ! -f "$KDIR/ok" ]; then
	t=$(now)
	say "fetching linux-image-$KVER into $KDIR"
	rm -rf "$KDIR" && mkdir -p "$KDIR/dl"
	(cd "$KDIR/dl" && apt-get download -o APT::Sandbox::User=root "linux-image-$KVER" >/dev/null) ||
		{ apt-get update >/dev/null 2>&1; (cd "$KDIR/dl" && apt-get download -o APT::Sandbox::User=root "linux-image-$KVER" >/dev/null); } ||
		die "apt-get download linux-image-$KVER failed"
	deb=$(ls "$KDIR"/dl/*.deb)
	dpkg-deb -f "$deb" Version >"$KDIR/pkgversion"
	dpkg-deb -x "$deb" "$KDIR/x"
	mv "$KDIR/x/boot/vmlinuz-$KVER" "$KDIR/vmlinuz"
	mv "$KDIR/x/boot/config-$KVER" "$KDIR/config"
	mkdir -p "$KDIR/lib"
	mv "$KDIR/x/lib/modules" "$KDIR/lib/modules" 2>/dev/null || mv "$KDIR/x/usr/lib/modules" "$KDIR/lib/modules"
	rm -rf "$KDIR/x" "$KDIR/dl"
	# The package ships no modules.dep (its postinst runs depmod): make one.
	if command -v depmod >/dev/null; then depmod -b "$KDIR" "$KVER"; else "$BUSYBOX" depmod -b "$KDIR" "$KVER"; fi
	touch "$KDIR/ok"
	say "kernel ready in $(since "$t")"
fi
# The uncompressed ELF vmlinux boots through its PVH entry: under TCG that skips 5-6 s of the
# bzImage's decompressor (relocation copies + xz). The bzImage stays as the fallback.
if [ ! -f "$KDIR/vmlinux" ] && [ ! -f "$KDIR/no-vmlinux" ]; then
	extract_vmlinux "$KDIR/vmlinuz" "$KDIR/vmlinux" ||
		{ touch "$KDIR/no-vmlinux"; say "note: could not extract vmlinux; booting the bzImage"; }
fi
[ "$(cat "$CACHE/kernel-current" 2>/dev/null)" = "$KVER" ] || echo "$KVER" >"$CACHE/kernel-current"
say "kernel $KVER (Debian linux-image-$KVER $(cat "$KDIR/pkgversion")), node $("$NODE" --version), qemu $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'), tcg, $SMP CPU(s), $MEM MiB"

# ---------------------------------------------------------------- base part (cached)
# busybox, node and its libraries, extra host programs, kernel modules, /etc.
stat_of() { stat -Lc '%n %s %Y' "$1"; }
EXTRA_PATHS=()
for b in $EXTRA_BINS; do
	if p=$(command -v "$b"); then
		EXTRA_PATHS+=("$(readlink -f "$p")")
	else
		say "note: extra program $b not found on the host, skipped"
	fi
done
BASE_KEY=$({
	echo "$BASE_FORMAT $KVER $MODULES"
	stat_of "$BUSYBOX"
	stat_of "$NODE"
	for p in ${EXTRA_PATHS[@]+"${EXTRA_PATHS[@]}"}; do stat_of "$p"; done
	sed -n '/^# BASE-BEGIN/,/^# BASE-END/p' "$0"
} | sha256sum | cut -c1-16)
BASE=$CACHE/base-$BASE_KEY.cpio

# BASE-BEGIN (edits between these markers rebuild the cached base)
# Where host path $1 lives in the VM's merged-/usr tree (/lib, /lib64, /bin, /sbin are symlinks
# there: a cpio entry must never turn them into directories).
vmpath() {
	case $1 in
	/lib/* | /lib64/*) echo "/usr$1" ;;
	/bin/* | /sbin/* | /usr/sbin/*) echo "/usr/bin/${1##*/}" ;;
	*) echo "$1" ;;
	esac
}
# Copy file $2 to its VM path under root $1, following symlinks.
put() {
	local d
	d=$(vmpath "$2")
	mkdir -p "$1$(dirname "$d")" && cp -L "$2" "$1$d"
}
# Copy the shared libraries (and the loader) that ELF file $2 needs into root $1.
put_libs() {
	local lib
	{ ldd "$2" 2>/dev/null || true; } | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
		while read -r lib; do [ -e "$1$(vmpath "$lib")" ] || put "$1" "$lib"; done
}
build_base() {
	local st=$1 m
	mkdir -p "$st"/{usr/bin,usr/lib/x86_64-linux-gnu,usr/lib64,usr/local/bin,usr/local/sbin,etc/minicon-vm}
	mkdir -p "$st"/{proc,sys,dev,tmp,run,root,mnt,var/lib,var/tmp}
	ln -s usr/bin "$st/bin"
	ln -s usr/bin "$st/sbin"
	ln -s bin "$st/usr/sbin"
	ln -s usr/lib "$st/lib"
	ln -s usr/lib64 "$st/lib64"
	chmod 1777 "$st/tmp" "$st/var/tmp"
	chmod 700 "$st/root"
	mknod -m 600 "$st/dev/console" c 5 1 2>/dev/null || true
	mknod -m 666 "$st/dev/null" c 1 3 2>/dev/null || true

	cp -L "$BUSYBOX" "$st/usr/bin/busybox"
	put_libs "$st" "$BUSYBOX"
	for a in $("$BUSYBOX" --list); do
		[ "$a" = busybox ] || ln -s busybox "$st/usr/bin/$a"
	done
	rm -f "$st/usr/bin/node"
	if command -v strip >/dev/null; then
		strip --strip-unneeded -o "$st/usr/bin/node" "$NODE" # .dynsym (N-API for addons) stays
	else
		cp -L "$NODE" "$st/usr/bin/node"
	fi
	put_libs "$st" "$NODE"
	for p in ${EXTRA_PATHS[@]+"${EXTRA_PATHS[@]}"}; do
		rm -f "$st/usr/bin/$(basename "$p")"
		cp -L "$p" "$st/usr/bin/$(basename "$p")"
		put_libs "$st" "$p"
	done
	# Debian's busybox sh runs its own applets before searching PATH ("ip" would be busybox's
	# even with iproute2's in /usr/bin): /bin/sh is dash when the host has it, as on Ubuntu.
	[ -x "$st/usr/bin/dash" ] && ln -sf dash "$st/usr/bin/sh"

	# Kernel modules: the wanted ones plus their dependencies, per modules.dep (which lists the
	# full closure of each module), and a modules.dep for just those.
	local md=lib/modules/$KVER
	awk -v want="$MODULES" '
		BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) { gsub("-", "_", w[i]); wanted[w[i]] = 1 } }
		{
			key = $1; sub(/:$/, "", key)
			name = key; sub(/.*\//, "", name); sub(/\.ko.*$/, "", name); gsub("-", "_", name)
			if (name in wanted) { found[name] = 1; print key; for (i = 2; i <= NF; i++) print $i }
		}
		END { for (m in wanted) if (!(m in found)) print "missing:" m }
	' "$KDIR/$md/modules.dep" | sort -u >"$st/mods"
	grep '^missing:' "$st/mods" | sed 's/^missing:/minicon-vm: note: no kernel module (maybe built in): /' || true
	mkdir -p "$st/$md"
	while read -r m; do
		case $m in missing:*) continue ;; esac
		mkdir -p "$st/$md/$(dirname "$m")"
		cp "$KDIR/$md/$m" "$st/$md/$m"
	done <"$st/mods"
	awk 'NR == FNR { keep[$1 ":"] = 1; next } ($1 in keep)' "$st/mods" "$KDIR/$md/modules.dep" >"$st/$md/modules.dep"
	cp "$KDIR/$md/modules.builtin" "$KDIR/$md/modules.order" "$st/$md/" 2>/dev/null || true
	rm "$st/mods"
	for m in $MODULES; do
		grep -q "/${m//_/[-_]}\.ko" "$st/$md/modules.dep" && echo "$m"
	done >"$st/etc/minicon-vm/modules" || true

	cat >"$st/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
	cat >"$st/etc/group" <<'EOF'
root:x:0:
tty:x:5:
nogroup:x:65534:
EOF
	printf '127.0.0.1\tlocalhost minicon-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$st/etc/hosts"
	echo minicon-vm >"$st/etc/hostname"
	printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$st/etc/nsswitch.conf"
	: >"$st/etc/resolv.conf"
	ln -s /proc/self/mounts "$st/etc/mtab"
	printf 'NAME="MiniCon test VM"\nID=minicon-vm\n' >"$st/etc/os-release"
}
# BASE-END

if [ ! -f "$BASE" ]; then
	t=$(now)
	say "building the cached base part of the initramfs ($BASE)"
	build_base "$WORK/base"
	# Uncompressed: the guest kernel unpacks a 100 MB cpio in ~2 s under TCG, a gzip'd one in ~5.
	(cd "$WORK/base" && find . -mindepth 1 | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) \
		>"$WORK/base.cpio"
	(cd "$WORK/base" && find . \( -type f -o -type l \) | sed 's/^\.//') >"$WORK/base.files"
	rm -f "$CACHE"/base-*.cpio* "$CACHE"/base-*.files
	mv "$WORK/base.files" "$CACHE/base-$BASE_KEY.files"
	mv "$WORK/base.cpio" "$BASE"
	rm -rf "$WORK/base"
	say "base part built in $(since "$t"): $(du -h "$BASE" | cut -f1)"
fi
# Copied while holding the lock: a run with other settings may replace the cached base.
INITRD=$WORK/initrd
cp "$BASE" "$INITRD"
cp "$CACHE/base-$BASE_KEY.files" "$WORK/base.files"
flock -u 9

# ---------------------------------------------------------------- project part (every run)
t=$(now)
case $PROJECT in
/tmp/* | /run/* | /proc/* | /sys/* | /dev/*) VMPROJECT=/project ;;
*) VMPROJECT=$PROJECT ;;
esac
PST=$WORK/proj
DEST=$PST$VMPROJECT
mkdir -p "$DEST" "$PST/minicon-vm"
items=()
for i in package.json package-lock.json dist bin test labs solutions node_modules; do
	if [ -e "$PROJECT/$i" ]; then items+=("$i"); else say "note: $i missing in $PROJECT, skipped"; fi
done
excl=()
for e in $NM_EXCLUDE; do excl+=("--exclude=./node_modules/$e"); done
[ ${#items[@]} -gt 0 ] && tar -C "$PROJECT" -cf - ${excl[@]+"${excl[@]}"} "${items[@]/#/./}" | tar -C "$DEST" -xf -
# build/Release: the helper executables and addons only (no object files).
if [ -d "$PROJECT/build/Release" ]; then
	mkdir -p "$DEST/build/Release"
	n=0
	for f in "$PROJECT"/build/Release/*; do
		[ -f "$f" ] || continue
		case $f in *.node) ;; *) [ -x "$f" ] || continue ;; esac
		cp -L "$f" "$DEST/build/Release/"
		n=$((n + 1))
		# Libraries they need beyond the base part's.
		{ ldd "$f" 2>/dev/null || true; } | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
			while read -r lib; do
				vl=$(vmpath "$lib")
				grep -qxF "$vl" "$WORK/base.files" || [ -e "$PST$vl" ] || put "$PST" "$lib"
			done
	done
	say "build/Release: $n file(s)"
else
	say "note: build/Release missing in $PROJECT (native part not built), skipped"
fi
cp "$HERE/init.sh" "$PST/init"
chmod 755 "$PST/init"
printf '%s\n' "$CMD" >"$PST/minicon-vm/cmd.sh"
echo "$VMPROJECT" >"$PST/minicon-vm/project-dir"
TOKEN=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOKEN" >"$PST/minicon-vm/token"
[ -z "${MINICON_VM_DEBUG-}" ] || : >"$PST/minicon-vm/debug"
{
	echo "MINICON_VM=1"
	for name in $(compgen -e); do
		case $name in MINICON_VM_*) continue ;; MINICON_* | CI | NODE_OPTIONS) ;; *) continue ;; esac
		v=${!name}
		printf "%s='%s'\n" "$name" "${v//\'/\'\\\'\'}"
	done
} >"$PST/minicon-vm/env"
# Appended to the base (at a 4-byte aligned offset): the kernel unpacks both, the later on top.
pad=$(( (512 - $(stat -c %s "$INITRD") % 512) % 512 ))
head -c "$pad" /dev/zero >>"$INITRD"
(cd "$PST" && find . -mindepth 1 | LC_ALL=C sort | "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null) >>"$INITRD"
say "project part ($VMPROJECT) packed in $(since "$t"): $(du -sh "$PST" | cut -f1); initrd $(du -h "$INITRD" | cut -f1)"

# ---------------------------------------------------------------- run
say "booting (timeout ${TIMEOUT}s); setup took $(since "$T0")"
KERNEL=$KDIR/vmlinuz
[ -f "$KDIR/vmlinux" ] && KERNEL=$KDIR/vmlinux
KQUIET="quiet loglevel=3"
[ -z "${MINICON_VM_DEBUG-}" ] || KQUIET="initcall_debug loglevel=3"
LOG=$WORK/console.log
T1=$(now)
# Kernel command line: cgroup v2 only; crypto self-tests and the kdf108 self-test (2 s under
# TCG in 6.1) and CPU-bug mitigations off, for boot time.
APPEND="console=ttyS0 $KQUIET panic=-1 cgroup_no_v1=all cryptomgr.notests"
APPEND="$APPEND initcall_blacklist=crypto_kdf108_init mitigations=off rdinit=/init"
mkfifo "$WORK/console"
sed -u 's/\r$//' <"$WORK/console" | tee "$LOG" &
TEE_PID=$!
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 \
	-accel tcg -cpu max -smp "$SMP" -m "$MEM" \
	-nodefaults -no-user-config -display none -vga none -monitor none \
	-serial stdio -nic none -no-reboot \
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
	</dev/null >"$WORK/console" &
QEMU_PID=$!
qrc=0
wait "$QEMU_PID" || qrc=$?
QEMU_PID=
wait "$TEE_PID" || true
[ -n "${MINICON_VM_KEEP_LOG-}" ] && cp "$LOG" "$MINICON_VM_KEEP_LOG"
marker=$(grep -a "^MINICON-VM-EXIT=[0-9]* $TOKEN\$" "$LOG" | tail -n1 || true)
if [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; then
	echo "minicon-vm: error: timed out after ${TIMEOUT}s (MINICON_VM_TIMEOUT); qemu killed" >&2
	exit 124
fi
if [ -z "$marker" ]; then
	echo "minicon-vm: error: the VM ended without reporting an exit status (qemu status $qrc; kernel panic or init failure?)" >&2
	exit 1
fi
rc=${marker#MINICON-VM-EXIT=}
rc=${rc%% *}
say "VM ran $(since "$T1"), total $(since "$T0"); command exit status $rc"
exit "$rc"
