import { describe, expect, it } from 'vitest';
import { ERRORS, isPoolError } from '../shared/errors.js';
import { bytesToHex, concatBytes, hexToBytes } from '../shared/hex.js';
import { keccak256 } from '../shared/monero/keccak.js';
import {
  jobBlobMaker,
  blockBlob,
  blockId,
  hashingBlob,
  merkleBranch,
  minerTxHash,
  parseBlockTemplate,
  rootFromBranch,
  treeHash,
} from '../shared/monero/template.js';
import { decodeVarint, encodeVarint } from '../shared/monero/varint.js';
import { minerJobRoot } from '../native/index.js';

/**
 * Templates captured from this project's monerod (0.18.0.0, --regtest --fixed-difficulty 1) with reserve_size 8,
 * with 0..8 mempool transactions, and the daemon's own blockhashing_blob for them (reserved bytes all zero).
 */
const DAEMON_VECTORS: { leaves: number; reservedOffset: number; template: string; hashingBlob: string }[] = [
  {
    leaves: 1,
    reservedOffset: 126,
    template:
      '10109dcaa7d806418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e300000000023d01ff0101808080' +
      'f0ffff07033ae633d7b87ed64318bdf0ec3e9b7466bc73b92f876d8c866e97482847eb3edb322b0169bff811ffb3bdbfb839de' +
      '2a794127670e299482a52c019acc6f28a661b7a10d020800000000000000000000',
    hashingBlob:
      '10109dcaa7d806418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e30000000078a66dd90063b415' +
      '3536be00f125c5f67963e1cb3d15d86dd6573984a2b1795201',
  },
  {
    leaves: 2,
    reservedOffset: 127,
    template:
      '101088cba7d8065943dfaf5b98f8d88408f663d30591947763d74afd40e723d2c771d92b45d5fe00000000028e0101ff5201' +
      'aab5baaaf5ff07035e793d18ee269b6395d9171fd3d233b09e693b32992eb6c13464e07a0460d9449e2b01ae55f878aa0bda' +
      '1b928d6b77a27798b8fe5bdcbf6a4587fadf7aa71b2610bc9f020800000000000000000001989e7929c07841a062919cbe07' +
      '5d7ef720a1283d7c42f393e5c3ee8d5054ebec',
    hashingBlob:
      '101088cba7d8065943dfaf5b98f8d88408f663d30591947763d74afd40e723d2c771d92b45d5fe00000000c260c95ceec254' +
      '3e5700401172de6b8530fefe49c8e8bbd72f31f532875c322502',
  },
  {
    leaves: 3,
    reservedOffset: 127,
    template:
      '10108ecba7d8065943dfaf5b98f8d88408f663d30591947763d74afd40e723d2c771d92b45d5fe00000000028e0101ff5201' +
      'aab2e288fcff0703b55ece8826497d2be172f729872d142790ac02aad3f3866c96edeb8ca6447efe162b010735e589868462' +
      '251cecbd83b70112d2ef69736deefa83262fea4a48c2c5cdca020800000000000000000002989e7929c07841a062919cbe07' +
      '5d7ef720a1283d7c42f393e5c3ee8d5054ebeca7a0da367f458de25f89831615f2f4f6e5a441ebc10dd22b78a010b924db9d' +
      'bf',
    hashingBlob:
      '10108ecba7d8065943dfaf5b98f8d88408f663d30591947763d74afd40e723d2c771d92b45d5fe000000001fa1c498bcd662' +
      '82f0428fd1314f83bd5b3fa1c6b6009508f7593efb99b49b7d03',
  },
  {
    leaves: 4,
    reservedOffset: 127,
    template:
      '101093cba7d8065943dfaf5b98f8d88408f663d30591947763d74afd40e723d2c771d92b45d5fe00000000028e0101ff5201' +
      'aaaf8ae78280080345b4f7da3c9a632ff8d4ffbb721e5f6324b05ca88d10ddb00bb9fd0f9c19d3ab572b01a706acdd9b89b4' +
      'c4e50aa8803b9e382348f9117251c1f35ee9f050fb43ecfcee020800000000000000000003989e7929c07841a062919cbe07' +
      '5d7ef720a1283d7c42f393e5c3ee8d5054ebeca7a0da367f458de25f89831615f2f4f6e5a441ebc10dd22b78a010b924db9d' +
      'bfab900e77de1b391452f8b001e7281e0b36e78038aad1d5a26ef1eb306668f8de',
    hashingBlob:
      '101093cba7d8065943dfaf5b98f8d88408f663d30591947763d74afd40e723d2c771d92b45d5fe0000000092c1a31b20d7eb' +
      '4c25bfcb1f582e89161e43c7510fae054617e22bb85397dfe104',
  },
  {
    leaves: 5,
    reservedOffset: 127,
    template:
      '1010e3caa7d806545fa84486095c6e988d2b04f536a134e1be6d740fee43b37cf0d224049adb7e00000000028d0101ff5101' +
      'eb939cd992800803b48b78d1708a8bc9e3f7621f0c97d618a900688499bca769438bb452e2a6974fd62b01250c1019d4b1e3' +
      '5f4f6201cec1c7f9631c068a4d385c315316c44f25cd2f42bb020800000000000000000004edaccd97aef62f4a0cef687f49' +
      '33254d5c1849717e6429948654cfa7d306919bacfa6387e2efdfe5b08ab4dcd87a0070f82bc50c5b37a3bb51dfa0980e6d61' +
      '539c2d60a8d54850ee0242275398d7c427944fcaac86752ce2b0133eb275ab4e3cc7575fd0e74924fd083774233cafb8da39' +
      'bf00658d91838c15a6e64d11e969bd',
    hashingBlob:
      '1010e3caa7d806545fa84486095c6e988d2b04f536a134e1be6d740fee43b37cf0d224049adb7e0000000092a01af9a20947' +
      '7659b36c002d30777fd5ea7b45275e0359c633a48eb5703c6505',
  },
  {
    leaves: 8,
    reservedOffset: 127,
    template:
      '1010f7caa7d806545fa84486095c6e988d2b04f536a134e1be6d740fee43b37cf0d224049adb7e00000000028d0101ff5101' +
      'ebda85ecac800803be9588cf314d8c57bbd439e4c3cb6fb5af4995a46f55adc3fdb9b17b8470af239a2b017127a52cac7209' +
      'cc072c85586b39c601732612b96e3615deea171fd4952dcf37020800000000000000000007edaccd97aef62f4a0cef687f49' +
      '33254d5c1849717e6429948654cfa7d306919bacfa6387e2efdfe5b08ab4dcd87a0070f82bc50c5b37a3bb51dfa0980e6d61' +
      '539c2d60a8d54850ee0242275398d7c427944fcaac86752ce2b0133eb275ab4e3cc7575fd0e74924fd083774233cafb8da39' +
      'bf00658d91838c15a6e64d11e969bd1d5f10e98f96436eac30c584e0e6dc479df20cc0836f59c2907fbce199333814b703f0' +
      '191a322a2b842088947b4cbedc0037a2f06f1a42f5ed531e0ef6464794fe6e60c3aae7bfa965fe55852badd0f04d5f345837' +
      '55322f9a1881f014d21c5e',
    hashingBlob:
      '1010f7caa7d806545fa84486095c6e988d2b04f536a134e1be6d740fee43b37cf0d224049adb7e000000004cb7e45592e636' +
      '24af059f86cc4a4bc80ad22be150dd52c8846cfb09833c233208',
  },
  {
    leaves: 9,
    reservedOffset: 127,
    template:
      '1010fdcaa7d806545fa84486095c6e988d2b04f536a134e1be6d740fee43b37cf0d224049adb7e00000000028d0101ff5101' +
      'ebd7adcab380080369947df8beb9de4d3d48ab12559de4eae2d2e946b56a45a3d245048fcb4f233e7c2b01151b9d2ef7325e' +
      '5e9201caaf8d5ebfa250aff12b12ec30e85fbcb3ee6389f220020800000000000000000008edaccd97aef62f4a0cef687f49' +
      '33254d5c1849717e6429948654cfa7d306919bacfa6387e2efdfe5b08ab4dcd87a0070f82bc50c5b37a3bb51dfa0980e6d61' +
      '539c2d60a8d54850ee0242275398d7c427944fcaac86752ce2b0133eb275ab4e3cc7575fd0e74924fd083774233cafb8da39' +
      'bf00658d91838c15a6e64d11e969bd1d5f10e98f96436eac30c584e0e6dc479df20cc0836f59c2907fbce199333814b703f0' +
      '191a322a2b842088947b4cbedc0037a2f06f1a42f5ed531e0ef6464794fe6e60c3aae7bfa965fe55852badd0f04d5f345837' +
      '55322f9a1881f014d21c5ebb946af7c12e0fa523f8899e3c8eed118b054f953f84c18e2deb47692a70950b',
    hashingBlob:
      '1010fdcaa7d806545fa84486095c6e988d2b04f536a134e1be6d740fee43b37cf0d224049adb7e000000001a624ed3f220ab' +
      'ba7333fde27048c11718310c9cec3185d61833e4c76af1c7db09',
  },
];

