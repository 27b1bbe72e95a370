// RandomX hashing engine over Debian's librandomx.
//
// Why our own std::thread pool (and not Napi::AsyncWorker on libuv's pool):
//  - RandomX wants one VM per thread (2 MiB scratchpad + JIT code each, created against one cache or dataset).
//    With our own threads each worker owns its VMs for its whole life (a small map seed -> VM), never shared and
//    never handed between threads; libuv's pool threads are anonymous and shared with fs/dns/zlib work, so VMs
//    would have to be pooled and locked per call, and long hashes would starve Node's own I/O (UV_THREADPOOL_SIZE=4).
//  - The queue is ours, so it is bounded (maxQueue accepted-but-unfinished jobs; beyond that Submit refuses and
//    the caller sheds load) and closing drains it deterministically.
//  - Results go back to JS through one Napi::ThreadSafeFunction (addon.cc), which is referenced only while jobs
//    are in flight, so an idle hasher does not keep the process alive.
//
// Data model:
//  - Seed (one per distinct key): randomx_cache (always) + randomx_dataset (fast mode, built after the cache).
//    Held by shared_ptr: the engine's map, every job for it and every worker VM slot for it own a reference, so
//    the memory of a seed is released only when the last user drops it (VMs are destroyed before their slot's
//    reference). At most maxSeeds (2: current + previous) seeds stay in the map; adding a third evicts the least
//    recently used seed that has no job in flight (or, if all are busy, the least recently used one: it leaves
//    the map at once and its memory goes when its last job ends).
//  - Seed initialisation runs on a thread of its own, started by the first job that names a new key; jobs that
//    arrive meanwhile are parked on the seed and moved to the run queue when the cache is ready, so a cache is
//    built once however many hashes ask for it, and workers never block on an initialisation (they keep hashing
//    other seeds). In fast mode the seed is usable in light mode as soon as the cache is ready (as Monero does);
//    the dataset is built on all cores in non-overlapping ranges of randomx_init_dataset, and workers switch to a
//    FULL_MEM VM for that seed once it is published.
//  - Worker: FIFO queue -> job -> its VM for job.seed (created on first use; replaced light -> fast once the
//    dataset is ready; dropped when the seed is evicted) -> randomx_calculate_hash -> done(job).
//
// CPU priority (EngineOptions::niceness, default 0 = leave unchanged; opt-in, see native/index.ts for why): on Linux every engine thread (workers,
// seed initialisation, dataset builders; never the caller's thread, i.e. Node's main thread) switches itself to
// SCHED_BATCH and sets its own nice value when it starts (Linux nice is per thread). With as many hashing threads as
// cores, the event loop then wins the CPU whenever it is runnable, while an otherwise idle machine still gives the
// hashers every cycle (nice only weighs threads against each other). A thread already nicer than that keeps its
// value. Failures (EPERM, seccomp, non-Linux) are ignored: hashing then runs at the inherited priority.
// Seed initialisation, dataset building and the thread-priority helper live in seed.cc (record in seed.h).
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
#include <utility>

