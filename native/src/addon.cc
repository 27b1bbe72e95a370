// Node-API glue for the RandomX engine (engine.cc explains the threading model and the data model).
//
// Exports:
//   new Pool({fast, threads, maxQueue, maxSeeds, datasetThreads, niceness})   niceness 0..19 (default 0 = unchanged)
//     .hash(key: Uint8Array, input: Uint8Array) -> Promise<Uint8Array(32)>
//     .prepare(key: Uint8Array) -> Promise<'light'|'fast'>   (resolves when the seed is ready; 'fast' = dataset built)
//     .close() -> Promise<void>                                (drains accepted jobs, joins threads, frees memory)
//     .stats() -> {threads, fast, flags, queued, outstanding, cacheInits, datasetInits, evictions, hashes, failures,
//                  seeds: [{key: hex, state, dataset, inflight}]}
//   hashSync(key, input) -> Uint8Array(32)   blocking, light mode, one cached key (tests and benchmarks only)
//   releaseSync()                            frees hashSync's cache and VM
//   info() -> {flags, hardwareConcurrency, datasetItemCount}
//   keccak256(data: Uint8Array) -> Uint8Array(32)   original Keccak-256 (Monero's cn_fast_hash; keccak.h)
//   minerJobRoot(prefix, branch, out, outOffset)    merkle root of a job for one miner tx prefix, branch = 32*k
//                                                   bytes of siblings bottom up; writes 32 bytes at out[outOffset]
//                                                   synchronously, allocates nothing, returns undefined
// Promise rejections and thrown errors carry `code`: "CLOSED" | "QUEUE_FULL" | "BAD_ARGUMENT" | "NATIVE".
//
// Lifetimes: PoolState is shared by the JS object (Pool) and the ThreadSafeFunction's finalizer; whichever goes
// last destroys it, which hard-stops the engine. Engine threads post completions through the TSFN under postMu;
// once the TSFN is finalized (`dead`) they drop completions instead of touching it. A Pool collected without
// close() starts a graceful close on its own. The TSFN is Ref'd only while promises are pending.
#include <napi.h>
#include <randomx.h>

#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine.h"
#include "keccak.h"

namespace {

constexpr size_t kMaxKeyBytes = 65536;
constexpr size_t kMaxInputBytes = 1 << 20;

Napi::Error CodedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("code", Napi::String::New(env, code));
  return e;
}

std::string BytesArg(const Napi::CallbackInfo& info, size_t i, const char* what, size_t max) {
  Napi::Env env = info.Env();
  if (info.Length() <= i || !info[i].IsTypedArray() ||
      info[i].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw CodedError(env, "BAD_ARGUMENT", std::string(what) + " must be a Uint8Array");
  }
  Napi::Uint8Array a = info[i].As<Napi::Uint8Array>();
  if (a.ByteLength() > max) {
    throw CodedError(env, "BAD_ARGUMENT", std::string(what) + " is too long (" + std::to_string(a.ByteLength()) + " bytes)");
  }
  return std::string(reinterpret_cast<const char*>(a.Data()), a.ByteLength());
}

Napi::Uint8Array HashBytes(Napi::Env env, const uint8_t* out) {
  Napi::Uint8Array r = Napi::Uint8Array::New(env, RANDOMX_HASH_SIZE);
  std::memcpy(r.Data(), out, RANDOMX_HASH_SIZE);
  return r;
}

std::string ToHex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    s.push_back(digits[c >> 4]);
    s.push_back(digits[c & 15]);
  }
  return s;
}

struct JsJob : rxpool::JobUser {
  explicit JsJob(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise::Deferred deferred;
};

struct PoolState;
void CallJs(Napi::Env env, Napi::Function, PoolState* state, rxpool::Job* job);
using Tsfn = Napi::TypedThreadSafeFunction<PoolState, rxpool::Job, CallJs>;

struct PoolState {
  std::mutex postMu;
  bool dead = false;      // guarded by postMu: the TSFN has been finalized
  bool released = false;  // guarded by postMu: Release() was called
  Tsfn tsfn;
  // Main thread only.
  int jsInflight = 0;
  bool closeRequested = false;
  bool fast = false;
  unsigned threads = 1;
  std::unique_ptr<rxpool::Engine> engine;

  ~PoolState() { engine.reset(); }  // first, while the members its callback touches still exist

