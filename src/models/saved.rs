//! Model files: a refitted model with everything needed to apply it to a new table — the input
//! schema (columns, their coding, class labels), the fitted preprocessing and the family's fitted
//! state — in one `model.bin`: an 8-byte magic, the format version, the payload's length and sha256,
//! then the payload (postcard, f64s bit-exact). Reading checks each of these before decoding, and
//! decoding builds plain data only: no code from the file runs, unlike a pickle. The checksum finds
//! accidental damage, not deliberate edits, so everything prediction indexes or loops over is then
//! checked against the schema (see [`Predictor::check`]): an edited file is refused or predicts
//! something, it never hangs or crashes.

use super::{find, Predictor};
use crate::data::target::TargetShape;
use crate::data::{Feature, InputSchema, OwnedTargets, Targets, Task};
use crate::error::InputError;
use crate::metrics::Prediction;
use crate::preprocess::FittedPipeline;
use crate::value::Value;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

pub const MAGIC: [u8; 8] = *b"SWEEPMDL";
/// Bumped whenever the payload changes shape; a newer file is refused rather than misread.
/// 2: gaussian_nb keeps its classes sorted.
pub const FORMAT_VERSION: u32 = 2;
/// How far past its own format a sweep believes a version field (beyond: damage, not an upgrade).
const PLAUSIBLE_NEWER_FORMATS: u32 = 64;
const HEADER_LEN: usize = 8 + 4 + 8 + 32;

/// What a model file records besides the fitted state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    pub tool_version: String,
    pub family: String,
    /// The trial key of the configuration.
    pub key: String,
    pub params: Vec<(String, Value)>,
    pub seed: u64,
    /// sha256 of the data file the model was trained on.
    pub data_sha256: String,
    /// Rows it was trained on.
    pub training_rows: usize,
    pub schema: InputSchema,
}

#[derive(Serialize, Deserialize)]
struct Payload {
    info: ModelInfo,
    pipeline: FittedPipeline,
    fitted: Vec<u8>,
}

/// A fitted model ready to apply to tables with its schema.
pub struct Model {
    pub info: ModelInfo,
    pub pipeline: FittedPipeline,
    pub predictor: Box<dyn Predictor>,
}