namespace rxpool {


namespace {

struct VmSlot {
  std::shared_ptr<Seed> seed;
  randomx_vm* vm = nullptr;
  bool fast = false;
};

void DropVm(VmSlot& slot) {
  if (slot.vm != nullptr) randomx_destroy_vm(slot.vm);
  slot.vm = nullptr;
}


const char* DatasetName(Seed::Dataset d) {
  switch (d) {
    case Seed::Dataset::None: return "none";
    case Seed::Dataset::Building: return "building";
    case Seed::Dataset::Ready: return "ready";
    case Seed::Dataset::Failed: return "failed";
  }
  return "none";
}

}  // namespace

Engine::Engine(const EngineOptions& opts, DoneFn done)
    : opts_(opts), flags_(randomx_get_flags()), done_(std::move(done)) {
  const unsigned n = std::max(1u, opts_.threads);
  try {
    for (unsigned i = 0; i < n; i++) workers_.emplace_back([this] { WorkerMain(); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    throw;
  }
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
    closing_ = true;
  }
  abortDatasets_ = true;
  cv_.notify_all();
  if (closer_.joinable()) {
    closer_.join();  // the closer joins the workers and init threads itself
  } else {
    JoinAll();
  }
  // Jobs nobody will run any more (hard stop). Their seeds' memory goes with the last reference.
  std::lock_guard<std::mutex> lk(mu_);
  for (Job* j : queue_) delete j;
  queue_.clear();
  for (auto& kv : seeds_) {
    for (Job* j : kv.second->parked) delete j;
    for (Job* j : kv.second->waiters) delete j;
    kv.second->parked.clear();
    kv.second->waiters.clear();
  }
  seeds_.clear();
}

void Engine::JoinAll() {
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  std::vector<InitThread> inits;
  {
    std::lock_guard<std::mutex> lk(mu_);
    inits.swap(initThreads_);  // no new ones once closing_ is set
  }
  for (auto& t : inits) {
    if (t.thread.joinable()) t.thread.join();
  }
}

Engine::Submitted Engine::Submit(Job* job) {
  if (job->kind == Job::Kind::Close) return Submitted::Failed;
  bool evicted = false, wakeOne = false, finishNow = false;
  std::shared_ptr<Seed> seed;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (closing_) return Submitted::Closed;
    if (outstanding_ >= opts_.maxQueue) return Submitted::QueueFull;
    bool created = false;
    auto it = seeds_.find(job->key);
    if (it == seeds_.end()) {
      seed = std::make_shared<Seed>(job->key);
      seeds_.emplace(job->key, seed);
      created = true;
    } else {
      seed = it->second;
    }
    if (created) {
      ReapInitThreadsLocked();
      try {
        auto done = std::make_shared<std::atomic<bool>>(false);
        std::thread t([this, seed, done] {
          LowerThreadPriority(opts_.niceness);
          InitSeed(seed);
          done->store(true);
        });
        initThreads_.push_back(InitThread{std::move(t), std::move(done)});
      } catch (...) {
        seeds_.erase(job->key);
        return Submitted::Failed;
      }
      evicted = EvictLocked(seed);
    }
    seed->lastUse = ++clock_;
    seed->inflight++;
    outstanding_++;
    job->seed = seed;
    if (job->kind == Job::Kind::Hash) {
      if (seed->state == Seed::State::Ready) {
        queue_.push_back(job);
        wakeOne = true;
      } else {
        seed->parked.push_back(job);
      }
    } else {  // Prepare
      const bool fullyReady =
          seed->state == Seed::State::Ready &&
          (!opts_.fast || seed->datasetState == Seed::Dataset::Ready || seed->datasetState == Seed::Dataset::Failed);
      if (fullyReady) {
        finishNow = true;
        job->ok = true;
        job->fast = seed->datasetReady.load();
      } else {
        seed->waiters.push_back(job);
      }
    }
  }
  if (evicted) {
    cv_.notify_all();
  } else if (wakeOne) {
    cv_.notify_one();
  }
  if (finishNow) Finish(job);
  return Submitted::Ok;
}

bool Engine::EvictLocked(const std::shared_ptr<Seed>& keep) {
  bool any = false;
  while (seeds_.size() > std::max<size_t>(1, opts_.maxSeeds)) {
    std::shared_ptr<Seed> victim;
    for (auto& kv : seeds_) {
      const auto& s = kv.second;
      if (s == keep) continue;
      if (!victim) {
        victim = s;
        continue;
      }
      const bool sBusy = s->inflight > 0, vBusy = victim->inflight > 0;
      if (sBusy != vBusy ? !sBusy : s->lastUse < victim->lastUse) victim = s;
    }
    if (!victim) break;
    victim->evicted = true;
    seeds_.erase(victim->key);
    evictions_++;
    any = true;
  }
  if (any) evictEpoch_++;
  return any;
}

void Engine::ReapInitThreadsLocked() {
  for (auto it = initThreads_.begin(); it != initThreads_.end();) {
    if (it->done->load()) {
      it->thread.join();  // already returned (or about to): joins at once
      it = initThreads_.erase(it);
    } else {
      ++it;
    }
  }
}

void Engine::WorkerMain() {
  LowerThreadPriority(opts_.niceness);
  std::vector<VmSlot> slots;
  std::unique_lock<std::mutex> lk(mu_);
  uint64_t seenEpoch = evictEpoch_;
  for (;;) {
    cv_.wait(lk, [&] {
      return stop_ || !queue_.empty() || seenEpoch != evictEpoch_ || (closing_ && outstanding_ == 0);
    });
    if (stop_) break;
    if (seenEpoch != evictEpoch_) {
      seenEpoch = evictEpoch_;
      lk.unlock();
      for (auto it = slots.begin(); it != slots.end();) {
        if (it->seed->evicted) {
          DropVm(*it);
          it = slots.erase(it);  // drops our reference to the seed after its VM is gone
        } else {
          ++it;
        }
      }
      lk.lock();
      continue;
    }
    if (queue_.empty()) break;  // closing, and nothing is left anywhere
    Job* job = queue_.front();
    queue_.pop_front();
    lk.unlock();

    Seed* seed = job->seed.get();
    const bool wantFast = opts_.fast && seed->datasetReady.load(std::memory_order_acquire);
    auto slot = std::find_if(slots.begin(), slots.end(), [&](const VmSlot& s) { return s.seed.get() == seed; });
    if (slot == slots.end()) {
      slots.push_back(VmSlot{job->seed, nullptr, wantFast});
      slot = slots.end() - 1;
    }
    if (slot->vm != nullptr && slot->fast != wantFast) DropVm(*slot);  // light -> fast once the dataset exists
    if (slot->vm == nullptr) {
      slot->fast = wantFast;
      slot->vm = wantFast ? randomx_create_vm(flags_ | RANDOMX_FLAG_FULL_MEM, nullptr, seed->dataset)
                          : randomx_create_vm(flags_, seed->cache, nullptr);
    }
    if (slot->vm == nullptr) {
      job->ok = false;
      job->error = "randomx_create_vm failed";
    } else {
      randomx_calculate_hash(slot->vm, job->input.data(), job->input.size(), job->out);
      job->ok = true;
      job->fast = wantFast;
    }
    if (seed->evicted) {  // evicted while we held it: do not keep its memory alive
      DropVm(*slot);
      slots.erase(slot);
    }
    Finish(job);
    lk.lock();
  }
  lk.unlock();
  for (auto& s : slots) DropVm(s);
}

void Engine::Finish(Job* job) {
  std::shared_ptr<Seed> seed = std::move(job->seed);
  bool wake = false;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (seed) seed->inflight--;
    outstanding_--;
    if (job->kind == Job::Kind::Hash) {
      if (job->ok) {
        hashes_++;
      } else {
        failures_++;
      }
    }
    wake = closing_ && outstanding_ == 0;
  }
  seed.reset();  // may release an evicted seed's memory, here on an engine thread
  if (wake) cv_.notify_all();
  done_(job);
}

