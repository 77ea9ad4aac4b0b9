//! `sweep models`: every model family with its tasks and parameters.

use crate::error::Failure;

pub fn models() -> Result<(), Failure> {
    crate::report::say(&crate::models::describe_all());
    Ok(())
}
