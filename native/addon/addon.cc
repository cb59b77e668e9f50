// The small addon: pidfds for signalling and waiting without pid-reuse races. It never touches the
// calling thread's namespaces or credentials, never installs a SIGCHLD handler and never waits on
// "any child" (libuv owns both).
#include <napi.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

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

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("pidfdOpen", Napi::Function::New(env, PidfdOpen));
  exports.Set("pidfdSendSignal", Napi::Function::New(env, PidfdSendSignal));
  exports.Set("pidfdWait", Napi::Function::New(env, PidfdWait));
  exports.Set("close", Napi::Function::New(env, Close));
  return exports;
}

}  // namespace

NODE_API_MODULE(minicon_native, Init)