bool Engine::Close(Job* closeJob) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (closing_) return false;
    closing_ = true;
    try {
      closer_ = std::thread([this, closeJob] {
        JoinAll();
        std::unordered_map<std::string, std::shared_ptr<Seed>> seeds;
        {
          std::lock_guard<std::mutex> lk2(mu_);
          seeds.swap(seeds_);
        }
        seeds.clear();  // releases caches and datasets (no job or VM holds them any more)
        closeJob->ok = true;
        done_(closeJob);
      });
    } catch (...) {
      closing_ = false;
      return false;
    }
  }
  abortDatasets_ = true;  // queued jobs still complete, in light mode
  cv_.notify_all();
  return true;
}

EngineStats Engine::Stats() {
  EngineStats st;
  std::lock_guard<std::mutex> lk(mu_);
  st.threads = static_cast<unsigned>(workers_.size());
  st.fast = opts_.fast;
  st.flags = static_cast<int>(flags_);
  st.queued = queue_.size();
  st.outstanding = outstanding_;
  st.cacheInits = cacheInits_;
  st.datasetInits = datasetInits_;
  st.evictions = evictions_;
  st.hashes = hashes_;
  st.failures = failures_;
  for (auto& kv : seeds_) {
    const Seed& s = *kv.second;
    st.seeds.push_back(SeedInfo{s.key, s.state == Seed::State::Ready ? "ready" : "initializing",
                                DatasetName(s.datasetState), s.inflight, s.lastUse});
  }
  std::sort(st.seeds.begin(), st.seeds.end(), [](const SeedInfo& a, const SeedInfo& b) { return a.lastUse > b.lastUse; });
  return st;
}

}  // namespace rxpool
