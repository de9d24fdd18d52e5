//! The driver loop over a reader, and the conveniences built on it.

use std::io;
use std::ops::ControlFlow;

use super::{InputAnalyzer, Options, Step};
use crate::correlate::Finding;
use crate::grammar::Grammars;
use crate::report::LineStats;
use crate::scan::Scanner;

/// The driver loop: reads an input with `read` (which fills a buffer of
/// `chunk` bytes, as [`io::Read::read`] does, 0 at the end), steps the
/// analyzer, and hands the complete findings to `sink` as they gather
/// ([`super::HAND_ON_EVERY`] at a time while a chunk is read), after each
/// chunk and at the end. `sink` may stop the reading early ([`ControlFlow::Break`]);
/// the input is finished either way.
///
/// `Ok(None)` when the input was read to its end or `sink` stopped it,
/// `Ok(Some(e))` when a read failed (what came before was analyzed),
/// `Err(e)` when `sink` failed.
pub fn drive(
    an: &mut InputAnalyzer<'_>,
    chunk: usize,
    mut read: impl FnMut(&mut [u8]) -> io::Result<usize>,
    mut sink: impl FnMut(&mut Vec<Finding>) -> io::Result<ControlFlow<()>>,
) -> io::Result<Option<io::Error>> {
    let mut buf = crate::input::ReadBuf::new(chunk.max(1));
    let mut out = Vec::new();
    let mut failed = None;
    // What `sink` answered; once it stops or fails, it is not called again
    // until the end (the rest of the chunk is still read, as before).
    let mut answer: io::Result<ControlFlow<()>> = Ok(ControlFlow::Continue(()));
    loop {
        match read(&mut buf) {
            Ok(0) => break,
            Ok(n) => an.step_handing(Step::Data(&buf[..n]), &mut out, &mut |out| {
                if matches!(answer, Ok(ControlFlow::Continue(()))) {
                    answer = sink(out);
                }
            }),
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
        if answer?.is_break() || sink(&mut out)?.is_break() {
            break;
        }
        answer = Ok(ControlFlow::Continue(()));
    }
    an.step(Step::End, &mut out);
    let _ = sink(&mut out)?;
    Ok(failed)
}

/// A reader over `data` in pieces of the sizes `sizes` yields (each at
/// least 1, at most the driver's chunk), for [`drive`]: a whole input in
/// one piece, or split every way a test or fuzz target wants.
pub fn pieces<'d>(
    data: &'d [u8],
    mut sizes: impl FnMut() -> usize + 'd,
) -> impl FnMut(&mut [u8]) -> io::Result<usize> + 'd {
    let mut pos = 0;
    move |buf: &mut [u8]| {
        let n = sizes().clamp(1, buf.len()).min(data.len() - pos);
        buf[..n].copy_from_slice(&data[pos..pos + n]);
        pos += n;
        Ok(n)
    }
}

/// Runs a whole in-memory input through a fresh analyzer: a convenience for
/// tests and small inputs.
pub fn analyze_bytes(
    name: &str,
    data: &[u8],
    grammars: &Grammars,
    opts: Options,
) -> (Vec<Finding>, LineStats) {
    let scanner = Scanner::new();
    let mut a = InputAnalyzer::new(name, grammars, &scanner, opts);
    let mut found = Vec::new();
    let _ = drive(&mut a, data.len(), pieces(data, || usize::MAX), |out| {
        found.append(out);
        Ok(ControlFlow::Continue(()))
    });
    (found, a.stats().clone())
}
