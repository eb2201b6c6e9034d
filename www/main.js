// Page glue: sends the text to the worker, shows progress, the 3D view, the pLDDT plot and the
// download. Parsing, the model and the PDB text come from Rust (src/web.rs) via worker.js.

const $ = (id) => document.getElementById(id);
const els = {
  seq: $('sequence'), predict: $('predict'), cancel: $('cancel'), example: $('example'),
  progressBox: $('progress-box'), progress: $('progress'), progressText: $('progress-text'),
  status: $('status'), error: $('error'), warnings: $('warnings'), backend: $('backend'),
  summary: $('summary'), viewer: $('viewer'), plot: $('plot'), download: $('download'),
  maxLen: $('max-len'), version: $('version'),
};

// AlphaFold DB pLDDT bands.
const BANDS = [
  { min: 90, color: '#0053D6' }, { min: 70, color: '#65CBF3' },
  { min: 50, color: '#FFDB13' }, { min: -Infinity, color: '#FF7D45' },
];
const bandColor = (p) => BANDS.find((b) => p > b.min || b.min === -Infinity).color;

const EXAMPLE = '>gfp_1-80 (first 80 residues of GFP)\nMSKGEELFTGVVPILVELDGDVNGHKFSVSGEGEGDATYGKLTLKFICTTGKLPVPWPTLVTTLTYGVQCFSRYPDHMKQ';

const params = new URLSearchParams(location.search);
let gpuFailure = params.has('cpu') ? 'disabled by ?cpu in the address' : null;
let worker = null;
let backendInfo = null;
let running = null;  // {req, text, t0, timer}
let nextReq = 1;
let result = null;
let viewer = null;

function setBusy(busy) {
  els.predict.disabled = busy;
  els.cancel.disabled = !busy;
  els.progressBox.hidden = !busy;
  document.body.classList.toggle('busy', busy);
}

function showError(text) {
  els.error.textContent = text;
  els.error.hidden = !text;
}

function showWarnings(list) {
  els.warnings.replaceChildren(...list.map((w) => {
    const li = document.createElement('li');
    li.textContent = `Warning: ${w}`;
    return li;
  }));
  els.warnings.hidden = list.length === 0;
}

function setProgress(text, fraction) {
  els.progressText.textContent = text;
  if (fraction === undefined) els.progress.removeAttribute('value');
  else els.progress.value = fraction;
}

function showBackend(info) {
  backendInfo = info;
  els.backend.textContent = `Backend: ${info.backend} (${info.reason}).`;
  els.backend.dataset.backend = info.backend;
}

function newWorker() {
  const w = new Worker('worker.js', { type: 'module' });
  w.onmessage = (ev) => onMessage(ev.data);
  w.onerror = (ev) => {
    ev.preventDefault();
    failure({ message: ev.message || 'the worker failed to start', phase: 'starting the worker', fatal: true });
  };
  w.postMessage({ type: 'configure', allowGpu: gpuFailure === null, gpuFailure });
  return w;
}

function ensureWorker() {
  if (!worker) worker = newWorker();
  return worker;
}

function stopWorker() {
  if (worker) worker.terminate();
  worker = null;
  backendInfo = null;
}

function elapsed() {
  return running ? ((performance.now() - running.t0) / 1000).toFixed(1) : '0';
}

