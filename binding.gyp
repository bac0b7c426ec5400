{
  "variables": {
    # 1 builds the addons instrumented with AddressSanitizer and UndefinedBehaviorSanitizer, for
    # `npm run test:sanitize` only (which builds them in their own directory, build/sanitize).
    "sanitize%": 0
  },
  "target_defaults": {
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions", "-O3"],
    "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
    "cflags_cc": ["-O2", "-std=c++17", "-Wall", "-Wextra", "-Werror"],
    "cflags": ["-O2"],
    "conditions": [
      ["sanitize==1", {
        # Frame pointers and debug info give the sanitizers' reports whole, symbolized stacks.
        "cflags": ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-g"],
        "ldflags": ["-fsanitize=address,undefined"],
        # An unchecked As<>() aborts instead of reading a value of the wrong type.
        "defines": ["NODE_ADDON_API_ENABLE_TYPE_CHECK_ON_AS"]
      }]
    ]
  },
  "targets": [
    {
      # The addon src/native.ts loads.
      "target_name": "perf_bridge",
      "sources": [
        "native/addon.cc",
        "native/capture.cc",
        "native/capture-options.cc",
        "native/errors.cc",
        "native/filter-test.cc",
        "native/js-values.cc",
        "native/lock.cc",
        "native/ring.cc"
      ]
    },
    {
      # Test-only entry points (test/native/test-addon.ts loads it): the ring reader over rings built
      # in JS memory, and the native protocol's constants. Built with perf_bridge so the tests need no
      # build step of their own and run against the same ring.cc, compiled with the same flags.
      "target_name": "perf_bridge_test",
      "sources": [
        "native/test-addon.cc",
        "native/synthetic-ring.cc",
        "native/js-values.cc",
        "native/ring.cc"
      ]
    }
  ]
}
