//! Firmware and software updates (docs/platforms/thingsboard.md#firmware): the package
//! described by `fw_*`/`sw_*` shared attributes, `fw_state` reports, and a chunked download.

use crate::json::{Map, Value};

use super::checksum::ChecksumAlgorithm;
use super::error::ThingsBoardError;
pub use super::topics::PackageKind;

/// `fw_state` values, in the order a device reports them (QUEUED and INITIATED are the server's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FirmwareState {
    Queued,
    Initiated,
    Downloading,
    Downloaded,
    Verified,
    Updating,
    Updated,
    Failed,
}

crate::write_name!(FirmwareState, name);

impl FirmwareState {
    pub fn name(self) -> &'static str {
        match self {
            Self::Queued => "QUEUED",
            Self::Initiated => "INITIATED",
            Self::Downloading => "DOWNLOADING",
            Self::Downloaded => "DOWNLOADED",
            Self::Verified => "VERIFIED",
            Self::Updating => "UPDATING",
            Self::Updated => "UPDATED",
            Self::Failed => "FAILED",
        }
    }
}

/// A package as the server describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageInfo {
    pub kind: PackageKind,
    pub title: String,
    pub version: String,
    pub tag: Option<String>,
    pub size: Option<u64>,
    pub checksum: Option<String>,
    pub algorithm: ChecksumAlgorithm,
}

crate::write_fields!(PackageInfo { kind, title, version, tag, size, checksum, algorithm });

/// The shared keys a device asks for at start (docs/platforms/thingsboard.md#firmware, flow A(1)).
pub fn requested_keys(kind: PackageKind) -> Vec<String> {
    ["title", "version", "tag", "size", "checksum", "checksum_algorithm"]
        .iter()
        .map(|k| format!("{}_{k}", kind.prefix()))
        .collect()
}

impl PackageInfo {
    /// Reads the package from shared attributes; `None` when title or version is missing.
    pub fn from_attributes(kind: PackageKind, shared: &Map<String, Value>) -> Result<Option<Self>, ThingsBoardError> {
        let p = kind.prefix();
        let text = |k: &str| shared.get(&format!("{p}_{k}")).and_then(|v| v.as_str().map(String::from));
        let (Some(title), Some(version)) = (text("title"), text("version")) else { return Ok(None) };
        let size = shared.get(&format!("{p}_size")).and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
        let algorithm = match text("checksum_algorithm") {
            Some(name) => ChecksumAlgorithm::parse(&name)?,
            None => ChecksumAlgorithm::default(),
        };
        Ok(Some(Self { kind, title, version, tag: text("tag"), size, checksum: text("checksum"), algorithm }))
    }

    /// Whether the server's package differs from what the device runs.
    pub fn is_newer_than(&self, current: Option<&(String, String)>) -> bool {
        current.is_none_or(|(t, v)| *t != self.title || *v != self.version)
    }
}

/// `{"current_fw_title","current_fw_version"}` (docs/platforms/thingsboard.md#firmware, flow A(1)).
pub fn current_telemetry(kind: PackageKind, title: &str, version: &str) -> Value {
    let p = kind.prefix();
    let mut body = Map::new();
    body.insert(format!("current_{p}_title"), title.into());
    body.insert(format!("current_{p}_version"), version.into());
    Value::Object(body)
}

/// The `fw_state` report, with the running version and `fw_error` when FAILED.
pub fn state_telemetry(
    kind: PackageKind,
    current: Option<&(String, String)>,
    state: FirmwareState,
    error: Option<&str>,
) -> Value {
    let p = kind.prefix();
    let mut body = match current {
        Some((t, v)) => current_telemetry(kind, t, v),
        None => Value::Object(Map::new()),
    };
    if let Value::Object(map) = &mut body {
        map.insert(format!("{p}_state"), state.name().into());
        if let Some(e) = error {
            map.insert(format!("{p}_error"), e.into());
        }
    }
    body
}

/// What a received chunk did to the download.
#[derive(Debug, Clone, PartialEq)]
pub enum DownloadStep {
    /// More to fetch.
    Progress { received: usize, total: Option<u64>, index: u32 },
    /// Everything is here (an empty chunk, or `size` bytes received).
    Complete,
}

/// A chunked download under one request id. Chunk i covers bytes [i*size, i*size+size).
#[derive(Debug, Clone)]
pub struct Download {
    pub info: PackageInfo,
    pub request_id: u32,
    pub chunk_size: usize,
    data: Vec<u8>,
    next_index: u32,
}

