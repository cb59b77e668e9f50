// The small addon: pidfds for signalling and waiting without pid-reuse races, and the cgroup v2
// device filter (an eBPF program). It never touches the calling thread's namespaces or credentials,
// never installs a SIGCHLD handler and never waits on "any child" (libuv owns both).
#include <napi.h>
#include <uv.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <linux/bpf.h>
#include <poll.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string>
#include <vector>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

extern char **environ;

namespace {

Napi::Value ErrnoError(Napi::Env env, const char *syscall, int err) {
  Napi::Error e = Napi::Error::New(env, std::string(syscall) + ": " + strerrorname_np(err));
  e.Set("code", Napi::String::New(env, strerrorname_np(err) ? strerrorname_np(err) : "E?"));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  e.ThrowAsJavaScriptException();
  return env.Undefined();
}

// pidfdOpen(pid) -> fd
Napi::Value PidfdOpen(const Napi::CallbackInfo &info) {
  int pid = info[0].As<Napi::Number>().Int32Value();
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return ErrnoError(info.Env(), "pidfd_open", errno);
  return Napi::Number::New(info.Env(), (double)fd);
}

// pidfdSendSignal(fd, signal)
Napi::Value PidfdSendSignal(const Napi::CallbackInfo &info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int sig = info[1].As<Napi::Number>().Int32Value();
  if (syscall(SYS_pidfd_send_signal, fd, sig, nullptr, 0) < 0) return ErrnoError(info.Env(), "pidfd_send_signal", errno);
  return info.Env().Undefined();
}

// pidfdWait(fd, timeoutMs) -> true when the process has exited (the fd polls readable), false on timeout.
// Blocks the calling thread for at most timeoutMs; the CLI uses it with short timeouts only.
Napi::Value PidfdWait(const Napi::CallbackInfo &info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int timeout = info[1].As<Napi::Number>().Int32Value();
  struct pollfd p = {fd, POLLIN, 0};
  int r;
  do r = poll(&p, 1, timeout); while (r < 0 && errno == EINTR);
  if (r < 0) return ErrnoError(info.Env(), "poll", errno);
  return Napi::Boolean::New(info.Env(), r > 0);
}

Napi::Value Close(const Napi::CallbackInfo &info) {
  close(info[0].As<Napi::Number>().Int32Value());
  return info.Env().Undefined();
}

// spawnInit(path, stdioFds[3]) -> { pid, syncFd }
// Starts minicon-init in a new session with a socketpair end on fd 3. posix_spawn (clone with
// CLONE_VM|CLONE_VFORK in glibc) instead of libuv's fork: forking Node's address space costs
// milliseconds, and the start latency of a container is what `minicon run` is measured by.
Napi::Value SpawnInit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Array stdio = info[1].As<Napi::Array>();
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return ErrnoError(env, "socketpair", errno);
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  for (uint32_t i = 0; i < 3; i++) {
    int fd = stdio.Get(i).As<Napi::Number>().Int32Value();
    // also when fd == i: glibc then clears close-on-exec, which Node may have set on its stdio
    posix_spawn_file_actions_adddup2(&fa, fd, i);
  }
  posix_spawn_file_actions_adddup2(&fa, sv[1], 3);  // dup2 clears close-on-exec on fd 3
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);  // Node ignores SIGPIPE; the helper starts clean
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  char *argv[] = {const_cast<char *>(path.c_str()), nullptr};
  pid_t pid;
  int rc = posix_spawn(&pid, path.c_str(), &fa, &attr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(sv[1]);
  if (rc != 0) { close(sv[0]); return ErrnoError(env, "posix_spawn", rc); }
  Napi::Object out = Napi::Object::New(env);
  out.Set("pid", Napi::Number::New(env, pid));
  out.Set("syncFd", Napi::Number::New(env, sv[0]));
  return out;
}

// watchExit(pid, callback(exitCode, signal)): reaps our child `pid` when it exits, from a pidfd
// polled on the libuv loop, then waitid(P_PIDFD): never a SIGCHLD handler, never a wait on any child.
// The watch keeps the loop alive; watchExit returns a function that cancels it (the child is then
// left to whoever inherits it when the CLI exits).
struct ExitWatch {
  uv_poll_t poll;
  int pidfd;
  Napi::FunctionReference callback;
  napi_env env;
};

void OnClosed(uv_handle_t *h) { delete static_cast<ExitWatch *>(h->data); }