impl Model {
    /// The file's bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>, String> {
        let payload = Payload {
            info: self.info.clone(),
            pipeline: self.pipeline.clone(),
            fitted: self.predictor.save()?,
        };
        let body = postcard::to_allocvec(&payload).map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(HEADER_LEN + body.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(body.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&body));
        out.extend_from_slice(&body);
        Ok(out)
    }

    /// Reads a model file, refusing (with what to do) one that is not a model file, is from a newer
    /// format, is truncated or corrupt.
    pub fn read(path: &Path) -> Result<Model, InputError> {
        let bytes = crate::data::read_regular_file(path, "model file")?;
        Model::from_bytes(&bytes).map_err(|why| {
            InputError::new(format!("{}: cannot load the model: {why}", path.display()))
        })
    }

    fn from_bytes(bytes: &[u8]) -> Result<Model, String> {
        let refit = "refit it with `sweep resume` or a new `sweep run`";
        if bytes.len() < 12 || bytes[..8] != MAGIC {
            return Err(
                "not a sweep model file (no SWEEPMDL header); give the model.bin (or its folder) that a run \
                 wrote under DIR/models/"
                    .to_string(),
            );
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().unwrap_or_default());
        // Formats are numbered from 1 and grow by one per change: a far larger number is damage.
        if version > FORMAT_VERSION + PLAUSIBLE_NEWER_FORMATS {
            return Err(format!(
                "its format field reads {version}, which no sweep wrote: the file is corrupt; {refit}"
            ));
        }
        if version > FORMAT_VERSION {
            return Err(format!(
                "it is in model format {version}, written by a newer sweep (or corrupt); this sweep {} \
                 reads format {FORMAT_VERSION}: upgrade sweep to use it",
                env!("CARGO_PKG_VERSION")
            ));
        }
        if version == 0 || bytes.len() < HEADER_LEN {
            return Err(format!("the file is truncated or corrupt; {refit}"));
        }
        if version < FORMAT_VERSION {
            return Err(format!(
                "it is in model format {version}, written by an older sweep; this sweep reads format \
                 {FORMAT_VERSION}: {refit}"
            ));
        }
        let length = u64::from_le_bytes(bytes[12..20].try_into().unwrap_or_default());
        let body = &bytes[HEADER_LEN..];
        if body.len() as u64 != length {
            return Err(format!(
                "the file is truncated or corrupt ({} payload bytes, the header says {length}); {refit}",
                body.len()
            ));
        }
        if Sha256::digest(body)[..] != bytes[20..52] {
            return Err(format!(
                "the file is corrupt (its checksum does not match its content); {refit}"
            ));
        }
        let payload: Payload = postcard::from_bytes(body)
            .map_err(|e| format!("the file is corrupt ({e}); {refit}"))?;
        let family = find(&payload.info.family).ok_or_else(|| {
            format!(
                "it holds a `{}` model, a family this sweep does not know",
                payload.info.family
            )
        })?;
        let predictor = family.load(&payload.fitted)?;
        let schema = &payload.info.schema;
        let inconsistent = |why: String| {
            format!("the model file is inconsistent ({why}); it was altered after it was written: {refit}")
        };
        let shapes = schema.feature_shapes().map_err(inconsistent)?;
        let width = payload.pipeline.check(&shapes).map_err(inconsistent)?;
        let target = match schema.task {
            Task::Classification => TargetShape::classes(schema.class_labels.len()),
            Task::Regression => Targets::Values(()),
        };
        predictor.check(width, target).map_err(inconsistent)?;
        Ok(Model {
            info: payload.info,
            pipeline: payload.pipeline,
            predictor,
        })
    }

    /// Predictions (and class scores, when asked and the family has them: probabilities, else
    /// decision values) for `rows` of `features`, read through the model's schema.
    pub fn apply(&self, features: &[Feature], rows: &[usize], with_scores: bool) -> Prediction {
        let x = self.pipeline.transform(features, rows);
        super::predict(&*self.predictor, x.view(), with_scores)
    }
}

/// Writes predictions as CSV, one row per input row: leading columns (an ID column, a test row's
/// place and true value), the prediction (the
/// class label as the training data wrote it, or the value), then one `proba_<label>` column per
/// class when probabilities are given. Numbers are written in their shortest exact form.
pub struct PredictionWriter<W: std::io::Write> {
    out: csv::Writer<W>,
    class_labels: Vec<String>,
}

impl<W: std::io::Write> PredictionWriter<W> {
    pub fn new(
        out: W,
        schema: &InputSchema,
        lead: &[&str],
        probabilities: bool,
    ) -> csv::Result<Self> {
        let mut out = csv::Writer::from_writer(out);
        let mut header: Vec<String> = lead.iter().map(|h| h.to_string()).collect();
        header.push("prediction".to_string());
        if probabilities {
            header.extend(schema.class_labels.iter().map(|l| format!("proba_{l}")));
        }
        out.write_record(&header)?;
        Ok(PredictionWriter {
            out,
            class_labels: schema.class_labels.clone(),
        })
    }

