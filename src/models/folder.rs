//! A saved model's folder, `DIR/models/<key-slug>/`, and the one owner of its layout: `model.bin`
//! (the model, [`Model`]), `model.json` (what it is, for people and for resuming: [`ModelCard`]) and
//! `test_predictions.csv` (what it predicted for the held-out rows). `model.json` is written last,
//! so a folder with one matching the configuration and data is complete. Also resolves the path a
//! user gives `sweep predict`.

use super::saved::{Model, ModelInfo, FORMAT_VERSION};
use crate::data::folds::TestSource;
use crate::error::InputError;
use crate::files::write_atomic;
use crate::seed::key_hash;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The folder of a results folder holding one folder per saved model.
const MODELS: &str = "models";
const MODEL_FILE: &str = "model.bin";
const MODEL_JSON: &str = "model.json";
/// What the model fitted without the test rows predicted for them.
pub const TEST_PREDICTIONS: &str = "test_predictions.csv";
/// Without a test set: what the configuration predicted for each fold's held-out rows (the `fold`
/// column says which: the folds the search used, reproducible outside it).
pub const OUT_OF_FOLD: &str = "out_of_fold.csv";

/// model.json: a refitted model described for people (and for resuming: key, data and scores).
#[derive(Debug, Serialize, Deserialize)]
pub struct ModelCard {
    /// The format of the model.bin beside it.
    pub format_version: u32,
    pub tool_version: String,
    pub family: String,
    pub key: String,
    /// Every parameter, defaults included.
    pub params: serde_json::Map<String, serde_json::Value>,
    pub seed: u64,
    pub task: String,
    pub target: String,
    pub class_labels: Vec<String>,
    /// The input columns in the order the model reads them: kind, and categories or date parts.
    pub input_schema: Vec<serde_json::Value>,
    /// What fills a missing number, per feature (fitted on the training rows).
    pub imputation: BTreeMap<String, f64>,
    /// `mean_test_<metric>` of the configuration in cross-validation.
    pub cv: BTreeMap<String, f64>,
    /// `test_<metric>` on the held-out test set (empty without one).
    pub test: BTreeMap<String, f64>,
    pub test_set: Option<TestSource>,
    pub data_path: PathBuf,
    pub data_sha256: String,
    pub training_rows: usize,
    /// `train`: fitted on the rows the search saw, the test rows held out (the test scores are this
    /// model's); `all`: on every row, test rows included (the test scores are those of the same
    /// configuration fitted without them).
    #[serde(default = "trained_on_train")]
    pub trained_on: String,
    pub refit_seconds: f64,
    /// Share of the total split gain of each input column, largest first (families whose trees
    /// record it; columns never split on are left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub feature_importance: Vec<FeatureImportance>,
    /// With a test set: each input column's permutation importance on it, largest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permutation_importance: Vec<PermutationImportance>,
    /// Bytes of model.bin.
    #[serde(default)]
    pub model_bytes: u64,
    /// For a model that predicts from its training rows (k-nearest neighbours): the rows model.bin
    /// keeps, and their bytes as numbers in memory (8 per encoded column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kept_rows: Option<KeptRows>,
}

/// Training rows a saved model keeps to predict from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct KeptRows {
    pub rows: usize,
    pub bytes: u64,
}

/// How much a model's primary metric drops when one input column is shuffled among the test rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PermutationImportance {
    pub feature: String,
    /// Mean drop over the repeats (positive: the model relies on the column).
    pub mean: f64,
    /// Standard deviation of the drop over the repeats.
    pub std: f64,
}

fn trained_on_train() -> String {
    "train".to_string()
}

/// One input column's share of a model's split gain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    pub feature: String,
    pub importance: f64,
}

impl FeatureImportance {
    /// Per input feature (by name), the share of `gains` (per encoded column, `column_features`
    /// naming each column's feature), largest first, zeros left out.
    pub fn from_gains(gains: &[f64], column_features: &[usize], names: &[String]) -> Vec<Self> {
        let mut per_feature = vec![0.0; names.len()];
        for (&gain, &f) in gains.iter().zip(column_features) {
            if let Some(slot) = per_feature.get_mut(f) {
                *slot += gain;
            }
        }
        let total: f64 = per_feature.iter().sum();
        let mut out: Vec<Self> = names
            .iter()
            .zip(per_feature)
            .filter(|(_, g)| *g > 0.0 && total > 0.0)
            .map(|(name, g)| FeatureImportance {
                feature: name.clone(),
                importance: g / total,
            })
            .collect();
        out.sort_by(|a, b| b.importance.total_cmp(&a.importance));
        out
    }
}

