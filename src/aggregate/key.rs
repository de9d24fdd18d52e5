//! A group's key, borrowed: a finding's group is found without building
//! its key.

use super::GroupKey;
use crate::correlate::Finding;
use crate::kinds::Kind;

/// A group key's fields, borrowed: what it is hashed and compared by, so
/// that a finding's group is found without building its key (the site's
/// strings copied for every finding).
pub(super) type KeyParts<'a> = (
    Kind,
    Option<(&'a str, u32, Option<&'a str>)>,
    Option<&'a str>,
    bool,
    bool,
);

/// A group key, owned ([`GroupKey`]) or borrowed from a finding.
pub(super) trait KeyView {
    fn parts(&self) -> KeyParts<'_>;
}

impl KeyView for GroupKey {
    fn parts(&self) -> KeyParts<'_> {
        (
            self.kind,
            self.site
                .as_ref()
                .map(|s| (s.path.as_str(), s.line, s.function.as_deref())),
            self.subject.as_deref(),
            self.other,
            self.shutdown,
        )
    }
}

/// The key of a finding's own group (not the overflow group), borrowed.
pub(super) struct FindingKey<'f>(pub(super) &'f Finding);

impl KeyView for FindingKey<'_> {
    fn parts(&self) -> KeyParts<'_> {
        let f = self.0;
        (
            f.kind,
            f.site
                .as_ref()
                .map(|s| (s.path.as_str(), s.line, s.function.as_deref())),
            f.subject.as_deref().filter(|_| f.site.is_none()),
            false,
            f.during_shutdown,
        )
    }
}

impl std::hash::Hash for GroupKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.parts().hash(h);
    }
}

impl std::hash::Hash for dyn KeyView + '_ {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.parts().hash(h);
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn KeyView + '_ {}

impl<'a> std::borrow::Borrow<dyn KeyView + 'a> for GroupKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}
