//! Where code scanning should annotate a finding: paths relative to the
//! repository (the git top level of the file, else the current directory),
//! after the path maps, and the blocking statement's line when the source
//! confirms it, with the line asyncio's warning names beside it.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::analyze::{Confidence, Evidence};
use super::{Resolved, Roots};

/// A place in the repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    /// Relative to the repository root, with `/` separators.
    pub path: String,
    /// 1-based.
    pub line: usize,
}

/// Where to annotate a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annotation {
    /// The blocking statement where the source confirms it, else the site.
    pub at: Place,
    /// The site asyncio's warning names, when `at` is another line.
    pub warned: Option<Place>,
}

/// The repository root of a file: the nearest directory above it with a
/// `.git` (a directory, or a file in a worktree), else the current
/// directory when it holds the file.
fn repo_root(real: &Path) -> Option<PathBuf> {
    let mut dir = real.parent();
    while let Some(d) = dir {
        if d.join(".git").exists() {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    let cwd = std::env::current_dir().ok()?.canonicalize().ok()?;
    real.starts_with(&cwd).then_some(cwd)
}

/// `logged` (a path as the log names it) relative to its repository, when
/// it resolves to a file under the source roots.
pub fn in_repo(roots: &Roots, logged: &str) -> Option<String> {
    let Resolved::File(real) = roots.resolve(logged) else {
        return None;
    };
    let root = repo_root(&real)?;
    let rel = real.strip_prefix(root).ok()?;
    Some(rel.to_string_lossy().replace('\\', "/"))
}

/// The annotation of a finding at `site_path:site_line` with its evidence.
pub fn annotation(
    roots: &Roots,
    site_path: &str,
    site_line: usize,
    ev: &Evidence,
) -> Option<Annotation> {
    let site = Place {
        path: in_repo(roots, site_path)?,
        line: site_line.max(1),
    };
    let blocking = ev
        .candidates
        .first()
        .filter(|_| ev.confidence == Confidence::ConfirmedInSource)
        .and_then(|c| {
            Some(Place {
                path: in_repo(roots, &c.path)?,
                line: c.line.max(1),
            })
        });
    Some(match blocking {
        Some(at) if at != site => Annotation {
            at,
            warned: Some(site),
        },
        _ => Annotation {
            at: site,
            warned: None,
        },
    })
}