impl ModelCard {
    /// The first of family, configuration and training data on which this card and the model
    /// file's own record disagree (what, the card's value, the file's value): a model.bin copied in
    /// from another folder.
    pub fn mismatch<'a>(&'a self, info: &'a ModelInfo) -> Option<(&'static str, &'a str, &'a str)> {
        [
            ("the family", &self.family, &info.family),
            ("the configuration", &self.key, &info.key),
            (
                "the training data's sha256",
                &self.data_sha256,
                &info.data_sha256,
            ),
        ]
        .into_iter()
        .find(|(_, card, file)| card != file)
        .map(|(what, card, file)| (what, card.as_str(), file.as_str()))
    }
}

/// A model folder name: the trial key with only characters safe in file names, shortened (with a
/// hash of the key, so different keys stay apart) when long.
pub fn slug(key: &str) -> String {
    let mut slug: String = key
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '=' | '_' | '-' => c,
            _ => '-',
        })
        .collect::<String>()
        .trim_end_matches('-')
        .to_string();
    if slug.len() > 96 {
        slug.truncate(80);
        slug.push_str(&format!("-{:016x}", key_hash(key)));
    }
    slug
}

/// One saved model's folder (and the model file in it, which a user may have named directly).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDir {
    dir: PathBuf,
    model_file: PathBuf,
}

impl ModelDir {
    /// The folder of the configuration `key` in the results folder `results`.
    pub fn of_key(results: &Path, key: &str) -> ModelDir {
        ModelDir::at(&Self::all_in(results).join(slug(key)))
    }

    /// The folder at `dir`.
    pub fn at(dir: &Path) -> ModelDir {
        ModelDir {
            dir: dir.to_path_buf(),
            model_file: dir.join(MODEL_FILE),
        }
    }

    /// Where a results folder keeps its model folders.
    pub fn all_in(results: &Path) -> PathBuf {
        results.join(MODELS)
    }

    /// The model a user names: a model file, or a folder holding one; `None` for anything else
    /// (such as a results folder, whose manifest says which model is its best).
    pub fn given(path: &Path) -> Option<ModelDir> {
        if path.is_file() {
            let dir = path.parent().unwrap_or(Path::new("."));
            return Some(ModelDir {
                dir: dir.to_path_buf(),
                model_file: path.to_path_buf(),
            });
        }
        path.join(MODEL_FILE).is_file().then(|| ModelDir::at(path))
    }

    /// What a path given as a model must be, for messages.
    pub fn expected_form() -> String {
        format!(
            "a model folder (RUN_DIR/{MODELS}/NAME, holding {MODEL_FILE}), its {MODEL_FILE}, or a \
             results folder that saved models"
        )
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn model_file(&self) -> &Path {
        &self.model_file
    }

    /// The folder's name inside the results folder `results` (as the manifest records it).
    pub fn relative_to(&self, results: &Path) -> PathBuf {
        self.dir
            .strip_prefix(results)
            .unwrap_or(&self.dir)
            .to_path_buf()
    }

    /// Writes model.bin (creating the folder).
    pub fn save(&self, model: &Model) -> Result<(), String> {
        let bytes = model.to_bytes()?;
        std::fs::create_dir_all(&self.dir).map_err(|e| self.cannot_save(e))?;
        write_atomic(&self.model_file, &bytes).map_err(|e| self.cannot_save(e))
    }

    /// Writes predictions beside the model (`TEST_PREDICTIONS` or `OUT_OF_FOLD`).
    pub fn save_predictions(&self, file: &str, csv: &[u8]) -> Result<(), String> {
        write_atomic(&self.dir.join(file), csv).map_err(|e| self.cannot_save(e))
    }

    /// Writes model.json, last: it marks the folder complete.
    pub fn save_card(&self, card: &ModelCard) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(card)?;
        write_atomic(&self.dir.join(MODEL_JSON), text.as_bytes())
    }

