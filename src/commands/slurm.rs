//! `sweep slurm SWEEP --shards N`: write Slurm batch scripts that run a sweep as a job array (task I
//! runs `sweep run SWEEP --shard I/N`) and a merge job, and with `--submit` submit both with sbatch
//! (the merge after the array, `--dependency=afterany`). The sweep is checked first, as `run` would.

use crate::error::{Failure, InputError};
use crate::report::say;
use crate::results::default_out_dir;
use crate::results::merge::SHARDS;
use crate::spec::{Backend, ExecutionOverrides, Plan, PlanRequest, Shard, SweepText};
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(clap::Args)]
pub struct SlurmArgs {
    /// The sweep file (YAML).
    pub sweep: PathBuf,
    /// Shards, one array task each.
    #[arg(long)]
    pub shards: usize,
    /// Slurm partition [default: the cluster's default].
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task, as sbatch takes it (e.g. 2:00:00); a task that hits it can be resubmitted
    /// and continues.
    #[arg(long)]
    pub time: Option<String>,
    /// CPUs per task; each shard runs this many trials in parallel.
    #[arg(long, default_value_t = 1)]
    pub cpus_per_task: usize,
    /// Memory per task, as sbatch takes it (e.g. 4G).
    #[arg(long)]
    pub mem: Option<String>,
    /// threads or processes [default: the sweep file's, else threads].
    #[arg(long, value_enum)]
    pub backend: Option<Backend>,
    /// Results folder, on a filesystem every node sees [default: results/<name>-<timestamp>].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// More sbatch options for both jobs, e.g. '--account=ml --qos=low'.
    #[arg(long, allow_hyphen_values = true)]
    pub extra_sbatch: Option<String>,
    /// Submit both jobs with sbatch (else only write the scripts).
    #[arg(long)]
    pub submit: bool,
}

/// Absolute form of a path (the jobs run from another working directory).
fn absolute(path: &Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path).with_context(|| format!("cannot resolve {}", path.display()))
}

/// Quotes a word for bash.
fn quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// `#SBATCH` lines shared by both jobs.
fn common_options(args: &SlurmArgs) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(p) = &args.partition {
        lines.push(format!("--partition={p}"));
    }
    if let Some(extra) = &args.extra_sbatch {
        lines.extend(extra.split_whitespace().map(String::from));
    }
    lines
}

fn script(name: &str, options: &[String], command: &str) -> String {
    let mut text = format!("#!/bin/bash\n#SBATCH --job-name={name}\n");
    for option in options {
        text.push_str(&format!("#SBATCH {option}\n"));
    }
    text.push_str("set -euo pipefail\n");
    text.push_str(command);
    text.push('\n');
    text
}

