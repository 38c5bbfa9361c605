//! When a firmware or software update starts (docs/platforms/thingsboard.md#firmware): a package
//! announced in the shared attributes is downloaded when it differs from the one installed, is not
//! already downloading, and did not just fail (a failed package is not retried until the server
//! announces another). A new package during a download supersedes it: each download carries a
//! generation, and only the newest one's outcome counts.

use super::firmware::PackageInfo;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct UpdateDecisions {
    /// The title and version installed, as last reported.
    current: Option<(String, String)>,
    in_progress: Option<(String, String)>,
    failed: Option<PackageInfo>,
    generation: u64,
}

impl UpdateDecisions {
    pub fn new(current: Option<(String, String)>) -> Self {
        Self { current, ..Self::default() }
    }

    pub fn current(&self) -> Option<&(String, String)> {
        self.current.as_ref()
    }

    /// The server announces `info`: the generation of the download to start, if one should.
    pub fn announced(&mut self, info: &PackageInfo) -> Option<u64> {
        let key = (info.title.clone(), info.version.clone());
        if !info.is_newer_than(self.current.as_ref())
            || self.in_progress.as_ref() == Some(&key)
            || self.failed.as_ref() == Some(info)
        {
            return None;
        }
        self.generation += 1;
        self.in_progress = Some(key);
        Some(self.generation)
    }

    /// Whether the download of `generation` is still the one that counts.
    pub fn is_current(&self, generation: u64) -> bool {
        self.generation == generation
    }

    /// The download of `generation` was given up with no outcome (its tab lost the device's firmware
    /// turn on a shared connection): the package may start again, and a late outcome of this one
    /// counts for nothing.
    #[cfg(feature = "thingsboard-shared")]
    pub fn abandoned(&mut self, generation: u64) {
        if self.is_current(generation) {
            self.in_progress = None;
            self.generation += 1;
        }
    }

    /// The download of `generation` ended: installed, or failed (then not retried until another
    /// package is announced). A superseded download's end changes nothing.
    pub fn finished(&mut self, generation: u64, info: &PackageInfo, installed: bool) {
        if !self.is_current(generation) {
            return;
        }
        self.in_progress = None;
        if installed {
            self.current = Some((info.title.clone(), info.version.clone()));
        } else {
            self.failed = Some(info.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platforms::thingsboard::topics::PackageKind;

    fn package(version: &str) -> PackageInfo {
        PackageInfo {
            kind: PackageKind::Fw,
            title: "TA652".into(),
            version: version.into(),
            tag: None,
            size: Some(10),
            checksum: None,
            algorithm: Default::default(),
        }
    }

    #[test]
    fn the_installed_package_and_the_one_downloading_are_not_started_again() {
        let mut u = UpdateDecisions::new(Some(("TA652".into(), "1.0".into())));
        assert_eq!(u.announced(&package("1.0")), None, "installed");
        assert_eq!(u.announced(&package("1.1")), Some(1));
        assert_eq!(u.announced(&package("1.1")), None, "downloading");
        u.finished(1, &package("1.1"), true);
        assert_eq!(u.current(), Some(&("TA652".into(), "1.1".into())));
        assert_eq!(u.announced(&package("1.1")), None);
    }

    #[test]
    fn a_failed_package_waits_for_another_announcement() {
        let mut u = UpdateDecisions::new(None);
        assert_eq!(u.announced(&package("2.0")), Some(1));
        u.finished(1, &package("2.0"), false);
        assert_eq!(u.announced(&package("2.0")), None, "not retried");
        assert_eq!(u.announced(&package("2.1")), Some(2));
    }

    #[test]
    fn a_newer_package_supersedes_a_download_whose_end_then_counts_for_nothing() {
        let mut u = UpdateDecisions::new(None);
        assert_eq!(u.announced(&package("3.0")), Some(1));
        assert_eq!(u.announced(&package("3.1")), Some(2));
        assert!(!u.is_current(1));
        u.finished(1, &package("3.0"), true);
        assert_eq!(u.current(), None, "the superseded download installs nothing");
        u.finished(2, &package("3.1"), true);
        assert_eq!(u.current(), Some(&("TA652".into(), "3.1".into())));
    }
}