function onMessage(m) {
  switch (m.type) {
    case 'limits':
      els.maxLen.textContent = m.maxLen;
      els.version.textContent = m.version;
      break;
    case 'progress':
      if (!running) break;
      if (m.stage === 'wasm') setProgress('Loading the program…');
      else if (m.stage === 'weights') {
        const mb = (x) => (x / 1e6).toFixed(1);
        setProgress(`Loading the model weights: ${mb(m.loaded)}${m.total ? ` of ${mb(m.total)}` : ''} MB`,
          m.total ? m.loaded / m.total : undefined);
      } else if (m.stage === 'device') setProgress(m.allowGpu ? 'Starting WebGPU (or the CPU if it is unavailable)…' : 'Starting the CPU backend…');
      else if (m.stage === 'model') {
        running.model = { backend: m.backend, length: m.length };
        tick();
      }
      break;
    case 'ready':
      showBackend(m);
      break;
    case 'checked':
      if (running && m.req === running.req) showWarnings(m.warnings);
      break;
    case 'input-error':
      if (!running || m.req !== running.req) break;
      finish();
      showError(m.message);
      els.status.textContent = 'The input was not accepted.';
      break;
    case 'result':
      if (!running || m.req !== running.req) break;
      finish();
      showResult(m);
      break;
    case 'fatal':
      failure(m);
      break;
  }
}

function tick() {
  if (running && running.model) {
    const { backend, length } = running.model;
    setProgress(`Running the model on ${backend} (${length} residues)… ${elapsed()} s`);
  }
}

function failure(m) {
  const wasGpu = backendInfo ? backendInfo.backend === 'WebGPU' : gpuFailure === null;
  const text = running ? running.text : null;
  stopWorker();
  if (wasGpu && gpuFailure === null) {
    // WebGPU broke (device lost, out of memory, shader error, panic): retry on the CPU.
    gpuFailure = `${m.phase}: ${m.message}`;
    els.status.textContent = `WebGPU failed (${gpuFailure}); retrying on the CPU…`;
    if (text !== null) {
      running = null;
      start(text);
    } else {
      ensureWorker();
    }
    return;
  }
  finish();
  showError(`Something went wrong while ${m.phase}: ${m.message}`);
  els.status.textContent = 'Prediction failed.';
}

function finish() {
  if (running) clearInterval(running.timer);
  running = null;
  setBusy(false);
}

function start(text) {
  showError('');
  const req = nextReq++;
  running = { req, text, t0: performance.now(), timer: setInterval(tick, 200) };
  setBusy(true);
  setProgress('Starting…');
  els.status.textContent = 'Working…';
  ensureWorker().postMessage({ type: 'predict', req, text });
}

els.predict.addEventListener('click', () => {
  showWarnings([]);
  start(els.seq.value);
});

els.cancel.addEventListener('click', () => {
  if (!running) return;
  stopWorker();  // the only way to stop wasm mid-computation; the next run starts a fresh worker
  finish();
  els.status.textContent = 'Cancelled.';
});

els.example.addEventListener('click', () => { els.seq.value = EXAMPLE; });

