//! `sweep predict MODEL DATA`: apply a saved model — its column coding, imputation, encoding, scaling
//! and fitted model — to a new table, chunk by chunk in bounded memory, writing one prediction per
//! input row in input order.

use crate::data::read::TableReader;
use crate::data::Task;
use crate::error::{closest_first, Failure, InputError};
use crate::evaluate::refit::MODEL_FILE;
use crate::evaluate::Status;
use crate::models::saved::{Model, PredictionWriter};
use crate::results::manifest::Manifest;
use crate::results::replace_file;
use crate::session::refit::MODELS;
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

/// The model file `given` names: a model.bin, a model folder, or a results folder's best model.
fn model_file(given: &Path) -> Result<PathBuf, InputError> {
    if given.is_file() {
        return Ok(given.to_path_buf());
    }
    if given.join(MODEL_FILE).is_file() {
        return Ok(given.join(MODEL_FILE));
    }
    let manifest = Manifest::read(given).map_err(|_| {
        InputError::new(format!(
            "{}: not a model: give a model folder (RUN_DIR/{MODELS}/NAME, holding {MODEL_FILE}) or a results \
             folder that saved models",
            given.display()
        ))
    })?;
    match manifest.models.iter().find(|m| m.best) {
        Some(best) if best.status == Status::Ok => Ok(given.join(&best.dir).join(MODEL_FILE)),
        _ => Err(InputError::new(format!(
            "{}: this run saved no model of its best configuration ({}); set `refit: best` (the default) in the \
             sweep file and run it again, or give one of its model folders under {}/",
            given.display(),
            if manifest.models.is_empty() {
                "refit: none, or the run did not finish".to_string()
            } else {
                "its refit failed: see manifest.json".to_string()
            },
            given.join(MODELS).display()
        ))),
    }
}

pub fn predict(args: PredictArgs) -> Result<(), Failure> {
    let model = Model::read(&model_file(&args.model)?)?;
    let schema = &model.info.schema;
    let family = crate::models::find(&model.info.family).map(|f| f.info());
    if args.proba && (schema.task == Task::Regression || !family.is_some_and(|f| f.probabilities)) {
        let why = if schema.task == Task::Regression {
            "it is a regression model".to_string()
        } else {
            format!(
                "`{}` gives no class probabilities (an SVM separates classes by a margin; it is not \
                 calibrated into probabilities)",
                model.info.family
            )
        };
        return Err(InputError::new(format!(
            "--proba: {why}; run without --proba, or refit one of logistic_regression, gaussian_nb, \
             decision_tree, random_forest"
        ))
        .into());
    }
    let path = &args.data;
    let mut reader = TableReader::open(path, schema.delimiter)?;
    let located = schema.locate(path, &reader.names)?;
    let id = match &args.id {
        None => None,
        Some(name) => Some(reader.names.iter().position(|n| n == name).ok_or_else(|| {
            InputError::new(format!(
                "{}: --id: no column `{name}`; the columns are, closest first: {}",
                path.display(),
                closest_first(name, reader.names.iter().map(String::as_str)).join(", ")
            ))
        })?),
    };
    if !located.ignored.is_empty() {
        eprintln!(
            "note: {} column(s) the model does not read are ignored: {}",
            located.ignored.len(),
            located.ignored.join(", ")
        );
    }
    let mut write = |out: &mut dyn Write| -> anyhow::Result<usize> {
        let mut writer = PredictionWriter::new(out, schema, args.id.as_deref(), args.proba)?;
        let mut rows = 0;
        while let Some(chunk) = reader.next_chunk(args.chunk_rows.max(1))? {
            let all: Vec<usize> = (0..chunk.n_rows()).collect();
            let features = schema.features(path, &chunk, &located, &all)?;
            let (predicted, probabilities) = model.apply(&features, &all, args.proba);
            let ids: Option<Vec<&str>> = id.map(|c| chunk.columns[c].iter().collect());
            writer.write(ids.as_deref(), &predicted, probabilities.as_ref())?;
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
        None => {
            write(&mut std::io::stdout().lock())?;
        }
    }
    Ok(())
}
