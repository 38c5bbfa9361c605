// SHA-256, SHA-384 and SHA-512 for a page that has no SubtleCrypto (a page outside a secure context,
// such as http:// on a LAN address). The ThingsBoard entry loads this module only then, on the first
// firmware image to verify; everywhere else `crypto.subtle.digest` computes the digest (device.ts).
// FIPS 180-4; the round constants and initial values are computed from the primes they come from.

/** The first `n` primes. */
function primes(n: number): number[] {
  const found: number[] = [];
  for (let i = 2; found.length < n; i++) if (found.every((p) => i % p !== 0)) found.push(i);
  return found;
}

/** floor(x^(1/k)), by Newton's method from above. */
function root(x: bigint, k: bigint): bigint {
  let r = 1n << (BigInt(x.toString(2).length) / k + 1n);
  for (;;) {
    const next = ((k - 1n) * r + x / r ** (k - 1n)) / k;
    if (next >= r) return r;
    r = next;
  }
}

/** The first 64 bits of the fractional part of each prime's `k`-th root, as [high, low] words. */
function fractions(ps: number[], k: bigint): Int32Array {
  const words = new Int32Array(ps.length * 2);
  ps.forEach((p, i) => {
    const bits = root(BigInt(p) << (64n * k), k) & 0xffff_ffff_ffff_ffffn;
    words[2 * i] = Number(bits >> 32n) | 0;
    words[2 * i + 1] = Number(bits & 0xffff_ffffn) | 0;
  });
  return words;
}

const P = primes(80);
const K512 = fractions(P, 3n);
const K256 = Int32Array.from({ length: 64 }, (_, i) => K512[2 * i]);
const H512 = fractions(P.slice(0, 8), 2n);
const H384 = fractions(P.slice(8, 16), 2n);
const H256 = Int32Array.from({ length: 8 }, (_, i) => H512[2 * i]);

/** `data` padded to whole blocks of `block` bytes: a 1 bit, zeros, then its bit length big-endian. */
function padded(data: Uint8Array, block: number): DataView {
  const lengthBytes = block / 8;
  const size = Math.ceil((data.length + 1 + lengthBytes) / block) * block;
  const out = new Uint8Array(size);
  out.set(data);
  out[data.length] = 0x80;
  const view = new DataView(out.buffer);
  const bits = data.length * 8;
  view.setUint32(size - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(size - 4, bits >>> 0);
  return view;
}

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

function sha256(data: Uint8Array): Uint8Array {
  const h = Int32Array.from(H256);
  const w = new Int32Array(64);
  const m = padded(data, 64);
  for (let at = 0; at < m.byteLength; at += 64) {
    for (let t = 0; t < 16; t++) w[t] = m.getInt32(at + 4 * t);
    for (let t = 16; t < 64; t++) {
      const s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >>> 3);
      const s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K256[t] + w[t]) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      [hh, g, f, e, d, c, b, a] = [g, f, e, (d + t1) | 0, c, b, a, (t1 + t2) | 0];
    }
    [a, b, c, d, e, f, g, hh].forEach((v, i) => (h[i] = (h[i] + v) | 0));
  }
  const out = new DataView(new ArrayBuffer(32));
  h.forEach((v, i) => out.setInt32(4 * i, v));
  return new Uint8Array(out.buffer);
}

// 64-bit words as [high, low] pairs of 32-bit halves.
type Word = [number, number];

function rotr64([hi, lo]: Word, n: number): Word {
  if (n >= 32) [hi, lo, n] = [lo, hi, n - 32];
  if (n === 0) return [hi, lo];
  return [(hi >>> n) | (lo << (32 - n)), (lo >>> n) | (hi << (32 - n))];
}

const shr64 = ([hi, lo]: Word, n: number): Word => [hi >>> n, (lo >>> n) | (hi << (32 - n))];
const xor3 = (a: Word, b: Word, c: Word): Word => [a[0] ^ b[0] ^ c[0], a[1] ^ b[1] ^ c[1]];

/** The sum of 64-bit words, modulo 2^64 (at most a few: the low halves add exactly in a double). */
function add(...words: Word[]): Word {
  let hi = 0;
  let lo = 0;
  for (const [h, l] of words) {
    hi += h;
    lo += l >>> 0;
  }
  return [(hi + Math.floor(lo / 2 ** 32)) | 0, lo | 0];
}

function sha512(data: Uint8Array, init: Int32Array, bytes: number): Uint8Array {
  const word = (words: Int32Array, i: number): Word => [words[2 * i], words[2 * i + 1]];
  const h: Word[] = Array.from({ length: 8 }, (_, i) => word(init, i));
  const k: Word[] = Array.from({ length: 80 }, (_, i) => word(K512, i));
  const w: Word[] = new Array(80);
  const m = padded(data, 128);
  for (let at = 0; at < m.byteLength; at += 128) {
    for (let t = 0; t < 16; t++) w[t] = [m.getInt32(at + 8 * t), m.getInt32(at + 8 * t + 4)];
    for (let t = 16; t < 80; t++) {
      const s0 = xor3(rotr64(w[t - 15], 1), rotr64(w[t - 15], 8), shr64(w[t - 15], 7));
      const s1 = xor3(rotr64(w[t - 2], 19), rotr64(w[t - 2], 61), shr64(w[t - 2], 6));
      w[t] = add(w[t - 16], s0, w[t - 7], s1);
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let t = 0; t < 80; t++) {
      const ch: Word = [(e[0] & f[0]) ^ (~e[0] & g[0]), (e[1] & f[1]) ^ (~e[1] & g[1])];
      const t1 = add(hh, xor3(rotr64(e, 14), rotr64(e, 18), rotr64(e, 41)), ch, k[t], w[t]);
      const maj: Word = [
        (a[0] & b[0]) ^ (a[0] & c[0]) ^ (b[0] & c[0]),
        (a[1] & b[1]) ^ (a[1] & c[1]) ^ (b[1] & c[1]),
      ];
      const t2 = add(xor3(rotr64(a, 28), rotr64(a, 34), rotr64(a, 39)), maj);
      [hh, g, f, e, d, c, b, a] = [g, f, e, add(d, t1), c, b, a, add(t1, t2)];
    }
    [a, b, c, d, e, f, g, hh].forEach((v, i) => (h[i] = add(h[i], v)));
  }
  const out = new DataView(new ArrayBuffer(64));
  h.forEach(([hi, lo], i) => {
    out.setInt32(8 * i, hi);
    out.setInt32(8 * i + 4, lo);
  });
  return new Uint8Array(out.buffer, 0, bytes);
}

/** The digest SubtleCrypto's `digest(name, data)` gives, for `SHA-256`, `SHA-384` and `SHA-512`. */
export function sha2(name: string, data: Uint8Array): Uint8Array {
  switch (name) {
    case "SHA-256":
      return sha256(data);
    case "SHA-384":
      return sha512(data, H384, 48);
    case "SHA-512":
      return sha512(data, H512, 64);
    default:
      throw new Error(`no SHA-2 called ${name}`);
  }
}
