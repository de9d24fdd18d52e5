//! The record parsers and the nested repr grammar: any text parses or is
//! refused, never a panic or a hang, however deep its `<<<…` nesting.
#![no_main]
use aiolog::event::{parse_record, repr, Parsed};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(Parsed::Event(ev)) = parse_record(&text) {
        let _ = (ev.subject(), ev.location(), ev.created_at(), ev.duration_seconds());
        let _ = (ev.site(), ev.code());
    }
    let _ = repr::task_repr(&text);
    let _ = repr::handle_repr(&text);
    let _ = repr::location(&text);
    let _ = repr::py_str(&text);
    let _ = repr::frame_line(&text);
});
