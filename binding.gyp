{
  "variables": {
    # 1 builds the addon instrumented with AddressSanitizer and UndefinedBehaviorSanitizer, for
    # `npm run test:sanitize` only (which builds it in its own directory, build/sanitize).
    "sanitize%": 0
  },
  "targets": [
    {
      "target_name": "perf_bridge",
      "sources": [
        "native/addon.cc",
        "native/errors.cc",
        "native/ring.cc",
        "native/capture.cc",
        "native/lock.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "cflags": ["-O2"],
      "conditions": [
        ["sanitize==1", {
          # Frame pointers and debug info give the sanitizers' reports whole, symbolized stacks.
          "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"],
          "ldflags": ["-fsanitize=address,undefined"]
        }]
      ]
    }
  ]
}
