// Original Keccak-256 (Monero's cn_fast_hash) and the per-miner merkle root of a job, for the stratum broadcast.
//
// Data model: a sponge is 25 little-endian 64-bit lanes (lane x + 5*y) plus the count of bytes absorbed into the
// current block. Keccak-256 here is Keccak[r=1088, c=512] with the ORIGINAL padding (first pad byte 0x01, last byte
// of the block |= 0x80), not SHA3-256's 0x06. Everything is pure computation: no allocation, no global state besides
// constant tables and keccak(0x00) (computed once, thread-safe), safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace keccak {

constexpr size_t kRateBytes = 136;  // 1088-bit rate of Keccak-256
constexpr size_t kHashBytes = 32;

// Keccak-f[1600]: the 24-round permutation, in place.
void Permute(uint64_t lanes[25]);

// Incremental Keccak-256 over any number of Update() calls; Final() may be called once.
class Sponge {
 public:
  void Update(const uint8_t* data, size_t len);
  void Final(uint8_t out[kHashBytes]);

 private:
  uint64_t lanes_[25] = {};
  size_t used_ = 0;  // bytes of the current block already absorbed, < kRateBytes
};

// Keccak-256 of one buffer.
void Hash256(const uint8_t* data, size_t len, uint8_t out[kHashBytes]);

// The merkle root of a block for one miner tx prefix (Monero tx v2, RCTTypeNull):
//   txid = keccak(keccak(prefix) || keccak(0x00) || 32 zero bytes); then acc = keccak(acc || sibling) for each of the
//   `siblings` 32-byte hashes in `branch`, bottom up. Writes 32 bytes to `out`.
void MinerJobRoot(const uint8_t* prefix, size_t prefixLen, const uint8_t* branch, size_t siblings,
                  uint8_t out[kHashBytes]);

}  // namespace keccak