  // Engine threads (and Submit): hand a completion to the JS thread, or drop it when JS is gone.
  void Post(rxpool::Job* job) {
    std::lock_guard<std::mutex> lk(postMu);
    const bool isClose = job->kind == rxpool::Job::Kind::Close;
    if (dead || released || tsfn.NonBlockingCall(job) != napi_ok) delete job;
    if (isClose && !dead && !released) {
      released = true;
      tsfn.Release();
    }
  }
  void Hold(Napi::Env env) {
    if (jsInflight++ == 0) tsfn.Ref(env);
  }
  void Drop(Napi::Env env) {
    if (jsInflight > 0 && --jsInflight == 0 && !closeRequested) tsfn.Unref(env);
  }
};

void CallJs(Napi::Env env, Napi::Function, PoolState* state, rxpool::Job* job) {
  std::unique_ptr<rxpool::Job> owned(job);
  if (env == nullptr || state == nullptr || !job->user) return;
  auto* js = static_cast<JsJob*>(job->user.get());
  try {
    if (job->kind != rxpool::Job::Kind::Close) state->Drop(env);
    if (!job->ok) {
      js->deferred.Reject(CodedError(env, "NATIVE", job->error).Value());
      return;
    }
    switch (job->kind) {
      case rxpool::Job::Kind::Hash:
        js->deferred.Resolve(HashBytes(env, job->out));
        break;
      case rxpool::Job::Kind::Prepare:
        js->deferred.Resolve(Napi::String::New(env, job->fast ? "fast" : "light"));
        break;
      case rxpool::Job::Kind::Close:
        js->deferred.Resolve(env.Undefined());
        break;
    }
  } catch (const Napi::Error&) {
    // The environment is going away; nothing left to settle.
  }
}

void FinalizeTsfn(Napi::Env, std::shared_ptr<PoolState>* holder, PoolState* state) {
  {
    std::lock_guard<std::mutex> lk(state->postMu);
    state->dead = true;
  }
  delete holder;  // may destroy the PoolState (and hard-stop its engine) if the JS object is already gone
}

class Pool : public Napi::ObjectWrap<Pool> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Pool",
                       {InstanceMethod<&Pool::Hash>("hash"), InstanceMethod<&Pool::Prepare>("prepare"),
                        InstanceMethod<&Pool::Close>("close"), InstanceMethod<&Pool::Stats>("stats")});
  }

  explicit Pool(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Pool>(info) {
    Napi::Env env = info.Env();
    rxpool::EngineOptions opts;
    if (info.Length() > 0 && info[0].IsObject()) {
      Napi::Object o = info[0].As<Napi::Object>();
      opts.fast = o.Has("fast") && o.Get("fast").ToBoolean().Value();
      opts.threads = UintOpt(env, o, "threads", 1, 1, 1024);
      opts.maxQueue = UintOpt(env, o, "maxQueue", opts.maxQueue, 1, 1u << 30);
      opts.maxSeeds = UintOpt(env, o, "maxSeeds", opts.maxSeeds, 1, 64);
      opts.datasetThreads = UintOpt(env, o, "datasetThreads", 0, 0, 1024);
      opts.niceness = static_cast<int>(UintOpt(env, o, "niceness", static_cast<unsigned>(opts.niceness), 0, 19));
    }
    state_ = std::make_shared<PoolState>();
    state_->fast = opts.fast;
    state_->threads = opts.threads;
    auto* holder = new std::shared_ptr<PoolState>(state_);
    state_->tsfn = Tsfn::New(env, "randomx-hash", 0, 1, state_.get(), FinalizeTsfn, holder);
    state_->tsfn.Unref(env);
    PoolState* raw = state_.get();
    try {
      state_->engine = std::make_unique<rxpool::Engine>(opts, [raw](rxpool::Job* j) { raw->Post(j); });
    } catch (const std::exception& e) {
      state_->released = true;
      state_->tsfn.Release();
      throw CodedError(env, "NATIVE", std::string("cannot start hashing threads: ") + e.what());
    }
  }

  ~Pool() override {
    // Collected without close(): drain and free in the background.
    if (state_ && state_->engine && !state_->closeRequested) {
      state_->closeRequested = true;
      auto* job = new rxpool::Job();
      job->kind = rxpool::Job::Kind::Close;
      if (!state_->engine->Close(job)) delete job;
    }
  }

 private:
  static unsigned UintOpt(Napi::Env env, Napi::Object o, const char* name, unsigned dflt, unsigned lo, unsigned hi) {
    if (!o.Has(name)) return dflt;
    Napi::Value v = o.Get(name);
    if (v.IsUndefined()) return dflt;
    if (!v.IsNumber()) throw CodedError(env, "BAD_ARGUMENT", std::string(name) + " must be a number");
    const double d = v.As<Napi::Number>().DoubleValue();
    if (!(d >= lo && d <= hi) || d != static_cast<double>(static_cast<unsigned>(d))) {
      throw CodedError(env, "BAD_ARGUMENT", std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                                                std::to_string(hi) + "]");
    }
    return static_cast<unsigned>(d);
  }

  Napi::Value Submit(Napi::Env env, std::unique_ptr<rxpool::Job> job) {
    auto* js = new JsJob(env);
    job->user.reset(js);
    Napi::Promise promise = js->deferred.Promise();
    if (state_->closeRequested) {
      js->deferred.Reject(CodedError(env, "CLOSED", "hasher is closed").Value());
      return promise;
    }
    switch (state_->engine->Submit(job.get())) {
      case rxpool::Engine::Submitted::Ok:
        job.release();  // the engine owns it now; CallJs deletes it
        state_->Hold(env);
        break;
      case rxpool::Engine::Submitted::Closed:
        js->deferred.Reject(CodedError(env, "CLOSED", "hasher is closed").Value());
        break;
      case rxpool::Engine::Submitted::QueueFull:
        js->deferred.Reject(CodedError(env, "QUEUE_FULL", "hash queue is full").Value());
        break;
      case rxpool::Engine::Submitted::Failed:
        js->deferred.Reject(CodedError(env, "NATIVE", "cannot start a seed initialisation thread").Value());
        break;
    }
    return promise;
  }

  Napi::Value Hash(const Napi::CallbackInfo& info) {
    auto job = std::make_unique<rxpool::Job>();
    job->kind = rxpool::Job::Kind::Hash;
    job->key = BytesArg(info, 0, "key", kMaxKeyBytes);
    job->input = BytesArg(info, 1, "input", kMaxInputBytes);
    return Submit(info.Env(), std::move(job));
  }

  Napi::Value Prepare(const Napi::CallbackInfo& info) {
    auto job = std::make_unique<rxpool::Job>();
    job->kind = rxpool::Job::Kind::Prepare;
    job->key = BytesArg(info, 0, "key", kMaxKeyBytes);
    return Submit(info.Env(), std::move(job));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!state_->closeRequested) {
      state_->closeRequested = true;
      auto* js = new JsJob(env);
      Napi::Promise promise = js->deferred.Promise();
      auto* job = new rxpool::Job();
      job->kind = rxpool::Job::Kind::Close;
      job->user.reset(js);
      if (state_->engine->Close(job)) {
        state_->tsfn.Ref(env);  // keep the loop alive until the close completes (the TSFN closes itself after)
        return promise;
      }
      js->deferred.Resolve(env.Undefined());
      delete job;
      return promise;
    }
    // Already closing or closed (the TS wrapper hands out the first close's promise instead).
    auto d = Napi::Promise::Deferred::New(env);
    d.Resolve(env.Undefined());
    return d.Promise();
  }

  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const rxpool::EngineStats st = state_->engine->Stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("threads", st.threads);
    o.Set("fast", st.fast);
    o.Set("flags", st.flags);
    o.Set("queued", static_cast<double>(st.queued));
    o.Set("outstanding", static_cast<double>(st.outstanding));
    o.Set("cacheInits", static_cast<double>(st.cacheInits));
    o.Set("datasetInits", static_cast<double>(st.datasetInits));
    o.Set("evictions", static_cast<double>(st.evictions));
    o.Set("hashes", static_cast<double>(st.hashes));
    o.Set("failures", static_cast<double>(st.failures));
    Napi::Array seeds = Napi::Array::New(env, st.seeds.size());
    for (size_t i = 0; i < st.seeds.size(); i++) {
      Napi::Object s = Napi::Object::New(env);
      s.Set("key", ToHex(st.seeds[i].key));
      s.Set("state", st.seeds[i].state);
      s.Set("dataset", st.seeds[i].dataset);
      s.Set("inflight", st.seeds[i].inflight);
      seeds.Set(static_cast<uint32_t>(i), s);
    }
    o.Set("seeds", seeds);
    return o;
  }

  std::shared_ptr<PoolState> state_;
};

