// The per-seed record the engine shares between its files, and the thread-priority helper (see engine.cc's top
// comment for the data model and locking rules: every non-atomic field is guarded by Engine::mu_).
#pragma once

#include <randomx.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "engine.h"

namespace rxpool {

struct Seed {
  enum class State { Initializing, Ready };
  enum class Dataset { None, Building, Ready, Failed };

  explicit Seed(std::string k) : key(std::move(k)) {}
  ~Seed() {
    if (dataset != nullptr) randomx_release_dataset(dataset);
    if (cache != nullptr) randomx_release_cache(cache);
  }
  Seed(const Seed&) = delete;
  Seed& operator=(const Seed&) = delete;

  const std::string key;
  randomx_cache* cache = nullptr;      // set once, under Engine::mu_, before state becomes Ready
  randomx_dataset* dataset = nullptr;  // set once, before datasetReady is stored (release)
  std::atomic<bool> datasetReady{false};
  std::atomic<bool> evicted{false};

  // Guarded by Engine::mu_.
  State state = State::Initializing;
  Dataset datasetState = Dataset::None;
  std::vector<Job*> parked;   // Hash jobs waiting for the cache
  std::vector<Job*> waiters;  // Prepare jobs waiting for the seed to be fully ready
  int inflight = 0;           // accepted jobs naming this seed, not yet completed
  uint64_t lastUse = 0;
};

// Lowers the calling thread's own scheduling priority when niceness > 0 (Linux: SCHED_BATCH + nice); best effort.
void LowerThreadPriority(int niceness);

}  // namespace rxpool
