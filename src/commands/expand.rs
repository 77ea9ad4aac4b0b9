//! `sweep expand SWEEP`: a dry run. Makes the same plan `run` makes (every check, data included), then
//! lists the trials it expands to, streaming, without training anything. An adaptive strategy cannot
//! list its trials: it says what it will do (the space, the budget, the rungs) instead.

use crate::error::{Failure, Interrupted};
use crate::expand::{count_and_fingerprint, TrialStream};
use crate::interrupt::interrupted;
use crate::spec::{
    Axis, Budget, ExecutionOverrides, Plan, PlanRequest, Refit, Search, SweepText, TestSource,
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
        shard: None,
    })?;
    crate::report::warn(&plan.data().dataset().warnings);
    let mut per_model = vec![0usize; plan.space().models().len()];
    for (i, t) in TrialStream::new(plan.space()).enumerate() {
        if i % 4096 == 0 && interrupted() {
            return Err(Interrupted.into());
        }
        per_model[t.entry] += 1;
    }
    let listed: usize = per_model.iter().sum();
    let (total, _) = count_and_fingerprint(plan.space())?;
    let how = match plan.space().search() {
        Search::Tpe(tpe) => format!(
            "TPE: {} trials in total (search.trials); the first {} sampled at random, then each proposed from \
             the results so far: the model is chosen first, then its parameters from trials of that model \
             (good trials vs the rest, 24 candidates per proposal); with --jobs N a proposal uses every \
             result but those of the N - 1 trials before it, so a seed and N give the same trials\n\
             the space:\n{}",
            tpe.trials,
            tpe.startup_trials.min(tpe.trials),
            space(&plan)
        ),
        Search::Halving(h) => {
            let schedule = h.schedule(listed);
            let full_size: f64 = schedule
                .iter()
                .map(|r| r.candidates as f64 * r.resource as f64 / h.max_resource as f64)
                .sum::<f64>()
                * plan.space().n_folds() as f64;
            let rungs: Vec<String> = schedule
                .iter()
                .enumerate()
                .map(|(i, r)| format!("  rung {i}: {} candidates with {} {}", r.candidates, r.resource, h.resource.name()))
                .collect();
            format!(
                "successive halving: {listed} candidates ({}), each rung keeps the best 1/{} and gives them {}x the {} \
                 (max {}); later rungs are chosen from earlier results, so only the first is listed below\n{}\n\
                 work: {} fold fits, as much as {full_size:.0} at the full {} (the candidates all at full {}: {})",
                if h.candidates.is_some() { "random samples, search.candidates" } else { "the grid" },
                h.factor,
                h.factor,
                h.resource.name(),
                h.max_resource,
                rungs.join("\n"),
                total * plan.space().n_folds(),
                h.resource.name(),
                h.resource.name(),
                listed * plan.space().n_folds()
            )
        }
        Search::Grid => "grid search: every combination of each model's values".to_string(),
        Search::Random(Budget::Total(n)) => format!(
            "random search: {n} trials in total (search.trials), spread over {} models",
            plan.space().models().len()
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
            "{}: {}, {} folds each, {} of {}\n{how}{}",
            plan.name(),
            crate::error::count(total, "trial"),
            plan.space().n_folds(),
            crate::error::count(plan.data().dataset().n_rows(), "row"),
            plan.data().dataset().path.display(),
            pruning(&plan)
        )?;
        if plan.space().search() == Search::Grid
            || matches!(plan.space().search(), Search::Random(_))
        {
            for (entry, count) in plan.space().models().iter().zip(&per_model) {
                writeln!(out, "  {:<24} {count}", entry.name())?;
            }
        }
        writeln!(out, "{}", after_search(&plan))?;
        writeln!(out, "{}", scoring(&plan))?;
        writeln!(out)?;
        if let Search::Tpe(_) = plan.space().search() {
            return out.flush();
        }
        for (i, t) in TrialStream::new(plan.space()).enumerate() {
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

/// Each model's parameters and where their values come from.
fn space(plan: &Plan) -> String {
    let mut lines = Vec::new();
    for entry in plan.space().models() {
        let label = crate::expand::entry_label(entry.name(), &entry.label);
        let params: Vec<String> = entry
            .params
            .iter()
            .map(|(name, axis)| {
                let values = match axis {
                    Axis::Values(v) => format!(
                        "[{}]",
                        v.iter()
                            .map(|x| x.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    Axis::Uniform(lo, hi) => format!("uniform [{lo}, {hi}]"),
                    Axis::LogUniform(lo, hi) => format!("log_uniform [{lo}, {hi}]"),
                    Axis::IntUniform(lo, hi) => format!("int_uniform [{lo}, {hi}]"),
                };
                format!("{name} {values}")
            })
            .collect();
        lines.push(format!(
            "  {label}: {}",
            if params.is_empty() {
                "defaults".to_string()
            } else {
                params.join("; ")
            }
        ));
    }
    lines.join("\n")
}

/// What fold pruning will do, if on.
fn pruning(plan: &Plan) -> String {
    match plan.space().prune() {
        None => String::new(),
        Some(p) => format!(
            "\nfold pruning (search.prune): after {} or more of {} folds, a trial stops once its running mean {} is worse \
             than the median of earlier trials at that fold count by more than {} (once {} trials are in that median)",
            crate::spec::PRUNE_MIN_FOLDS,
            plan.space().n_folds(),
            plan.space().primary().name(),
            p.margin,
            p.startup_trials
        ),
    }
}

/// The ranking metric, and the positive class the binary metrics score.
fn scoring(plan: &Plan) -> String {
    let ranked = format!("ranked by {}", plan.space().primary().name());
    match plan.data().positive() {
        None => ranked,
        Some(class) => format!(
            "{ranked}; positive class `{}` for precision, recall, f1, roc_auc, average_precision and \
             brier_score ({})",
            plan.data().dataset().class_labels[class],
            if plan.as_written()["data"].get("pos_label").is_some() {
                "data.pos_label"
            } else {
                "the minority class; set data.pos_label to choose"
            }
        ),
    }
}

/// What happens after the search: the held-out test set and the refit.
fn after_search(plan: &crate::spec::Plan) -> String {
    let test = match &plan.data().test() {
        None => "no test set".to_string(),
        Some(t) => match &t.source {
            TestSource::Split { fraction } => format!(
                "test set: {} rows held out of the search (cv.test_fraction {fraction}), {} left for it",
                t.rows.len(),
                plan.data().train_rows().len()
            ),
            TestSource::File { path, .. } => {
                format!("test set: {} rows of {}", t.rows.len(), path.display())
            }
        },
    };
    let refit = match plan.refit() {
        Refit::Best => "then the best trial is refitted on all training rows and saved",
        Refit::PerModel => {
            "then the best trial of each model is refitted on all training rows and saved"
        }
        Refit::None => "no refit (refit: none)",
    };
    let budget = plan.time_budget().map_or(String::new(), |b| {
        format!(
            "; no trial starts after {} (search.time_budget; `sweep resume` runs the rest)",
            crate::spec::units::format_duration(b)
        )
    });
    format!("{test}; {refit}{budget}")
}
