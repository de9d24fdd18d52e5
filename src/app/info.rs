//! The informational commands: `aiolog explain` (and the rule list, the
//! grammar list and check, shell completions and the manual page, which
//! [`super::run`] dispatches here).

use std::io::{self, Write};

use aiolog::grammar::Grammars;

use super::Status;
use crate::cli::{Args, Command, Format};

/// `aiolog grammars --check FILE...`: each file loads and passes its own
/// samples.
pub(super) fn check_grammars(check: &[std::path::PathBuf]) -> Status {
    match Grammars::builtin_plus(check) {
        Ok(_) => {
            for f in check {
                println!("{}: ok", f.display());
            }
            Status::Success
        }
        Err(e) => {
            eprintln!("aiolog: error: {e}");
            Status::Error
        }
    }
}

/// `aiolog grammars`, `--list-grammars`: name, layer and title of each.
pub(super) fn list_grammars(grammars: &Grammars) -> io::Result<Status> {
    let mut out = io::stdout().lock();
    for g in grammars.all() {
        writeln!(
            out,
            "{:<22} {:<7} {}",
            g.name,
            format!("{:?}", g.layer).to_lowercase(),
            g.title
        )?;
    }
    Ok(Status::Success)
}

/// `aiolog completions`, `rules`, `explain` and `man`.
pub(super) fn command(command: &Command, format: Format) -> io::Result<Status> {
    match command {
        Command::Completions { shell } => {
            let mut cmd = <Args as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "aiolog", &mut io::stdout());
        }
        Command::Rules => {
            let mut out = io::stdout().lock();
            if format == Format::Json {
                let rules: Vec<&aiolog::rules::Rule> = aiolog::rules::RULES.iter().collect();
                serde_json::to_writer_pretty(&mut out, &rules)?;
                writeln!(out)?;
                return Ok(Status::Success);
            }
            for r in aiolog::rules::RULES.iter() {
                writeln!(out, "{}  {:<32} {}", r.code, r.name, r.summary)?;
            }
        }
        Command::Explain { code, all } => return explain(code.as_deref(), *all, format),
        Command::Man => {
            let cmd = <Args as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut io::stdout())?;
        }
        Command::ProbePath => match super::child::probe_dir() {
            Ok(dir) => writeln!(io::stdout(), "{}", dir.display())?,
            Err(e) => {
                eprintln!(
                    "aiolog: error: cannot write the probe's directory: {}",
                    super::describe_io_error(&e)
                );
                return Ok(Status::Error);
            }
        },
        Command::Run(_)
        | Command::Baseline { .. }
        | Command::Merge { .. }
        | Command::Grammars { .. } => unreachable!("not an informational command"),
    }
    Ok(Status::Success)
}

/// `aiolog explain CODE` / `--all`, as text or JSON.
pub(super) fn explain(code: Option<&str>, all: bool, format: Format) -> io::Result<Status> {
    use aiolog::rules::{by_code, RULES};
    let rules: Vec<&aiolog::rules::Rule> = if all {
        RULES.iter().collect()
    } else {
        let code = code.unwrap_or_default();
        match by_code(code) {
            Some(r) => vec![r],
            None => {
                let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
                let near: Vec<&str> = codes
                    .iter()
                    .copied()
                    .filter(|c| c[..5].eq_ignore_ascii_case(code.get(..5).unwrap_or(code)))
                    .collect();
                eprintln!("aiolog: error: no rule `{code}`");
                if !near.is_empty() {
                    eprintln!("  help: did you mean {}?", near.join(" or "));
                }
                eprintln!(
                    "  help: the rules are {} (see `aiolog rules`)",
                    codes.join(", ")
                );
                return Ok(Status::Error);
            }
        }
    };
    let mut out = io::stdout().lock();
    if format == Format::Json {
        serde_json::to_writer_pretty(&mut out, &rules)?;
        writeln!(out)?;
        return Ok(Status::Success);
    }
    for (i, r) in rules.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(
            out,
            "# {} ({})
",
            r.name, r.code
        )?;
        writeln!(
            out,
            "Kind: {}.
",
            r.kind
        )?;
        writeln!(
            out,
            "## What it detects

{}.
",
            capitalize(r.summary)
        )?;
        writeln!(
            out,
            "## Why is this bad?

{}
",
            r.why
        )?;
        writeln!(
            out,
            "## Example

The log says:

```
{}
```
",
            r.example_log
        )?;
        writeln!(
            out,
            "## Fix

{}

```python
{}
```",
            r.fix, r.example_fix
        )?;
    }
    Ok(Status::Success)
}

pub(super) fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next().map_or(String::new(), |f| {
        f.to_uppercase().collect::<String>() + c.as_str()
    })
}