impl Download {
    pub fn new(info: PackageInfo, request_id: u32, chunk_size: usize) -> Self {
        // The announced size is the server's word: reserve at most 1 MiB up front, grow as chunks come.
        let capacity = info.size.unwrap_or(0).min(1024 * 1024) as usize;
        Self { info, request_id, chunk_size, data: Vec::with_capacity(capacity), next_index: 0 }
    }

    /// The topic and payload (the chunk size in ASCII decimal) of the next chunk request.
    pub fn next_request(&self) -> (String, String) {
        (self.info.kind.chunk_request(self.request_id, self.next_index), self.chunk_size.to_string())
    }

    pub fn next_index(&self) -> u32 {
        self.next_index
    }

    pub fn received(&self) -> usize {
        self.data.len()
    }

    /// Takes the chunk that answers the last request.
    pub fn accept(&mut self, index: u32, bytes: &[u8]) -> Result<DownloadStep, ThingsBoardError> {
        if index != self.next_index {
            return Err(ThingsBoardError::Firmware(format!(
                "chunk {index} arrived while {} was expected",
                self.next_index
            )));
        }
        if bytes.is_empty() {
            return Ok(DownloadStep::Complete);
        }
        if self.chunk_size > 0 && bytes.len() > self.chunk_size {
            return Err(ThingsBoardError::Firmware(format!(
                "chunk {index} is {} bytes, more than the {} asked for",
                bytes.len(),
                self.chunk_size
            )));
        }
        self.data.extend_from_slice(bytes);
        self.next_index += 1;
        match self.info.size {
            Some(size) if self.data.len() as u64 > size => {
                Err(ThingsBoardError::Firmware(format!("received {} bytes, more than fw_size {size}", self.data.len())))
            }
            Some(size) if self.data.len() as u64 == size => Ok(DownloadStep::Complete),
            // Size 0 asks for the whole file in one message.
            _ if self.chunk_size == 0 => Ok(DownloadStep::Complete),
            _ => Ok(DownloadStep::Progress { received: self.data.len(), total: self.info.size, index }),
        }
    }

    /// Checks the size; the image is handed over with the checksum it must still match (the
    /// update's to check: SHA-2 digests are the shell's to compute).
    pub fn finish(self) -> Result<Image, ThingsBoardError> {
        if let Some(size) = self.info.size {
            if self.data.len() as u64 != size {
                return Err(ThingsBoardError::Firmware(format!(
                    "received {} bytes, but fw_size is {size}",
                    self.data.len()
                )));
            }
        }
        Ok(Image { bytes: self.data, checksum: self.info.checksum.map(|c| (self.info.algorithm, c)) })
    }
}

