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
