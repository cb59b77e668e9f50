#!/bin/bash
# Start latency of MiniCon against runc and crun: each runtime's whole `run ID` of /bin/true on one
# busybox bundle, timed in turn (alternating) over RUNS runs after 2 warm-ups, plus `node -e 0`, the
# floor that any Node CLI pays before its first line. Prints medians and the ratios:
#   (minicon - node) / runc   MiniCon's own cost against runc's whole run (target <= 1.0)
#   minicon / runc, crun / runc
# then the per-step timing of one `minicon run --trace` (its stderr).
#
#   bash bench/latency.sh            RUNS=30 by default; MINICON=path overrides ./bin/minicon
# Needs root. Installs runc, crun and busybox-static if missing. Not part of CI.
set -uo pipefail
here=$(dirname "$(readlink -f "$0")")
repo=$(dirname "$here")
RUNS=${RUNS:-30}
work=/tmp/minicon-bench
M=${MINICON:-$repo/bin/minicon}

[[ $EUID -eq 0 ]] || { echo "bench/latency.sh: run as root (containers need it)"; exit 1; }

need=()
command -v runc >/dev/null || need+=(runc)
command -v crun >/dev/null || need+=(crun)
[[ -x /bin/busybox ]] || need+=(busybox-static)
if ((${#need[@]})); then
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${need[@]}" </dev/null >/dev/null || { echo "could not install ${need[*]}"; exit 1; }
fi

# The bundle: Debian's static busybox and `runc spec` (no project code shapes it), args /bin/true.
b=$work/bundle
mkdir -p "$work"
if [[ ! -x $b/rootfs/bin/busybox ]] || ! cmp -s "$(readlink -f /bin/busybox)" "$b/rootfs/bin/busybox"; then
  rm -rf "$b"; mkdir -p "$b/rootfs"/{bin,etc,proc,sys,dev,tmp,root}
  cp "$(readlink -f /bin/busybox)" "$b/rootfs/bin/busybox"
  for a in $("$b/rootfs/bin/busybox" --list); do [[ $a == busybox ]] || ln -sf busybox "$b/rootfs/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$b/rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$b/rootfs/etc/group"
  (cd "$b" && runc spec) || { echo "runc spec failed"; exit 1; }
fi
node -e 'const fs=require("fs");const f=process.argv[1]+"/config.json";const c=JSON.parse(fs.readFileSync(f));
c.root.path=process.argv[1]+"/rootfs";c.process.terminal=false;c.process.args=["/bin/true"];fs.writeFileSync(f,JSON.stringify(c,null,"\t"))' "$b"

roots=("$work/root-minicon" "$work/root-runc" "$work/root-crun")
rm -rf "${roots[@]}"; mkdir -p "${roots[@]}"

# crun 1.8 refuses the hybrid cgroup layout (v1 controllers plus an empty v2 at
# /sys/fs/cgroup/unified): run it in a private mount namespace without that mount. The wrapper's own
# cost (unshare + sh) is timed too, as crun-wrapper, so it can be subtracted.
hybrid=0
[[ $(stat -fc %T /sys/fs/cgroup) != cgroup2fs && -d /sys/fs/cgroup/unified ]] && hybrid=1
if ((hybrid)); then
  crun_cmd='["unshare","-m","sh","-c","umount /sys/fs/cgroup/unified; exec crun --root '"$work"'/root-crun run --bundle '"$b"' c@N"]'
  wrap_cmd='["unshare","-m","sh","-c","umount /sys/fs/cgroup/unified; exec true"]'
else
  crun_cmd="crun --root $work/root-crun run --bundle $b c@N"
  wrap_cmd=
fi

echo "runc: $(runc --version | head -1); crun: $(crun --version | head -1); node $(node --version); kernel $(uname -r)"
echo "cgroup layout: $( ((hybrid)) && echo 'hybrid (crun runs in a private mount namespace)' || stat -fc %T /sys/fs/cgroup)"

# Is MiniCon there and working? If not, say why and time the others anyway.
have_minicon=0
if [[ ! -x $M ]]; then
  echo "MiniCon: no executable at $M (build it: npm run build) -- timing runc, crun and node only"
else
  err=$(cd "$b" && timeout 30 "$M" --root "$work/root-minicon" run --bundle "$b" mcheck-$$ 2>&1 >/dev/null); rc=$?
  if ((rc == 0)); then have_minicon=1
  else echo "MiniCon: \`$M run\` failed (exit $rc): ${err:0:600}"; echo "-- timing runc, crun and node only"; fi
fi

cmds=()
((have_minicon)) && cmds+=("minicon=$M --root $work/root-minicon run --bundle $b m@N")
cmds+=("runc=runc --root $work/root-runc run --bundle $b r@N" "crun=$crun_cmd" "node=node -e 0")
[[ -n $wrap_cmd ]] && cmds+=("crun-wrapper=$wrap_cmd")

echo "timing $RUNS runs each after 2 warm-ups, alternating..."
out=$(cd "$b" && node "$here/alternate.js" "$RUNS" "${cmds[@]}") || { echo "timing failed"; exit 1; }
echo "$out"
node - "$out" <<'JS'
const j = JSON.parse(process.argv[2]);
const f = x => x.toFixed(2);
for (const [k, v] of Object.entries(j)) {
  console.log(`${k.padEnd(13)} median ${f(v.median).padStart(8)} ms   min ${f(v.min).padStart(8)}   p90 ${f(v.p90).padStart(8)}` +
    (v.failed ? `   FAILED ${v.failed}x: ${v.firstError}` : ''));
}
const r = j.runc.median;
console.log(`crun / runc = ${f(j.crun.median / r)}` + (j['crun-wrapper'] ? ` (crun without its wrapper: ${f((j.crun.median - j['crun-wrapper'].median) / r)})` : ''));
if (j.minicon) {
  console.log(`minicon / runc = ${f(j.minicon.median / r)}`);
  const ratio = (j.minicon.median - j.node.median) / r;
  console.log(`(minicon ${f(j.minicon.median)} - node ${f(j.node.median)}) / runc ${f(r)} = ${f(ratio)}   target <= 1.0: ${ratio <= 1 ? 'met' : 'NOT met'}`);
}
JS

if ((have_minicon)); then
  echo "-- one traced run (stderr of: minicon run --trace); target: clone to execve < 2 ms"
  (cd "$b" && "$M" --root "$work/root-minicon" run --trace --bundle "$b" mtrace-$$ 2>&1 >/dev/null) || echo "(traced run exited $?)"
fi

# Leave nothing behind: runs of /bin/true delete themselves; clear any that did not.
for r in "${roots[@]}"; do
  left=$(ls "$r" 2>/dev/null)
  [[ -n $left ]] && echo "note: state left in $r: $left"
done
for id in $(ls "$work/root-runc" 2>/dev/null); do runc --root "$work/root-runc" delete -f "$id" >/dev/null 2>&1; done
rm -rf "${roots[@]}"
