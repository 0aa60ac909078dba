//! The embedded risk model: a small MLP trained on simulated traffic
//! (scripts/train-model), run by tract. The ONNX file is compiled at build time
//! (scripts/sim/compile_model.py) into its dense layers, and the runtime rebuilds
//! that graph with tract-core ops: carrying tract-onnx (every ONNX operator, the
//! protobuf reader, the inference-level ops) for a graph of six operators made
//! the module about twice as large and every cold start slower (V8 validates
//! all of it at instantiation; docs/benchmarks.md has the figures).
//!
//! The graph is planned as built, without tract's optimizer: its layers are
//! already the plain matrix products (`PrefixMatMul`), bias adds and activations
//! the optimizer would fuse. Optimizing runs tract's declutter and codegen
//! passes, whose code V8 then compiles on the first call of every cold start;
//! the unfused plan costs a little per decision instead (docs/benchmarks.md).
//! One execution state is kept and reused, so a decision allocates no plan.
//!
//! A model that fails to load or to run never fails a login: the rules' score
//! is used instead and the audit says so (`model` is null).

use std::sync::{Mutex, OnceLock};

use tract_core::internal::{ensure, TractErrorContext};
use tract_core::ops::einsum::prefix_matmul::PrefixMatMul;
use tract_core::ops::{math, nn};
use tract_core::prelude::*;

use super::features::FEATURE_NAMES;

pub const MODEL_VERSION: &str = "risk-v1";
const MODEL_BYTES: &[u8] = include_bytes!("../../models/risk-v1.dense");
const FEATURES: usize = FEATURE_NAMES.len();
const MAGIC: &[u8; 8] = b"AGDENSE1";
// Layers wider than this are not a "small embedded model": refuse before allocating.
const MAX_UNITS: usize = 1024;

pub struct Model {
    state: Mutex<TypedSimpleState>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(MODEL_VERSION)
    }
}

/// One dense layer as compiled: `weights` is [inputs][outputs], row-major.
struct Dense {
    inputs: usize,
    outputs: usize,
    /// relu when true, else sigmoid.
    relu: bool,
    weights: Vec<f32>,
    bias: Vec<f32>,
}

/// The compiled form, read front to back; every length is checked against what is left.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> TractResult<&'a [u8]> {
        ensure!(self.0.len() >= n, "the compiled model is truncated");
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Ok(head)
    }

    fn u32(&mut self) -> TractResult<usize> {
        let b: [u8; 4] = self.take(4)?.try_into()?;
        Ok(u32::from_le_bytes(b) as usize)
    }

    fn floats(&mut self, n: usize) -> TractResult<Vec<f32>> {
        let raw = self.take(n.checked_mul(4).context("length overflow")?)?;
        Ok(raw.chunks_exact(4).filter_map(|c| c.try_into().ok()).map(f32::from_le_bytes).collect())
    }
}

fn read_layers(bytes: &[u8]) -> TractResult<Vec<Dense>> {
    let mut r = Reader(bytes.strip_prefix(MAGIC.as_slice()).context("not a compiled dense model (magic)")?);
    let _source_sha256 = r.take(32)?;
    let count = r.u32()?;
    ensure!((1..=8).contains(&count), "{count} layers: expected 1 to 8");
    let mut layers = Vec::with_capacity(count);
    for _ in 0..count {
        let (inputs, outputs, activation) = (r.u32()?, r.u32()?, r.u32()?);
        ensure!(inputs <= MAX_UNITS && outputs <= MAX_UNITS, "layer of {inputs}x{outputs} units");
        ensure!(activation == 1 || activation == 2, "unknown activation {activation}");
        let weights = r.floats(inputs * outputs)?;
        let bias = r.floats(outputs)?;
        layers.push(Dense { inputs, outputs, relu: activation == 1, weights, bias });
    }
    ensure!(r.0.is_empty(), "trailing bytes after the last layer");
    Ok(layers)
}

/// x[1, k] · W[k, n], both as laid out.
const MATMUL: PrefixMatMul =
    PrefixMatMul { transpose_a: false, transpose_b: false, transpose_c: false, quantize_output: None, operating_dt: Some(DatumType::F32) };

