//! Errors the user can fix (bad sweep file, bad data, bad flags) are `InputError`s and exit with status 2;
//! anything else is a runtime failure (status 1). An interrupted sweep exits 130.

use std::fmt;

/// Exit status for input the user must fix.
pub const EXIT_INPUT: i32 = 2;
/// Exit status for a sweep stopped by Ctrl-C / SIGTERM.
pub const EXIT_INTERRUPTED: i32 = 130;

/// A problem with what the user gave us: one paragraph naming the file, the place and what would be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError(message.into())
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

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// The sweep was stopped by a signal before it finished; what finished is on disk.
#[derive(Debug)]
pub struct Interrupted;

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

/// Names from `candidates` ordered by similarity to `wanted`, closest first; a name that contains the
/// wanted one (or is contained in it) counts as closest.
pub fn closest_first<'a>(
    wanted: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let similarity = |c: &str| {
        let contained = !wanted.is_empty() && (c.contains(wanted) || wanted.contains(c));
        f64::from(u8::from(contained)) + strsim::normalized_damerau_levenshtein(wanted, c)
    };
    let mut scored: Vec<(f64, &str)> = candidates.into_iter().map(|c| (similarity(c), c)).collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
