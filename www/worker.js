// Web Worker: loads the wasm module, the weights and the template library, runs predictions.
// All the logic (parsing, option checks, device choice, template search and model, network, PDB
// text) is in Rust (src/web.rs); this file only moves bytes and messages.
//
// Two roles. The primary worker ('configure') loads everything and predicts; when the engine
// choice is fragment assembly, it asks the page ('assembly') to run the trajectories and waits
// for them ('decoys'), then finishes the model. Helper workers ('helper', started by
// www/pool.js) load only the program and the template library. Both run trajectories on request
// ('trajectories'): each worker is its own wasm instance, so they run in parallel.
import wasmInit, { init, check, predict, finish_assembly, trajectories, memory_bytes, archive, max_len, version, load_templates, templates_unavailable } from './pkg/webfold.js';

const WEIGHTS_URL = 'weights/webfold.safetensors';
const LIBRARY_URL = 'templates/library.wftl';
let ready = null;      // Promise of the init() result, once per worker
let library = null;    // Promise of the library's loading (true: loaded, false: not); never rejects
let options = { allowGpu: true, gpuFailure: null };
let phase = 'idle';    // for error reports: which step failed
let wasmReady = null;  // one instance per worker
const loadWasm = () => (wasmReady ??= wasmInit());

const post = (msg, transfer = []) => self.postMessage(msg, transfer);

// A download that receives nothing for this long is abandoned (the page must not wait forever).
const STALL_MS = 60_000;

// Downloads URL, reporting {type: 'progress', stage, loaded, total} in bytes as it arrives.
async function download(url, stage, what) {
  const abort = new AbortController();
  let watchdog = setTimeout(() => abort.abort(), STALL_MS);
  const alive = () => { clearTimeout(watchdog); watchdog = setTimeout(() => abort.abort(), STALL_MS); };
  const why = (e) => (abort.signal.aborted ? `no data for ${STALL_MS / 1000} s` : describe(e));
  try {
    return await downloadWith(url, stage, what, abort.signal, alive, why);
  } finally {
    clearTimeout(watchdog);
  }
}

async function downloadWith(url, stage, what, signal, alive, why) {
  let res;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    throw new Error(`could not fetch ${what} (${url}): ${why(e)}`);
  }
  alive();
  if (!res.ok) throw new Error(`could not fetch ${what} (${url}): HTTP ${res.status}`);
  const total = Number(res.headers.get('Content-Length')) || 0;
  post({ type: 'progress', stage, loaded: 0, total });
  if (!res.body) {
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (e) {
      throw new Error(`the download of ${what} (${url}) broke off: ${why(e)}`);
    }
  }
  const reader = res.body.getReader();
  const parts = [];
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      alive();
      parts.push(value);
      loaded += value.length;
      post({ type: 'progress', stage, loaded, total });
    }
  } catch (e) {
    throw new Error(`the download of ${what} (${url}) broke off after ${loaded} bytes: ${why(e)}`);
  }
  const bytes = new Uint8Array(loaded);
  let off = 0;
  for (const p of parts) { bytes.set(p, off); off += p.length; }
  return bytes;
}

// The template library, fetched once the model is ready (the page is usable meanwhile). Reports
// {type: 'library', state: 'ready', chains, residues, source, ...} or {state: 'failed', message};
// a failure only means that predictions use the network.
async function loadLibrary() {
  const t0 = performance.now();
  try {
    const bytes = await download(LIBRARY_URL, 'library', 'the template library');
    const fetchMs = performance.now() - t0;
    post({ type: 'library', state: 'reading' });
    const info = load_templates(bytes);
    post({ type: 'library', state: 'ready', ...info, fetch_ms: fetchMs, total_ms: performance.now() - t0 });
    return true;
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) {
      // A panic: this instance is unusable.
      post({ type: 'fatal', phase: 'reading the template library', fatal: true, message: describe(e) });
      return false;
    }
    const message = describe(e);
    try { templates_unavailable(message); } catch (_) { /* already recorded by load_templates */ }
    post({ type: 'library', state: 'failed', message });
    return false;
  }
}

async function start() {
  phase = 'loading the program';
  post({ type: 'progress', stage: 'wasm' });
  await loadWasm();
  post({ type: 'limits', maxLen: max_len(), version: version() });
  phase = 'loading the weights';
  const weights = await download(WEIGHTS_URL, 'weights', 'the weights');
  phase = 'starting the backend';
  post({ type: 'progress', stage: 'device', allowGpu: options.allowGpu });
  const info = await init(weights, options.allowGpu, options.gpuFailure ?? undefined);
  phase = 'idle';
  post({ type: 'ready', ...info });
  library = loadLibrary();
  return info;
}