function badTemplate(fn: () => unknown, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isPoolError(e, ERRORS.BAD_TEMPLATE)).toBe(true);
    if (message) expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected BAD_TEMPLATE');
}

let seed = 42;
function randomBytes(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed >> 16) & 0xff;
  });
}
const H = (...parts: Uint8Array[]): Uint8Array => keccak256(concatBytes(...parts));

/**
 * A template with `count` more miner tx outputs (amount 1, tagged key, view tag; 35 bytes each) after the existing
 * ones, so the miner tx prefix grows past Keccak's 136-byte block; the reserved offset moves with the extra.
 */
function withExtraOutputs(
  hex: string,
  reservedOffset: number,
  count: number,
): { template: Uint8Array; reservedOffset: number } {
  const bytes = hexToBytes(hex);
  const t = parseBlockTemplate(bytes, reservedOffset);
  let pos = t.minerTx.start;
  for (const _field of ['version', 'unlock_time', 'vin count']) pos += decodeVarint(bytes, pos).length;
  pos += 1; // txin_gen tag
  pos += decodeVarint(bytes, pos).length; // height
  const voutCount = Number(decodeVarint(bytes, pos).value);
  expect(voutCount + count).toBeLessThan(128); // one varint byte before and after
  const extraLengthAt = t.extra.start - encodeVarint(t.extra.end - t.extra.start).length;
  const output = (i: number): Uint8Array => concatBytes(Uint8Array.of(1, 0x03), randomBytes(32), Uint8Array.of(i));
  const template = concatBytes(
    bytes.subarray(0, pos),
    Uint8Array.of(voutCount + count),
    bytes.subarray(pos + 1, extraLengthAt),
    ...Array.from({ length: count }, (_, i) => output(i)),
    bytes.subarray(extraLengthAt),
  );
  return { template, reservedOffset: reservedOffset + 35 * count };
}

