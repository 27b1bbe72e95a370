# RandomX N-API addon over Debian's librandomx (librandomx-dev), plus a native Keccak-256 (keccak.cc): `npm ci` /
# `npm rebuild` run `node-gyp rebuild`, which writes build/Release/randomx.node (loaded by native/index.ts).
{
  "targets": [
    {
      "target_name": "randomx",
      "sources": ["native/src/addon.cc", "native/src/engine.cc", "native/src/seed.cc", "native/src/keccak.cc"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc!": ["-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"],
      "libraries": ["-lrandomx"]
    }
  ]
}