// A helper: the program and the template library only (no weights: it runs trajectories).
// Resolves to {load_ms, wasm_memory_bytes}; rejects with the reason it cannot help.
async function startHelper() {
  const t0 = performance.now();
  phase = 'loading the program (helper)';
  await loadWasm();
  phase = 'loading the template library (helper)';
  const bytes = await download(LIBRARY_URL, 'library', 'the template library');
  load_templates(bytes);
  phase = 'idle';
  return { load_ms: performance.now() - t0, wasm_memory_bytes: memory_bytes() };
}
let helperReady = null;  // Promise of startHelper(), in a helper

// The primary's assembly waiting for its trajectories: {req, index, resolve, reject}.
let waiting = null;

// Runs trajectories msg.from..msg.to of the assembly the page asked for; replies with them
// packed (src/web.rs trajectories) or with the error.
async function runTrajectories(msg) {
  const { job, from, to } = msg;
  try {
    if (helperReady) await helperReady;
    else await library;
    const packed = trajectories(msg.text, msg.options, msg.index, from, to);
    post({ type: 'trajectories', job, from, to, packed, wasm_memory_bytes: memory_bytes() }, [packed.buffer]);
  } catch (e) {
    post({ type: 'trajectories-error', job, from, to, fatal: e instanceof WebAssembly.RuntimeError, message: describe(e) });
  }
}

// The assembly of record `index`: the page runs its trajectories on every worker and sends them
// back in trajectory order; then this worker picks and builds the model (same PDB as the CLI's).
async function assemble(msg, pending) {
  phase = 'assembling from fragments';
  const decoys = new Promise((resolve, reject) => { waiting = { req: msg.req, index: pending.index, resolve, reject }; });
  post({ type: 'assembly', req: msg.req, text: msg.text, options: msg.options, ...pending });
  const reply = await decoys;
  phase = 'finishing the assembled model';
  const result = finish_assembly(pending.index, reply.packed);
  return { ...result, workers: reply.workers, helpers: reply.helpers };
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
      // A batch: every record of msg.text from msg.from on, one result message per record.
      if (!ready) ready = start();
      // Bad input or options are reported at once, before waiting for the weights or the device.
      await loadWasm();
      let summary;
      try {
        summary = check(msg.text, msg.options);
      } catch (e) {
        post({ type: 'input-error', req: msg.req, message: describe(e) });
        return;
      }
      post({ type: 'checked', req: msg.req, ...summary });
      const info = await ready;
      const templates = msg.options.useTemplates;
      if (templates) {
        // Like `webfold predict`: the library is searched first, so wait until it is loaded (or
        // has failed: then the network predicts and the page says why).
        phase = 'waiting for the template library';
        post({ type: 'progress', stage: 'library-wait', req: msg.req });
        await library;
      }
      const count = summary.records.length;
      for (let index = msg.from || 0; index < count; index++) {
        const { id, length } = summary.records[index];
        phase = count > 1 ? `predicting record ${index + 1} of ${count} (${id}) on ${info.backend}` : `predicting on ${info.backend}`;
        post({ type: 'progress', stage: 'model', req: msg.req, backend: info.backend, length, templates, index, count, id });
        const t0 = performance.now();
        let result = await predict(msg.text, msg.options, index);
        if (result.pending === 'assembly') result = await assemble(msg, result);
        const ms = performance.now() - t0;
        post({ type: 'result', req: msg.req, ms, ...result });
      }
      phase = 'idle';
      post({ type: 'batch-done', req: msg.req, count });
    } else if (msg.type === 'helper') {
      helperReady = startHelper();
      try {
        post({ type: 'helper-ready', ...(await helperReady) });
      } catch (e) {
        post({ type: 'helper-failed', phase, message: describe(e) });
      }
    } else if (msg.type === 'trajectories') {
      await runTrajectories(msg);
    } else if (msg.type === 'decoys' || msg.type === 'decoys-failed') {
      // The page's answer to 'assembly': every trajectory, or why they could not be run.
      const w = waiting;
      if (!w || w.req !== msg.req || w.index !== msg.index) return;
      waiting = null;
      if (msg.type === 'decoys') w.resolve(msg);
      else w.reject(new Error(msg.message));
    } else if (msg.type === 'archive') {
      await loadWasm();
      try {
        const bytes = archive(msg.files, msg.stamp);
        post({ type: 'archive', req: msg.req, name: msg.name, bytes }, [bytes.buffer]);
      } catch (e) {
        post({ type: 'archive-error', req: msg.req, message: describe(e) });
      }
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
