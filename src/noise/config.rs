//! `[tool.aiolog]` in `pyproject.toml`, or `aiolog.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Keys of `[tool.aiolog]`.
pub const KEYS: &[&str] = &[
    "src",
    "path-map",
    "min-seconds",
    "select",
    "ignore",
    "ignore-files",
    "ignore-functions",
    "severity",
    "baseline",
];

/// Settings from a configuration file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Config {
    /// The file they came from.
    pub file: Option<PathBuf>,
    /// `src`.
    pub src: Vec<PathBuf>,
    /// `path-map`.
    pub path_map: Vec<String>,
    /// `min-seconds`.
    pub min_seconds: Option<f64>,
    /// `select`: codes or prefixes to keep.
    pub select: Vec<String>,
    /// `ignore`: codes or prefixes to drop.
    pub ignore: Vec<String>,
    /// `ignore-files`: globs over the site's path.
    pub ignore_files: Vec<String>,
    /// `ignore-functions`: globs over the site's function or the subject.
    pub ignore_functions: Vec<String>,
    /// `severity`: code → `error`, `warning` or `note`.
    pub severity: BTreeMap<String, String>,
    /// `baseline`: a baseline file.
    pub baseline: Option<PathBuf>,
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push(
                (prev[j] + (ca != *cb) as usize)
                    .min(prev[j + 1] + 1)
                    .min(cur[j] + 1),
            );
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The known key closest to `key`, if it is a near miss.
pub fn did_you_mean(key: &str, known: &[&str]) -> Option<String> {
    known
        .iter()
        .map(|k| (levenshtein(key, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k.to_string())
}

impl Config {
    /// The configuration that applies in `dir`: the nearest `aiolog.toml`,
    /// or `pyproject.toml` with a `[tool.aiolog]` table, searching upwards.
    pub fn discover(dir: &Path) -> Result<Config, String> {
        let mut d = Some(dir);
        while let Some(here) = d {
            let own = here.join("aiolog.toml");
            if own.is_file() {
                return Config::load(&own);
            }
            let py = here.join("pyproject.toml");
            if py.is_file() {
                let text =
                    std::fs::read_to_string(&py).map_err(|e| format!("{}: {e}", py.display()))?;
                if text.contains("[tool.aiolog") {
                    return Config::load(&py);
                }
            }
            d = here.parent();
        }
        Ok(Config::default())
    }

    /// Reads one file: `aiolog.toml` (keys at the top) or `pyproject.toml`
    /// (keys under `[tool.aiolog]`).
    pub fn load(path: &Path) -> Result<Config, String> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{name}: {e}"))?;
        let value: toml::Table = text.parse().map_err(|e| format!("{name}: {e}"))?;
        let is_pyproject = path.file_name().is_some_and(|n| n == "pyproject.toml");
        let table = if is_pyproject {
            match value.get("tool").and_then(|t| t.get("aiolog")) {
                Some(toml::Value::Table(t)) => t.clone(),
                _ => return Ok(Config::default()),
            }
        } else {
            value
        };
        let section = if is_pyproject {
            "[tool.aiolog]"
        } else {
            "the top level"
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let mut c = Config {
            file: Some(path.to_path_buf()),
            ..Config::default()
        };
        for (key, v) in &table {
            // `file:line` of the key, where the text shows it.
            let name = match line_of(&text, key, is_pyproject) {
                Some(n) => format!("{}:{n}", path.display()),
                None => name.clone(),
            };
            let strings = |v: &toml::Value| -> Result<Vec<String>, String> {
                v.as_array()
                    .ok_or_else(|| {
                        format!("{name}: `{key}` in {section} must be a list of strings")
                    })?
                    .iter()
                    .map(|x| {
                        x.as_str().map(str::to_string).ok_or_else(|| {
                            format!("{name}: `{key}` in {section} must be a list of strings")
                        })
                    })
                    .collect()
            };
            match key.as_str() {
                "src" => c.src = strings(v)?.into_iter().map(|s| base.join(s)).collect(),
                "path-map" => {
                    c.path_map = strings(v)?;
                    for m in &c.path_map {
                        if m.split_once('=').is_none_or(|(from, _)| from.is_empty()) {
                            return Err(format!(
                                "{name}: `path-map` in {section}: {m:?} is not FROM=TO\n  help: map the log's paths to where the source is, e.g. \"/app=.\""
                            ));
                        }
                    }
                }
                "min-seconds" => {
                    c.min_seconds = Some(
                        v.as_float()
                            .or_else(|| v.as_integer().map(|i| i as f64))
                            .ok_or_else(|| {
                                format!("{name}: `min-seconds` in {section} must be a number")
                            })?,
                    )
                }
                "select" | "ignore" => {
                    let codes = strings(v)?;
                    if let Some(bad) = codes
                        .iter()
                        .find(|x| super::RuleSelector::code(x).is_none())
                    {
                        return Err(format!(
                            "{name}: `{key}` in {section}: `{bad}` names no rule\n  help: use a code or code prefix (AIO101, AIO1; see `aiolog rules`)"
                        ));
                    }
                    if key == "select" {
                        c.select = codes;
                    } else {
                        c.ignore = codes;
                    }
                }
                "ignore-files" => c.ignore_files = strings(v)?,
                "ignore-functions" => c.ignore_functions = strings(v)?,
                "baseline" => {
                    c.baseline = Some(base.join(v.as_str().ok_or_else(|| {
                        format!("{name}: `baseline` in {section} must be a path")
                    })?))
                }
                "severity" => {
                    let t = v.as_table().ok_or_else(|| {
                        format!(
                            "{name}: `severity` in {section} must be a table of CODE = \"level\""
                        )
                    })?;
                    for (code, level) in t {
                        let level = level.as_str().unwrap_or("");
                        if !["error", "warning", "note"].contains(&level) {
                            return Err(format!(
                                "{name}: severity of {code} must be \"error\", \"warning\" or \"note\", not {level:?}"
                            ));
                        }
                        if crate::rules::by_code(code).is_none() {
                            return Err(format!(
                                "{name}: severity names no rule `{code}` (see `aiolog rules`)"
                            ));
                        }
                        c.severity
                            .insert(code.to_ascii_uppercase(), level.to_string());
                    }
                }
                other => {
                    let hint = did_you_mean(other, KEYS)
                        .map_or(String::new(), |k| format!("; did you mean `{k}`?"));
                    return Err(format!("{name}: unknown key `{other}` in {section}{hint}"));
                }
            }
        }
        Ok(c)
    }
}

/// The 1-based line where `key = …` is written: under `[tool.aiolog]` in
/// a `pyproject.toml`, at the top level of an `aiolog.toml`.
fn line_of(text: &str, key: &str, in_tool_table: bool) -> Option<usize> {
    let mut inside = !in_tool_table;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with('[') {
            inside = in_tool_table && t.starts_with("[tool.aiolog]");
            continue;
        }
        if !inside {
            continue;
        }
        let rest = t
            .strip_prefix(key)
            .or_else(|| t.strip_prefix(&format!("\"{key}\"")));
        if rest.is_some_and(|r| r.trim_start().starts_with('=')) {
            return Some(i + 1);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_are_suggested() {
        assert_eq!(did_you_mean("ignor", KEYS).as_deref(), Some("ignore"));
        assert_eq!(
            did_you_mean("min_seconds", KEYS).as_deref(),
            Some("min-seconds")
        );
        assert_eq!(did_you_mean("colour", KEYS), None);
    }

    #[test]
    fn errors_name_the_file_the_key_and_the_line() {
        let dir = std::env::temp_dir().join(format!("aiolog-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let py = dir.join("pyproject.toml");
        let err = |text: &str| {
            std::fs::write(&py, text).unwrap();
            Config::load(&py).unwrap_err()
        };
        let at = |n: usize| format!("{}:{n}: ", py.display());
        let e =
            err("[project]\nname = \"x\"\n\n[tool.aiolog]\nsrc = [\".\"]\npath-map = [\"/app\"]\n");
        assert!(
            e.starts_with(&at(6))
                && e.contains("`path-map`")
                && e.contains("\"/app\" is not FROM=TO"),
            "{e}"
        );
        let e = err("[tool.aiolog]\nignore = [\"AIO999\"]\n");
        assert!(
            e.starts_with(&at(2)) && e.contains("`ignore`") && e.contains("`AIO999` names no rule"),
            "{e}"
        );
        let e = err("[tool.aiolog]\nslow = 1\n");
        assert!(
            e.starts_with(&at(2)) && e.contains("unknown key `slow`"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
