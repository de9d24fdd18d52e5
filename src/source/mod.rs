//! Stage 5b, source correlation: the user's source behind a finding's site.
//!
//! # Brief overview
//! With `--src DIR` (repeatable; by default the current directory) and
//! `--path-map FROM=TO` (for logs written in a container or on another
//! machine, e.g. `/app=.`), aiolog reads the source file a site names and
//! says what the evidence means there: the lines where a slow task step
//! blocked the loop and the blocking calls among them ([`analyze`],
//! [`blocking`]), the exact call that created a never-awaited coroutine, and
//! whether a destroyed task's creation dropped its only reference.
//!
//! Safety: a file is opened only if, after path mapping and resolving `..`
//! and symbolic links, it lies inside one of the roots; any other path from
//! the log is reported as outside the roots and never opened. Files are read
//! lazily, once each, at most [`MAX_FILE_BYTES`]. Nothing is executed or
//! imported: [`python`] is a small indentation-aware scanner written for
//! this, chosen over an embedded Python parser because the evidence needs
//! only statements, their indentation and their extent, and because it must
//! cope with files that no longer parse.

pub mod analyze;
pub mod blocking;
pub mod infer;
pub mod python;
pub mod repo;
pub mod routes;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Source files larger than this are not read.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// Where source files may be read from, and how logged paths map there.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    roots: Vec<PathBuf>,
    maps: Vec<(String, String)>,
}

/// What a logged path resolves to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A readable file inside a root.
    File(PathBuf),
    /// A file that exists but lies outside every root: never opened.
    Outside(PathBuf),
    /// No such file under the roots.
    Missing,
}

impl Roots {
    /// Roots from `--src` (the current directory when none is given) and
    /// maps from `--path-map FROM=TO`. Roots that do not exist are an error.
    pub fn new(src: &[PathBuf], maps: &[String]) -> Result<Roots, String> {
        let dirs: Vec<PathBuf> = if src.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            src.to_vec()
        };
        let mut roots = Vec::new();
        for d in dirs {
            let c = d
                .canonicalize()
                .map_err(|e| format!("--src {}: {e}", d.display()))?;
            if !c.is_dir() {
                return Err(format!("--src {}: not a directory", d.display()));
            }
            roots.push(c);
        }
        let mut parsed = Vec::new();
        for m in maps {
            let Some((from, to)) = m.split_once('=') else {
                return Err(format!("--path-map {m:?}: expected FROM=TO, e.g. /app=."));
            };
            if from.is_empty() {
                return Err(format!("--path-map {m:?}: FROM is empty"));
            }
            parsed.push((from.to_string(), to.to_string()));
        }
        // Longest prefix first.
        parsed.sort_by_key(|(f, _)| std::cmp::Reverse(f.len()));
        Ok(Roots {
            roots,
            maps: parsed,
        })
    }

    /// The candidate paths for a logged path: mapped, and relative ones
    /// joined to each root.
    fn candidates(&self, logged: &str) -> Vec<PathBuf> {
        let mut p = logged.to_string();
        for (from, to) in &self.maps {
            if let Some(rest) = p.strip_prefix(from.as_str()) {
                if rest.is_empty() || rest.starts_with('/') || from.ends_with('/') {
                    p = format!("{to}{rest}");
                    break;
                }
            }
        }
        let path = Path::new(&p);
        if path.is_absolute() {
            vec![path.to_path_buf()]
        } else {
            let mut v: Vec<PathBuf> = self.roots.iter().map(|r| r.join(path)).collect();
            v.push(path.to_path_buf());
            v
        }
    }

    /// A resolved file's path relative to the root that holds it.
    pub fn relative(&self, real: &Path) -> Option<String> {
        self.roots
            .iter()
            .find_map(|r| real.strip_prefix(r).ok())
            .map(|p| p.to_string_lossy().into_owned())
    }

    /// A file under a root as the log would name it: through the path map
    /// backwards (`/app/api.py` for `./api.py` with `--path-map /app=.`),
    /// else its real path.
    pub fn logged(&self, real: &Path) -> String {
        for (from, to) in &self.maps {
            let Ok(to) = Path::new(to).canonicalize() else {
                continue;
            };
            if let Ok(rest) = real.strip_prefix(&to) {
                let from = from.trim_end_matches('/');
                return format!("{from}/{}", rest.to_string_lossy());
            }
        }
        real.to_string_lossy().into_owned()
    }

    /// The Python files under the roots, at most `limit`, in a stable
    /// order: hidden directories, virtual environments and installed
    /// packages are left out.
    pub fn python_files(&self, limit: usize) -> Vec<PathBuf> {
        let mut out = Vec::new();
        let mut dirs: Vec<PathBuf> = self.roots.clone();
        while let Some(d) = dirs.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            entries.sort();
            for p in entries {
                let name = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if name.starts_with('.') {
                    continue;
                }
                let Ok(meta) = std::fs::symlink_metadata(&p) else {
                    continue;
                };
                if meta.is_dir() {
                    if !matches!(
                        name.as_str(),
                        "site-packages"
                            | "dist-packages"
                            | "node_modules"
                            | "__pycache__"
                            | "venv"
                            | "env"
                            | "target"
                    ) && !p.join("pyvenv.cfg").exists()
                    {
                        dirs.push(p);
                    }
                } else if meta.is_file() && name.ends_with(".py") {
                    out.push(p);
                    if out.len() >= limit {
                        return out;
                    }
                }
            }
        }
        out
    }

    /// Resolves a logged path. Only [`Resolved::File`] may be opened.
    pub fn resolve(&self, logged: &str) -> Resolved {
        let mut outside = None;
        for cand in self.candidates(logged) {
            let Ok(real) = cand.canonicalize() else {
                continue;
            };
            if !real.is_file() {
                continue;
            }
            if self.roots.iter().any(|r| real.starts_with(r)) {
                return Resolved::File(real);
            }
            outside.get_or_insert(real);
        }
        outside.map_or(Resolved::Missing, Resolved::Outside)
    }
}

