//! The shapes real logs hide asyncio records in (issue 21), on examples
//! derived from FORMATS.md: they are labelled "derived", not an
//! interpreter's output. Each asserts the finding a reader would see.

use aiolog::correlate::Finding;
use aiolog::grammar::Grammars;
use aiolog::pipeline::{analyze_bytes, Options};

fn findings(log: &str) -> (Vec<Finding>, aiolog::report::LineStats) {
    let g = Grammars::builtin().unwrap();
    analyze_bytes("derived.log", log.as_bytes(), &g, Options::default())
}

fn kinds(f: &[Finding]) -> Vec<String> {
    f.iter().map(|f| f.kind.as_str().to_string()).collect()
}

/// The unraisable hook (3.7 and 3.8, `sys.unraisablehook`, IPython): one
/// `resource_warning` per object, its subject the object's type, its
/// location the traceback's frame when there is one.
#[test]
fn the_unraisable_hook_gives_one_resource_warning_per_object() {
    // Derived from FORMATS.md §3.4 (the warning) printed by the unraisable hook.
    let log = "\
Exception ignored in: <function BaseEventLoop.__del__ at 0x7f3a2c1b0ee0>
Traceback (most recent call last):
  File \"/usr/lib/python3.8/asyncio/base_events.py\", line 641, in __del__
    _warn(f\"unclosed event loop {self!r}\", ResourceWarning, source=self)
ResourceWarning: unclosed event loop <_UnixSelectorEventLoop running=False closed=False debug=False>
INFO app: next
Exception ignored in: <socket.socket fd=8, family=AddressFamily.AF_INET, type=SocketKind.SOCK_STREAM, proto=6>
ResourceWarning: unclosed <socket.socket fd=8, family=AddressFamily.AF_INET, type=SocketKind.SOCK_STREAM, proto=6, laddr=('127.0.0.1', 5000)>
INFO app: done
";
    let (f, stats) = findings(log);
    assert_eq!(kinds(&f), ["resource_warning", "resource_warning"]);
    assert_eq!(f[0].subject.as_deref(), Some("_UnixSelectorEventLoop"));
    let loc = f[0].location.as_ref().expect("the traceback's frame");
    assert_eq!(
        (loc.path.as_str(), loc.line),
        ("/usr/lib/python3.8/asyncio/base_events.py", 641)
    );
    assert_eq!(f[1].subject.as_deref(), Some("socket.socket"));
    assert!(f[1].location.is_none());
    assert_eq!(stats.unrecognized_records, 0);
    assert!(stats.balanced());
}
