//! The slow-callback timeline's points, and how a long one is thinned.

use serde::Serialize;

/// The most points kept on the slow-callback timeline; past it, about half
/// are dropped, chosen by each point's hash ([`kept`]).
pub const MAX_TIMELINE: usize = 4096;

/// Whether a point whose hash is `h` is on a timeline thinned to `level`.
pub(super) fn kept(h: u64, level: u32) -> bool {
    level == 0 || h.trailing_zeros() >= level
}

/// A timeline point's hash: FNV-1a over its timestamp, milliseconds and
/// site text (`path:line`, given in pieces), then mixed (SplitMix64), so
/// that its low bits are even.
pub(super) fn point_hash(ts: &str, ms: u64, site: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |b: &[u8]| {
        for &c in b {
            h = (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(ts.as_bytes());
    eat(&[0xff]);
    eat(&ms.to_le_bytes());
    for part in site {
        eat(part);
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A line number's decimal digits, without allocating.
pub(super) struct ItoaBuf([u8; 10], usize);

pub(super) fn itoa_buf(mut n: u32) -> ItoaBuf {
    let mut b = [0u8; 10];
    let mut i = b.len();
    loop {
        i -= 1;
        b[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    ItoaBuf(b, i)
}

impl ItoaBuf {
    pub(super) fn digits(&self) -> &[u8] {
        &self.0[self.1..]
    }
}

/// One slow callback on the timeline.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct TimePoint {
    /// ISO 8601 timestamp from the record's prefix.
    pub ts: String,
    /// Milliseconds blocked.
    pub ms: u64,
    /// `path:line` of the site.
    pub site: String,
}

impl TimePoint {
    pub(super) fn hash(&self) -> u64 {
        point_hash(&self.ts, self.ms, &[self.site.as_bytes()])
    }
}