/// Source files read so far, each once.
#[derive(Debug, Default)]
pub struct Cache {
    files: HashMap<PathBuf, Option<Rc<Vec<String>>>>,
}

impl Cache {
    /// The lines of a resolved file (read on first use), or `None` if it
    /// cannot be read or is too large.
    pub fn lines(&mut self, file: &Path) -> Option<Rc<Vec<String>>> {
        self.files
            .entry(file.to_path_buf())
            .or_insert_with(|| {
                let meta = std::fs::metadata(file).ok()?;
                if meta.len() > MAX_FILE_BYTES {
                    return None;
                }
                let bytes = std::fs::read(file).ok()?;
                let text = String::from_utf8_lossy(&bytes);
                Some(Rc::new(
                    text.lines()
                        .map(|l| l.trim_end_matches('\r').to_string())
                        .collect(),
                ))
            })
            .clone()
    }

    /// How many files were opened.
    pub fn opened(&self) -> usize {
        self.files.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_and_confines_paths() {
        let dir = std::env::temp_dir().join(format!("aiolog-roots-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/app.py"), "x = 1\n").unwrap();
        std::fs::write(dir.join("secret"), "s\n").unwrap();
        let roots = Roots::new(
            &[dir.join("src")],
            &["/app=".to_string() + dir.join("src").to_str().unwrap()],
        )
        .unwrap();
        assert!(matches!(roots.resolve("/app/app.py"), Resolved::File(_)));
        assert!(matches!(roots.resolve("app.py"), Resolved::File(_)));
        assert_eq!(roots.resolve("/app/missing.py"), Resolved::Missing);
        assert!(matches!(
            roots.resolve("../secret"),
            Resolved::Outside(_) | Resolved::Missing
        ));
        assert!(matches!(
            roots.resolve("/app/../secret"),
            Resolved::Outside(_)
        ));
        assert!(matches!(roots.resolve("/etc/passwd"), Resolved::Outside(_)));
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink(dir.join("secret"), dir.join("src/link.py"));
            assert!(matches!(
                roots.resolve("/app/link.py"),
                Resolved::Outside(_)
            ));
        }
        assert!(Roots::new(&[], &["nonsense".into()]).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
