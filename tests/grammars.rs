//! Every file in grammars/ loads, passes its own sample checks, and its
//! samples are recognized as that grammar when aiolog detects grammars on
//! its own.

use aiolog::grammar::{Grammars, Layer, BUILTIN_GRAMMARS};
use std::path::PathBuf;

fn files() -> Vec<(String, String)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("grammars");
    let mut v: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_grammar_file_is_embedded_and_loads() {
    let on_disk = files();
    let embedded: Vec<(String, String)> = BUILTIN_GRAMMARS
        .iter()
        .map(|(f, s)| (f.to_string(), s.to_string()))
        .collect();
    assert_eq!(on_disk, embedded);
    let g = Grammars::load(on_disk).unwrap_or_else(|e| panic!("{e}"));
    for name in [
        "bare",
        "python_basic",
        "asctime_level_logger",
        "asctime_dashes",
    ] {
        assert!(g.find(name).is_some(), "{name}");
    }
}

#[test]
fn samples_are_detected_as_their_own_grammar() {
    let g = Grammars::builtin().unwrap();
    for gr in g.all() {
        for s in &gr.samples {
            let f = g.frame(&s.line, None);
            let chosen = match gr.layer {
                Layer::Record => f.grammar,
                Layer::Wrapper => f.wrapper.expect("a wrapper is detected"),
            };
            assert_eq!(g.get(chosen).name, gr.name, "{:?}", s.line);
            if gr.layer == Layer::Record {
                assert_eq!(
                    Some(f.message),
                    s.fields.get("message").map(String::as_str),
                    "{:?}",
                    s.line
                );
            }
        }
    }
}
