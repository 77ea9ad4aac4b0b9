//! What the user sees: the terminal while and after a sweep runs ([`terminal`]) and the HTML report of
//! one or more results folders ([`html`]), drawn from their manifests and trials.csv ([`runs`]).

pub mod charts;
pub mod html;
pub mod importance;
pub mod runs;
pub mod terminal;

pub use terminal::{better_best, say, top_table, warn, Best, Progress};
