// The seven OTA package checksum algorithms ThingsBoard offers, as hex strings the way its server writes them.
// CRC32 and both Murmur3 come from Guava's HashCode.toString(), which prints the bytes little-endian.

use md5::Md5;
use sha2::{Digest, Sha256, Sha384, Sha512};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumAlgorithm {
    Md5,
    Sha256,
    Sha384,
    Sha512,
    Crc32,
    Murmur3_32,
    Murmur3_128,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 7] = [
        ChecksumAlgorithm::Md5,
        ChecksumAlgorithm::Sha256,
        ChecksumAlgorithm::Sha384,
        ChecksumAlgorithm::Sha512,
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Murmur3_32,
        ChecksumAlgorithm::Murmur3_128,
    ];

    /// The name in `fw_checksum_algorithm`.
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Md5 => "MD5",
            ChecksumAlgorithm::Sha256 => "SHA256",
            ChecksumAlgorithm::Sha384 => "SHA384",
            ChecksumAlgorithm::Sha512 => "SHA512",
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Murmur3_32 => "MURMUR3_32",
            ChecksumAlgorithm::Murmur3_128 => "MURMUR3_128",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    pub fn checksum(self, data: &[u8]) -> String {
        match self {
            ChecksumAlgorithm::Md5 => hex(&Md5::digest(data)),
            ChecksumAlgorithm::Sha256 => hex(&Sha256::digest(data)),
            ChecksumAlgorithm::Sha384 => hex(&Sha384::digest(data)),
            ChecksumAlgorithm::Sha512 => hex(&Sha512::digest(data)),
            ChecksumAlgorithm::Crc32 => hex(&crc32fast::hash(data).to_le_bytes()),
            ChecksumAlgorithm::Murmur3_32 => hex(&murmur3_x86_32(data, 0).to_le_bytes()),
            ChecksumAlgorithm::Murmur3_128 => {
                let (h1, h2) = murmur3_x64_128(data, 0);
                let mut bytes = h1.to_le_bytes().to_vec();
                bytes.extend_from_slice(&h2.to_le_bytes());
                hex(&bytes)
            }
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// MurmurHash3_x86_32 (Austin Appleby's reference, as Guava's murmur3_32_fixed).
pub fn murmur3_x86_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    let mut k: u32 = 0;
    for (i, b) in tail.iter().enumerate() {
        k ^= u32::from(*b) << (8 * i);
    }
    if !tail.is_empty() {
        h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    }
    h ^= data.len() as u32;
    fmix32(h)
}

fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// MurmurHash3_x64_128 (the reference, as Guava's murmur3_128): the two 64-bit halves h1, h2.
pub fn murmur3_x64_128(data: &[u8], seed: u32) -> (u64, u64) {
    const C1: u64 = 0x87c3_7b91_1142_53d5;
    const C2: u64 = 0x4cf5_ad43_2745_937f;
    let mut h1 = u64::from(seed);
    let mut h2 = u64::from(seed);
    let mut chunks = data.chunks_exact(16);
    for c in &mut chunks {
        let mut k1 = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let mut k2 = u64::from_le_bytes([c[8], c[9], c[10], c[11], c[12], c[13], c[14], c[15]]);
        k1 = k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1.rotate_left(27).wrapping_add(h2).wrapping_mul(5).wrapping_add(0x52dc_e729);
        k2 = k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
        h2 ^= k2;
        h2 = h2.rotate_left(31).wrapping_add(h1).wrapping_mul(5).wrapping_add(0x3849_5ab5);
    }
    let tail = chunks.remainder();
    let mut k1: u64 = 0;
    let mut k2: u64 = 0;
    for (i, b) in tail.iter().enumerate() {
        if i < 8 {
            k1 ^= u64::from(*b) << (8 * i);
        } else {
            k2 ^= u64::from(*b) << (8 * (i - 8));
        }
    }
    if tail.len() > 8 {
        h2 ^= k2.wrapping_mul(C2).rotate_left(33).wrapping_mul(C1);
    }
    if !tail.is_empty() {
        h1 ^= k1.wrapping_mul(C1).rotate_left(31).wrapping_mul(C2);
    }
    let len = data.len() as u64;
    h1 ^= len;
    h2 ^= len;
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    h1 = fmix64(h1);
    h2 = fmix64(h2);
    h1 = h1.wrapping_add(h2);
    h2 = h2.wrapping_add(h1);
    (h1, h2)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SMHasher's VerificationTest: hash keys 0..255 of growing length with seed 256-len, then
    /// hash the concatenated results; the first 4 bytes, little-endian, are the published value.
    fn smhasher_verification(hash: impl Fn(&[u8], u32) -> Vec<u8>) -> u32 {
        let key: Vec<u8> = (0..=255u8).collect();
        let mut all = Vec::new();
        for i in 0..256 {
            all.extend(hash(&key[..i], 256 - i as u32));
        }
        let f = hash(&all, 0);
        u32::from_le_bytes([f[0], f[1], f[2], f[3]])
    }

    #[test]
    fn murmur3_32_passes_smhasher_verification() {
        let v = smhasher_verification(|d, s| murmur3_x86_32(d, s).to_le_bytes().to_vec());
        assert_eq!(v, 0xB0F5_7EE3);
    }

    #[test]
    fn murmur3_128_passes_smhasher_verification() {
        let v = smhasher_verification(|d, s| {
            let (h1, h2) = murmur3_x64_128(d, s);
            let mut b = h1.to_le_bytes().to_vec();
            b.extend_from_slice(&h2.to_le_bytes());
            b
        });
        assert_eq!(v, 0x6384_BA69);
    }

    #[test]
    fn crc32_hex_is_little_endian_like_guava() {
        // docs/platforms/thingsboard.md#checksums: for CRC32 and both Murmur3 the server's hex string is
        // little-endian (Guava's HashCode.toString()). CRC32("123456789") = 0xCBF43926.
        assert_eq!(ChecksumAlgorithm::Crc32.checksum(b"123456789"), "2639f4cb");
    }

    #[test]
    fn digest_algorithms_print_big_endian_hex() {
        assert_eq!(ChecksumAlgorithm::Md5.checksum(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            ChecksumAlgorithm::Sha256.checksum(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(ChecksumAlgorithm::Sha384.checksum(b"").len(), 96);
        assert_eq!(ChecksumAlgorithm::Sha512.checksum(b"").len(), 128);
    }

    #[test]
    fn algorithm_names_parse_case_insensitively() {
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::parse(&a.name().to_lowercase()), Some(a));
        }
        assert_eq!(ChecksumAlgorithm::parse("SHA1"), None);
    }
}
