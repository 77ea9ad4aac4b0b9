//! `sweep expand SWEEP`: a dry run. Makes the same plan `run` makes (every check, data included), then
//! lists the trials it expands to, streaming, without training anything.

use crate::error::{Failure, Interrupted};
use crate::expand::TrialStream;
use crate::interrupt::interrupted;
use crate::spec::{
    Budget, ExecutionOverrides, Plan, PlanRequest, Refit, Search, SweepText, TestSource,
};
use std::io::Write;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ExpandArgs {
    /// The sweep file (YAML) to check and expand.
    pub sweep: PathBuf,
}

pub fn expand(args: ExpandArgs) -> Result<(), Failure> {
    let plan = Plan::build(PlanRequest {
        sweep: SweepText::read(&args.sweep)?,
        overrides: ExecutionOverrides::default(),
    })?;
    crate::report::warn(&plan.dataset.warnings);
    let mut per_model = vec![0usize; plan.models.len()];
    for (i, t) in TrialStream::new(&plan).enumerate() {
        if i % 4096 == 0 && interrupted() {
            return Err(Interrupted.into());
        }
        per_model[t.entry] += 1;
    }
    let total: usize = per_model.iter().sum();
    let how = match plan.search {
        Search::Grid => "grid search: every combination of each model's values".to_string(),
        Search::Random(Budget::Total(n)) => format!(
            "random search: {n} trials in total (search.trials), spread over {} models",
            plan.models.len()
        ),
        Search::Random(Budget::PerModel(n)) => {
            format!("random search: {n} trials per model (search.trials_per_model)")
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // A closed stdout (`sweep expand x | head`) ends the listing quietly.
    let _ = (|| -> std::io::Result<()> {
        writeln!(
            out,
            "{}: {total} trials, {} folds each, {} rows of {}\n{how}",
            plan.name,
            plan.n_folds(),
            plan.dataset.n_rows(),
            plan.dataset.path.display()
        )?;
        for (entry, count) in plan.models.iter().zip(&per_model) {
            writeln!(out, "  {:<24} {count}", entry.name())?;
        }
        writeln!(out, "{}", after_search(&plan))?;
        writeln!(out)?;
        for (i, t) in TrialStream::new(&plan).enumerate() {
            if i % 4096 == 0 && interrupted() {
                break;
            }
            writeln!(out, "{:>5}  {}", t.index, t.key)?;
        }
        out.flush()
    })();
    if interrupted() {
        return Err(Interrupted.into());
    }
    Ok(())
}

/// What happens after the search: the held-out test set and the refit.
fn after_search(plan: &crate::spec::Plan) -> String {
    let test = match &plan.test {
        None => "no test set".to_string(),
        Some(t) => match &t.source {
            TestSource::Split { fraction } => format!(
                "test set: {} rows held out of the search (cv.test_fraction {fraction}), {} left for it",
                t.rows.len(),
                plan.train_rows.len()
            ),
            TestSource::File { path, .. } => {
                format!("test set: {} rows of {}", t.rows.len(), path.display())
            }
        },
    };
    let refit = match plan.refit {
        Refit::Best => "then the best trial is refitted on all training rows and saved",
        Refit::PerModel => {
            "then the best trial of each model is refitted on all training rows and saved"
        }
        Refit::None => "no refit (refit: none)",
    };
    let budget = plan.time_budget.map_or(String::new(), |b| {
        format!(
            "; no trial starts after {} (search.time_budget; `sweep resume` runs the rest)",
            crate::spec::units::format_duration(b)
        )
    });
    format!("{test}; {refit}{budget}")
}
