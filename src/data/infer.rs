//! Column types: inferred from the cells (number, boolean, date/datetime, category), ID-like columns
//! recognised, and the sweep file's `columns:` overrides applied. Missing cells are recognised here
//! in every common spelling.

use super::read::TextColumn;
use serde::{Deserialize, Serialize};

/// What a column is taken as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Number,
    Boolean,
    Date,
    Category,
    /// An identifier: excluded from the features.
    Id,
    /// Left out on request.
    Drop,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Number => "number",
            Kind::Boolean => "boolean",
            Kind::Date => "date",
            Kind::Category => "category",
            Kind::Id => "id",
            Kind::Drop => "drop",
        }
    }

    /// The kinds a `columns:` entry may name.
    pub const OVERRIDES: [Kind; 5] = [
        Kind::Category,
        Kind::Number,
        Kind::Date,
        Kind::Drop,
        Kind::Id,
    ];

    pub fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Number,
            Kind::Boolean,
            Kind::Date,
            Kind::Category,
            Kind::Id,
            Kind::Drop,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// Cell texts that mean "no value", as pandas and R write them.
const MISSING: [&str; 11] = [
    "", "NA", "N/A", "n/a", "na", "NaN", "nan", "null", "NULL", "None", "#N/A",
];

pub fn is_missing(cell: &str) -> bool {
    MISSING.contains(&cell)
}

/// A boolean cell's value, in any common spelling (true/false, yes/no, y/n, t/f, any case).
pub fn parse_bool(cell: &str) -> Option<bool> {
    match cell.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "t" => Some(true),
        "false" | "no" | "n" | "f" => Some(false),
        _ => None,
    }
}

