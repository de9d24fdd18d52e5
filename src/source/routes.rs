//! The route of the request that blocked: the access log line around a
//! stall record that the handler's own route, as its source declares it,
//! matches. A route from the access log is never shown on proximity alone:
//! the lines around a stall are often other requests' (a health check, the
//! next request), so the request must match the route of the handler the
//! stall probe sampled.
//!
//! Routes are read from the handler's file, without importing it: a
//! decorator above its `def` (`@app.get("/report/{name}")`,
//! `@routes.post('/items')`, `@app.route("/x", methods=["PUT"])`) or a
//! registration that names it (`app.router.add_get("/report", report)`,
//! `web.get("/report", report)`, `Route("/report", endpoint=report)`,
//! `app.add_api_route("/x", report, methods=["GET"])`).

use regex::Regex;
use std::sync::OnceLock;

use super::analyze::Route;

/// A route the source declares for a handler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// Upper-case method, or `*` for any.
    pub method: String,
    /// The pattern as written.
    pub pattern: String,
}

fn decorator() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r#"^\s*@[\w.]+\.(get|post|put|delete|patch|head|options|route|api_route|websocket)\(\s*(?:path\s*=\s*)?[rbu]?["']([^"']*)["'](.*)$"#,
        )
        .expect("decorator regex")
    })
}

fn registration() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(
            r#"\b(?:add_)?(get|post|put|delete|patch|head|options|route|api_route|url_rule|view|Route)\(\s*(?:["'](GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|\*)["']\s*,\s*)?(?:path\s*=\s*)?[rbu]?["']([^"']*)["']\s*,\s*(?:endpoint\s*=\s*|view_func\s*=\s*|handler\s*=\s*)?(?:[\w.]+\.)?(\w+)\b(.*)$"#,
        )
        .expect("registration regex")
    })
}

fn methods_in(rest: &str) -> Option<String> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = R.get_or_init(|| {
        Regex::new(r#"methods\s*=\s*[\[\(\{]\s*["'](\w+)["']"#).expect("methods regex")
    });
    r.captures(rest).map(|c| c[1].to_ascii_uppercase())
}

fn method_of(word: &str, rest: &str) -> String {
    match word {
        "route" | "api_route" | "url_rule" | "view" | "Route" | "websocket" => {
            methods_in(rest).unwrap_or_else(|| "*".to_string())
        }
        w => w.to_ascii_uppercase(),
    }
}

fn def_name(line: &str) -> Option<&str> {
    let t = line.trim_start();
    let t = t.strip_prefix("async ").unwrap_or(t).trim_start();
    let rest = t.strip_prefix("def ")?;
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// The routes `lines` (a Python file) declare for the function `name`.
pub fn declared(lines: &[String], name: &str) -> Vec<Declared> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if def_name(line) == Some(name) {
            // The decorators right above the def.
            for above in lines[..i].iter().rev() {
                let t = above.trim_start();
                if !t.starts_with('@') {
                    break;
                }
                if let Some(c) = decorator().captures(above) {
                    out.push(Declared {
                        method: method_of(&c[1], &c[3]),
                        pattern: c[2].to_string(),
                    });
                }
            }
        }
        if let Some(c) = registration().captures(line) {
            if &c[4] == name {
                let method = match c.get(2) {
                    Some(m) => m.as_str().to_string(),
                    None => method_of(&c[1], &c[5]),
                };
                out.push(Declared {
                    method,
                    pattern: c[3].to_string(),
                });
            }
        }
    }
    out
}

/// Every function of a file that declares routes: its name, the line of
/// its `def`, and each route.
pub fn handlers(lines: &[String]) -> Vec<(String, usize, Declared)> {
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(name) = def_name(line) {
            for d in declared(lines, name) {
                out.push((name.to_string(), i + 1, d));
            }
        }
    }
    out
}

