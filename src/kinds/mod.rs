//! The kinds of finding: one file per kind, and the registry that lists
//! them.
//!
//! # Brief overview
//! Each kind of finding is one module here that owns everything aiolog knows
//! about it, one column per stage, in the manner of ruff's rules:
//!
//! | stage | what the kind file gives ([`KindSpec`]) |
//! |---|---|
//! | scan | [`KindSpec::MARKERS`]: the texts the block search looks for |
//! | records | [`KindSpec::shape`]: how the record goes on after its first line |
//! | events | the event type itself and [`KindSpec::parse`], its parser |
//! | correlation | [`KindSpec::site`]: the line of the user's code, and [`KindSpec::code`]: the rule |
//! | rules | [`KindSpec::RULES`]: code, name, explanation, fix and examples |
//! | aggregation, output | [`KindSpec::why`], [`KindSpec::live`], [`KindSpec::TABLE_NOTE`], [`KindSpec::symptom`], [`KindSpec::questions`]: its wording |
//! | source evidence | [`KindSpec::evidence`] and [`KindSpec::hint`]: what the source shows |
//!
//! The registry (the `registry!` invocation below, one line per kind) generates [`Kind`],
//! [`Event`] and the dispatch the stages call. The stages read their column
//! through them and name no kind: the scanner's markers
//! ([`Kind::markers`]), the event dispatcher ([`crate::event::parse_record`]),
//! the rule catalog ([`crate::rules::RULES`]), `explain`, the command line's
//! `--kind` names, the renderers.
//!
//! This module sits beside the stages rather than between two of them: a kind
//! file uses the building blocks of every stage (the repr parsers, [`Site`]
//! and [`Basis`], the source reader), and each stage reads only its own
//! column of the registry.
//!
//! # Adding a kind
//! 1. Write `src/kinds/NAME.rs`: the event type and `impl KindSpec` for it
//!    (copy a small one such as `slow_getaddrinfo.rs`).
//! 2. Add one line to the registry below, where its table should come in
//!    reports.
//!
//! Nothing else: the compiler and the tests that walk every kind (every rule
//! listed and explained, every marker found by the scanner) hold the rest.
//! `test_kind.rs`, compiled only for unit tests, is such a kind and proves it.

use crate::aggregate::Group;
use crate::correlate::{Basis, Finding, Site};
use crate::event::{Frame, Location, TaskFailure, Unrecognized};
use crate::record::Shape;
use crate::rules::Rule;
use crate::source::analyze::{Evidence, Reading};

/// A site choice: the line of the user's code (if any), how it was chosen,
/// and a short detail for live lines.
pub type Placed = (Option<Site>, Basis, Option<String>);

/// How a record reports one step of the event loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepRecord {
    /// The stall probe sampled it: names the statement that blocked.
    Sampled,
    /// Debug mode warned of it: names the step.
    Warned,
}

/// What ran the step a record reports: a task (its coroutine's qualname,
/// when printed) or a plain callback. The probe's record and a warning
/// that disagree on it are not of one step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepOf {
    /// A task's step.
    Task(Option<String>),
    /// A plain callback.
    Callback,
}

impl StepOf {
    /// Whether two records may report the same step: both a task's, or
    /// both a callback's. Two tasks' names may differ for one step: an
    /// eager task (3.12+, aiohttp's request handler) runs its first step
    /// inside its creator's, which debug mode times, while the probe sees
    /// the eager task as the current one.
    pub fn agrees(&self, other: &StepOf) -> bool {
        matches!(
            (self, other),
            (StepOf::Task(_), StepOf::Task(_)) | (StepOf::Callback, StepOf::Callback)
        )
    }
}

/// A kind's numbers for the brief's symptoms.
#[derive(Debug, Clone, Copy)]
pub struct Tally {
    /// Events of the kind.
    pub events: u64,
    /// Sites they were tied to.
    pub sites: usize,
    /// Their blocked time, in milliseconds (timed kinds).
    pub total_ms: u64,
    /// The longest of them, in milliseconds (timed kinds).
    pub max_ms: u64,
}