    /// Rows for one chunk: the leading columns' cells (one list per column), predictions,
    /// probabilities.
    pub fn write<S: AsRef<str>>(
        &mut self,
        lead: &[Vec<S>],
        predicted: &OwnedTargets,
        probabilities: Option<&Array2<f64>>,
    ) -> csv::Result<()> {
        let mut row: Vec<String> = Vec::new();
        for i in 0..predicted.len() {
            row.clear();
            row.extend(lead.iter().map(|cells| cells[i].as_ref().to_string()));
            row.push(match predicted {
                crate::data::Targets::Classes { y, .. } => self.class_labels[y[i]].clone(),
                crate::data::Targets::Values(v) => v[i].to_string(),
            });
            if let Some(p) = probabilities {
                row.extend(p.row(i).iter().map(f64::to_string));
            }
            self.out.write_record(&row)?;
        }
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        self.out
            .into_inner()
            .map_err(|e| std::io::Error::other(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Task;

    fn model() -> Model {
        let family = find("decision_tree").unwrap();
        let x = ndarray::array![[0.0], [1.0], [2.0], [3.0]];
        let y = ndarray::array![0usize, 0, 1, 1];
        let params = super::super::Params {
            given: &[],
            specs: family.params(),
            largest: &[],
            listed: &[],
            class_names: &[],
            category_columns: &[],
        };
        let predictor = family
            .fit(
                &params,
                x.view(),
                crate::data::Targets::Classes {
                    y: y.view(),
                    n_classes: 2,
                },
                super::super::Seeds {
                    trial: 1,
                    shared: 2,
                },
                &Default::default(),
            )
            .unwrap();
        let features = vec![Feature {
            name: "a".into(),
            values: crate::data::FeatureValues::Numeric(vec![0.0, 1.0, 2.0, 3.0]),
        }];
        let (pipeline, _) = FittedPipeline::fit_transform(
            &crate::preprocess::Pipeline::default_for(crate::preprocess::DefaultPreprocessing {
                scaled: false,
                one_hot: false,
                keep_missing: false,
            }),
            &features,
            &[0, 1, 2, 3],
        );
        Model {
            info: ModelInfo {
                tool_version: "test".into(),
                family: "decision_tree".into(),
                key: "decision_tree()".into(),
                params: Vec::new(),
                seed: 0,
                data_sha256: String::new(),
                training_rows: 4,
                schema: InputSchema {
                    columns: vec![crate::data::InputColumn {
                        name: "a".into(),
                        coding: crate::data::schema::Coding::Number,
                    }],
                    target: "y".into(),
                    task: Task::Classification,
                    class_labels: vec!["a".into(), "b".into()],
                    delimiter: None,
                },
            },
            pipeline,
            predictor,
        }
    }

    fn refusal(bytes: &[u8]) -> String {
        match Model::from_bytes(bytes) {
            Ok(_) => panic!("accepted"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_saved_model_loads_and_damage_is_refused() {
        let bytes = model().to_bytes().unwrap();
        let back = Model::from_bytes(&bytes).unwrap();
        assert_eq!(back.info, model().info);

        let mut newer = bytes.clone();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert!(refusal(&newer).contains("newer sweep"));
        newer[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(refusal(&newer).contains("no sweep wrote"));
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(refusal(&flipped).contains("checksum"));
        assert!(refusal(&bytes[..bytes.len() - 5]).contains("truncated"));
        assert!(refusal(b"PK\x03\x04 a zip file").contains("not a sweep model file"));
    }

    /// The file's bytes with its checksum made to match, as someone editing it on purpose would.
    fn rechecksummed(mut bytes: Vec<u8>) -> Vec<u8> {
        let digest = Sha256::digest(&bytes[HEADER_LEN..]);
        bytes[20..52].copy_from_slice(&digest);
        bytes
    }

    #[test]
    fn a_model_edited_on_purpose_is_refused_as_inconsistent() {
        let mut wider = model();
        wider.info.schema.columns.push(crate::data::InputColumn {
            name: "b".into(),
            coding: crate::data::schema::Coding::Number,
        });
        let refused = refusal(&rechecksummed(wider.to_bytes().unwrap()));
        assert!(
            refused.contains("the model file is inconsistent"),
            "{refused}"
        );

        let mut more_classes = model();
        more_classes.info.schema.class_labels.push("c".into());
        let refused = refusal(&rechecksummed(more_classes.to_bytes().unwrap()));
        assert!(refused.contains("3 classes"), "{refused}");

        let mut unsorted = model();
        unsorted.info.schema.columns[0].coding = crate::data::schema::Coding::Category {
            levels: vec!["b".into(), "a".into()],
        };
        let refused = refusal(&rechecksummed(unsorted.to_bytes().unwrap()));
        assert!(refused.contains("sorted order"), "{refused}");
    }
}
