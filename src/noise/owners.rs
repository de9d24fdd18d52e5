//! CODEOWNERS: who owns a finding's site, last matching rule wins.

use std::path::{Path, PathBuf};

use super::glob_match;
use crate::aggregate::Ranked;
use crate::source::analyze::Evidence;

/// A CODEOWNERS file.
#[derive(Debug, Clone, Default)]
pub struct Owners {
    rules: Vec<(String, Vec<String>)>,
    /// Where it was found.
    pub file: Option<PathBuf>,
}

impl Owners {
    /// The CODEOWNERS of `root`, in GitHub's places (`.github/`, the root,
    /// `docs/`), if any.
    pub fn discover(root: &Path) -> Owners {
        for rel in [".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS"] {
            let p = root.join(rel);
            if let Ok(text) = std::fs::read_to_string(&p) {
                let mut o = Owners::parse(&text);
                o.file = Some(p);
                return o;
            }
        }
        Owners::default()
    }

    /// Parses CODEOWNERS text: `PATTERN OWNER…` per line, `#` comments.
    pub fn parse(text: &str) -> Owners {
        let rules = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty())
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let pattern = w.next()?.to_string();
                Some((pattern, w.map(str::to_string).collect()))
            })
            .collect();
        Owners { rules, file: None }
    }

    /// The owners of a path relative to the repository root: the last
    /// matching rule wins, as on GitHub.
    pub fn of(&self, rel: &str) -> Vec<String> {
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        self.rules
            .iter()
            .rev()
            .find(|(p, _)| codeowners_match(p, rel))
            .map(|(_, o)| o.clone())
            .unwrap_or_default()
    }
}

/// GitHub's CODEOWNERS matching (gitignore-like): `/x` is anchored at the
/// root, a pattern without a `/` inside matches at any depth, `dir/` matches
/// everything below it.
fn codeowners_match(pattern: &str, rel: &str) -> bool {
    if pattern == "*" {
        return true;
    }
    let anchored = pattern.starts_with('/') || pattern.trim_end_matches('/').contains('/');
    let p = pattern.trim_start_matches('/');
    let dir = p.ends_with('/');
    let p = p.trim_end_matches('/');
    let candidates: Vec<&str> = if anchored {
        vec![rel]
    } else {
        // Any suffix of the path that starts at a segment.
        let mut v = vec![rel];
        v.extend(rel.match_indices('/').map(|(i, _)| &rel[i + 1..]));
        v
    };
    candidates.iter().any(|c| {
        // The pattern names the path or one of its parent directories.
        let mut prefix = String::new();
        for (i, seg) in c.split('/').enumerate() {
            if i > 0 {
                prefix.push('/');
            }
            prefix.push_str(seg);
            let whole = prefix.len() == c.len();
            if glob_match_exact(p, &prefix) && (!dir || !whole) {
                return true;
            }
        }
        false
    })
}

fn glob_match_exact(pattern: &str, text: &str) -> bool {
    // `glob_match` without its last-segment rule.
    if pattern.contains('/') {
        glob_match(pattern, text)
    } else {
        !text.contains('/') && glob_match(pattern, text)
    }
}

/// The owners of a finding's site, by its path relative to the source root
/// (or as the log printed it).
pub fn owners_of(owners: &Owners, rk: &Ranked, ev: Option<&Evidence>) -> Vec<String> {
    let rel = ev
        .and_then(|e| e.source_file.clone())
        .or_else(|| rk.group.key.site.as_ref().map(|s| s.path.clone()));
    rel.map(|r| owners.of(&r)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codeowners_last_match_wins() {
        let o = Owners::parse("# comment\n* @everyone\n*.py @python\n/app/ @app-team\napp/billing/ @billing\ndocs/*.md @docs\n");
        assert_eq!(o.of("app/api.py"), vec!["@app-team"]);
        assert_eq!(o.of("app/billing/pay.py"), vec!["@billing"]);
        assert_eq!(o.of("lib/x.py"), vec!["@python"]);
        assert_eq!(o.of("README"), vec!["@everyone"]);
        assert_eq!(o.of("docs/a.md"), vec!["@docs"]);
        assert_eq!(o.of("docs/sub/a.md"), vec!["@everyone"]);
    }
}
