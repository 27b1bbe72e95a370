/*
 * C reference loop for the RandomX benchmark: the same Debian librandomx the addon links, no Node in the way.
 *
 *   ref [--mode light|fast] [--threads T] [--hashes N]
 *
 * Builds one cache for the key "test key 000" (and, in fast mode, the dataset on all cores in non-overlapping
 * ranges), creates one VM per thread, then times only the hashing phase: N hashes of a 76-byte hashing blob
 * whose nonce (offset 39) is distinct per hash, split evenly over T threads. Prints one JSON line:
 *   {"hashesPerSecond":…, "threads":T, "mode":"light"|"fast", "hashes":N, "seconds":…, "initSeconds":…, "flags":…,
 *    "vectorOk":true}
 * initSeconds is the cache (+ dataset) build time; seconds and hashesPerSecond cover the hashing phase only.
 * vectorOk checks the published test vector ("test key 000" / "This is a test") with the first VM.
 * Build: gcc -O2 -pthread native/bench/ref.c -o build/bench/randomx-ref -lrandomx (see native/bench/build-ref.ts).
 */
#include <randomx.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *BLOB_HEX =
    "0b0b98bea7e805e0010a2126d287a2a0cc833d312cb786385a7c2f9de69d25537f584a9bc9977b00000000666fd8753bf61a8631f12984e3fd44f4014eca629276817b56f32e9b68bd82f416";
static const unsigned char VECTOR0[32] = {
    0x63, 0x91, 0x83, 0xaa, 0xe1, 0xbf, 0x4c, 0x9a, 0x35, 0x88, 0x4c, 0xb4, 0x6b, 0x09, 0xca, 0xd9,
    0x17, 0x5f, 0x04, 0xef, 0xd7, 0x68, 0x4e, 0x72, 0x62, 0xa0, 0xac, 0x1c, 0x2f, 0x0b, 0x4e, 0x3f};

typedef struct {
  randomx_vm *vm;
  unsigned long first, count;
  unsigned char blob[76];
} worker_t;

typedef struct {
  randomx_dataset *ds;
  randomx_cache *cache;
  unsigned long start, count;
} ds_part_t;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *hash_loop(void *arg) {
  worker_t *w = (worker_t *)arg;
  unsigned char out[32];
  for (unsigned long i = 0; i < w->count; i++) {
    unsigned long n = w->first + i;
    memcpy(w->blob + 39, &n, 4); /* nonce, little-endian on x86 */
    randomx_calculate_hash(w->vm, w->blob, sizeof w->blob, out);
  }
  return NULL;
}

static void *ds_init(void *arg) {
  ds_part_t *p = (ds_part_t *)arg;
  randomx_init_dataset(p->ds, p->cache, p->start, p->count);
  return NULL;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

int main(int argc, char **argv) {
  const char *mode = "light";
  long threads = 1, hashes = 200;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--mode")) mode = argv[i + 1];
    else if (!strcmp(argv[i], "--threads")) threads = strtol(argv[i + 1], NULL, 10);
    else if (!strcmp(argv[i], "--hashes")) hashes = strtol(argv[i + 1], NULL, 10);
    else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
  }
  int fast = !strcmp(mode, "fast");
  if ((!fast && strcmp(mode, "light")) || threads < 1 || threads > 256 || hashes < 1) {
    fprintf(stderr, "usage: ref [--mode light|fast] [--threads T] [--hashes N]\n");
    return 2;
  }

  double tInit = now_s();
  randomx_flags flags = randomx_get_flags();
  randomx_cache *cache = randomx_alloc_cache(flags);
  if (!cache) { fprintf(stderr, "randomx_alloc_cache failed\n"); return 1; }
  const char *key = "test key 000";
  randomx_init_cache(cache, key, strlen(key));

  randomx_dataset *ds = NULL;
  if (fast) {
    ds = randomx_alloc_dataset(flags);
    if (!ds) { fprintf(stderr, "randomx_alloc_dataset failed (needs ~2080 MiB)\n"); return 1; }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    unsigned long items = randomx_dataset_item_count(), per = items / (unsigned long)cores;
    pthread_t *dt = calloc((size_t)cores, sizeof *dt);
    ds_part_t *parts = calloc((size_t)cores, sizeof *parts);
    for (long i = 0; i < cores; i++) {
      parts[i].ds = ds;
      parts[i].cache = cache;
      parts[i].start = (unsigned long)i * per;
      parts[i].count = i == cores - 1 ? items - parts[i].start : per;
      pthread_create(&dt[i], NULL, ds_init, &parts[i]);
    }
    for (long i = 0; i < cores; i++) pthread_join(dt[i], NULL);
    free(dt);
    free(parts);
  }

  double initSecs = now_s() - tInit;

  randomx_flags vmFlags = fast ? (flags | RANDOMX_FLAG_FULL_MEM) : flags;
  worker_t *ws = calloc((size_t)threads, sizeof *ws);
  pthread_t *ts = calloc((size_t)threads, sizeof *ts);
  unsigned char blob[76];
  for (int i = 0; i < 76; i++) blob[i] = (unsigned char)(hexval(BLOB_HEX[2 * i]) * 16 + hexval(BLOB_HEX[2 * i + 1]));
  unsigned long per = (unsigned long)hashes / (unsigned long)threads, extra = (unsigned long)hashes % (unsigned long)threads;
  unsigned long next = 0;
  for (long i = 0; i < threads; i++) {
    ws[i].vm = randomx_create_vm(vmFlags, fast ? NULL : cache, ds);
    if (!ws[i].vm) { fprintf(stderr, "randomx_create_vm failed\n"); return 1; }
    ws[i].first = next;
    ws[i].count = per + ((unsigned long)i < extra ? 1 : 0);
    next += ws[i].count;
    memcpy(ws[i].blob, blob, sizeof blob);
  }

  unsigned char out[32];
  const char *input = "This is a test";
  randomx_calculate_hash(ws[0].vm, input, strlen(input), out);
  int vectorOk = memcmp(out, VECTOR0, 32) == 0;

  double t0 = now_s();
  for (long i = 0; i < threads; i++) pthread_create(&ts[i], NULL, hash_loop, &ws[i]);
  for (long i = 0; i < threads; i++) pthread_join(ts[i], NULL);
  double secs = now_s() - t0;

  printf("{\"hashesPerSecond\":%.3f,\"threads\":%ld,\"mode\":\"%s\",\"hashes\":%ld,\"seconds\":%.4f,\"initSeconds\":%.3f,\"flags\":%d,\"vectorOk\":%s}\n",
         (double)hashes / secs, threads, fast ? "fast" : "light", hashes, secs, initSecs, (int)flags,
         vectorOk ? "true" : "false");

  for (long i = 0; i < threads; i++) randomx_destroy_vm(ws[i].vm);
  free(ws);
  free(ts);
  if (ds) randomx_release_dataset(ds);
  randomx_release_cache(cache);
  return vectorOk ? 0 : 1;
}