void OnPidfd(uv_poll_t *p, int status, int) {
  ExitWatch *w = static_cast<ExitWatch *>(p->data);
  siginfo_t si = {};
  int r = -1;
  if (status == 0) do r = waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED); while (r < 0 && errno == EINTR);
  uv_poll_stop(p);
  close(w->pidfd);
  Napi::Env env(w->env);
  Napi::HandleScope scope(env);
  Napi::Value code = r == 0 && si.si_code == CLD_EXITED ? Napi::Number::New(env, si.si_status) : env.Null();
  Napi::Value sig = r == 0 && si.si_code != CLD_EXITED ? Napi::Number::New(env, si.si_status) : env.Null();
  Napi::FunctionReference cb = std::move(w->callback);
  uv_close(reinterpret_cast<uv_handle_t *>(p), OnClosed);
  cb.MakeCallback(env.Global(), {code, sig});
}

Napi::Value WatchExit(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  int pid = info[0].As<Napi::Number>().Int32Value();
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) return ErrnoError(env, "pidfd_open", errno);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  ExitWatch *w = new ExitWatch{};
  w->pidfd = (int)fd;
  w->env = env;
  w->callback = Napi::Persistent(info[1].As<Napi::Function>());
  w->poll.data = w;
  uv_poll_init(loop, &w->poll, w->pidfd);
  uv_poll_start(&w->poll, UV_READABLE, OnPidfd);
  return Napi::Function::New(env, [w](const Napi::CallbackInfo &i) {
    uv_handle_t *h = reinterpret_cast<uv_handle_t *>(&w->poll);
    if (!uv_is_closing(h)) {
      uv_poll_stop(&w->poll);
      close(w->pidfd);
      w->callback.Reset();
      uv_close(h, OnClosed);
    }
    return i.Env().Undefined();
  });
}

// connectUnix(path, timeoutMs) -> fd: a blocking, close-on-exec stream socket connected to path,
// with receive and send timeouts. The CLI speaks to a monitor with plain read/write on it.
Napi::Value ConnectUnix(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int ms = info[1].As<Napi::Number>().Int32Value();
  struct sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return ErrnoError(env, "connect", ENAMETOOLONG);
  memcpy(a.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError(env, "socket", errno);
  struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<struct sockaddr *>(&a), sizeof a) < 0) {
    int err = errno;
    close(fd);
    return ErrnoError(env, "connect", err);
  }
  return Napi::Number::New(env, fd);
}

// attachDeviceFilter(cgroupDir, rules): the cgroup v2 device controller, as runc and crun do it: an
// eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) attached to the cgroup with BPF_CGROUP_DEVICE.
// rules: [{allow, type: 'a'|'b'|'c', major (-1 any), minor (-1 any), access: 'r' 'w' 'm' letters}].
// The LAST matching rule wins: the program tests the rules from last to first and returns on the
// first match. A rule that matches everything (type 'a', any major/minor, access rwm) ends the
// program (what comes before it is dead code, which the verifier refuses), so a first rule "deny
// all" is the default deny; without one the default is allow. The context is
// struct bpf_cgroup_dev_ctx { u32 access_type (low 16: BPF_DEVCG_DEV_*, high 16: BPF_DEVCG_ACC_*),
// u32 major, u32 minor }. The program returns 1 to allow, 0 to deny (EPERM).
struct DevRule {
  bool allow;
  char type;
  int64_t major, minor;
  uint32_t access;  // BPF_DEVCG_ACC_* bits
};

bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i = {};
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

constexpr uint32_t kAccAll = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;

std::vector<bpf_insn> DeviceFilterProgram(const std::vector<DevRule> &rules) {
  std::vector<bpf_insn> p;
  // r2 = device type, r3 = requested access, r4 = major, r5 = minor
  p.push_back(Insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0));
  p.push_back(Insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xFFFF));
  p.push_back(Insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0));
  p.push_back(Insn(BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  p.push_back(Insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0));
  p.push_back(Insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0));
  for (size_t k = rules.size(); k-- > 0;) {
    const DevRule &r = rules[k];
    std::vector<bpf_insn> tests;  // each jumps to the next block when the rule does not match
    if (r.type != 'a') {
      tests.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, r.type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
    }
    if ((r.access & kAccAll) != kAccAll) {
      // the requested access must be a subset of the rule's: if ((r3 & access) != r3) next
      tests.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
      tests.push_back(Insn(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_1, 0, 0, (int32_t)r.access));
      tests.push_back(Insn(BPF_JMP | BPF_JNE | BPF_X, BPF_REG_1, BPF_REG_3, 0, 0));
    }
    if (r.major >= 0) tests.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t)r.major));
    if (r.minor >= 0) tests.push_back(Insn(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t)r.minor));
    size_t n = tests.size() + 2;  // the tests, then r0 = verdict; exit
    for (size_t j = 0; j < tests.size(); j++) {
      if (BPF_CLASS(tests[j].code) == BPF_JMP) tests[j].off = (int16_t)(n - (j + 1));
      p.push_back(tests[j]);
    }
    p.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r.allow ? 1 : 0));
    p.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    if (tests.empty()) return p;  // matches everything: the rules before it can never decide
  }
  p.push_back(Insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1));  // no "deny all": default allow
  p.push_back(Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  return p;
}

