//! A small, indentation-aware scanner of Python source: statements (logical
//! lines) with their extent and indentation, and the function around a line.
//! It never executes anything and never fails: a file that does not parse
//! still yields its statements, as well as they can be told apart.

/// One logical line: a statement, possibly over several physical lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// First physical line (1-based).
    pub first: usize,
    /// Last physical line.
    pub last: usize,
    /// Indentation of the first line, tabs to the next multiple of 8.
    pub indent: usize,
    /// The code, with comments removed, string contents blanked and the
    /// physical lines joined by spaces.
    pub code: String,
}

impl Stmt {
    /// `def f(`, `async def f(`.
    pub fn is_def(&self) -> bool {
        self.code.starts_with("def ") || self.code.starts_with("async def ")
    }

    /// `async def f(`.
    pub fn is_async_def(&self) -> bool {
        self.code.starts_with("async def ")
    }

    /// A decorator line.
    pub fn is_decorator(&self) -> bool {
        self.code.starts_with('@')
    }

    /// Whether the statement suspends a coroutine: it awaits, or is an
    /// `async for` / `async with` header.
    pub fn suspends(&self) -> bool {
        self.code.starts_with("async for ")
            || self.code.starts_with("async with ")
            || has_word(&self.code, "await")
    }

    /// The name after `def`.
    pub fn def_name(&self) -> Option<&str> {
        let rest = self
            .code
            .strip_prefix("async ")
            .unwrap_or(&self.code)
            .strip_prefix("def ")?;
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        Some(&rest[..end])
    }
}

/// Whether `word` occurs in `code` as a whole word.
pub fn has_word(code: &str, word: &str) -> bool {
    let b = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    code.match_indices(word).any(|(i, _)| {
        (i == 0 || !ident(b[i - 1])) && b.get(i + word.len()).is_none_or(|c| !ident(*c))
    })
}

fn indent_of(line: &str) -> usize {
    let mut col = 0;
    for c in line.chars() {
        match c {
            ' ' => col += 1,
            '\t' => col = (col / 8 + 1) * 8,
            '\x0c' => col = 0,
            _ => break,
        }
    }
    col
}

/// Splits source lines into statements.
pub fn statements(lines: &[String]) -> Vec<Stmt> {
    let mut out = Vec::new();
    let mut cur: Option<Stmt> = None;
    let mut depth: i32 = 0;
    // Inside a string: its quote and whether it is triple-quoted.
    let mut string: Option<(char, bool)> = None;
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        if cur.is_none() {
            let t = line.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            cur = Some(Stmt {
                first: n,
                last: n,
                indent: indent_of(line),
                code: String::new(),
            });
        }
        let st = cur.as_mut().unwrap();
        st.last = n;
        if !st.code.is_empty() {
            st.code.push(' ');
        }
        let chars: Vec<char> = line.chars().collect();
        let mut j = if st.first == n {
            chars.iter().take_while(|c| c.is_whitespace()).count()
        } else {
            0
        };
        let mut continued = false;
        while j < chars.len() {
            let c = chars[j];
            if let Some((q, triple)) = string {
                if c == '\\' {
                    j += 2;
                    continue;
                }
                if c == q
                    && (!triple || (chars.get(j + 1) == Some(&q) && chars.get(j + 2) == Some(&q)))
                {
                    st.code.push(q);
                    if triple {
                        st.code.push(q);
                        st.code.push(q);
                        j += 2;
                    }
                    string = None;
                }
                j += 1;
                continue;
            }
            match c {
                '#' => break,
                '\'' | '"' => {
                    let triple = chars.get(j + 1) == Some(&c) && chars.get(j + 2) == Some(&c);
                    st.code.push(c);
                    if triple {
                        st.code.push(c);
                        st.code.push(c);
                        j += 2;
                    }
                    string = Some((c, triple));
                }
                '(' | '[' | '{' => {
                    depth += 1;
                    st.code.push(c);
                }
                ')' | ']' | '}' => {
                    depth = (depth - 1).max(0);
                    st.code.push(c);
                }
                '\\' if j + 1 == chars.len() => continued = true,
                _ => st.code.push(c),
            }
            j += 1;
        }
        // A one-quote string cannot span lines: a paste error; close it.
        if let Some((_, false)) = string {
            string = None;
        }
        if depth == 0 && string.is_none() && !continued {
            let mut done = cur.take().unwrap();
            done.code = done.code.trim_end().to_string();
            out.push(done);
        }
    }
    if let Some(mut st) = cur {
        st.code = st.code.trim_end().to_string();
        out.push(st);
    }
    out
}

