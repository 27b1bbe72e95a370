// Keccak-f[1600] and original Keccak-256, written from the Keccak reference / FIPS 202 §3 description (keccak.h
// states the data model). The round constants and rotation offsets are not typed in: they are generated at compile
// time by the specification's own procedures (the rc(t) LFSR of Algorithm 5 and the (x, y) walk of Algorithm 2).
#include "keccak.h"

#include <cstring>

namespace keccak {
namespace {

constexpr int kRounds = 24;

struct Tables {
  uint64_t roundConstant[kRounds] = {};
  unsigned rho[25] = {};  // rotation of lane x + 5y
};

// rc(t): bit 0 of an 8-bit LFSR with feedback polynomial x^8 + x^6 + x^5 + x^4 + 1, stepped t mod 255 times from 1.
constexpr bool LfsrBit(unsigned t) {
  unsigned r = 1;
  for (unsigned i = 0; i < t % 255; ++i) {
    r <<= 1;
    if (r & 0x100) r ^= 0x171;  // the bit shifted out (R[8]) feeds bits 0, 4, 5 and 6 and is dropped
  }
  return (r & 1) != 0;
}

constexpr Tables MakeTables() {
  Tables t;
  for (int round = 0; round < kRounds; ++round) {
    uint64_t rc = 0;
    for (unsigned j = 0; j <= 6; ++j) {
      if (LfsrBit(j + 7 * static_cast<unsigned>(round))) rc |= uint64_t{1} << ((1u << j) - 1);
    }
    t.roundConstant[round] = rc;
  }
  // rho: lane (0, 0) stays; from (1, 0), the t-th lane visited turns by the t-th triangular number (mod 64).
  unsigned x = 1, y = 0;
  for (unsigned step = 0; step < 24; ++step) {
    t.rho[x + 5 * y] = ((step + 1) * (step + 2) / 2) % 64;
    const unsigned nx = y, ny = (2 * x + 3 * y) % 5;
    x = nx;
    y = ny;
  }
  return t;
}

constexpr Tables kTables = MakeTables();

// Spot checks against values every Keccak description lists.
static_assert(kTables.roundConstant[0] == 0x1, "round constant 0");
static_assert(kTables.roundConstant[1] == 0x8082, "round constant 1");
static_assert(kTables.roundConstant[23] == 0x8000000080008008ULL, "round constant 23");
static_assert(kTables.rho[1] == 1 && kTables.rho[2] == 62 && kTables.rho[24] == 14, "rotation offsets");
static_assert(kRounds % 2 == 0, "Permute runs the rounds in pairs");

inline uint64_t Rotl(uint64_t v, unsigned n) { return (v << n) | (v >> ((64 - n) & 63)); }

inline uint64_t LoadLe(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  return v;
}

inline void StoreLe(uint8_t* p, uint64_t v) {
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  v = __builtin_bswap64(v);
#endif
  std::memcpy(p, &v, 8);
}

inline void XorByte(uint64_t lanes[25], size_t at, uint8_t b) { lanes[at / 8] ^= uint64_t{b} << (8 * (at % 8)); }

// One round (theta, rho, pi, chi, iota) from `a` into `e`. `c` holds the column parities of `a` on entry and those
// of `e` on return, so theta never re-reads a whole state. pi puts lane ((x + 3y) mod 5, x) of the input at (x, y),
// so each output row y is chi over five input lanes, each after theta (xor its column's d) and rho (its rotation).
inline void Round(const uint64_t a[25], uint64_t e[25], uint64_t c[5], uint64_t roundConstant) {
  uint64_t d[5];
#pragma GCC unroll 5
  for (unsigned x = 0; x < 5; ++x) d[x] = c[(x + 4) % 5] ^ Rotl(c[(x + 1) % 5], 1);
#pragma GCC unroll 5
  for (unsigned x = 0; x < 5; ++x) c[x] = 0;
#pragma GCC unroll 5
  for (unsigned y = 0; y < 5; ++y) {
    uint64_t b[5];
#pragma GCC unroll 5
    for (unsigned x = 0; x < 5; ++x) {
      const unsigned src = (x + 3 * y) % 5 + 5 * x;
      b[x] = Rotl(a[src] ^ d[(x + 3 * y) % 5], kTables.rho[src]);
    }
#pragma GCC unroll 5
    for (unsigned x = 0; x < 5; ++x) {
      uint64_t v = b[x] ^ (~b[(x + 1) % 5] & b[(x + 2) % 5]);
      if (x == 0 && y == 0) v ^= roundConstant;
      e[x + 5 * y] = v;
      c[x] ^= v;
    }
  }
}

}  // namespace

// On x86-64 Linux, a second copy built for CPUs with BMI (andn: chi's and-not in one instruction) is picked at load time.
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
__attribute__((target_clones("bmi", "default")))
#endif
void Permute(uint64_t lanes[25]) {
  uint64_t a[25], e[25], c[5];  // rounds alternate a -> e -> a, so no copy between rounds
  std::memcpy(a, lanes, sizeof a);
  for (unsigned x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
  for (int round = 0; round < kRounds; round += 2) {
    Round(a, e, c, kTables.roundConstant[round]);
    Round(e, a, c, kTables.roundConstant[round + 1]);
  }
  std::memcpy(lanes, a, sizeof a);
}

void Sponge::Update(const uint8_t* data, size_t len) {
  while (len > 0) {
    if (used_ % 8 == 0 && len >= 8) {
      lanes_[used_ / 8] ^= LoadLe(data);
      data += 8;
      len -= 8;
      used_ += 8;
    } else {
      XorByte(lanes_, used_, *data);
      ++data;
      --len;
      ++used_;
    }
    if (used_ == kRateBytes) {
      Permute(lanes_);
      used_ = 0;
    }
  }
}

void Sponge::Final(uint8_t out[kHashBytes]) {
  // Original Keccak padding pad10*1: a 1 bit right after the message, a 1 bit at the end of the block (both in
  // the same byte, 0x81, when one byte of the block is left).
  XorByte(lanes_, used_, 0x01);
  XorByte(lanes_, kRateBytes - 1, 0x80);
  Permute(lanes_);
  for (size_t i = 0; i < kHashBytes / 8; ++i) StoreLe(out + 8 * i, lanes_[i]);
}

void Hash256(const uint8_t* data, size_t len, uint8_t out[kHashBytes]) {
  Sponge s;
  s.Update(data, len);
  s.Final(out);
}

namespace {

struct Hash32 {
  uint8_t bytes[kHashBytes];
};

// keccak(0x00): the hash of a coinbase's RCT base (type RCTTypeNull).
const Hash32& RctNullBaseHash() {
  static const Hash32 h = [] {
    Hash32 r;
    const uint8_t zero = 0;
    Hash256(&zero, 1, r.bytes);
    return r;
  }();
  return h;
}

}  // namespace

void MinerJobRoot(const uint8_t* prefix, size_t prefixLen, const uint8_t* branch, size_t siblings,
                  uint8_t out[kHashBytes]) {
  uint8_t buf[3 * kHashBytes];  // [running hash | RCT base hash | zero hash], later [running hash | sibling]
  Hash256(prefix, prefixLen, buf);
  std::memcpy(buf + kHashBytes, RctNullBaseHash().bytes, kHashBytes);
  std::memset(buf + 2 * kHashBytes, 0, kHashBytes);
  Hash256(buf, sizeof buf, buf);  // the miner txid
  for (size_t i = 0; i < siblings; ++i) {
    std::memcpy(buf + kHashBytes, branch + kHashBytes * i, kHashBytes);
    Hash256(buf, 2 * kHashBytes, buf);
  }
  std::memcpy(out, buf, kHashBytes);
}

}  // namespace keccak
