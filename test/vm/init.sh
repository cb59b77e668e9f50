#!/bin/busybox sh
# /init of the MiniCon test VM (busybox sh, PID 1). Packed into the initramfs by test/vm/run.sh.
#
# Stage 1 re-roots onto a bind mount of the initramfs: pivot_root(2) fails with EINVAL while the
# root is the initramfs "rootfs" mount itself (it has no parent mount), and container runtimes
# need pivot_root. Stage 2 mounts the usual file systems, cgroup2 at /sys/fs/cgroup, runs the
# command from /minicon-vm/cmd.sh in the project copy, prints the exit marker and powers off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb LANG=C.UTF-8

if [ "$1" != stage2 ]; then
	[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
	mkdir -p /.newroot
	mount --bind / /.newroot && cd /.newroot && mount --move . / && exec chroot . /init stage2
	echo "minicon-vm: re-rooting failed; pivot_root will not work in this VM" >&2
fi

mount -t proc -o nosuid,nodev,noexec proc /proc
[ -f /minicon-vm/debug ] && DEBUG=1
phase() { [ -z "${DEBUG-}" ] || echo "minicon-vm: [$(cut -d' ' -f1 /proc/uptime) s] $*"; }
phase "stage 2"
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=755 devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o nosuid,noexec,newinstance,ptmxmode=0666,mode=620,gid=5 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /dev/shm
mount -t mqueue -o nosuid,nodev,noexec mqueue /dev/mqueue
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
# The same cgroup2 mount options as systemd on Ubuntu 24.04.
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp
mount -t tmpfs -o nosuid,nodev,mode=755 tmpfs /run
chmod 755 / # the initramfs root is a tmpfs, created 1777
mkdir -p /var/lib /var/tmp /run/lock
hostname minicon-vm
ip link set lo up

phase "mounted"
# Kernel modules the tests may need that Debian builds as modules (list made by run.sh).
# Loaded in the background while the rest is set up; waited for before the command runs.
(
	for m in $(cat /etc/minicon-vm/modules 2>/dev/null); do
		modprobe "$m" 2>/dev/null || echo "minicon-vm: modprobe $m failed" >&2
	done
) &
MODPROBE_PID=$!

# Like systemd: every available controller enabled for the children of the root cgroup, and
# PID 1 (with the command it starts) in a leaf cgroup, /init.scope, not in the root.
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
	echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
		echo "minicon-vm: could not enable the $c controller" >&2
done
# Shared propagation for / as systemd sets it up.
mount --make-rshared /
mkdir -p /sys/fs/cgroup/init.scope
echo $$ >/sys/fs/cgroup/init.scope/cgroup.procs

wait "$MODPROBE_PID"
phase "modules loaded"
PROJECT=$(cat /minicon-vm/project-dir)
TOKEN=$(cat /minicon-vm/token)
echo "minicon-vm: kernel $(uname -r), $(nproc) CPU(s), $(awk '/MemTotal/ {print int($2/1024) " MiB"}' /proc/meminfo), up $(cut -d' ' -f1 /proc/uptime) s"
echo "minicon-vm: cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "minicon-vm: cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control); this shell: $(cat /proc/self/cgroup)"
echo "minicon-vm: modules: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
echo "minicon-vm: cwd $PROJECT; running: $(cat /minicon-vm/cmd.sh)"
echo "minicon-vm: ----------------------------------------------------------------"

cd "$PROJECT" || echo "minicon-vm: no project directory $PROJECT" >&2
(
	set -a
	. /minicon-vm/env
	set +a
	exec /bin/sh /minicon-vm/cmd.sh # dash when present (PATH lookup, not busybox applets)
) </dev/null
rc=$?

echo
echo "minicon-vm: ----------------------------------------------------------------"
echo "MINICON-VM-EXIT=$rc $TOKEN"
sync
poweroff -f
# Not reached unless poweroff failed: the kernel panics when PID 1 exits, and -no-reboot ends qemu.
sleep 2
exit "$rc"