long Bpf(int cmd, bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

Napi::Value AttachDeviceFilter(const Napi::CallbackInfo &info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsArray()) {
    Napi::TypeError::New(env, "attachDeviceFilter(cgroupDir: string, rules: array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  Napi::Array arr = info[1].As<Napi::Array>();
  std::vector<DevRule> rules;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsObject()) {
      Napi::TypeError::New(env, "attachDeviceFilter: rule " + std::to_string(i) + " is not an object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = v.As<Napi::Object>();
    DevRule r = {};
    r.allow = o.Get("allow").ToBoolean().Value();
    std::string type = o.Get("type").ToString().Utf8Value();
    r.major = (int64_t)o.Get("major").ToNumber().DoubleValue();
    r.minor = (int64_t)o.Get("minor").ToNumber().DoubleValue();
    std::string access = o.Get("access").ToString().Utf8Value();
    bool ok = (type == "a" || type == "b" || type == "c") && r.major < (1LL << 31) && r.minor < (1LL << 31) && !access.empty();
    r.type = type.empty() ? '?' : type[0];
    for (char ch : access) {
      if (ch == 'r') r.access |= BPF_DEVCG_ACC_READ;
      else if (ch == 'w') r.access |= BPF_DEVCG_ACC_WRITE;
      else if (ch == 'm') r.access |= BPF_DEVCG_ACC_MKNOD;
      else ok = false;
    }
    if (!ok) {
      Napi::TypeError::New(env, "attachDeviceFilter: rule " + std::to_string(i) + ": want {allow, type: a|b|c, major, minor, access: [rwm]+}").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    if (r.major < 0) r.major = -1;
    if (r.minor < 0) r.minor = -1;
    rules.push_back(r);
  }
  std::vector<bpf_insn> prog = DeviceFilterProgram(rules);

  static const char license[] = "Apache";
  bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)prog.data();
  attr.insn_cnt = (uint32_t)prog.size();
  attr.license = (uint64_t)(uintptr_t)license;
  long progFd = Bpf(BPF_PROG_LOAD, &attr);
  if (progFd < 0) {
    int err = errno;
    // again with the verifier's log (as libbpf does: a log too small for the program is ENOSPC)
    std::vector<char> log(256 * 1024);
    attr.log_buf = (uint64_t)(uintptr_t)log.data();
    attr.log_size = (uint32_t)log.size();
    attr.log_level = 1;
    progFd = Bpf(BPF_PROG_LOAD, &attr);
    if (progFd < 0) {
      std::string text(log.data(), strnlen(log.data(), log.size()));
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      std::string what = "bpf(BPF_PROG_LOAD cgroup device, " + std::to_string(prog.size()) + " insns)";
      if (!text.empty()) what += " [verifier: " + text + "]";
      return ErrnoError(env, what.c_str(), err);
    }
  }
  int dirFd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd < 0) {
    int err = errno;
    close((int)progFd);
    return ErrnoError(env, ("open " + dir).c_str(), err);
  }
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)dirFd;
  attr.attach_bpf_fd = (uint32_t)progFd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  long rc = Bpf(BPF_PROG_ATTACH, &attr);
  int err = errno;
  close(dirFd);
  close((int)progFd);  // the attachment holds the program until the cgroup is removed
  if (rc < 0) return ErrnoError(env, "bpf(BPF_PROG_ATTACH BPF_CGROUP_DEVICE)", err);
  return env.Undefined();
}

// tryLock(fd) -> true when an exclusive flock(2) was taken, false when another process holds it.
// The lock goes with the process: a CLI killed with -9 releases it.
Napi::Value TryLock(const Napi::CallbackInfo &info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int r;
  do r = flock(fd, LOCK_EX | LOCK_NB); while (r < 0 && errno == EINTR);
  if (r < 0 && errno != EWOULDBLOCK) return ErrnoError(info.Env(), "flock", errno);
  return Napi::Boolean::New(info.Env(), r == 0);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("tryLock", Napi::Function::New(env, TryLock));
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix));
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit));
  exports.Set("watchExit", Napi::Function::New(env, WatchExit));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("pidfdWait", Napi::Function::New(env, PidfdWait));
  exports.Set("close", Napi::Function::New(env, Close));
  exports.Set("attachDeviceFilter", Napi::Function::New(env, AttachDeviceFilter));
  return exports;
}

}  // namespace

NODE_API_MODULE(minicon_native, Init)