els.download.addEventListener('click', () => {
  if (!result) return;
  const blob = new Blob([result.pdb], { type: 'chemical/x-pdb' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = result.file_name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
});

function showResult(r) {
  result = r;
  const secs = (r.ms / 1000).toFixed(1);
  els.summary.textContent = `${r.id}: ${r.sequence.length} residues, mean pLDDT ${r.mean.toFixed(1)}, predicted in ${secs} s on ${r.backend}.`;
  els.status.textContent = `Done in ${secs} s.`;
  // Read by the browser benchmark (tests/browser/bench.mjs).
  Object.assign(els.summary.dataset, {
    modelMs: r.model_ms.toFixed(1), postMs: r.post_ms.toFixed(1), gflop: r.gflop.toFixed(3),
    wasmMemoryBytes: String(r.wasm_memory_bytes), length: String(r.sequence.length),
  });
  showWarnings(r.warnings);
  els.download.disabled = false;
  els.download.textContent = `Download PDB (${r.file_name})`;
  drawPlot(r.plddt, r.mean);
  drawStructure(r.pdb);
  document.body.dataset.state = 'done';
}

function drawStructure(pdb) {
  if (typeof $3Dmol === 'undefined') {
    els.viewer.textContent = 'The 3D viewer did not load.';
    return;
  }
  try {
    if (!viewer) viewer = $3Dmol.createViewer(els.viewer, { backgroundColor: 'white', antialias: true });
    if (!viewer) throw new Error('WebGL is not available');
    viewer.clear();
    viewer.addModel(pdb, 'pdb');
    const colorfunc = (atom) => bandColor(atom.b);
    viewer.setStyle({}, { cartoon: { colorfunc, thickness: 0.4 } });
    viewer.addStyle({ atom: 'CA' }, { sphere: { colorfunc, radius: 0.35 } });
    viewer.zoomTo();
    viewer.render();
  } catch (e) {
    viewer = null;
    els.viewer.textContent = `3D view unavailable (${e.message || e}); the PDB file and the plot are still valid.`;
  }
}

const SVG = 'http://www.w3.org/2000/svg';
function svgEl(name, attrs, text) {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function drawPlot(plddt, mean) {
  const W = 640, H = 220, L = 44, R = 12, T = 12, B = 34;
  const n = plddt.length;
  const x = (i) => L + (n <= 1 ? 0 : (i * (W - L - R)) / (n - 1));
  const y = (p) => T + ((100 - p) * (H - T - B)) / 100;
  const svg = svgEl('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': `pLDDT per residue, mean ${mean.toFixed(1)}` });
  const bands = [[90, 100, '#0053D6'], [70, 90, '#65CBF3'], [50, 70, '#FFDB13'], [0, 50, '#FF7D45']];
  for (const [lo, hi, c] of bands) {
    svg.append(svgEl('rect', { x: L, y: y(hi), width: W - L - R, height: y(lo) - y(hi), fill: c, 'fill-opacity': 0.18 }));
  }
  for (const p of [0, 50, 70, 90, 100]) {
    svg.append(svgEl('line', { x1: L - 4, x2: L, y1: y(p), y2: y(p), stroke: '#333' }));
    svg.append(svgEl('text', { x: L - 7, y: y(p) + 4, 'text-anchor': 'end', class: 'tick' }, String(p)));
  }
  const step = Math.max(1, Math.ceil(n / 10 / 10) * 10);
  for (let i = 0; i < n; i += step) {
    svg.append(svgEl('text', { x: x(i), y: H - B + 16, 'text-anchor': 'middle', class: 'tick' }, String(i + 1)));
  }
  svg.append(svgEl('text', { x: (L + W - R) / 2, y: H - 4, 'text-anchor': 'middle', class: 'axis' }, 'Residue'));
  svg.append(svgEl('text', { x: 12, y: (T + H - B) / 2, 'text-anchor': 'middle', class: 'axis', transform: `rotate(-90 12 ${(T + H - B) / 2})` }, 'pLDDT'));
  const pts = Array.from(plddt, (p, i) => `${x(i).toFixed(1)},${y(p).toFixed(1)}`).join(' ');
  svg.append(svgEl('polyline', { points: pts, fill: 'none', stroke: '#222', 'stroke-width': 1.5 }));
  for (let i = 0; i < n; i++) {
    const dot = svgEl('circle', { cx: x(i), cy: y(plddt[i]), r: n > 300 ? 1 : 2.2, fill: bandColor(plddt[i]) });
    dot.append(svgEl('title', {}, `residue ${i + 1}: pLDDT ${plddt[i].toFixed(1)}`));
    svg.append(dot);
  }
  svg.append(svgEl('line', { x1: L, x2: W - R, y1: y(mean), y2: y(mean), stroke: '#000', 'stroke-dasharray': '5 4', class: 'mean' }));
  svg.append(svgEl('text', { x: W - R - 4, y: y(mean) - 5, 'text-anchor': 'end', class: 'mean-label' }, `mean ${mean.toFixed(1)}`));
  els.plot.replaceChildren(svg);
}

// Offline use after the first visit.
if ('serviceWorker' in navigator && !params.has('nosw')) {
  navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker not registered:', e));
}

// Start loading the program and weights right away, so that the first prediction is quicker.
ensureWorker();