/// `"GET /report/daily HTTP/1.1" 200`: the method and path of an access
/// log line (uvicorn, aiohttp, gunicorn, the common log format).
pub fn request_of(line: &str) -> Option<(&str, &str)> {
    static R: OnceLock<Regex> = OnceLock::new();
    let r = R.get_or_init(|| {
        Regex::new(r#""(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) (\S+) HTTP/[\d.]+""#)
            .expect("access regex")
    });
    let c = r.captures(line)?;
    let (m, p) = (c.get(1)?, c.get(2)?);
    Some((m.as_str(), p.as_str()))
}

/// Whether a request path matches a declared pattern: `{name}`,
/// `{name:int}` and `<int:name>` match one segment, `{name:path}` and
/// `<path:name>` the rest.
pub fn matches(pattern: &str, path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let pat: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    for (i, p) in pat.iter().enumerate() {
        let param =
            (p.starts_with('{') && p.ends_with('}')) || (p.starts_with('<') && p.ends_with('>'));
        if param && (p.contains(":path") || p.starts_with("<path:")) {
            return got.len() > i;
        }
        match got.get(i) {
            Some(g) if param => {
                if g.is_empty() {
                    return false;
                }
            }
            Some(g) if g == p => {}
            _ => return false,
        }
    }
    pat.len() == got.len()
}

/// The route of the request among `lines` (nearest first) that one of the
/// handler's declared routes matches.
pub fn route<'a>(
    declared: &[Declared],
    lines: impl IntoIterator<Item = &'a String>,
) -> Option<Route> {
    for line in lines {
        let Some((method, path)) = request_of(line) else {
            continue;
        };
        if let Some(d) = declared
            .iter()
            .find(|d| (d.method == "*" || d.method == method) && matches(&d.pattern, path))
        {
            return Some(Route {
                method: method.to_string(),
                pattern: d.pattern.clone(),
                path: path.to_string(),
                line: line.clone(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    #[test]
    fn decorators_and_registrations_declare_routes() {
        let src = lines(
            r#"
@app.get("/report/{name}")
async def report(name: str):
    pass

@routes.route('/items', methods=["PUT"])
async def items(request):
    pass

app.router.add_get("/health", health)
app.router.add_route("POST", "/upload", upload)
Route("/legacy", endpoint=report)
"#,
        );
        let d = |m: &str, p: &str| Declared {
            method: m.into(),
            pattern: p.into(),
        };
        assert_eq!(
            declared(&src, "report"),
            vec![d("GET", "/report/{name}"), d("*", "/legacy")]
        );
        assert_eq!(declared(&src, "items"), vec![d("PUT", "/items")]);
        assert_eq!(declared(&src, "health"), vec![d("GET", "/health")]);
        assert_eq!(declared(&src, "upload"), vec![d("POST", "/upload")]);
        assert!(declared(&src, "nothing").is_empty());
    }

    #[test]
    fn only_a_request_the_route_matches_is_the_handlers() {
        let d = vec![Declared {
            method: "GET".into(),
            pattern: "/report/{name}".into(),
        }];
        let log = lines(
            "INFO:     127.0.0.1:1 - \"GET /health HTTP/1.1\" 200 OK\n\
             INFO:     127.0.0.1:2 - \"POST /report/daily HTTP/1.1\" 200 OK\n\
             INFO:     127.0.0.1:3 - \"GET /report/daily?x=1 HTTP/1.1\" 200 OK",
        );
        let r = route(&d, &log).unwrap();
        assert_eq!(r.path, "/report/daily?x=1");
        assert_eq!(r.pattern, "/report/{name}");
        assert!(route(&d, &log[..2]).is_none());
        assert!(matches("/files/{p:path}", "/files/a/b"));
        assert!(matches("/u/<int:id>", "/u/3"));
        assert!(!matches("/report/{name}", "/report/a/b"));
        assert!(!matches("/report", "/report/x"));
        assert!(matches("/", "/"));
    }
}