/// Everything aiolog knows about one kind of finding: implemented by the
/// kind's event type.
pub trait KindSpec: Sized {
    /// The snake_case name used in JSON and on the command line.
    const NAME: &'static str;
    /// A heading for people.
    const TITLE: &'static str;
    /// One line for `--kind`'s help.
    const HELP: &'static str;
    /// What the block search looks for: each starts (or sits in the first
    /// line of) a record of this kind.
    const MARKERS: &'static [&'static str];
    /// Whether the kind is read from the whole record rather than from its
    /// first line (an exception line that closes the traceback printed
    /// before it): tried after every first-line kind and debug mode's
    /// DEBUG/INFO lines.
    const WHOLE_RECORD: bool = false;
    /// Whether findings of the kind wait, held back, to learn whether they
    /// happened while the program shut down (the task lifecycle).
    const SHUTDOWN_SENSITIVE: bool = false;
    /// Whether the kind measures blocked time, and is ranked by it.
    const TIMED: bool = false;
    /// Whether a finding of the kind whose site is in a framework's code
    /// (the request coroutine of uvicorn or aiohttp) is read in the user's
    /// handler of the slow request's route ([`crate::source::analyze`]):
    /// the access log line before the finding names the request.
    const READS_HANDLER: bool = false;
    /// Whether a record of the kind reports one step of the loop, and how:
    /// the probe's record and debug mode's warning of the same step are
    /// joined into the probe's finding.
    const STEP: Option<StepRecord> = None;
    /// Whether two records of the kind may report one object
    /// ([`KindSpec::object`]) and be joined: the parallel splitter never
    /// cuts before one.
    const JOINS_BY_OBJECT: bool = false;
    /// The rules it reports under.
    const RULES: &'static [Rule];
    /// How a table of the kind is ranked and how to read its sites.
    const TABLE_NOTE: &'static str;

    /// The record shape of a first line of this kind, when not the default
    /// ([`Shape::of`]).
    fn shape(_first: &str) -> Option<Shape> {
        None
    }
    /// Reads a record: `None` when it is not of this kind, an error when it
    /// is but does not parse.
    fn parse(first: &str, text: &str) -> Option<Result<Self, Unrecognized>>;

    /// The coroutine or callback qualname (or the kind's subject) as printed.
    fn subject(&self) -> Option<String>;
    /// The failed task the record reports, for a kind that reports one:
    /// its location, creation site, traceback and site then come from it.
    fn failure(&self) -> Option<&TaskFailure> {
        None
    }
    /// The `path:line` the warning itself prints.
    fn location(&self) -> Option<Location> {
        self.failure()?.location()
    }
    /// The object's own creation site, when printed.
    fn created_at(&self) -> Option<Location> {
        self.failure()?.created_at()
    }
    /// The traceback of the exception the record reports.
    fn traceback(&self) -> &[Frame] {
        self.failure().map_or(&[], |f| &f.traceback)
    }
    /// Seconds the loop was blocked.
    fn seconds(&self) -> Option<f64> {
        None
    }
    /// The process id the record itself states (the stall probe's does).
    fn process(&self) -> Option<u64> {
        None
    }
    /// What ran the step, for a kind that reports one ([`Self::STEP`]).
    fn step_of(&self) -> Option<StepOf> {
        None
    }
    /// The object the record is about, when it prints its identity (`type
    /// object at 0x…`): two records of one object within a few lines (the
    /// warnings module's line and aiohttp's exception-handler record for
    /// one unclosed session) are one finding.
    fn object(&self) -> Option<String> {
        None
    }
    /// The rule code of this event.
    fn code(&self) -> &'static str {
        Self::RULES[0].code
    }
    /// The site in the user's code: for a failed task, where it raised,
    /// else where it was created, else its coroutine.
    fn site(&self) -> Placed {
        match self.failure() {
            Some(f) => crate::correlate::raised_or_created(f),
            None => (None, Basis::Unknown, None),
        }
    }

    /// The one-sentence explanation of a ranked row; `short` is how to read
    /// its site.
    fn why(g: &Group, short: &str) -> String;
    /// The message of a live line, after `path:line: kind: `.
    fn live(f: &Finding, subject: &str) -> String;
    /// The brief's symptom line.
    fn symptom(t: &Tally) -> String;
    /// The brief's questions; `site` is already formatted.
    fn questions(g: &Group, site: &str) -> Vec<String>;
    /// The one setting that would make weak evidence strong.
    fn hint(_basis: Basis, _source_missing: bool) -> Option<&'static str> {
        None
    }
    /// What the record itself shows, whether or not the source is read.
    fn record_evidence(_g: &Group, _ev: &mut Evidence) {}
    /// What the source shows at the site.
    fn evidence(r: &mut Reading<'_>) {
        r.statement_only();
    }
}

