//! Firmware checksums in ThingsBoard's text form (docs/platforms/thingsboard.md#checksums): the 7 algorithms, with
//! CRC32 and both Murmur3 written as Guava's HashCode.toString() does, bytes little-endian.

use md5::Md5;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::error::ThingsBoardError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ChecksumAlgorithm {
    Md5,
    #[default]
    Sha256,
    Sha384,
    Sha512,
    Crc32,
    #[serde(rename = "MURMUR3_32")]
    Murmur3_32,
    #[serde(rename = "MURMUR3_128")]
    Murmur3_128,
}

crate::write_name!(ChecksumAlgorithm, name);

impl ChecksumAlgorithm {
    pub const ALL: [Self; 7] =
        [Self::Md5, Self::Sha256, Self::Sha384, Self::Sha512, Self::Crc32, Self::Murmur3_32, Self::Murmur3_128];

    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha256 => "SHA256",
            Self::Sha384 => "SHA384",
            Self::Sha512 => "SHA512",
            Self::Crc32 => "CRC32",
            Self::Murmur3_32 => "MURMUR3_32",
            Self::Murmur3_128 => "MURMUR3_128",
        }
    }

    pub fn parse(name: &str) -> Result<Self, ThingsBoardError> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| ThingsBoardError::UnknownChecksumAlgorithm(name.into()))
    }

    /// The checksum of `data` as ThingsBoard writes it in `fw_checksum`.
    pub fn hex(self, data: &[u8]) -> String {
        hex(self.digest(data).iter())
    }

    /// The digest, as a Rust shell computes it for `UpdateStep::Digest`. The update asks its shell
    /// for every digest, so that the npm package's wasm carries none of these: its shell takes SHA-2
    /// from the browser's SubtleCrypto and the others from `checksums.js`, which it loads when an
    /// update needs one.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Md5 => Md5::digest(data).to_vec(),
            Self::Sha256 => Sha256::digest(data).to_vec(),
            Self::Sha384 => Sha384::digest(data).to_vec(),
            Self::Sha512 => Sha512::digest(data).to_vec(),
            Self::Crc32 => crc32(data).to_le_bytes().to_vec(),
            Self::Murmur3_32 => {
                murmur3::murmur3_32(&mut std::io::Cursor::new(data), 0).unwrap_or(0).to_le_bytes().to_vec()
            }
            // Guava writes h1 then h2, each little-endian; the crate returns (h2 << 64) | h1.
            Self::Murmur3_128 => {
                murmur3::murmur3_x64_128(&mut std::io::Cursor::new(data), 0).unwrap_or(0).to_le_bytes().to_vec()
            }
        }
    }

    /// The name the npm package's shell computes the digest by: SubtleCrypto's for SHA-2
    /// (`SHA-256`, ...), ThingsBoard's for the others (`checksums.js`).
    pub fn shell_name(self) -> &'static str {
        match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
            other => other.name(),
        }
    }

    /// Compares with the server's checksum, case-insensitively. For CRC32 and Murmur3 the
    /// big-endian spelling is accepted too, since tools other than ThingsBoard print it that way.
    pub fn verify(self, data: &[u8], expected: &str) -> Result<(), ThingsBoardError> {
        self.matches(&self.digest(data), expected)
    }

    /// [`Self::verify`] for a digest computed already (by the shell, for SHA-2).
    pub fn matches(self, digest: &[u8], expected: &str) -> Result<(), ThingsBoardError> {
        let actual = hex(digest.iter());
        let expected_lc = expected.trim().to_ascii_lowercase();
        let byte_order_free = matches!(self, Self::Crc32 | Self::Murmur3_32 | Self::Murmur3_128);
        if actual == expected_lc || (byte_order_free && hex(digest.iter().rev()) == expected_lc) {
            Ok(())
        } else {
            Err(ThingsBoardError::ChecksumMismatch { algorithm: self.name().into(), expected: expected.into(), actual })
        }
    }
}

