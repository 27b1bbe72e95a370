// RandomX hashing engine: seeds (cache + optional dataset), a fixed pool of worker threads with one VM per
// thread per seed, seed initialisation on its own threads. No Node-API in here: completions leave through a
// callback (see addon.cc for the Node side). The threading model is explained at the top of engine.cc.
#pragma once

#include <randomx.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace rxpool {

// Whatever the caller attaches to a job (the addon puts its promise here). Destroyed with the job, on any thread.
struct JobUser {
  virtual ~JobUser() = default;
};

struct Seed;

struct Job {
  enum class Kind { Hash, Prepare, Close };
  Kind kind = Kind::Hash;
  std::string key;    // RandomX key bytes (a Monero seed hash is 32 raw bytes)
  std::string input;  // Hash: the bytes to hash
  uint8_t out[RANDOMX_HASH_SIZE] = {};
  bool ok = false;
  std::string error;  // set when !ok
  bool fast = false;  // Hash: computed by a fast (dataset) VM; Prepare: the seed has its dataset
  std::unique_ptr<JobUser> user;
  std::shared_ptr<Seed> seed;  // engine-internal: keeps the seed's memory alive while the job exists
};

struct EngineOptions {
  bool fast = false;           // build a dataset per seed (2080 MiB each) and hash with FULL_MEM VMs
  unsigned threads = 1;        // hashing threads
  size_t maxQueue = 4096;      // max hash/prepare jobs accepted and not yet completed
  size_t maxSeeds = 2;         // live seeds kept (current + previous)
  unsigned datasetThreads = 0; // threads that build a dataset; 0 = all cores
  int niceness = 0;            // Linux: nice value (0..19) + SCHED_BATCH for engine threads; 0 = leave unchanged
};

struct SeedInfo {
  std::string key;
  std::string state;    // "initializing" | "ready"
  std::string dataset;  // "none" | "building" | "ready" | "failed"
  int inflight = 0;
  uint64_t lastUse = 0;
};

struct EngineStats {
  unsigned threads = 0;
  bool fast = false;
  int flags = 0;
  size_t queued = 0;       // waiting for a worker
  size_t outstanding = 0;  // accepted, not completed (queued + running + waiting for a cache)
  uint64_t cacheInits = 0, datasetInits = 0, evictions = 0, hashes = 0, failures = 0;
  std::vector<SeedInfo> seeds;
};

class Engine {
 public:
  using DoneFn = std::function<void(Job*)>;  // called on engine threads (or in Submit); takes ownership of the job
  enum class Submitted { Ok, Closed, QueueFull, Failed };

  Engine(const EngineOptions& opts, DoneFn done);
  ~Engine();  // hard stop: abandons queued jobs (done is not called for them), joins every thread
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Hash or Prepare. On Ok the engine owns the job and will call done exactly once; otherwise the caller keeps it.
  Submitted Submit(Job* job);
  // Graceful close: refuse new jobs, finish every accepted one, join all threads, free every seed, then call
  // done(closeJob) last. Returns false (caller keeps closeJob) if close was already requested.
  bool Close(Job* closeJob);
  EngineStats Stats();
  randomx_flags flags() const { return flags_; }

 private:
  struct InitThread {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };

  void WorkerMain();
  void InitSeed(std::shared_ptr<Seed> seed);
  bool BuildDataset(const std::shared_ptr<Seed>& seed);
  void Finish(Job* job);
  bool EvictLocked(const std::shared_ptr<Seed>& keep);
  void ReapInitThreadsLocked();
  void JoinAll();

  const EngineOptions opts_;
  const randomx_flags flags_;
  const DoneFn done_;

  std::mutex mu_;
  std::condition_variable cv_;
  // Everything below is guarded by mu_.
  std::deque<Job*> queue_;
  std::unordered_map<std::string, std::shared_ptr<Seed>> seeds_;
  std::vector<std::thread> workers_;
  std::vector<InitThread> initThreads_;
  std::thread closer_;
  size_t outstanding_ = 0;
  uint64_t clock_ = 0;
  uint64_t evictEpoch_ = 0;
  bool closing_ = false;
  bool stop_ = false;
  uint64_t cacheInits_ = 0, datasetInits_ = 0, evictions_ = 0, hashes_ = 0, failures_ = 0;

  std::atomic<bool> abortDatasets_{false};
};

}  // namespace rxpool