    fn cannot_save(&self, e: impl std::fmt::Display) -> String {
        format!("cannot save the model in {}: {e}", self.dir.display())
    }

    pub fn load(&self) -> Result<Model, InputError> {
        Model::read(&self.model_file)
    }

    /// The model.json beside the model file, if there is one; one that does not parse is an error.
    pub fn card(&self) -> Result<Option<(ModelCard, PathBuf)>, InputError> {
        let path = self.model_file.with_file_name(MODEL_JSON);
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Ok(None);
        };
        let card = serde_json::from_str(&text).map_err(|e| {
            InputError::new(format!(
                "{}: not a readable model card ({e})",
                path.display()
            ))
        })?;
        Ok(Some((card, path)))
    }

    /// The card of a folder that already holds this configuration refitted on this data: its
    /// model.json and its model.bin (which loads, and is that configuration: a file copied in from
    /// another folder does not count) both say so.
    pub fn holding(&self, key: &str, data_sha256: &str) -> Option<ModelCard> {
        let (card, _) = self.card().ok()??;
        let model = self.load().ok()?;
        (card.key == key
            && card.data_sha256 == data_sha256
            && card.format_version == FORMAT_VERSION
            && card.mismatch(&model.info).is_none())
        .then_some(card)
    }

    /// Removes the model folders of `results` that hold none of the `kept` configurations (a best
    /// model a resumed search has since beaten), so the folder lists exactly what the manifest
    /// does. Only folders that look like model folders (a model.bin or model.json in them) are
    /// touched.
    pub fn remove_others(results: &Path, kept: &[&str]) -> anyhow::Result<()> {
        let kept: Vec<String> = kept.iter().map(|k| slug(k)).collect();
        let Ok(entries) = std::fs::read_dir(Self::all_in(results)) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let dir = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let model_folder = dir.join(MODEL_FILE).exists() || dir.join(MODEL_JSON).exists();
            if model_folder && dir.is_dir() && !kept.contains(&name) {
                std::fs::remove_dir_all(&dir).map_err(|e| {
                    anyhow::anyhow!("cannot remove the superseded model {}: {e}", dir.display())
                })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_names_and_long_keys_stay_distinct() {
        assert_eq!(
            slug("svm+min_max_scaler(c=1.0,kernel=rbf)"),
            "svm-min_max_scaler-c=1.0-kernel=rbf"
        );
        let long = |v: &str| format!("random_forest({}x={v})", "a".repeat(120));
        let (a, b) = (slug(&long("1")), slug(&long("2")));
        assert_ne!(a, b);
        assert!(a.len() <= 97, "{a}");
        assert!(!slug("m(p=a/b)").contains('/'));
    }

    #[test]
    fn a_given_path_is_a_model_file_or_a_folder_holding_one() {
        let dir = tempfile::tempdir().unwrap();
        let folder = ModelDir::of_key(dir.path(), "svm(c=1)");
        assert_eq!(folder.path(), dir.path().join("models/svm-c=1"));
        assert_eq!(ModelDir::given(folder.path()), None, "no model.bin yet");
        std::fs::create_dir_all(folder.path()).unwrap();
        std::fs::write(folder.model_file(), b"x").unwrap();
        assert_eq!(ModelDir::given(folder.path()), Some(folder.clone()));
        let named = ModelDir::given(folder.model_file()).unwrap();
        assert_eq!(named.path(), folder.path());
        assert_eq!(folder.relative_to(dir.path()), Path::new("models/svm-c=1"));
        assert_eq!(
            ModelDir::given(dir.path()),
            None,
            "a results folder is not a model"
        );
        std::fs::create_dir_all(dir.path().join("models/other")).unwrap();
        std::fs::write(dir.path().join("models/other/model.json"), b"{}").unwrap();
        std::fs::create_dir_all(dir.path().join("models/notes")).unwrap();
        ModelDir::remove_others(dir.path(), &["svm(c=1)"]).unwrap();
        assert!(folder.path().exists(), "kept");
        assert!(
            !dir.path().join("models/other").exists(),
            "a superseded model goes"
        );
        assert!(
            dir.path().join("models/notes").exists(),
            "not a model folder: untouched"
        );
    }
}
