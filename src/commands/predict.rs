//! `sweep predict MODEL DATA`: apply a saved model — its column coding, imputation, encoding, scaling
//! and fitted model — to a new table, chunk by chunk in bounded memory, writing one prediction per
//! input row in input order.

use crate::data::read::TableReader;
use crate::data::refuse_duplicate_names;
use crate::data::Task;
use crate::error::{closest_names, shortened, Failure, InputError};
use crate::evaluate::Status;
use crate::models::folder::ModelDir;
use crate::models::saved::{Model, PredictionWriter};
use crate::models::Scores;
use crate::results::manifest::{Manifest, RefitRecord};
use crate::results::replace_file;
use crate::results::MANIFEST;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct PredictArgs {
    /// A model folder (DIR/models/NAME), its model.bin, or a results folder (its best model).
    pub model: PathBuf,
    /// The rows to predict: CSV, .csv.gz or Parquet with the columns the model was trained on.
    pub data: PathBuf,
    /// Write the predictions to this CSV file [default: standard output].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Add a `proba_<class>` column per class (logistic_regression, gaussian_nb, decision_tree,
    /// random_forest).
    #[arg(long)]
    pub proba: bool,
    /// Copy this input column into the output, first, to identify rows.
    #[arg(long)]
    pub id: Option<String>,
    /// Rows read and predicted at a time.
    #[arg(long, default_value_t = 8192, hide = true)]
    pub chunk_rows: usize,
}

/// The model `given` names (a model.bin, a model folder, or a results folder's best model), with
/// the manifest's record of it when found through a results folder.
fn model_folder(given: &Path) -> Result<(ModelDir, Option<(RefitRecord, PathBuf)>), InputError> {
    if let Some(folder) = ModelDir::given(given) {
        return Ok((folder, None));
    }
    let manifest = Manifest::read(given).map_err(|_| {
        InputError::new(format!(
            "{}: not a model: give {}",
            given.display(),
            ModelDir::expected_form()
        ))
    })?;
    match manifest.models.into_iter().find(|m| m.best) {
        Some(best) if best.status == Status::Ok => Ok((
            ModelDir::at(&given.join(&best.dir)),
            Some((best, given.join(MANIFEST))),
        )),
        best => Err(InputError::new(format!(
            "{}: this run saved no model of its best configuration ({}); set `refit: best` (the default) in the \
             sweep file and run it again, or give one of its model folders under {}/",
            given.display(),
            if best.is_none() {
                "refit: none, or the run did not finish".to_string()
            } else {
                "its refit failed: see manifest.json".to_string()
            },
            ModelDir::all_in(given).display()
        ))),
    }
}

/// Refuses an `--out` that cannot be written or would replace an input: a folder, a path in a
/// missing folder, or the table or model being read (compared as files, so links count too).
fn check_out(out: &Path, inputs: &[&Path]) -> Result<(), InputError> {
    let refuse = |why: String| {
        InputError::new(format!(
            "{}: --out {why}; give a new file name (or leave --out out to write to standard output)",
            out.display()
        ))
    };
    if out.is_dir() {
        return Err(refuse("is a folder".into()));
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(refuse(format!(
            "is in a folder that does not exist ({})",
            parent.display()
        )));
    }
    if let Ok(target) = std::fs::metadata(out) {
        for input in inputs {
            if std::fs::metadata(input).is_ok_and(|i| same_file(&i, &target)) {
                return Err(refuse(format!(
                    "is the file being read ({}): writing would replace it",
                    input.display()
                )));
            }
        }
    }
    Ok(())
}

fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Refuses a model.bin that is not the configuration its folder's model.json (or the results
/// folder's manifest) says it is: a file copied from another folder would predict silently.
fn check_identity(
    model: &Model,
    folder: &ModelDir,
    expected: Option<&(RefitRecord, PathBuf)>,
) -> Result<(), InputError> {
    let file = folder.model_file();
    let info = &model.info;
    let mismatch = |what: &str, theirs: &str, ours: &str, source: &Path| {
        InputError::new(format!(
            "{}: this model is `{}` but {} says {what} `{theirs}` (the model file has `{ours}`); the model file \
             was replaced by another one: put back the right model.bin, or refit with `sweep resume`",
            file.display(),
            shortened(&info.key),
            source.display(),
        ))
    };
    if let Some((card, card_path)) = folder.card()? {
        if let Some((what, theirs, ours)) = card.mismatch(info) {
            return Err(mismatch(what, theirs, ours, &card_path));
        }
    }
    if let Some((record, manifest)) = expected {
        if record.key != info.key {
            return Err(mismatch(
                "the configuration",
                &record.key,
                &info.key,
                manifest,
            ));
        }
    }
    Ok(())
}

