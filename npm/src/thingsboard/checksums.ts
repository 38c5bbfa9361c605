// The firmware checksums SubtleCrypto lacks, for ThingsBoard's updates: MD5, CRC32, MurmurHash3
// x86_32 and x64_128 (seed 0), each digest in the bytes ThingsBoard's text is written from (CRC32
// and Murmur3 little-endian, as Guava's HashCode writes them; docs/platforms/thingsboard.md#checksums).
// The core asks for a digest (the DIGEST record) and compares it with `fw_checksum`; the ThingsBoard
// shell imports this module only when an update names one of these, so a page pays for it then.
// The same digests in Rust: `ChecksumAlgorithm::digest` (src/platforms/thingsboard/checksum.rs).

/** The digest of `data` by ThingsBoard's name of the algorithm. */
export function checksum(name: string, data: Uint8Array): Uint8Array {
  switch (name) {
    case "MD5":
      return md5(data);
    case "CRC32":
      return le32(crc32(data));
    case "MURMUR3_32":
      return le32(murmur3x86_32(data));
    case "MURMUR3_128":
      return murmur3x64_128(data);
  }
  throw new Error(`no checksum called ${name}`);
}

function le32(n: number): Uint8Array {
  return Uint8Array.of(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
}

let table: Uint32Array | undefined;

/** CRC-32 (IEEE 802.3, reflected), as java.util.zip.CRC32. */
function crc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
  }
  let crc = 0xffffffff;
  for (const b of data) crc = table[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const rotl32 = (x: number, r: number) => (x << r) | (x >>> (32 - r));
const u32 = (d: Uint8Array, i: number) => d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (d[i + 3] << 24);

/** MurmurHash3_x86_32, seed 0 (Guava's murmur3_32_fixed). */
function murmur3x86_32(data: Uint8Array): number {
  const c1 = 0xcc9e2d51, c2 = 0x1b873593;
  const blocks = data.length & ~3;
  let h = 0;
  for (let i = 0; i < blocks; i += 4) {
    const k = Math.imul(rotl32(Math.imul(u32(data, i), c1), 15), c2);
    h = (Math.imul(rotl32(h ^ k, 13), 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  for (let i = data.length - 1; i >= blocks; i--) k = (k << 8) | data[i];
  if (data.length & 3) h ^= Math.imul(rotl32(Math.imul(k, c1), 15), c2);
  h ^= data.length;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

const M64 = (1n << 64n) - 1n;
const rotl64 = (x: bigint, r: bigint) => ((x << r) | (x >> (64n - r))) & M64;
const mul64 = (a: bigint, b: bigint) => (a * b) & M64;
function fmix64(k: bigint): bigint {
  k = mul64(k ^ (k >> 33n), 0xff51afd7ed558ccdn);
  k = mul64(k ^ (k >> 33n), 0xc4ceb9fe1a85ec53n);
  return k ^ (k >> 33n);
}

/** MurmurHash3_x64_128, seed 0: h1 then h2, each little-endian. */
function murmur3x64_128(data: Uint8Array): Uint8Array {
  const c1 = 0x87c37b91114253d5n, c2 = 0x4cf5ad432745937fn;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const blocks = data.length & ~15;
  let h1 = 0n, h2 = 0n;
  for (let i = 0; i < blocks; i += 16) {
    const k1 = mul64(rotl64(mul64(view.getBigUint64(i, true), c1), 31n), c2);
    h1 = (mul64((rotl64(h1 ^ k1, 27n) + h2) & M64, 5n) + 0x52dce729n) & M64;
    const k2 = mul64(rotl64(mul64(view.getBigUint64(i + 8, true), c2), 33n), c1);
    h2 = (mul64((rotl64(h2 ^ k2, 31n) + h1) & M64, 5n) + 0x38495ab5n) & M64;
  }
  let k1 = 0n, k2 = 0n;
  for (let i = data.length - 1; i >= blocks; i--) {
    if (i - blocks >= 8) k2 = (k2 << 8n) | BigInt(data[i]);
    else k1 = (k1 << 8n) | BigInt(data[i]);
  }
  if (data.length - blocks > 8) h2 ^= mul64(rotl64(mul64(k2, c2), 33n), c1);
  if (data.length - blocks > 0) h1 ^= mul64(rotl64(mul64(k1, c1), 31n), c2);
  const len = BigInt(data.length);
  h1 ^= len;
  h2 ^= len;
  h1 = (h1 + h2) & M64;
  h2 = (h2 + h1) & M64;
  h1 = fmix64(h1);
  h2 = fmix64(h2);
  h1 = (h1 + h2) & M64;
  h2 = (h2 + h1) & M64;
  const out = new DataView(new ArrayBuffer(16));
  out.setBigUint64(0, h1, true);
  out.setBigUint64(8, h2, true);
  return new Uint8Array(out.buffer);
}

const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = Array.from({ length: 64 }, (_, i) => (Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

/** MD5 (RFC 1321). */
function md5(data: Uint8Array): Uint8Array {
  const padded = new Uint8Array(((data.length + 8) >>> 6) * 64 + 64);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, (data.length * 8) >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(data.length / 2 ** 29), true);
  let a0 = 0x67452301, b0 = 0xefcdab89, c0 = 0x98badcfe, d0 = 0x10325476;
  for (let off = 0; off < padded.length; off += 64) {
    let a = a0, b = b0, c = c0, d = d0;
    for (let i = 0; i < 64; i++) {
      let f: number, g: number;
      if (i < 16) (f = (b & c) | (~b & d)), (g = i);
      else if (i < 32) (f = (d & b) | (~d & c)), (g = (5 * i + 1) & 15);
      else if (i < 48) (f = b ^ c ^ d), (g = (3 * i + 5) & 15);
      else (f = c ^ (b | ~d)), (g = (7 * i) & 15);
      const t = d;
      d = c;
      c = b;
      b = (b + rotl32((a + f + K[i] + view.getUint32(off + g * 4, true)) | 0, S[(i >> 4) * 4 + (i & 3)])) | 0;
      a = t;
    }
    a0 = (a0 + a) | 0;
    b0 = (b0 + b) | 0;
    c0 = (c0 + c) | 0;
    d0 = (d0 + d) | 0;
  }
  const out = new DataView(new ArrayBuffer(16));
  [a0, b0, c0, d0].forEach((w, i) => out.setUint32(i * 4, w >>> 0, true));
  return new Uint8Array(out.buffer);
}
