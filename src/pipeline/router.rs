//! The record router: which open record a line goes to when a wrapper
//! grammar names each line's stream (a collector's container, a journal
//! unit) and the streams' lines interleave. Records of other streams are
//! parked until a line of their own comes, and the first parts of a line
//! that a collector split wait for its last part.

use crate::record::Builder;

/// Lines of other streams after which a parked record is closed.
pub const MAX_STREAM_GAP: u64 = 500;

/// A record being assembled, with the lines before it.
#[derive(Debug)]
pub struct Open {
    /// The record.
    pub builder: Builder,
    /// The context lines before it.
    pub before: crate::text::Lines,
    /// The stream its first line named.
    pub stream: Option<String>,
}

/// The first parts of a line that a log collector split (Kubernetes' `P`
/// lines), waiting for the last part.
#[derive(Debug)]
pub struct Partial {
    /// The stream the wrapper names.
    pub stream: Option<String>,
    /// The first part, with its wrapper prefix.
    pub first: String,
    /// The bodies of the later parts.
    pub rest: String,
    /// How many physical lines are held.
    pub parts: u64,
}

/// The open record, the parked ones and the split lines.
#[derive(Debug, Default)]
pub struct Router {
    /// The record being assembled.
    open: Option<Open>,
    /// The stream of the last line that named one: the open record is that
    /// stream's.
    open_stream: Option<String>,
    /// Records of other streams, open while lines of another stream
    /// interleave, with the line number of their last line.
    parked: Vec<(Open, u64)>,
    /// First parts of split lines, per stream.
    partials: Vec<Partial>,
}

impl Router {
    /// Whether anything is open, parked or split.
    pub fn busy(&self) -> bool {
        self.open.is_some() || !self.parked.is_empty() || !self.partials.is_empty()
    }

    /// The open record.
    pub fn open_mut(&mut self) -> Option<&mut Open> {
        self.open.as_mut()
    }

    /// Takes the open record out, to close it.
    pub fn take_open(&mut self) -> Option<Open> {
        self.open.take()
    }

    /// Starts a record (none is open).
    pub fn start(&mut self, open: Open) {
        debug_assert!(self.open.is_none());
        self.open = Some(open);
    }

    /// Makes the open record the one of `stream`: the record of another
    /// stream is parked until a line of its own comes. A line that names no
    /// stream goes to the open record, as in a stream of one program. The
    /// record returned, of a line that named no stream, cannot go on: the
    /// caller closes it.
    pub fn route(&mut self, stream: Option<&str>, line_no: u64) -> Option<Open> {
        let src = stream?;
        if self.open_stream.as_deref() == Some(src) {
            return None;
        }
        let mut ended = None;
        if let Some(open) = self.open.take() {
            if open.stream.is_some() {
                self.parked.push((open, line_no));
            } else {
                ended = Some(open);
            }
        }
        if let Some(i) = self
            .parked
            .iter()
            .position(|(o, _)| o.stream.as_deref() == Some(src))
        {
            self.open = Some(self.parked.remove(i).0);
        }
        self.open_stream = Some(src.to_string());
        ended
    }

    /// The parked records whose stream has been silent for
    /// [`MAX_STREAM_GAP`] lines: a live stream must not hold a finding back
    /// for as long as other streams talk.
    pub fn take_stale(&mut self, line_no: u64) -> Vec<Open> {
        let mut stale = Vec::new();
        let mut i = 0;
        while i < self.parked.len() {
            if line_no.saturating_sub(self.parked[i].1) > MAX_STREAM_GAP {
                stale.push(self.parked.remove(i).0);
            } else {
                i += 1;
            }
        }
        stale
    }

    /// The open record and every parked one, in the order they began.
    pub fn take_all(&mut self, line_no: u64) -> Vec<Open> {
        if let Some(open) = self.open.take() {
            self.parked.push((open, line_no));
        }
        self.parked.sort_by_key(|(o, _)| o.builder.line_no());
        std::mem::take(&mut self.parked)
            .into_iter()
            .map(|(o, _)| o)
            .collect()
    }

    /// A part of a split line: `Some(whole)` when `last` is its last part
    /// and earlier ones wait (the joined text and how many physical lines
    /// came before), `None` when it is held or when no earlier part waits.
    pub fn split_line(
        &mut self,
        stream: Option<&str>,
        line: &str,
        body: &str,
        last: bool,
    ) -> Option<(String, u64)> {
        let waiting = self
            .partials
            .iter()
            .position(|p| p.stream.as_deref() == stream);
        match (waiting, last) {
            (Some(i), false) => {
                self.partials[i].rest.push_str(body);
                self.partials[i].parts += 1;
                None
            }
            (None, false) => {
                self.partials.push(Partial {
                    stream: stream.map(str::to_string),
                    first: line.to_string(),
                    rest: String::new(),
                    parts: 1,
                });
                None
            }
            (Some(i), true) => {
                let p = self.partials.remove(i);
                Some((format!("{}{}{}", p.first, p.rest, body), p.parts))
            }
            (None, true) => None,
        }
    }

    /// The split lines still waiting for their last part, as far as they
    /// came.
    pub fn take_partials(&mut self) -> Vec<Partial> {
        std::mem::take(&mut self.partials)
    }
}