pub fn predict(args: PredictArgs) -> Result<(), Failure> {
    let (folder, expected) = model_folder(&args.model)?;
    if let Some(out) = &args.out {
        check_out(out, &[&args.data, folder.model_file()])?;
    }
    let model = folder.load()?;
    check_identity(&model, &folder, expected.as_ref())?;
    let schema = &model.info.schema;
    let family = crate::models::find(&model.info.family).map(|f| f.info());
    if args.proba
        && (schema.task == Task::Regression
            || !family.is_some_and(|f| f.scores == Scores::Probabilities))
    {
        let message = if schema.task == Task::Regression {
            "--proba: this is a regression model: it predicts values, and there are no classes to give \
             probabilities of; run without --proba"
                .to_string()
        } else {
            let giving: Vec<&str> = crate::models::REGISTRY
                .iter()
                .filter(|f| f.info().scores == Scores::Probabilities)
                .map(|f| f.name())
                .collect();
            format!(
                "--proba: `{}` gives no class probabilities (an SVM separates classes by a margin; it is not \
                 calibrated into probabilities); run without --proba, or refit one of {}",
                model.info.family,
                giving.join(", ")
            )
        };
        return Err(InputError::new(message).into());
    }
    let path = &args.data;
    let mut reader = TableReader::open(path, schema.delimiter)?;
    refuse_duplicate_names(path, &reader.names)?;
    let located = schema.locate(path, &reader.names)?;
    let id = match &args.id {
        None => None,
        Some(name) => Some(reader.names.iter().position(|n| n == name).ok_or_else(|| {
            InputError::new(format!(
                "{}: --id: no column `{}`; the columns are, closest first: {}",
                path.display(),
                shortened(name),
                closest_names(name, reader.names.iter().map(String::as_str))
            ))
        })?),
    };
    if !located.ignored.is_empty() {
        let ignored: Vec<String> = located.ignored.iter().map(|n| shortened(n)).collect();
        eprintln!(
            "note: {} the model does not read {} ignored: {}",
            crate::error::count(located.ignored.len(), "column"),
            if located.ignored.len() == 1 {
                "is"
            } else {
                "are"
            },
            ignored.join(", ")
        );
    }
    let mut write = |out: &mut dyn Write| -> anyhow::Result<usize> {
        let lead: Vec<&str> = args.id.as_deref().into_iter().collect();
        let mut writer = PredictionWriter::new(out, schema, &lead, args.proba)?;
        let mut rows = 0;
        while let Some(chunk) = reader.next_chunk(args.chunk_rows.max(1))? {
            let all: Vec<usize> = (0..chunk.n_rows()).collect();
            let features = schema.features(path, &chunk, &located, &all)?;
            let prediction = model.apply(&features, &all, args.proba);
            let ids: Vec<Vec<&str>> = id
                .map(|c| chunk.columns[c].iter().collect())
                .into_iter()
                .collect();
            writer.write(&ids, &prediction.targets, prediction.probabilities())?;
            rows += chunk.n_rows();
        }
        writer.finish()?;
        Ok(rows)
    };
    match &args.out {
        Some(out) => {
            let mut rows = 0;
            // Written beside and renamed over: a failed predict leaves no half-written file.
            replace_file(out, |file| {
                rows = write(file)?;
                Ok(())
            })?;
            eprintln!("{rows} predictions written to {}", out.display());
        }
        None => match write(&mut std::io::stdout().lock()) {
            // A reader that stopped listening (`| head`) ends the output, not in an error.
            Err(e) if is_closed_pipe(&e) => {}
            other => {
                other?;
            }
        },
    }
    Ok(())
}

/// Whether an error comes from writing to a pipe whose reader has gone.
fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            || cause
                .downcast_ref::<csv::Error>()
                .is_some_and(|e| matches!(e.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe))
    })
}