/// Lower-case hex, two digits a byte (by hand: `{:02x}` brings core's padding code into the wasm).
fn hex<'a>(bytes: impl Iterator<Item = &'a u8>) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::new();
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// CRC-32 (IEEE 802.3, reflected, the zlib/Guava `crc32()`), a byte at a time over a 1 KiB table:
/// `crc32fast` would bring 16 KiB of tables to the wasm for speed a firmware image does not need.
pub fn crc32(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut c = i as u32;
            let mut k = 0;
            while k < 8 {
                c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
                k += 1;
            }
            table[i] = c;
            i += 1;
        }
        table
    };
    !data.iter().fold(!0u32, |c, &b| TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_equals_crc32fast_on_any_input() {
        let mut seed = 0x9E37_79B9u32;
        for len in (0..64).chain([255, 256, 1000, 4096, 65_537]) {
            let data: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    seed as u8
                })
                .collect();
            assert_eq!(crc32(&data), crc32fast::hash(&data), "length {len}");
        }
        assert_eq!(crc32(b""), 0);
    }

    // Known answers for "The quick brown fox jumps over the lazy dog".
    const FOX: &[u8] = b"The quick brown fox jumps over the lazy dog";

    #[test]
    fn digests_match_published_test_vectors() {
        assert_eq!(ChecksumAlgorithm::Md5.hex(FOX), "9e107d9d372bb6826bd81d3542a419d6");
        assert_eq!(
            ChecksumAlgorithm::Sha256.hex(FOX),
            "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592"
        );
        // CRC32 of FOX is 0x414FA339; Guava prints its bytes little-endian.
        assert_eq!(ChecksumAlgorithm::Crc32.hex(FOX), "39a34f41");
        // Murmur3 x86_32, seed 0: 0x2E4FF723 (SMHasher); Guava: little-endian bytes.
        assert_eq!(ChecksumAlgorithm::Murmur3_32.hex(FOX), "23f74f2e");
        // Guava Hashing.murmur3_128().hashBytes(FOX).toString()
        assert_eq!(ChecksumAlgorithm::Murmur3_128.hex(FOX), "6c1b07bc7bbc4be347939ac4a93c437a");
        assert_eq!(ChecksumAlgorithm::Sha384.hex(b"").len(), 96);
        assert_eq!(ChecksumAlgorithm::Sha512.hex(b"").len(), 128);
    }

    // docs/platforms/thingsboard.md#checksums: for CRC32 and both Murmur3 the server's hex string is little-endian.
    #[test]
    fn verify_accepts_the_servers_spelling_and_rejects_corruption() {
        for alg in ChecksumAlgorithm::ALL {
            let good = alg.hex(FOX);
            assert!(alg.verify(FOX, &good.to_uppercase()).is_ok(), "{alg:?}");
            let mut corrupted = FOX.to_vec();
            corrupted[0] ^= 1;
            let e = alg.verify(&corrupted, &good).unwrap_err();
            assert_eq!(e.code(), "TB_CHECKSUM_MISMATCH");
        }
        assert!(ChecksumAlgorithm::Crc32.verify(FOX, "414fa339").is_ok(), "big-endian CRC32 too");
        assert!(ChecksumAlgorithm::Murmur3_32.verify(FOX, "2E4FF723").is_ok(), "big-endian Murmur3 too");
        assert!(
            ChecksumAlgorithm::Md5.verify(FOX, "d619a442351dd86b82b62b379d7d109e").is_err(),
            "MD5 has no byte order"
        );
    }

    // Every digest is the shell's: the Rust shell's matches, and the names the npm shell takes.
    #[test]
    fn the_shell_digests_by_subtle_crypto_names_for_sha2_and_thingsboard_names_otherwise() {
        for alg in ChecksumAlgorithm::ALL {
            assert_eq!(alg.matches(&alg.digest(FOX), &alg.hex(FOX)), Ok(()), "{alg:?}");
        }
        let names: Vec<_> = ChecksumAlgorithm::ALL.iter().map(|a| a.shell_name()).collect();
        assert_eq!(names, ["MD5", "SHA-256", "SHA-384", "SHA-512", "CRC32", "MURMUR3_32", "MURMUR3_128"]);
    }

    #[test]
    fn names_parse_both_ways() {
        for alg in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::parse(alg.name()).unwrap(), alg);
            assert_eq!(crate::json::to_value(&alg), alg.name());
        }
        assert_eq!(ChecksumAlgorithm::parse("sha256").unwrap(), ChecksumAlgorithm::Sha256);
        assert_eq!(ChecksumAlgorithm::parse("SHA1").unwrap_err().code(), "TB_UNKNOWN_CHECKSUM_ALGORITHM");
    }
}
