'use strict';
// Baseline for benchmarks: the plain-JavaScript rules plus the same ONNX risk model
// (models/risk-v1.onnx) run from JavaScript by onnxruntime-web (WebAssembly, one
// thread), the way a team would add a model to a hand-written Action. Feature vectors
// come from the caller (scripts/bench computes them once with the core), so what is
// timed is the rules and the inference.

const fs = require('node:fs');
const path = require('node:path');
const rules = require('./plain-js-rules');

async function create() {
  const ort = require(path.join(__dirname, 'node_modules', 'onnxruntime-web'));
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(fs.readFileSync(path.join(__dirname, '..', '..', 'models', 'risk-v1.onnx')), { executionProviders: ['wasm'] });
  const [input] = session.inputNames;
  const output = session.outputNames[session.outputNames.length - 1];
  return {
    async decide(ctx, vector) {
      const base = rules.decide(ctx);
      const out = await session.run({ [input]: new ort.Tensor('float32', Float32Array.from(vector), [1, vector.length]) });
      const modelScore = out[output].data[1];
      return { ...base, model_score: modelScore, score: Math.max(base.score, modelScore) };
    },
  };
}

module.exports = { create };