// hashSync: one light-mode cache + VM for the last key used, shared by every Node environment of the process.
struct SyncState {
  std::mutex mu;
  std::string key;
  randomx_cache* cache = nullptr;
  randomx_vm* vm = nullptr;
};
SyncState& Sync() {
  static SyncState* s = new SyncState();  // never destroyed: avoids exit-time ordering issues
  return *s;
}

Napi::Value HashSync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::string key = BytesArg(info, 0, "key", kMaxKeyBytes);
  const std::string input = BytesArg(info, 1, "input", kMaxInputBytes);
  uint8_t out[RANDOMX_HASH_SIZE];
  {
    SyncState& s = Sync();
    std::lock_guard<std::mutex> lk(s.mu);
    const randomx_flags flags = randomx_get_flags();
    if (s.cache == nullptr) {
      s.cache = randomx_alloc_cache(flags);
      if (s.cache == nullptr) throw CodedError(env, "NATIVE", "randomx_alloc_cache failed (out of memory?)");
      s.key.clear();
      s.vm = nullptr;
    }
    if (s.vm == nullptr || s.key != key) {
      static const char kEmpty = 0;
      randomx_init_cache(s.cache, key.empty() ? &kEmpty : key.data(), key.size());
      s.key = key;
      if (s.vm == nullptr) {
        s.vm = randomx_create_vm(flags, s.cache, nullptr);
        if (s.vm == nullptr) throw CodedError(env, "NATIVE", "randomx_create_vm failed");
      } else {
        randomx_vm_set_cache(s.vm, s.cache);
      }
    }
    randomx_calculate_hash(s.vm, input.data(), input.size(), out);
  }
  return HashBytes(env, out);
}