/// A downloaded package's bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct Image {
    pub bytes: Vec<u8>,
    /// The server's checksum and its algorithm, when it gave one.
    pub checksum: Option<(ChecksumAlgorithm, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn info(size: Option<u64>, data: &[u8], alg: ChecksumAlgorithm) -> PackageInfo {
        PackageInfo {
            kind: PackageKind::Fw,
            title: "TA652FC-W-TB".into(),
            version: "1.6.8".into(),
            tag: None,
            size,
            checksum: Some(alg.hex(data)),
            algorithm: alg,
        }
    }

    // docs/platforms/thingsboard.md#firmware, flow A(2): the pushed attributes.
    #[test]
    fn the_seed_attributes_describe_a_package() {
        let shared: Map<String, Value> = serde_json::from_str(
            r#"{"fw_title":"TA652FC-W-TB","fw_version":"1.6.8","fw_tag":"TA652FC-W-TB 1.6.8","fw_size":1315392,"fw_checksum_algorithm":"MD5","fw_checksum":"9cd4197f260254ac7b6e761b89c7cb66"}"#,
        )
        .unwrap();
        let p = PackageInfo::from_attributes(PackageKind::Fw, &shared).unwrap().unwrap();
        assert_eq!((p.title.as_str(), p.version.as_str(), p.size), ("TA652FC-W-TB", "1.6.8", Some(1_315_392)));
        assert_eq!(p.algorithm, ChecksumAlgorithm::Md5);
        assert_eq!(p.tag.as_deref(), Some("TA652FC-W-TB 1.6.8"));
        assert!(p.is_newer_than(Some(&("TA652FC-W-TB".into(), "1.6.6".into()))));
        assert!(!p.is_newer_than(Some(&("TA652FC-W-TB".into(), "1.6.8".into()))));
        assert!(PackageInfo::from_attributes(PackageKind::Sw, &shared).unwrap().is_none());
        let bad: Map<String, Value> =
            serde_json::from_str(r#"{"fw_title":"t","fw_version":"1","fw_checksum_algorithm":"SHA1"}"#).unwrap();
        assert!(PackageInfo::from_attributes(PackageKind::Fw, &bad).is_err());
    }

    // docs/platforms/thingsboard.md#firmware, flow B: the fw_state telemetry.
    #[test]
    fn state_reports_match_the_seed() {
        let current = ("TA652FC-W-TB".to_string(), "1.6.6".to_string());
        assert_eq!(
            state_telemetry(PackageKind::Fw, Some(&current), FirmwareState::Downloading, None),
            json!({"current_fw_title":"TA652FC-W-TB","current_fw_version":"1.6.6","fw_state":"DOWNLOADING"})
        );
        assert_eq!(
            state_telemetry(PackageKind::Sw, None, FirmwareState::Failed, Some("checksum")),
            json!({"sw_state":"FAILED","sw_error":"checksum"})
        );
        assert_eq!(requested_keys(PackageKind::Fw)[0], "fw_title");
    }

    // docs/platforms/thingsboard.md#firmware-chunks: stop on an empty chunk or once fw_size bytes are here.
    #[test]
    fn a_download_requests_chunks_in_order_until_the_size_is_reached() {
        let image: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let mut d = Download::new(info(Some(image.len() as u64), &image, ChecksumAlgorithm::Sha256), 3, 8_192);
        let mut steps = Vec::new();
        loop {
            let (topic, payload) = d.next_request();
            assert_eq!(payload, "8192");
            let i = d.next_index();
            assert_eq!(topic, format!("v2/fw/request/3/chunk/{i}"));
            let start = i as usize * 8_192;
            let chunk = &image[start.min(image.len())..(start + 8_192).min(image.len())];
            match d.accept(i, chunk).unwrap() {
                DownloadStep::Complete => break,
                p => steps.push(p),
            }
        }
        assert_eq!(steps.len(), 2);
        assert_eq!(steps[1], DownloadStep::Progress { received: 16_384, total: Some(20_000), index: 1 });
        assert_eq!(d.finish().unwrap().bytes, image);
    }

    #[test]
    fn an_empty_chunk_ends_a_download_of_unknown_size() {
        let mut d =
            Download::new(PackageInfo { size: None, checksum: None, ..info(None, b"", ChecksumAlgorithm::Md5) }, 1, 4);
        assert!(matches!(d.accept(0, b"abcd").unwrap(), DownloadStep::Progress { .. }));
        assert_eq!(d.accept(1, b"").unwrap(), DownloadStep::Complete);
        assert_eq!(d.finish().unwrap(), Image { bytes: b"abcd".to_vec(), checksum: None });
    }

    #[test]
    fn corruption_wrong_order_and_oversize_are_errors() {
        let image = vec![7u8; 100];
        let mut d = Download::new(info(Some(100), &image, ChecksumAlgorithm::Crc32), 1, 64);
        assert!(d.accept(1, &image[..64]).is_err(), "out of order");
        d.accept(0, &image[..64]).unwrap();
        let mut tail = image[64..].to_vec();
        tail[0] ^= 0xFF;
        assert_eq!(d.accept(1, &tail).unwrap(), DownloadStep::Complete);
        let Image { bytes, checksum: Some((algorithm, expected)) } = d.finish().unwrap() else { panic!("no checksum") };
        assert_eq!(algorithm.verify(&bytes, &expected).unwrap_err().code(), "TB_CHECKSUM_MISMATCH");

        let mut d = Download::new(info(Some(10), &image[..10], ChecksumAlgorithm::Md5), 1, 64);
        assert!(d.accept(0, &image[..20]).is_err(), "more than fw_size");
        let mut d = Download::new(info(Some(100), &image, ChecksumAlgorithm::Md5), 1, 8);
        assert!(d.accept(0, &image[..9]).is_err(), "more than the chunk size");
    }

    // docs/platforms/thingsboard.md#firmware-chunks: size 0 returns the whole file in one message.
    #[test]
    fn chunk_size_zero_takes_the_whole_file_at_once() {
        let image = vec![1u8; 300];
        let mut d = Download::new(info(None, &image, ChecksumAlgorithm::Sha512), 9, 0);
        assert_eq!(d.next_request().1, "0");
        assert_eq!(d.accept(0, &image).unwrap(), DownloadStep::Complete);
        assert_eq!(d.finish().unwrap().bytes.len(), 300);
    }
}