/// The index of the statement that holds physical line `line`.
pub fn stmt_at(stmts: &[Stmt], line: usize) -> Option<usize> {
    stmts.iter().position(|s| s.first <= line && line <= s.last)
}

/// A function: its header, decorators and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The `def` statement's index.
    pub def: usize,
    /// First line: the first decorator, else the `def`.
    pub start: usize,
    /// Last line of the body.
    pub end: usize,
    /// Index of the last statement of the body.
    pub last_stmt: usize,
}

/// The function whose body ends the run of statements deeper than the
/// `def` at index `def`.
pub fn function_from_def(stmts: &[Stmt], def: usize) -> Function {
    let indent = stmts[def].indent;
    let mut last = def;
    for (i, s) in stmts.iter().enumerate().skip(def + 1) {
        if s.indent <= indent {
            break;
        }
        last = i;
    }
    let mut start = stmts[def].first;
    let mut k = def;
    while k > 0 && stmts[k - 1].is_decorator() && stmts[k - 1].indent == indent {
        k -= 1;
        start = stmts[k].first;
    }
    Function {
        def,
        start,
        end: stmts[last].last,
        last_stmt: last,
    }
}

/// The innermost function around physical line `line`. A line on a `def` or
/// on one of its decorators belongs to that function.
pub fn function_at(stmts: &[Stmt], line: usize) -> Option<Function> {
    let idx = stmt_at(stmts, line)?;
    let mut k = idx;
    while stmts[k].is_decorator() && k + 1 < stmts.len() {
        k += 1;
    }
    if stmts[k].is_def() && (k == idx || stmts[idx].is_decorator()) {
        return Some(function_from_def(stmts, k));
    }
    let mut threshold = stmts[idx].indent;
    for i in (0..idx).rev() {
        if stmts[i].indent < threshold {
            if stmts[i].is_def() {
                return Some(function_from_def(stmts, i));
            }
            threshold = stmts[i].indent;
        }
    }
    None
}

/// The statements of a function's own body, in order: nested functions
/// (and classes) are left out, as their code does not run in this frame.
pub fn own_body(stmts: &[Stmt], f: &Function) -> Vec<usize> {
    let mut out = Vec::new();
    let mut skip_deeper_than: Option<usize> = None;
    for (i, s) in stmts
        .iter()
        .enumerate()
        .take(f.last_stmt + 1)
        .skip(f.def + 1)
    {
        if let Some(d) = skip_deeper_than {
            if s.indent > d {
                continue;
            }
            skip_deeper_than = None;
        }
        if s.is_def() || s.code.starts_with("class ") || s.is_decorator() {
            if !s.is_decorator() {
                skip_deeper_than = Some(s.indent);
            }
            continue;
        }
        out.push(i);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<String> {
        s.lines().map(str::to_string).collect()
    }

    const SRC: &str = r#"import asyncio

@decorator
@other(x=1)
async def handler(request):  # a comment with await
    data = await read(request)
    rows = query(
        "select 'await' from t",
        data,
    )
    def nested():
        await_not_a_word = 1
        return time.sleep(1)
	# a tab-indented comment
    text = """a
await inside a string
"""
    await asyncio.sleep(0)
    return rows
"#;

    #[test]
    fn statements_join_lines_and_blank_strings() {
        let st = statements(&lines(SRC));
        let q = st.iter().find(|s| s.code.starts_with("rows")).unwrap();
        assert_eq!((q.first, q.last), (7, 10));
        assert!(!q.code.contains("await"), "{}", q.code);
        let t = st.iter().find(|s| s.code.starts_with("text")).unwrap();
        assert_eq!((t.first, t.last), (15, 17));
        assert!(!t.suspends());
        assert!(st.iter().find(|s| s.first == 5).unwrap().is_async_def());
    }

    #[test]
    fn finds_the_function_and_its_own_body() {
        let st = statements(&lines(SRC));
        let f = function_at(&st, 18).unwrap();
        assert_eq!(st[f.def].def_name(), Some("handler"));
        assert_eq!((f.start, f.end), (3, 19));
        assert_eq!(
            function_at(&st, 3).unwrap(),
            f,
            "a decorator line belongs to its function"
        );
        let inner = function_at(&st, 13).unwrap();
        assert_eq!(st[inner.def].def_name(), Some("nested"));
        let body: Vec<usize> = own_body(&st, &f).iter().map(|&i| st[i].first).collect();
        assert_eq!(body, vec![6, 7, 15, 18, 19]);
        assert!(has_word("x = await y", "await") && !has_word("await_not_a_word", "await"));
    }
}
