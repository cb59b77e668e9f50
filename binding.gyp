{
  # Three targets, as node-pty does: the addon Node loads, and two executables.
  #  - minicon_native: the small addon (pidfds, nothing that touches the calling thread's namespaces)
  #  - minicon-init:   the single-threaded container-side helper (monitor, clone, planned steps, execve)
  #  - minicon-probe:  a static test probe run inside containers; it prints what it sees
  "targets": [
    {
      "target_name": "minicon_native",
      "sources": ["native/addon/addon.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"]
    },
    {
      "target_name": "minicon-init",
      "type": "executable",
      "sources": ["native/init/main.c", "native/init/sync.c", "native/init/steps.c", "native/init/monitor.c", "native/init/resolve.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags!": ["-fno-exceptions"]
    },
    {
      "target_name": "minicon-probe",
      "type": "executable",
      "sources": ["native/probe/probe.c"],
      "cflags": ["-std=gnu11", "-O2", "-Wall"],
      "ldflags": ["-static"]
    }
  ]
}
