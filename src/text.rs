//! English for counts and ranges, the same in every renderer and message:
//! `1 finding`, `2 findings`; `line 22`, `lines 22–25`.

/// `n` and the noun in the number it takes.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `line N` for one line, `lines FIRST–LAST` for several.
pub fn line_range(first: usize, last: usize) -> String {
    if first == last {
        format!("line {first}")
    } else {
        format!("lines {first}–{last}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_and_many() {
        assert_eq!(plural(1, "finding", "findings"), "1 finding");
        assert_eq!(plural(0, "site", "sites"), "0 sites");
        assert_eq!(line_range(22, 22), "line 22");
        assert_eq!(line_range(22, 25), "lines 22–25");
    }
}
