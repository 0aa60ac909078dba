//! The embedded risk model: a small MLP trained on simulated traffic
//! (scripts/train-model), shipped as ONNX inside the WebAssembly and run by
//! tract. Loaded, optimized and planned once per instance, on first use; one
//! execution state is kept and reused, so a decision allocates no plan.
//!
//! A model that fails to load or to run never fails a login: the rules' score
//! is used instead and the audit says so (`model` is null).

use std::sync::{Mutex, OnceLock};

use tract_onnx::prelude::*;
use tract_onnx::tract_core::internal::TractErrorContext;

use super::features::FEATURE_NAMES;

pub const MODEL_VERSION: &str = "risk-v1";
const MODEL_BYTES: &[u8] = include_bytes!("../../models/risk-v1.onnx");
const FEATURES: usize = FEATURE_NAMES.len();

pub struct Model {
    state: Mutex<TypedSimpleState>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MODEL_VERSION)
    }
}

impl Model {
    pub fn load(bytes: &[u8]) -> TractResult<Model> {
        let plan = tract_onnx::onnx()
            .model_for_read(&mut &*bytes)
            .context("reading the ONNX model")?
            .with_input_fact(0, f32::fact([1, FEATURES]).into())
            .context("fixing the input shape to one row of features")?
            .into_optimized()
            .context("optimizing the model")?
            .into_runnable()
            .context("planning the model")?;
        let state = plan.spawn().context("creating the execution state")?;
        Ok(Model { state: Mutex::new(state) })
    }

    /// The probability that the login is an attack, or None if the model failed.
    pub fn score(&self, features: &[f32; FEATURES]) -> Option<f64> {
        let mut state = self.state.lock().ok()?;
        let input = Tensor::from_shape(&[1, FEATURES], features).ok()?;
        let outputs = state.run(tvec!(input.into_tvalue())).ok()?;
        let probabilities = outputs.first()?.to_plain_array_view::<f32>().ok()?;
        let p = f64::from(*probabilities.get([0, 1])?);
        p.is_finite().then_some(p.clamp(0.0, 1.0))
    }
}

static EMBEDDED: OnceLock<Option<Model>> = OnceLock::new();

/// The embedded model, loaded on first use; None if it cannot be loaded.
pub fn embedded() -> Option<&'static Model> {
    EMBEDDED.get_or_init(|| Model::load(MODEL_BYTES).ok()).as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct Parity {
        inputs: Vec<Vec<f32>>,
        outputs: Vec<f64>,
    }

    /// tract must reproduce onnxruntime's outputs, recorded at training time.
    #[test]
    fn tract_matches_onnxruntime_within_1e_5() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/model/parity.json")).unwrap();
        let parity: Parity = serde_json::from_str(&text).unwrap();
        let model = embedded().expect("the embedded model loads");
        assert!(parity.inputs.len() >= 60);
        for (x, want) in parity.inputs.iter().zip(&parity.outputs) {
            let x: [f32; FEATURES] = x.as_slice().try_into().unwrap();
            let got = model.score(&x).unwrap();
            assert!((got - want).abs() < 1e-5, "input {x:?}: tract {got}, onnxruntime {want}");
        }
    }

    #[test]
    fn a_broken_model_is_an_error_not_a_panic() {
        assert!(Model::load(b"not an onnx model").is_err());
        assert!(Model::load(&MODEL_BYTES[..MODEL_BYTES.len() / 2]).is_err());
    }
}
