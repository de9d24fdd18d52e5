//! Timestamps as written in a log line, normalized to ISO 8601 with
//! milliseconds: a fixed-format fast path for logging's own format, chrono
//! for every other.

/// Formats that read `YYYY-MM-DD HH:MM:SS,mmm` (or with `.`, or `T`) as
/// [`normalize_timestamp`]'s fallbacks do: for them, the fast path gives
/// chrono's answer.
const ISO_MS_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S,%3f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.3f",
    "%Y-%m-%d %H:%M:%S,%f",
    "%Y-%m-%dT%H:%M:%S%.f",
];

/// The fast path of [`normalize_timestamp`] for logging's own
/// `2024-05-01 10:00:00,123`: fixed positions, checked digits and ranges,
/// no allocation but the result. `None` for anything else (chrono decides).
fn iso_ms_fast(ts: &str) -> Option<String> {
    let b = ts.as_bytes();
    if b.len() != 23
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b' ' || b[10] == b'T')
        || b[13] != b':'
        || b[16] != b':'
        || !(b[19] == b',' || b[19] == b'.')
    {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u32> {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let (y, mo, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (h, mi, s, _ms) = (num(11, 13)?, num(14, 16)?, num(17, 19)?, num(20, 23)?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match mo {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d == 0 || d > days || h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let mut out = String::with_capacity(23);
    out.push_str(&ts[..10]);
    out.push('T');
    out.push_str(&ts[11..19]);
    out.push('.');
    out.push_str(&ts[20..23]);
    Some(out)
}

/// Reads `ts` with the first format that fits, then a few common ones, and
/// writes it as ISO 8601; falls back to the text as written.
pub fn normalize_timestamp<'f>(
    ts: &str,
    mut formats: impl Iterator<Item = &'f str> + Clone,
) -> Option<String> {
    use chrono::NaiveDateTime;
    let ts = ts.trim();
    if formats.clone().all(|f| ISO_MS_FORMATS.contains(&f)) {
        if let Some(fast) = iso_ms_fast(ts) {
            return Some(fast);
        }
    }
    let formats = std::iter::from_fn(move || formats.next());
    let fallbacks = [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S,%f",
    ];
    let cleaned = ts.trim_end_matches('Z').replace(',', ".");
    for f in formats.chain(fallbacks.iter().copied()) {
        let parsed = NaiveDateTime::parse_from_str(ts, f)
            .or_else(|_| NaiveDateTime::parse_from_str(&cleaned, f));
        if let Ok(dt) = parsed {
            return Some(dt.format("%Y-%m-%dT%H:%M:%S%.3f").to_string());
        }
    }
    Some(ts.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path gives chrono's answer, on good and bad timestamps.
    #[test]
    fn the_timestamp_fast_path_agrees_with_chrono() {
        let mut cases: Vec<String> = [
            "2024-05-01 10:00:00,123",
            "2024-05-01T10:00:00.123",
            "2024-02-29 23:59:59,999",
            "2023-02-29 10:00:00,000",
            "1900-02-29 10:00:00,000",
            "2000-02-29 10:00:00,000",
            "2024-13-01 10:00:00,000",
            "2024-00-01 10:00:00,000",
            "2024-04-31 10:00:00,000",
            "2024-05-00 10:00:00,000",
            "2024-05-01 24:00:00,000",
            "2024-05-01 10:60:00,000",
            "2024-05-01 10:00:60,000",
            "2024-05-01 10:00:00,12x",
            "2024-05-01 10:00:00;123",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut r = crate::workload::Rng(9);
        for _ in 0..2000 {
            cases.push(format!(
                "{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}{}{:03}",
                1990 + r.below(40),
                r.below(14),
                r.below(33),
                if r.below(2) == 0 { ' ' } else { 'T' },
                r.below(25),
                r.below(61),
                r.below(61),
                if r.below(2) == 0 { ',' } else { '.' },
                r.below(1000)
            ));
        }
        for ts in &cases {
            for fmts in [
                &[][..],
                &["%Y-%m-%d %H:%M:%S,%3f"][..],
                &["%Y-%m-%d %H:%M:%S%.f"][..],
            ] {
                let fast = normalize_timestamp(ts, fmts.iter().copied());
                let slow = normalize_timestamp(ts, fmts.iter().copied().chain(["%d/%m/%Y"]));
                assert_eq!(fast, slow, "{ts} with {fmts:?}");
            }
        }
    }
}