/// Runs `sbatch --parsable` and returns the job id.
fn submit(script: &Path, dependency: Option<&str>) -> Result<String, Failure> {
    let mut command = Command::new("sbatch");
    command.arg("--parsable");
    if let Some(job) = dependency {
        command.arg(format!("--dependency=afterany:{job}"));
    }
    let output = command.arg(script).output().map_err(|e| {
        anyhow::anyhow!(
            "cannot run sbatch ({e}): is this a Slurm login node? The script is written: {}",
            script.display()
        )
    })?;
    if !output.status.success() {
        return Err(anyhow::anyhow!(
            "sbatch {} failed: {}",
            script.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
        .into());
    }
    let id = String::from_utf8_lossy(&output.stdout);
    Ok(id.trim().split(';').next().unwrap_or("").to_string())
}

pub fn slurm(args: SlurmArgs) -> Result<(), Failure> {
    if args.shards == 0 || args.shards > crate::spec::shard::MAX_SHARDS {
        return Err(InputError::new(format!(
            "--shards {}: give 1 to {} shards",
            args.shards,
            crate::spec::shard::MAX_SHARDS
        ))
        .into());
    }
    if args.cpus_per_task == 0 {
        return Err(InputError::new("--cpus-per-task 0: give at least 1").into());
    }
    // Checked as a shard would be: the sweep, its data, and that it can be sharded.
    let plan = Plan::build(PlanRequest {
        sweep: SweepText::read(&args.sweep)?,
        overrides: ExecutionOverrides {
            backend: args.backend,
            ..ExecutionOverrides::default()
        },
        shard: Some(Shard {
            index: 1,
            count: args.shards,
        }),
    })?;
    crate::report::warn(&plan.data().dataset().warnings);
    let out = absolute(
        &args
            .out
            .clone()
            .unwrap_or_else(|| default_out_dir(plan.name())),
    )?;
    let sweep = absolute(&args.sweep)?;
    let binary = std::env::current_exe().context("cannot find the sweep binary")?;
    let jobs_dir = out.join("slurm");
    let logs = jobs_dir.join("logs");
    std::fs::create_dir_all(&logs).with_context(|| format!("cannot create {}", logs.display()))?;
    std::fs::create_dir_all(out.join(SHARDS))
        .with_context(|| format!("cannot create {}", out.join(SHARDS).display()))?;
    let backend = match plan.execution().backend {
        crate::spec::BackendSettings::Threads => Backend::Threads,
        crate::spec::BackendSettings::Processes(_) => Backend::Processes,
    };
    let name = format!("sweep-{}", plan.name());

    let mut array_options = vec![
        format!("--array=1-{}", args.shards),
        format!("--cpus-per-task={}", args.cpus_per_task),
        format!("--output={}", logs.join("shard-%a.out").display()),
    ];
    if let Some(t) = &args.time {
        array_options.push(format!("--time={t}"));
    }
    if let Some(m) = &args.mem {
        array_options.push(format!("--mem={m}"));
    }
    array_options.extend(common_options(&args));
    let shard_command = format!(
        "exec {} run {} --shard \"$SLURM_ARRAY_TASK_ID/{}\" --out {} --jobs \"${{SLURM_CPUS_PER_TASK:-1}}\" --backend {backend} --quiet",
        quoted(&binary.display().to_string()),
        quoted(&sweep.display().to_string()),
        args.shards,
        quoted(&out.display().to_string()),
    );
    let array_script = jobs_dir.join("shards.sbatch");
    std::fs::write(&array_script, script(&name, &array_options, &shard_command))
        .with_context(|| format!("cannot write {}", array_script.display()))?;

    let mut merge_options = vec![
        "--cpus-per-task=1".to_string(),
        format!("--output={}", logs.join("merge.out").display()),
    ];
    merge_options.extend(common_options(&args));
    let merge_command = format!(
        "exec {} merge {}",
        quoted(&binary.display().to_string()),
        quoted(&out.display().to_string())
    );
    let merge_script = jobs_dir.join("merge.sbatch");
    std::fs::write(
        &merge_script,
        script(&format!("{name}-merge"), &merge_options, &merge_command),
    )
    .with_context(|| format!("cannot write {}", merge_script.display()))?;

    let mut text = format!(
        "wrote {} (an array of {} shards) and {}\n",
        array_script.display(),
        args.shards,
        merge_script.display()
    );
    if args.submit {
        let array_job = submit(&array_script, None)?;
        let merge_job = submit(&merge_script, Some(&array_job))?;
        text.push_str(&format!(
            "submitted: shards job {array_job}, merge job {merge_job} (runs when every shard has ended)\n\
             watch:     squeue -j {array_job},{merge_job}   or   sacct -j {array_job},{merge_job}   or   sweep status {out}\n\
             logs:      {logs}\n\
             results:   {out} (merged by job {merge_job}); a shard that failed or hit its time limit continues \
             where it stopped when resubmitted: sbatch --array=I {script}, then sweep merge {out}\n",
            out = out.display(),
            logs = logs.display(),
            script = array_script.display(),
        ));
    } else {
        text.push_str(&format!(
            "submit with: job=$(sbatch --parsable {}) && sbatch --dependency=afterany:$job {}\n",
            array_script.display(),
            merge_script.display()
        ));
    }
    say(&text);
    Ok(())
}