Napi::Value ReleaseSync(const Napi::CallbackInfo& info) {
  SyncState& s = Sync();
  std::lock_guard<std::mutex> lk(s.mu);
  if (s.vm != nullptr) randomx_destroy_vm(s.vm);
  if (s.cache != nullptr) randomx_release_cache(s.cache);
  s.vm = nullptr;
  s.cache = nullptr;
  s.key.clear();
  return info.Env().Undefined();
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("flags", static_cast<int>(randomx_get_flags()));
  o.Set("hardwareConcurrency", std::thread::hardware_concurrency());
  o.Set("datasetItemCount", static_cast<double>(randomx_dataset_item_count()));
  return o;
}

// A Uint8Array (or Buffer) argument's bytes, read in place: only valid during this call.
struct ByteView {
  uint8_t* data;
  size_t size;
};

ByteView BytesViewArg(const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsTypedArray()) {
    throw CodedError(info.Env(), "BAD_ARGUMENT", std::string(what) + " must be a Uint8Array");
  }
  Napi::Uint8Array a = info[i].As<Napi::Uint8Array>();
  if (a.TypedArrayType() != napi_uint8_array) {
    throw CodedError(info.Env(), "BAD_ARGUMENT", std::string(what) + " must be a Uint8Array");
  }
  return {a.Data(), a.ByteLength()};
}

Napi::Value Keccak256(const Napi::CallbackInfo& info) {
  const ByteView data = BytesViewArg(info, 0, "data");
  Napi::Uint8Array r = Napi::Uint8Array::New(info.Env(), keccak::kHashBytes);
  keccak::Hash256(data.data, data.size, r.Data());
  return r;
}

Napi::Value MinerJobRoot(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const ByteView prefix = BytesViewArg(info, 0, "prefix");
  const ByteView branch = BytesViewArg(info, 1, "branch");
  const ByteView out = BytesViewArg(info, 2, "out");
  if (branch.size % keccak::kHashBytes != 0) {
    throw CodedError(env, "BAD_ARGUMENT", "branch must be a whole number of 32-byte hashes");
  }
  const double offset = info.Length() > 3 && info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : -1;
  if (!(offset >= 0 && offset + keccak::kHashBytes <= out.size) ||
      offset != static_cast<double>(static_cast<size_t>(offset))) {
    throw CodedError(env, "BAD_ARGUMENT", "outOffset must be an integer with 32 bytes of out after it");
  }
  keccak::MinerJobRoot(prefix.data, prefix.size, branch.data, branch.size / keccak::kHashBytes,
                       out.data + static_cast<size_t>(offset));
  return env.Undefined();
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("Pool", Pool::Init(env));
  exports.Set("hashSync", Napi::Function::New<HashSync>(env, "hashSync"));
  exports.Set("releaseSync", Napi::Function::New<ReleaseSync>(env, "releaseSync"));
  exports.Set("info", Napi::Function::New<Info>(env, "info"));
  exports.Set("keccak256", Napi::Function::New<Keccak256>(env, "keccak256"));
  exports.Set("minerJobRoot", Napi::Function::New<MinerJobRoot>(env, "minerJobRoot"));
  return exports;
}

}  // namespace

NODE_API_MODULE(randomx, InitModule)