/** Leaf 0's depth: log2(cnt) levels above the first, plus one when leaf 0 is paired at the first (n a power of 2). */
function expectedBranchLength(n: number): number {
  if (n === 1) return 0;
  if (n === 2) return 1;
  let cnt = 1;
  while (cnt * 2 < n) cnt *= 2;
  return Math.log2(cnt) + (2 * cnt === n ? 1 : 0);
}

describe('treeHash', () => {
  it('follows tree-hash.c for small n', () => {
    const h = Array.from({ length: 5 }, () => randomBytes(32));
    const [h0, h1, h2, h3, h4] = h as [Uint8Array, Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    expect(treeHash([h0])).toEqual(h0);
    expect(treeHash([h0, h1])).toEqual(H(h0, h1));
    expect(treeHash([h0, h1, h2])).toEqual(H(h0, H(h1, h2)));
    expect(treeHash([h0, h1, h2, h3])).toEqual(H(H(h0, h1), H(h2, h3)));
    expect(treeHash([h0, h1, h2, h3, h4])).toEqual(H(H(h0, h1), H(h2, H(h3, h4))));
  });

  it('the leaf-0 branch gives the same root as the full tree hash for n = 1..9 (and beyond)', () => {
    for (let n = 1; n <= 40; n++) {
      for (let round = 0; round < (n <= 9 ? 5 : 1); round++) {
        const leaves = Array.from({ length: n }, () => randomBytes(32));
        const branch = merkleBranch(leaves);
        expect(branch.length).toBe(expectedBranchLength(n));
        expect(bytesToHex(rootFromBranch(leaves[0]!, branch))).toBe(bytesToHex(treeHash(leaves)));
        // The branch does not depend on leaf 0, so it serves every extra nonce.
        const other = [randomBytes(32), ...leaves.slice(1)];
        expect(merkleBranch(other)).toEqual(branch);
        expect(rootFromBranch(other[0]!, branch)).toEqual(treeHash(other));
      }
    }
  });

  it('rejects empty and malformed leaves', () => {
    badTemplate(() => treeHash([]));
    badTemplate(() => merkleBranch([new Uint8Array(31)]));
  });
});

describe('minerTxHash', () => {
  it('is keccak(keccak(prefix) || keccak(0x00) || zero hash)', () => {
    const prefix = randomBytes(91);
    const rctBase = hexToBytes('bc36789e7a1e281436464229828f817d6612f7b477d66591ff96a9e064bcc98a');
    expect(minerTxHash(prefix)).toEqual(H(keccak256(prefix), rctBase, new Uint8Array(32)));
  });
});

describe('parseBlockTemplate against daemon vectors', () => {
  it('reproduces monerod blockhashing_blob for 1, 2, 3, 4, 5, 8 and 9 tree leaves', () => {
    expect(DAEMON_VECTORS.map((v) => v.leaves)).toEqual([1, 2, 3, 4, 5, 8, 9]);
    for (const v of DAEMON_VECTORS) {
      const t = parseBlockTemplate(v.template, v.reservedOffset, 8);
      expect(t.txCount).toBe(v.leaves);
      expect(t.txHashes.length).toBe(v.leaves - 1);
      expect(t.nonceOffset).toBe(39);
      expect(t.majorVersion).toBe(16);
      expect(bytesToHex(hashingBlob(t, new Uint8Array(8)))).toBe(v.hashingBlob);
      // The full tree hash over [miner txid, tx hashes] agrees with the branch.
      const prefix = t.bytes.subarray(t.minerTxPrefix.start, t.minerTxPrefix.end);
      const root = treeHash([minerTxHash(prefix), ...t.txHashes]);
      expect(bytesToHex(root)).toBe(v.hashingBlob.slice(2 * 43, 2 * 75));
    }
  });

  it('jobBlobMaker (the broadcast path) gives the same blobs as hashingBlob, for every vector and many extra nonces', () => {
    for (const v of DAEMON_VECTORS) {
      const t = parseBlockTemplate(v.template, v.reservedOffset, 8);
      const make = jobBlobMaker(t);
      const makeNative = jobBlobMaker(t, minerJobRoot);
      expect(make(new Uint8Array(8)).hex).toBe(v.hashingBlob);
      expect(makeNative(new Uint8Array(8)).hex).toBe(v.hashingBlob);
      for (let i = 1; i < 40; i++) {
        const en = new Uint8Array(8).map((_, k) => (i * 37 + k * 11) & 0xff);
        const want = bytesToHex(hashingBlob(t, en));
        for (const m of [make, makeNative]) {
          const got = m(en);
          expect(got.hex).toBe(want);
          expect(bytesToHex(got.bytes)).toBe(want);
        }
      }
    }
  });

  it('the native-root maker (minerJobRoot) gives byte-identical blobs, also for miner tx prefixes of several Keccak blocks', () => {
    let longest = 0;
    for (const v of DAEMON_VECTORS) {
      for (const outputs of [0, 1, 2, 6]) {
        const { template, reservedOffset } = withExtraOutputs(v.template, v.reservedOffset, outputs);
        const t = parseBlockTemplate(template, reservedOffset, 8);
        const prefixBytes = t.minerTxPrefix.end - t.minerTxPrefix.start;
        longest = Math.max(longest, prefixBytes);
        const make = jobBlobMaker(t);
        const makeNative = jobBlobMaker(t, minerJobRoot);
        for (let i = 0; i < 300; i++) {
          const en = i < 256 ? new Uint8Array(8).fill(i) : randomBytes(8);
          const want = bytesToHex(hashingBlob(t, en));
          const js = make(en);
          const native = makeNative(en);
          expect(native.hex, `${v.leaves} leaves, ${prefixBytes}-byte prefix, extra nonce ${i}`).toBe(want);
          expect(bytesToHex(native.bytes)).toBe(want);
          expect(js.hex).toBe(want);
        }
        // A shorter extra nonce patches only its own bytes, as hashingBlob does.
        expect(makeNative(Uint8Array.of(9, 9, 9)).hex).toBe(bytesToHex(hashingBlob(t, Uint8Array.of(9, 9, 9))));
        expect(() => makeNative(new Uint8Array(9))).toThrow(/exceeds the reserved/);
      }
    }
    expect(longest).toBeGreaterThan(2 * 136); // three Keccak blocks
  });

  it('exposes the template layout', () => {
    const v = DAEMON_VECTORS[0]!;
    const t = parseBlockTemplate(v.template, v.reservedOffset);
    expect(t.prevId).toBe('418015bb9ae982a1975da7d79277c2705727a56894ba0fb246adaabb1f4632e3');
    expect(t.height).toBe(1);
    expect(t.minerTx).toEqual({ start: 43, prefixEnd: 134, end: 135 });
    expect(t.minerTxPrefix).toEqual({ start: 43, end: 134 });
    expect(t.extra).toEqual({ start: 91, end: 134 });
    expect(t.reservedOffset).toBe(126);
    expect(t.reservedSize).toBe(8); // derived from the extra nonce field when not given
    expect(t.merkleBranch).toEqual([]);
    const five = DAEMON_VECTORS.find((x) => x.leaves === 5)!;
    const t5 = parseBlockTemplate(hexToBytes(five.template), five.reservedOffset);
    expect(t5.merkleBranch.length).toBe(2);
    const eight = DAEMON_VECTORS.find((x) => x.leaves === 8)!;
    expect(parseBlockTemplate(eight.template, eight.reservedOffset).merkleBranch.length).toBe(3);
    expect(bytesToHex(t5.txHashes[0]!)).toBe('edaccd97aef62f4a0cef687f4933254d5c1849717e6429948654cfa7d306919b');
  });

  it('writes the extra nonce and the nonce where they belong', () => {
    const v = DAEMON_VECTORS.find((x) => x.leaves === 5)!;
    const t = parseBlockTemplate(v.template, v.reservedOffset, 8);
    const extraNonce = hexToBytes('0102030405060708');
    const nonce = hexToBytes('deadbeef');
    const zero = hashingBlob(t, new Uint8Array(8));
    const withExtra = hashingBlob(t, extraNonce);
    expect(bytesToHex(withExtra)).not.toBe(bytesToHex(zero));
    expect(withExtra.subarray(0, 43)).toEqual(zero.subarray(0, 43));
    expect(withExtra.length).toBe(76);
    const withNonce = hashingBlob(t, extraNonce, nonce);
    expect(withNonce.subarray(39, 43)).toEqual(nonce);
    expect(withNonce.subarray(43)).toEqual(withExtra.subarray(43));

    const full = blockBlob(t, extraNonce, nonce);
    expect(full.length).toBe(t.bytes.length);
    expect(full.subarray(39, 43)).toEqual(nonce);
    expect(full.subarray(v.reservedOffset, v.reservedOffset + 8)).toEqual(extraNonce);
    // Everything else is the template.
    const expected = hexToBytes(v.template);
    expected.set(nonce, 39);
    expected.set(extraNonce, v.reservedOffset);
    expect(full).toEqual(expected);
    // The template itself is untouched, and a re-parse of the block gives the same hashing blob.
    expect(bytesToHex(t.bytes)).toBe(v.template);
    const reparsed = parseBlockTemplate(full, v.reservedOffset, 8);
    expect(hashingBlob(reparsed, extraNonce)).toEqual(withNonce);
    // A shorter extra nonce only fills the first reserved bytes.
    expect(hashingBlob(t, hexToBytes('01020304'))).toEqual(hashingBlob(t, hexToBytes('0102030400000000')));
  });

  it('computes block ids as keccak(varint(len) || hashing blob)', () => {
    const blob = hexToBytes(DAEMON_VECTORS[0]!.hashingBlob);
    expect(blockId(blob)).toEqual(keccak256(concatBytes(encodeVarint(blob.length), blob)));
    expect(blockId(blob)[0]).toBe(keccak256(concatBytes(Uint8Array.of(76), blob))[0]);
  });
});

describe('parseBlockTemplate rejects bad input', () => {
  const v = DAEMON_VECTORS.find((x) => x.leaves === 3)!;
  const good = hexToBytes(v.template);

  it('checks the reserved offset and sizes', () => {
    badTemplate(() => parseBlockTemplate(good, 0), /reserved_offset 0/);
    badTemplate(() => parseBlockTemplate(good, 43), /not inside/);
    badTemplate(() => parseBlockTemplate(good, v.reservedOffset, 9), /does not fit/);
    const t = parseBlockTemplate(good, v.reservedOffset, 8);
    badTemplate(() => hashingBlob(t, new Uint8Array(9)), /exceeds/);
    badTemplate(() => blockBlob(t, new Uint8Array(8), new Uint8Array(3)), /nonce/);
    badTemplate(() => hashingBlob(t, new Uint8Array(8), new Uint8Array(5)), /nonce/);
  });

  it('checks the structure', () => {
    badTemplate(() => parseBlockTemplate(good.subarray(0, good.length - 1), v.reservedOffset), /tx hashes/);
    badTemplate(() => parseBlockTemplate(concatBytes(good, Uint8Array.of(0)), v.reservedOffset), /tx hashes/);
    badTemplate(() => parseBlockTemplate(good.subarray(0, 40), v.reservedOffset), /nonce/);
    badTemplate(() => parseBlockTemplate(good.subarray(0, 100), v.reservedOffset), /extra/);
    badTemplate(() => parseBlockTemplate(new Uint8Array(0), 0), /major_version/);
    const badVersion = Uint8Array.from(good);
    badVersion[43] = 1;
    badTemplate(() => parseBlockTemplate(badVersion, v.reservedOffset), /version 1/);
    const badInput = Uint8Array.from(good);
    expect(badInput[47]).toBe(0xff); // vin tag after version (1), unlock_time (2-byte varint), vin count (1)
    badInput[47] = 0xfe;
    badTemplate(() => parseBlockTemplate(badInput, v.reservedOffset), /txin_gen/);
    const t = parseBlockTemplate(good, v.reservedOffset);
    // The single output's target tag: before its 32-byte key, 1-byte view tag and the 1-byte extra length.
    const tagAt = t.extra.start - 1 - 33 - 1;
    expect(good[tagAt]).toBe(0x03);
    const badTag = Uint8Array.from(good);
    badTag[tagAt] = 0x04;
    badTemplate(() => parseBlockTemplate(badTag, v.reservedOffset), /unknown target tag 0x4/);
    const badRct = Uint8Array.from(good);
    badRct[t.minerTx.prefixEnd] = 5;
    badTemplate(() => parseBlockTemplate(badRct, v.reservedOffset), /rct type/);
  });
});
