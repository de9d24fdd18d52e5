//! Stage 1, input: where the bytes come from.
//!
//! # Brief overview
//! aiolog reads its inputs in large chunks ([`CHUNK_SIZE`]) and never splits
//! them into lines here: the scan stage does that only around asyncio markers.
//! A regular file (or standard input redirected from one) is read in a loop by
//! the caller. A stream that is still open (a pipe such as `tail -f app.log |
//! aiolog`, or a terminal) is read by a [`LiveReader`] thread that hands the
//! chunks over a channel, so that the caller can wait with a timeout and close
//! a record after [`IDLE_FLUSH`] of silence.

use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::Duration;

/// Bytes asked of the operating system per read.
pub const CHUNK_SIZE: usize = 1 << 20;

/// How long a live stream must stay silent before an open record counts as
/// complete.
pub const IDLE_FLUSH: Duration = Duration::from_millis(200);

/// One input named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputSpec {
    /// Standard input (no file, or `-`).
    Stdin,
    /// A file path.
    File(PathBuf),
}

impl InputSpec {
    /// Turns a command-line argument into an input: `-` is standard input.
    pub fn from_arg(arg: &str) -> InputSpec {
        if arg == "-" {
            InputSpec::Stdin
        } else {
            InputSpec::File(PathBuf::from(arg))
        }
    }

    /// The name used in messages and reports.
    pub fn display_name(&self) -> String {
        match self {
            InputSpec::Stdin => "<stdin>".to_string(),
            InputSpec::File(p) => p.display().to_string(),
        }
    }
}

/// An input that could not be opened or read.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {source}")]
pub struct InputError {
    /// The input's display name.
    pub name: String,
    /// What the operating system said.
    #[source]
    pub source: io::Error,
}

/// An opened input.
pub struct Opened {
    /// The input's display name.
    pub name: String,
    /// The byte stream.
    pub reader: Box<dyn Read + Send>,
    /// True for a stream that may still grow with pauses in between (a pipe
    /// or a terminal): findings are then printed as they complete and open
    /// records are closed after [`IDLE_FLUSH`] of silence.
    pub live: bool,
}

/// Opens an input. Directories and missing files are errors that name the
/// path.
pub fn open(spec: &InputSpec) -> Result<Opened, InputError> {
    let name = spec.display_name();
    match spec {
        InputSpec::Stdin => Ok(Opened {
            name,
            reader: Box::new(io::stdin()),
            live: !stdin_is_regular_file(),
        }),
        InputSpec::File(path) => {
            let err = |source| InputError {
                name: name.clone(),
                source,
            };
            let file = File::open(path).map_err(err)?;
            let meta = file.metadata().map_err(err)?;
            if meta.is_dir() {
                return Err(err(io::Error::other("is a directory")));
            }
            // A named pipe (`aiolog <(python app.py)`) is a live stream too.
            let live = !meta.is_file();
            Ok(Opened {
                name,
                reader: Box::new(file),
                live,
            })
        }
    }
}

fn stdin_is_regular_file() -> bool {
    std::fs::metadata("/dev/stdin")
        .map(|m| m.is_file())
        .unwrap_or(false)
}

/// Reads `reader` until `buf` holds a full chunk or the input ends. Returns
/// the number of bytes read (0 at end of input). Interrupted reads are
/// retried.
pub fn read_chunk(reader: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// A message from a [`LiveReader`] (or from the Ctrl-C handler, which shares
/// the channel).
#[derive(Debug)]
pub enum LiveMsg {
    /// Bytes, as returned by one read.
    Data(Vec<u8>),
    /// The stream ended.
    Eof,
    /// A read failed.
    Error(io::Error),
    /// The user pressed Ctrl-C.
    Interrupt,
}

/// A thread that reads a live stream and forwards what each read returns.
pub struct LiveReader {
    /// Where the chunks arrive.
    pub rx: Receiver<LiveMsg>,
    /// A sender for other producers (the Ctrl-C handler).
    pub tx: Sender<LiveMsg>,
}

impl LiveReader {
    /// Starts the reader thread. Unlike [`read_chunk`], each message carries
    /// whatever a single read returned, so a line is handed on as soon as it
    /// arrives.
    pub fn spawn(mut reader: Box<dyn Read + Send>) -> LiveReader {
        let (tx, rx) = mpsc::channel();
        let thread_tx = tx.clone();
        thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => {
                        let _ = thread_tx.send(LiveMsg::Eof);
                        break;
                    }
                    Ok(n) => {
                        if thread_tx.send(LiveMsg::Data(buf[..n].to_vec())).is_err() {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        let _ = thread_tx.send(LiveMsg::Error(e));
                        break;
                    }
                }
            }
        });
        LiveReader { rx, tx }
    }
}
