// Web Worker: loads the wasm module and the weights, runs predictions. All the logic (parsing,
// device choice, model, PDB text) is in Rust (src/web.rs); this file only moves messages.
import wasmInit, { init, check, predict, max_len, version } from './pkg/webfold.js';

const WEIGHTS_URL = 'weights/webfold.safetensors';
let ready = null;      // Promise of the init() result, once per worker
let options = { allowGpu: true, gpuFailure: null };
let phase = 'idle';    // for error reports: which step failed
let wasmReady = null;  // one instance per worker
const loadWasm = () => (wasmReady ??= wasmInit());

const post = (msg) => self.postMessage(msg);

async function fetchWeights() {
  const res = await fetch(WEIGHTS_URL);
  if (!res.ok) throw new Error(`could not fetch the weights (${WEIGHTS_URL}): HTTP ${res.status}`);
  const total = Number(res.headers.get('Content-Length')) || 0;
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const parts = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    loaded += value.length;
    post({ type: 'progress', stage: 'weights', loaded, total });
  }
  const bytes = new Uint8Array(loaded);
  let off = 0;
  for (const p of parts) { bytes.set(p, off); off += p.length; }
  return bytes;
}

async function start() {
  phase = 'loading the program';
  post({ type: 'progress', stage: 'wasm' });
  await loadWasm();
  post({ type: 'limits', maxLen: max_len(), version: version() });
  phase = 'loading the weights';
  const weights = await fetchWeights();
  phase = 'starting the backend';
  post({ type: 'progress', stage: 'device', allowGpu: options.allowGpu });
  const info = await init(weights, options.allowGpu, options.gpuFailure ?? undefined);
  post({ type: 'ready', ...info });
  return info;
}

function describe(e) {
  if (e instanceof Error) return e.message || String(e);
  return String(e);
}

self.onmessage = async (ev) => {
  const msg = ev.data;
  try {
    if (msg.type === 'configure') {
      options = { allowGpu: msg.allowGpu, gpuFailure: msg.gpuFailure ?? null };
      ready = start();
      await ready;
    } else if (msg.type === 'predict') {
      if (!ready) ready = start();
      // Bad input is reported at once, before waiting for weights or the device.
      await loadWasm();
      let summary;
      try {
        summary = check(msg.text);
      } catch (e) {
        post({ type: 'input-error', req: msg.req, message: describe(e) });
        return;
      }
      post({ type: 'checked', req: msg.req, ...summary });
      const info = await ready;
      phase = `predicting on ${info.backend}`;
      post({ type: 'progress', stage: 'model', backend: info.backend, length: summary.length });
      const t0 = performance.now();
      const result = await predict(msg.text);
      const ms = performance.now() - t0;
      phase = 'idle';
      post({ type: 'result', req: msg.req, ms, ...result });
    }
  } catch (e) {
    // Rust errors arrive as Error objects with the Rust message; a panic arrives as a
    // WebAssembly.RuntimeError (its message is in the console) and leaves the module unusable.
    const fatal = e instanceof WebAssembly.RuntimeError;
    post({ type: 'fatal', req: msg.req, phase, fatal, message: describe(e) });
  }
};

self.addEventListener('unhandledrejection', (ev) => {
  post({ type: 'fatal', phase, fatal: true, message: describe(ev.reason) });
});
