//! Line grammars: any line frames without panic, and the message is a
//! suffix of the line (or of what a wrapper left).
#![no_main]
use aiolog::grammar::Grammars;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static G: OnceLock<Grammars> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let g = G.get_or_init(|| Grammars::builtin().unwrap());
    let text = String::from_utf8_lossy(data);
    for line in text.split('\n') {
        let f = g.frame(line, None);
        assert!(line.ends_with(f.message) || f.wrapper.is_some());
        let _ = g.normalize_timestamp(&f);
        for i in 0..g.all().len() {
            let _ = g.frame(line, Some(i));
        }
    }
});