/// The compiled layers as a tract graph: x[1, in] · W + b, then relu or sigmoid.
fn graph(layers: &[Dense]) -> TractResult<TypedModel> {
    let mut model = TypedModel::default();
    let mut x = model.add_source("features", f32::fact([1, FEATURES]))?;
    let mut width = FEATURES;
    for (i, layer) in layers.iter().enumerate() {
        ensure!(layer.inputs == width, "layer {i} takes {} inputs, not {width}", layer.inputs);
        let w = model.add_const(format!("w{i}"), Tensor::from_shape(&[layer.inputs, layer.outputs], &layer.weights)?)?;
        let b = model.add_const(format!("b{i}"), Tensor::from_shape(&[1, layer.outputs], &layer.bias)?)?;
        let y = wire(&mut model, format!("matmul{i}"), MATMUL, &[x, w])?;
        let y = wire(&mut model, format!("add{i}"), math::add(), &[y, b])?;
        x = if layer.relu {
            let zero = model.add_const(format!("zero{i}"), Tensor::from_shape(&[1, 1], &[0f32])?)?;
            wire(&mut model, format!("relu{i}"), math::max(), &[y, zero])?
        } else {
            wire(&mut model, format!("sigmoid{i}"), nn::sigmoid(), &[y])?
        };
        width = layer.outputs;
    }
    ensure!(width == 1, "the last layer has {width} outputs, not one probability");
    model.select_output_outlets(&[x])?;
    Ok(model)
}

/// Adds a node with one output and returns that output.
fn wire(model: &mut TypedModel, name: String, op: impl Into<Box<dyn TypedOp>>, inputs: &[OutletId]) -> TractResult<OutletId> {
    model.wire_node(name, op, inputs)?.first().copied().context("a node without an output")
}

impl Model {
    pub fn load(bytes: &[u8]) -> TractResult<Model> {
        let layers = read_layers(bytes).context("reading the compiled model")?;
        let plan = graph(&layers).context("building the model graph")?.into_runnable().context("planning the model")?;
        let state = plan.spawn().context("creating the execution state")?;
        Ok(Model { state: Mutex::new(state) })
    }

    /// The probability that the login is an attack, or None if the model failed.
    pub fn score(&self, features: &[f32; FEATURES]) -> Option<f64> {
        let mut state = self.state.lock().ok()?;
        let input = Tensor::from_shape(&[1, FEATURES], features).ok()?;
        let outputs = state.run(tvec!(input.into_tvalue())).ok()?;
        let probability = outputs.first()?.to_plain_array_view::<f32>().ok()?;
        let p = f64::from(*probability.get([0, 0])?);
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

    /// The build uses vendor/tract-core with its start-up registrations off: were the
    /// `[patch]` dropped (a version that no longer matches the pin), crates.io's
    /// tract-core would come back with them, and 2 MB of optimizer and transforms
    /// with it, while every other test passed (vendor/README.md).
    #[test]
    fn tract_registers_no_runtime_and_no_transform() {
        assert_eq!(tract_core::runtime::runtimes().count(), 0);
        for name in ["batchify", "conv_nhwc", "set_symbols", "select_outputs", "f32_to_f16", "float_precision"] {
            assert!(tract_core::transform::get_transform(name).unwrap().is_none(), "{name} is registered");
        }
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
        assert!(Model::load(b"not a model").is_err());
        for cut in [8, 40, 44, 56, MODEL_BYTES.len() / 2, MODEL_BYTES.len() - 1] {
            assert!(Model::load(&MODEL_BYTES[..cut]).is_err(), "truncated at {cut}");
        }
        let mut longer = MODEL_BYTES.to_vec();
        longer.push(0);
        assert!(Model::load(&longer).is_err(), "trailing bytes");
        let mut huge = MODEL_BYTES.to_vec();
        huge[44..48].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Model::load(&huge).is_err(), "a layer wider than any small model");
    }

    /// The compiled form must come from the ONNX file shipped beside it: a
    /// retrained model that was not recompiled fails here.
    #[test]
    fn the_compiled_model_is_compiled_from_the_shipped_onnx() {
        use sha2::{Digest, Sha256};
        let onnx = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/models/risk-v1.onnx")).unwrap();
        assert_eq!(
            MODEL_BYTES.get(8..40).unwrap(),
            Sha256::digest(&onnx).as_slice(),
            "run: python3 scripts/sim/compile_model.py models/risk-v1.onnx models/risk-v1.dense"
        );
    }
}