pub fn parse_number(cell: &str) -> Option<f64> {
    cell.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// A date or datetime: `YYYY-MM-DD`, optionally followed by `T` or a space and a time of day
/// (`HH:MM`, `HH:MM:SS`, fractions), optionally `Z` or an offset. Returned as a UTC timestamp.
pub fn parse_date(cell: &str) -> Option<chrono::NaiveDateTime> {
    if cell.len() < 10 || cell.as_bytes().get(4) != Some(&b'-') {
        return None;
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(cell, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(cell) {
        return Some(t.naive_utc());
    }
    let body = cell.trim_end_matches('Z');
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(body, f).ok())
}

/// What was seen in a column's cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub kind: Kind,
    pub missing: usize,
    pub distinct: usize,
    /// Every present value is a whole number.
    pub integral: bool,
    /// For a column read as a category only because of a few cells (see [`Stray`]): those cells.
    pub stray: Option<Stray>,
}

/// The few cells that keep a column of numbers (or dates) from being read as one: an overflow such
/// as `1e400`, `inf`, an impossible date, a stray word.
#[derive(Debug, Clone, PartialEq)]
pub struct Stray {
    /// What the other cells are.
    pub rest: Kind,
    pub count: usize,
    /// The first stray cell: its row and text.
    pub row: usize,
    pub text: String,
}

/// At most this share of a column's present cells (1 in 20) may be stray for it to count as numbers
/// or dates with strays rather than as a category; and it needs at least this many present cells.
const STRAY_SHARE: usize = 20;
const STRAY_MIN_PRESENT: usize = 10;

/// The kind the cells suggest (ignoring missing ones), with counts.
pub fn profile(cells: &TextColumn) -> Profile {
    let (mut bools, mut missing) = (true, 0usize);
    let mut integral = true;
    let mut distinct = std::collections::HashSet::new();
    // Cells that are not numbers / not dates: how many, and the first one.
    let mut not_number = (0usize, None);
    let mut not_date = (0usize, None);
    for (row, cell) in cells.iter().enumerate() {
        if is_missing(cell) {
            missing += 1;
            continue;
        }
        if distinct.len() <= 1_000_000 {
            distinct.insert(cell);
        }
        // Cells are parsed as numbers (dates) only while the column may still be numbers (dates)
        // with a few strays: once too many failed, the rest cannot change the kind.
        if not_number.0 * STRAY_SHARE <= cells.len() {
            match parse_number(cell) {
                Some(v) => integral &= v.fract() == 0.0,
                None => {
                    not_number.0 += 1;
                    not_number.1.get_or_insert((row, cell));
                }
            }
        }
        bools = bools && parse_bool(cell).is_some();
        if not_date.0 * STRAY_SHARE <= cells.len() && parse_date(cell).is_none() {
            not_date.0 += 1;
            not_date.1.get_or_insert((row, cell));
        }
    }
    let present = cells.len() - missing;
    let (numbers, dates) = (not_number.0 == 0, not_date.0 == 0);
    let few = |(count, first): (usize, Option<(usize, &str)>), rest: Kind| {
        let (row, text) = first?;
        (count > 0 && present >= STRAY_MIN_PRESENT && count * STRAY_SHARE <= present).then(|| {
            Stray {
                rest,
                count,
                row,
                text: text.to_string(),
            }
        })
    };
    let kind = if present == 0 || numbers {
        Kind::Number
    } else if bools {
        Kind::Boolean
    } else if dates {
        Kind::Date
    } else {
        Kind::Category
    };
    let stray = match kind {
        Kind::Category => few(not_number, Kind::Number).or_else(|| few(not_date, Kind::Date)),
        _ => None,
    };
    Profile {
        kind,
        missing,
        distinct: distinct.len(),
        integral: integral && numbers && present > 0,
        stray,
    }
}

/// The warning for a column read as a category only because of a few stray cells: never silent.
pub fn stray_warning(name: &str, stray: &Stray, place: &str) -> String {
    let name = crate::error::shortened(name);
    let rest = stray.rest.name();
    format!(
        "column `{name}` is {rest}s except for {} cell(s) (first at {place}: `{}`), so it is read as a \
         category; if it is {rest}s, set `columns: {{{name}: {rest}}}` under `data:` (then a cell that is not \
         a {rest} is an error naming its line), or make those cells empty if they mean missing",
        stray.count,
        crate::error::shortened(&stray.text)
    )
}

/// Whether a column looks like an identifier rather than a feature: a row name or key, unique per
/// row (text, or integers forming a running index), or an id-named column with mostly distinct values.
pub fn looks_like_id(name: &str, profile: &Profile, cells: &TextColumn) -> bool {
    let rows = cells.len();
    if rows < 20 || profile.missing > 0 {
        return false;
    }
    let lower = name.to_ascii_lowercase();
    let id_name = matches!(
        lower.as_str(),
        "" | "rownames" | "row.names" | "id" | "index" | "key" | "unnamed: 0"
    ) || lower.ends_with("id")
        || lower.ends_with("_key")
        || lower.starts_with("id_");
    let unique = profile.distinct == rows;
    // A column of numbers with a stray cell is judged as the numbers it holds.
    match profile.stray.as_ref().map_or(profile.kind, |s| s.rest) {
        Kind::Category => unique || (id_name && profile.distinct * 5 >= rows),
        Kind::Number if profile.integral && unique => {
            if id_name {
                return true;
            }
            let values: Vec<f64> = cells.iter().filter_map(parse_number).collect();
            let (lo, hi) = values
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            hi - lo + 1.0 == rows as f64
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(cells: &[&str]) -> TextColumn {
        let mut c = TextColumn::default();
        for cell in cells {
            c.push(cell);
        }
        c
    }

    #[test]
    fn a_few_stray_cells_are_named_and_many_make_a_category() {
        let mut cells: Vec<String> = (0..40).map(|i| format!("{i}.5")).collect();
        cells[7] = "1e400".into();
        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
        let seen = profile(&column(&refs));
        assert_eq!(seen.kind, Kind::Category);
        let stray = seen.stray.clone().expect("one overflow among numbers");
        assert_eq!(
            (stray.rest, stray.count, stray.row, stray.text.as_str()),
            (Kind::Number, 1, 7, "1e400")
        );
        assert!(
            !looks_like_id("x", &seen, &column(&refs)),
            "judged as the numbers it holds"
        );
        let mut dates: Vec<String> = (0..30)
            .map(|i| format!("2020-01-{:02}", i % 28 + 1))
            .collect();
        dates[3] = "24:00:00".into();
        let refs: Vec<&str> = dates.iter().map(String::as_str).collect();
        assert_eq!(
            profile(&column(&refs)).stray.map(|s| s.rest),
            Some(Kind::Date)
        );
        let words: Vec<String> = (0..40)
            .map(|i| {
                if i % 3 == 0 {
                    "a".into()
                } else {
                    i.to_string()
                }
            })
            .collect();
        let refs: Vec<&str> = words.iter().map(String::as_str).collect();
        assert_eq!(
            profile(&column(&refs)).stray,
            None,
            "a third are words: a real category"
        );
    }

    #[test]
    fn kinds_are_inferred_ignoring_missing_cells() {
        assert_eq!(profile(&column(&["1", "2.5", "NA", ""])).kind, Kind::Number);
        assert_eq!(profile(&column(&["1", "2.5", "NA"])).missing, 1);
        for spelling in [
            ["yes", "no"],
            ["Yes", "No"],
            ["TRUE", "FALSE"],
            ["True", "false"],
            ["y", "N"],
            ["t", "f"],
        ] {
            assert_eq!(
                profile(&column(&spelling)).kind,
                Kind::Boolean,
                "{spelling:?}"
            );
        }
        assert_eq!(profile(&column(&["0", "1"])).kind, Kind::Number);
        assert_eq!(profile(&column(&["2016-07-02", "NA"])).kind, Kind::Date);
        assert_eq!(
            profile(&column(&["2013-01-01T10:00:00Z", "2013-01-01 11:30"])).kind,
            Kind::Date
        );
        assert_eq!(
            profile(&column(&["1. White", "2. Black"])).kind,
            Kind::Category
        );
        assert_eq!(profile(&column(&["NA", ""])).kind, Kind::Number);
    }

    #[test]
    fn ids_are_row_names_running_integers_and_unique_keys() {
        let running: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let few: Vec<&str> = running[..10].iter().map(String::as_str).collect();
        let c = column(&few);
        assert!(
            !looks_like_id("id", &profile(&c), &c),
            "too few rows to tell"
        );
        let cells: Vec<&str> = running.iter().map(String::as_str).collect();
        let c = column(&cells);
        assert!(looks_like_id("index", &profile(&c), &c));
        assert!(looks_like_id("n", &profile(&c), &c), "a running index");
        let scattered: Vec<String> = (0..20).map(|i| (i * 37 + 5).to_string()).collect();
        let cells: Vec<&str> = scattered.iter().map(String::as_str).collect();
        let c = column(&cells);
        assert!(
            !looks_like_id("income", &profile(&c), &c),
            "unique numbers are not an id by themselves"
        );
        assert!(looks_like_id("rownames", &profile(&c), &c));
        let keys: Vec<String> = (0..20).map(|i| format!("k{}", i / 2)).collect();
        let cells: Vec<&str> = keys.iter().map(String::as_str).collect();
        let c = column(&cells);
        assert!(
            looks_like_id("caseid", &profile(&c), &c),
            "an id-named key repeated per case"
        );
        assert!(!looks_like_id("state", &profile(&c), &c));
    }

    #[test]
    fn dates_parse_with_and_without_time() {
        let d = parse_date("1967-07-01").unwrap();
        assert_eq!(d.to_string(), "1967-07-01 00:00:00");
        assert_eq!(
            parse_date("2013-01-01T10:00:00Z").unwrap().to_string(),
            "2013-01-01 10:00:00"
        );
        assert!(parse_date("2016.5").is_none());
    }
}
