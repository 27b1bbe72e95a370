// Seed lifecycle of the RandomX engine: building a seed's cache on its own thread (once, however many hashes wait
// for it), and in fast mode its dataset on all cores; plus the per-thread priority helper. Data model and locking:
// engine.cc's top comment.
#include "engine.h"
#include "seed.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <exception>
#include <thread>
#include <utility>

namespace rxpool {

void LowerThreadPriority(int niceness) {
#ifdef __linux__
  if (niceness <= 0) return;
  sched_param sp{};
  (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);  // this thread only; keeps its nice value
  const id_t tid = static_cast<id_t>(syscall(SYS_gettid));  // PRIO_PROCESS + a tid: this thread only
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);
  if (errno == 0 && current >= niceness) return;  // never raise a priority (e.g. under `nice -n 15`)
  (void)setpriority(PRIO_PROCESS, tid, niceness);
#else
  (void)niceness;
#endif
}

void Engine::InitSeed(std::shared_ptr<Seed> seed) {
  randomx_cache* cache = randomx_alloc_cache(flags_);
  if (cache != nullptr) {
    static const char kEmpty = 0;  // randomx_init_cache wants a non-NULL key even when it is empty
    randomx_init_cache(cache, seed->key.empty() ? &kEmpty : seed->key.data(), seed->key.size());
  }
  std::vector<Job*> failed, ready;
  bool buildDataset = false;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (cache != nullptr) {
      cacheInits_++;
      seed->cache = cache;
      seed->state = Seed::State::Ready;
      for (Job* j : seed->parked) queue_.push_back(j);
      seed->parked.clear();
      if (opts_.fast && !stop_ && !abortDatasets_ && !seed->evicted) {
        seed->datasetState = Seed::Dataset::Building;
        buildDataset = true;
      } else {
        ready.swap(seed->waiters);
      }
    } else {
      failed.swap(seed->parked);
      failed.insert(failed.end(), seed->waiters.begin(), seed->waiters.end());
      seed->waiters.clear();
      auto it = seeds_.find(seed->key);
      if (it != seeds_.end() && it->second == seed) seeds_.erase(it);  // the next job retries
      seed->evicted = true;
    }
  }
  cv_.notify_all();
  for (Job* j : failed) {
    j->ok = false;
    j->error = "randomx_alloc_cache failed (out of memory?)";
    Finish(j);
  }
  for (Job* j : ready) {
    j->ok = true;
    j->fast = false;
    Finish(j);
  }
  if (!buildDataset) return;

  const bool built = BuildDataset(seed);
  ready.clear();
  {
    std::lock_guard<std::mutex> lk(mu_);
    seed->datasetState = built ? Seed::Dataset::Ready : Seed::Dataset::Failed;
    if (built) datasetInits_++;
    ready.swap(seed->waiters);
  }
  for (Job* j : ready) {
    j->ok = true;
    j->fast = built;
    Finish(j);
  }
}

bool Engine::BuildDataset(const std::shared_ptr<Seed>& seed) {
  randomx_dataset* ds = randomx_alloc_dataset(flags_);
  if (ds == nullptr) return false;
  const unsigned n = opts_.datasetThreads > 0 ? opts_.datasetThreads : std::max(1u, std::thread::hardware_concurrency());
  const unsigned long total = randomx_dataset_item_count();
  std::atomic<bool> aborted{false};
  randomx_cache* cache = seed->cache;
  auto part = [&](unsigned long begin, unsigned long end) {
    LowerThreadPriority(opts_.niceness);  // a no-op repeat when the init thread runs a range itself
    constexpr unsigned long kChunk = 1UL << 15;  // 32768 items = 2 MiB: abort is checked every few tens of ms
    for (unsigned long i = begin; i < end; i += kChunk) {
      if (abortDatasets_.load() || seed->evicted.load()) {
        aborted = true;
        return;
      }
      randomx_init_dataset(ds, cache, i, std::min(kChunk, end - i));
    }
  };
  std::vector<std::thread> threads;
  const unsigned long per = total / n;
  for (unsigned i = 0; i < n; i++) {
    const unsigned long begin = per * i, end = i + 1 == n ? total : begin + per;
    try {
      threads.emplace_back(part, begin, end);
    } catch (...) {
      part(begin, end);  // could not start a thread: do this range here
    }
  }
  for (auto& t : threads) t.join();
  if (aborted) {
    randomx_release_dataset(ds);
    return false;
  }
  seed->dataset = ds;
  seed->datasetReady.store(true, std::memory_order_release);
  return true;
}

}  // namespace rxpool
