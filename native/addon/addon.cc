// The small addon: pidfds for signalling and waiting without pid-reuse races. It never touches the
// calling thread's namespaces or credentials, never installs a SIGCHLD handler and never waits on
// "any child" (libuv owns both).
#include <napi.h>
#include <uv.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("connectUnix", Napi::Function::New(env, ConnectUnix));
  exports.Set("spawnInit", Napi::Function::New(env, SpawnInit));
  exports.Set("watchExit", Napi::Function::New(env, WatchExit));
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("pidfdWait", Napi::Function::New(env, PidfdWait));
  exports.Set("close", Napi::Function::New(env, Close));
  return exports;
}

}  // namespace

NODE_API_MODULE(minicon_native, Init)
