//! Error kinds and their exit statuses: input the user must fix (a bad sweep file, data or flag) is an
//! [`InputError`] and exits 2; a sweep stopped by Ctrl-C / SIGTERM exits 130; anything else is a
//! runtime failure and exits 1.

use std::fmt;

/// A problem with what the user gave us: one paragraph naming the file, the place and what would be valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError(message.into())
    }

    /// Several errors found in one pass, one paragraph each in the order found; `None` when
    /// there are none.
    pub fn all(errors: Vec<InputError>) -> Option<InputError> {
        match errors.len() {
            0 => None,
            1 => errors.into_iter().next(),
            n => Some(InputError(format!(
                "{n} problems:\n{}",
                errors
                    .iter()
                    .map(|e| e.0.as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            ))),
        }
    }

    /// An error located in a file, at a line and column when known (line 0 means unknown).
    pub fn at(file: &std::path::Path, line: u64, column: u64, message: impl fmt::Display) -> Self {
        if line == 0 {
            InputError(format!("{}: {message}", file.display()))
        } else {
            InputError(format!("{}:{line}:{column}: {message}", file.display()))
        }
    }
}

/// The sweep was stopped by a signal before it finished; what finished is on disk.
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// How a command failed, which decides its exit status.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Input(InputError),
    #[error("interrupted")]
    Interrupted,
    #[error("{0:#}")]
    Runtime(anyhow::Error),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Input(_) => 2,
            Failure::Interrupted => 130,
            Failure::Runtime(_) => 1,
        }
    }
}

impl From<anyhow::Error> for Failure {
    /// Input errors and interruptions keep their kind through layers that add context.
    fn from(e: anyhow::Error) -> Failure {
        if let Some(input) = e.downcast_ref::<InputError>() {
            Failure::Input(input.clone())
        } else if e.is::<Interrupted>() {
            Failure::Interrupted
        } else {
            Failure::Runtime(e)
        }
    }
}

impl From<Interrupted> for Failure {
    fn from(_: Interrupted) -> Failure {
        Failure::Interrupted
    }
}

impl From<InputError> for Failure {
    fn from(e: InputError) -> Failure {
        Failure::Input(e)
    }
}

/// Names from `candidates` ordered by similarity to `wanted`, closest first; a name that contains the
/// wanted one (or is contained in it) counts as closest.
pub fn closest_first<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .into_iter()
        .map(|c| (similarity(wanted, c), c))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().map(|(_, c)| c).collect()
}

/// How alike two names are: edit similarity, plus 1 when one contains the other.
fn similarity(wanted: &str, candidate: &str) -> f64 {
    let contained =
        !wanted.is_empty() && (candidate.contains(wanted) || wanted.contains(candidate));
    f64::from(u8::from(contained)) + strsim::normalized_damerau_levenshtein(wanted, candidate)
}

/// Names from `candidates` closest to `wanted` as one list for a message: at most
/// [`SHOWN_NAMES`], each escaped and shortened, then how many more there are. Only a prefix of
/// each name is compared, so a huge header costs time linear in its size.
pub fn closest_names<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    let wanted = prefix(wanted, COMPARED_CHARS);
    let candidates: Vec<&str> = candidates.into_iter().collect();
    let mut order: Vec<(f64, &str, usize)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let compared = prefix(c, COMPARED_CHARS);
            (similarity(wanted, compared), compared, i)
        })
        .collect();
    order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)).then(a.2.cmp(&b.2)));
    let mut listed: Vec<String> = order
        .iter()
        .take(SHOWN_NAMES)
        .map(|&(_, _, i)| shortened(candidates[i]))
        .collect();
    if candidates.len() > SHOWN_NAMES {
        listed.push(format!("and {} more", candidates.len() - SHOWN_NAMES));
    }
    listed.join(", ")
}

/// How many names a suggestion lists, and how many characters of each it compares.
const SHOWN_NAMES: usize = 12;
const COMPARED_CHARS: usize = 64;
/// The longest piece of user text a message repeats whole.
const SHOWN_CHARS: usize = 80;

fn prefix(text: &str, chars: usize) -> &str {
    text.char_indices()
        .nth(chars)
        .map_or(text, |(at, _)| &text[..at])
}

/// User text (a column name, a cell) for a message: escaped (see [`escaped`]) and, past
/// [`SHOWN_CHARS`] characters, cut with the full length said.
/// `1 trial`, `3 trials`, `2 classes`: a count with its noun in the right number.
pub fn count(n: usize, noun: &str) -> String {
    match (n, noun.ends_with('s')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        (_, false) => format!("{n} {noun}s"),
    }
}

pub fn shortened(text: &str) -> String {
    let shown = escaped(prefix(text, SHOWN_CHARS));
    let total = text.chars().count();
    if total > SHOWN_CHARS {
        format!("{shown}... ({total} characters)")
    } else {
        shown
    }
}

/// Characters that must not reach a terminal raw: control characters (an escape sequence can set
/// the title, clear the screen or fake output) and the bidirectional controls that reorder text.
fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Appends `c`, written as `\u{..}` when it must not reach a terminal or page raw ([`unsafe_char`]).
pub fn push_escaped(out: &mut String, c: char) {
    if unsafe_char(c) {
        out.push_str(&format!("\\u{{{:x}}}", c as u32));
    } else {
        out.push(c);
    }
}

/// User text with every unsafe character (newlines and tabs too) written as `\u{..}`.
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    text.chars().for_each(|c| push_escaped(&mut out, c));
    out
}

/// A message for the terminal: its own line breaks and tabs kept, every other unsafe character
/// escaped as in [`escaped`].
pub fn printable(message: &str) -> std::borrow::Cow<'_, str> {
    let kept = |c: char| c == '\n' || c == '\t';
    if message.chars().all(|c| !unsafe_char(c) || kept(c)) {
        return message.into();
    }
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if kept(c) {
            out.push(c);
        } else {
            push_escaped(&mut out, c);
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_take_the_noun_in_the_right_number() {
        assert_eq!(super::count(1, "trial"), "1 trial");
        assert_eq!(super::count(0, "row"), "0 rows");
        assert_eq!(super::count(3, "class"), "3 classes");
    }

    use super::*;

    #[test]
    fn user_text_reaches_the_terminal_escaped_and_short() {
        assert_eq!(escaped("a\x1b]0;pwned\x07b"), "a\\u{1b}]0;pwned\\u{7}b");
        assert_eq!(escaped("abc\u{202e}def"), "abc\\u{202e}def");
        assert_eq!(printable("one\ntwo\x1b[2J"), "one\ntwo\\u{1b}[2J");
        assert_eq!(printable("plain"), "plain");
        let long = "x".repeat(1000);
        assert_eq!(
            shortened(&long),
            format!("{}... (1000 characters)", "x".repeat(80))
        );
        let many: Vec<String> = (0..100).map(|i| format!("col{i}")).collect();
        let listed = closest_names("col7", many.iter().map(String::as_str));
        assert!(listed.starts_with("col7, "), "{listed}");
        assert!(listed.ends_with("and 88 more"), "{listed}");
    }

    #[test]
    fn closest_name_comes_first() {
        let names = ["svm", "random_forest", "decision_tree", "gaussian_nb"];
        assert_eq!(closest_first("random_forrest", names)[0], "random_forest");
        assert_eq!(closest_first("decison_tree", names)[0], "decision_tree");
        assert_eq!(
            closest_first("depth", ["criterion", "max_depth", "min_samples_leaf"])[0],
            "max_depth"
        );
    }
}
