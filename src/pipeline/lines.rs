//! The line buffer: chunks of any size in, whole lines out. A line that a
//! chunk cuts is carried to the next one, never past the line-length bound.

/// The partial last line of the chunks so far.
#[derive(Debug, Default)]
pub struct LineBuffer {
    carry: Vec<u8>,
    /// The carried line passed the bound: the rest of it is dropped.
    cut: bool,
    max_line: usize,
}

impl LineBuffer {
    /// A buffer for lines of at most `max_line` bytes (longer ones are cut).
    pub fn new(max_line: usize) -> LineBuffer {
        LineBuffer {
            max_line,
            ..LineBuffer::default()
        }
    }

    /// Splits a chunk into the line that the carry completes, if any, and
    /// the block of complete lines after it (each ending with `\n`, maybe
    /// none); what follows the block's last newline is carried.
    pub fn split<'d>(&mut self, data: &'d [u8]) -> (Option<Vec<u8>>, &'d [u8]) {
        let mut data = data;
        let mut completed = None;
        if !self.carry.is_empty() || self.cut {
            match memchr::memchr(b'\n', data) {
                None => {
                    self.extend(data);
                    return (None, &[]);
                }
                Some(i) => {
                    self.extend(&data[..i]);
                    self.cut = false;
                    completed = Some(std::mem::take(&mut self.carry));
                    data = &data[i + 1..];
                }
            }
        }
        match memchr::memrchr(b'\n', data) {
            Some(last) => {
                self.extend(&data[last + 1..]);
                (completed, &data[..=last])
            }
            None => {
                self.extend(data);
                (completed, &[])
            }
        }
    }

    /// The last line, which no `\n` ended, at the end of the input.
    pub fn take_last(&mut self) -> Option<Vec<u8>> {
        if self.carry.is_empty() && !self.cut {
            return None;
        }
        self.cut = false;
        Some(std::mem::take(&mut self.carry))
    }

    fn extend(&mut self, bytes: &[u8]) {
        // A line is never buffered past the bound; the rest is dropped and
        // the line counted as truncated when it ends.
        let room = (self.max_line + 1).saturating_sub(self.carry.len());
        if bytes.len() > room {
            self.carry.extend_from_slice(&bytes[..room]);
            self.cut = true;
        } else {
            self.carry.extend_from_slice(bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_a_cut_line_to_the_next_chunk() {
        let mut b = LineBuffer::new(100);
        assert_eq!(b.split(b"ab\ncd"), (None, &b"ab\n"[..]));
        assert_eq!(b.split(b"e\nf\ng"), (Some(b"cde".to_vec()), &b"f\n"[..]));
        assert_eq!(b.split(b"h"), (None, &b""[..]));
        assert_eq!(b.take_last(), Some(b"gh".to_vec()));
        assert_eq!(b.take_last(), None);
    }

    #[test]
    fn never_buffers_past_the_bound() {
        let mut b = LineBuffer::new(3);
        assert_eq!(b.split(b"abcdefgh"), (None, &b""[..]));
        assert_eq!(b.split(b"ij\n"), (Some(b"abcd".to_vec()), &b""[..]));
    }
}