/// Generates [`Kind`], [`Event`] and their dispatch from one line per kind:
/// `Variant => module::EventType,`.
macro_rules! registry {
    ($($(#[$meta:meta])* $variant:ident => $module:ident :: $ty:ident,)*) => {
        $($(#[$meta])* pub mod $module;)*

        /// The kinds of finding, in the order reports list them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind {
            $($(#[$meta])* #[doc = concat!("See [`", stringify!($module), "::", stringify!($ty), "`].")] $variant,)*
        }

        /// A parsed record: one variant per kind.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Event {
            $($(#[$meta])* #[doc = concat!("See [`", stringify!($module), "::", stringify!($ty), "`].")] $variant($module::$ty),)*
        }

        impl Kind {
            /// Every kind, in report order.
            pub const ALL: &'static [Kind] = &[$($(#[$meta])* Kind::$variant,)*];

            /// The snake_case name used in JSON and on the command line.
            pub fn as_str(self) -> &'static str {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::NAME,)* }
            }
            /// A heading for people.
            pub fn title(self) -> &'static str {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::TITLE,)* }
            }
            /// One line for `--kind`'s help.
            pub fn help(self) -> &'static str {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::HELP,)* }
            }
            /// The scan markers of the kind.
            pub fn markers(self) -> &'static [&'static str] {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::MARKERS,)* }
            }
            /// See [`KindSpec::SHUTDOWN_SENSITIVE`].
            pub fn shutdown_sensitive(self) -> bool {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::SHUTDOWN_SENSITIVE,)* }
            }
            /// See [`KindSpec::JOINS_BY_OBJECT`].
            pub fn joins_by_object(self) -> bool {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::JOINS_BY_OBJECT,)* }
            }
            /// See [`KindSpec::STEP`].
            pub fn step(self) -> Option<StepRecord> {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::STEP,)* }
            }
            /// See [`KindSpec::READS_HANDLER`].
            pub fn reads_handler(self) -> bool {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::READS_HANDLER,)* }
            }
            /// See [`KindSpec::TIMED`].
            pub fn timed(self) -> bool {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::TIMED,)* }
            }
            /// The rules the kind reports under.
            pub fn rules(self) -> &'static [Rule] {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::RULES,)* }
            }
            /// See [`KindSpec::TABLE_NOTE`].
            pub fn table_note(self) -> &'static str {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::TABLE_NOTE,)* }
            }
            /// See [`KindSpec::why`].
            pub fn why(self, g: &Group, short: &str) -> String {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::why(g, short),)* }
            }
            /// See [`KindSpec::live`].
            pub fn live(self, f: &Finding, subject: &str) -> String {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::live(f, subject),)* }
            }
            /// See [`KindSpec::symptom`].
            pub fn symptom(self, t: &Tally) -> String {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::symptom(t),)* }
            }
            /// See [`KindSpec::questions`].
            pub fn questions(self, g: &Group, site: &str) -> Vec<String> {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::questions(g, site),)* }
            }
            /// See [`KindSpec::hint`].
            pub fn hint(self, basis: Basis, source_missing: bool) -> Option<&'static str> {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::hint(basis, source_missing),)* }
            }
            /// See [`KindSpec::record_evidence`].
            pub fn record_evidence(self, g: &Group, ev: &mut Evidence) {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::record_evidence(g, ev),)* }
            }
            /// See [`KindSpec::evidence`].
            pub fn evidence(self, r: &mut Reading<'_>) {
                match self { $($(#[$meta])* Kind::$variant => <$module::$ty as KindSpec>::evidence(r),)* }
            }
            /// The record shape the kind gives a first line, if it claims it.
            pub(crate) fn shape(first: &str) -> Option<Shape> {
                $(
                    $(#[$meta])*
                    if let Some(shape) = <$module::$ty as KindSpec>::shape(first) {
                        return Some(shape);
                    }
                )*
                None
            }
            /// Reads a record with the kinds that `whole_record` selects, in
            /// registry order.
            pub(crate) fn parse(first: &str, text: &str, whole_record: bool) -> Option<Result<Event, Unrecognized>> {
                $(
                    $(#[$meta])*
                    if <$module::$ty as KindSpec>::WHOLE_RECORD == whole_record {
                        if let Some(r) = <$module::$ty as KindSpec>::parse(first, text) {
                            return Some(r.map(Event::$variant));
                        }
                    }
                )*
                None
            }
        }

        impl Event {
            /// The kind.
            pub fn kind(&self) -> Kind {
                match self { $($(#[$meta])* Event::$variant(_) => Kind::$variant,)* }
            }
            /// See [`KindSpec::subject`].
            pub fn subject(&self) -> Option<String> {
                match self { $($(#[$meta])* Event::$variant(e) => e.subject(),)* }
            }
            /// See [`KindSpec::location`].
            pub fn location(&self) -> Option<Location> {
                match self { $($(#[$meta])* Event::$variant(e) => e.location(),)* }
            }
            /// See [`KindSpec::created_at`].
            pub fn created_at(&self) -> Option<Location> {
                match self { $($(#[$meta])* Event::$variant(e) => e.created_at(),)* }
            }
            /// See [`KindSpec::traceback`].
            pub fn traceback(&self) -> &[Frame] {
                match self { $($(#[$meta])* Event::$variant(e) => e.traceback(),)* }
            }
            /// Seconds the loop was blocked (timed kinds only).
            pub fn duration_seconds(&self) -> Option<f64> {
                match self { $($(#[$meta])* Event::$variant(e) => e.seconds(),)* }
            }
            /// See [`KindSpec::step_of`].
            pub fn step_of(&self) -> Option<StepOf> {
                match self { $($(#[$meta])* Event::$variant(e) => e.step_of(),)* }
            }
            /// See [`KindSpec::object`].
            pub fn object(&self) -> Option<String> {
                match self { $($(#[$meta])* Event::$variant(e) => e.object(),)* }
            }
            /// See [`KindSpec::process`].
            pub fn process(&self) -> Option<u64> {
                match self { $($(#[$meta])* Event::$variant(e) => e.process(),)* }
            }
            /// The rule code.
            pub fn code(&self) -> &'static str {
                match self { $($(#[$meta])* Event::$variant(e) => e.code(),)* }
            }
            /// See [`KindSpec::site`].
            pub fn site(&self) -> Placed {
                match self { $($(#[$meta])* Event::$variant(e) => e.site(),)* }
            }
        }
    };
}

/// Debug mode's DEBUG/INFO lines: not a kind, but read by the same stages.
pub mod debug_lines;

// The registry: one line per kind, in report order.
registry! {
    LoopStall => loop_stall::LoopStall,
    SlowCallback => slow_callback::SlowCallback,
    StackDump => stack_dump::StackDump,
    NeverAwaited => never_awaited::NeverAwaited,
    TaskDestroyedPending => task_destroyed::TaskDestroyed,
    ExceptionNeverRetrieved => exception_never_retrieved::ExceptionNeverRetrieved,
    ExceptionInCallback => exception_in_callback::ExceptionInCallback,
    ResourceWarning => resource_warning::ResourceWarning,
    FatalTransportError => fatal_transport_error::FatalTransportError,
    NonThreadsafeCall => non_threadsafe_call::NonThreadsafeCall,
    SlowGetaddrinfo => slow_getaddrinfo::SlowGetaddrinfo,
    BlockingCallDetected => blocking_call_detected::BlockingCallDetected,
    LoopException => loop_exception::LoopException,
    #[cfg(test)]
    TestKind => test_kind::TestKind,
}

/// The why of a row of a kind that measures blocked time.
pub(crate) fn blocked_why(g: &Group, short: &str) -> String {
    format!(
        "blocked the loop {} for {} in total (max {}); {short}",
        crate::aggregate::times(g.count),
        crate::aggregate::secs(g.total_ms()),
        crate::aggregate::secs(g.max_ms().unwrap_or(0)),
    )
}

/// The hint of a task finding whose site is only its coroutine: debug mode
/// logs where the task was created.
pub(crate) fn debug_mode_hint(basis: Basis) -> Option<&'static str> {
    matches!(basis, Basis::CoroutineLine | Basis::Unknown)
        .then_some("run with PYTHONASYNCIODEBUG=1 so that the task's creation traceback is logged")
}

impl Kind {
    /// The kind named `name` ([`Kind::as_str`]).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Kind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Kind, D::Error> {
        let name = String::deserialize(d)?;
        Kind::from_name(&name).ok_or_else(|| {
            let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            serde::de::Error::custom(format!(
                "unknown kind `{name}`, expected one of {}",
                names.join(", ")
            ))
        })
    }
}
