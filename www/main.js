// Page glue: sends the text and the template options to the worker, shows progress, the
// records of a batch, the template table, the 3D view, the pLDDT plot and the downloads.
// Parsing, option checks, the template search and model, the network, the PDB and mmCIF texts
// and the zip archive come from Rust (src/web.rs) via worker.js; the assembly's trajectories run
// on several workers (pool.js).
import { TrajectoryPool } from './pool.js';

const $ = (id) => document.getElementById(id);
const els = {
  seq: $('sequence'), predict: $('predict'), cancel: $('cancel'), example: $('example'),
  progressBox: $('progress-box'), progress: $('progress'), progressText: $('progress-text'),
  status: $('status'), error: $('error'), warnings: $('warnings'), backend: $('backend'),
  summary: $('summary'), viewer: $('viewer'), plot: $('plot'), download: $('download'),
  downloadCif: $('download-cif'), downloadAll: $('download-all'), records: $('records'),
  recordList: $('record-list'), copyLink: $('copy-link'),
  maxLen: $('max-len'), version: $('version'),
  useTemplates: $('use-templates'), evalue: $('template-evalue'), exclude: $('exclude-templates'),
  maxIdentity: $('max-template-identity'), tentative: $('tentative-evalue'), library: $('library'), libraryText: $('library-text'),
  libraryProgress: $('library-progress'), templates: $('templates'), templateRows: $('template-rows'),
  templateNote: $('template-note'), alignmentText: $('alignment-text'), sideChains: $('side-chains'),
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
let running = null;  // the run in progress: {req, t0, timer, model, waitLibrary}
let nextReq = 1;
// The batch (every record of one input): {text, options, records: [{id, length}], results:
// [per record, once predicted], t0, picked}; kept after the run for the downloads.
let batch = null;
let result = null;   // the record shown
let viewer = null;
let libraryState = null;  // the worker's last {type: 'library', ...} message
// Helper workers that failed during this run (shown with the warnings; their work was redone).
let helperNotes = [];
const pool = new TrajectoryPool({
  onProgress: (p) => {
    if (running && running.model) { running.model.decoys = p; tick(); }
  },
  onHelperFailed: (text) => { helperNotes.push(text); showWarnings(shownWarnings); },
});
let shownWarnings = [];

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
  shownWarnings = list;
  const all = [...list, ...helperNotes];
  els.warnings.replaceChildren(...all.map((w) => {
    const li = document.createElement('li');
    li.textContent = `Warning: ${w}`;
    return li;
  }));
  els.warnings.hidden = all.length === 0;
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

const mb = (x) => (x / 1e6).toFixed(1);

function showLibrary(m) {
  libraryState = m;
  let text;
  if (m.state === 'loading') {
    text = `Template library: downloading ${mb(m.loaded)}${m.total ? ` of ${mb(m.total)}` : ''} MB…`;
    if (m.total) els.libraryProgress.value = m.loaded / m.total;
    else els.libraryProgress.removeAttribute('value');
  } else if (m.state === 'reading') {
    text = 'Template library: reading…';
    els.libraryProgress.removeAttribute('value');
  } else if (m.state === 'ready') {
    text = `Template library: ${m.chains.toLocaleString('en-US')} chains (${m.residues.toLocaleString('en-US')} residues, ${m.source}), ready.`;
  } else if (m.state === 'failed') {
    text = `Template library: could not be loaded (${m.message}). Predictions use the network only.`;
  } else if (m.state === 'stopped') {
    text = 'Template library: loads again with the next prediction.';
  } else {
    text = 'Template library: loads once the model is ready.';
  }
  els.libraryText.textContent = text;
  els.libraryProgress.hidden = !(m.state === 'loading' || m.state === 'reading');
  els.library.dataset.state = m.state || 'waiting';
  if (m.state === 'ready') {
    // Read by the browser benchmark (tests/browser/bench.mjs).
    Object.assign(els.library.dataset, {
      fetchMs: m.fetch_ms.toFixed(1), readMs: m.ms.toFixed(1), totalMs: m.total_ms.toFixed(1),
      wasmMemoryBytes: String(m.wasm_memory_bytes), readyAtMs: performance.now().toFixed(0),
    });
  }
}

function templateOptions() {
  return {
    useTemplates: els.useTemplates.checked, evalue: els.evalue.value, exclude: els.exclude.value,
    maxIdentity: els.maxIdentity.value, tentative: els.tentative.value,
  };
}

function newWorker() {
  const w = new Worker('worker.js', { type: 'module' });
  w.onmessage = (ev) => onMessage(ev.data);
  w.onerror = (ev) => {
    ev.preventDefault();
    failure({ message: ev.message || 'the worker failed to start', phase: 'starting the worker', fatal: true });
  };
  w.postMessage({ type: 'configure', allowGpu: gpuFailure === null, gpuFailure });
  showLibrary({ state: 'waiting' });
  return w;
}

function ensureWorker() {
  if (!worker) worker = newWorker();
  return worker;
}

function stopWorker() {
  pool.stop();
  if (worker) worker.terminate();
  worker = null;
  backendInfo = null;
  showLibrary({ state: 'stopped' });
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
      if (m.stage === 'library') {
        showLibrary({ state: 'loading', loaded: m.loaded, total: m.total });
        if (running && running.waitLibrary) {
          setProgress(`Loading the template library: ${mb(m.loaded)}${m.total ? ` of ${mb(m.total)}` : ''} MB`,
            m.total ? m.loaded / m.total : undefined);
        }
        break;
      }
      if (!running) break;
      if (m.stage === 'wasm') setProgress('Loading the program…');
      else if (m.stage === 'weights') {
        setProgress(`Loading the model weights: ${mb(m.loaded)}${m.total ? ` of ${mb(m.total)}` : ''} MB`,
          m.total ? m.loaded / m.total : undefined);
      } else if (m.stage === 'device') setProgress(m.allowGpu ? 'Starting WebGPU (or the CPU if it is unavailable)…' : 'Starting the CPU backend…');
      else if (m.stage === 'library-wait') {
        running.waitLibrary = true;
        if (libraryState && libraryState.state === 'reading') setProgress('Reading the template library…');
        else setProgress('Loading the template library…');
      } else if (m.stage === 'model') {
        running.waitLibrary = false;
        running.model = m;
        showRecords();
        tick();
      }
      break;
    case 'assembly':
      // No template: the trajectories run on every worker (pool.js), then the primary finishes.
      if (!running || m.req !== running.req) break;
      pool.run(worker, m);
      break;
    case 'trajectories':
    case 'trajectories-error':
      pool.fromPrimary(m);
      break;
    case 'library':
      showLibrary(m);
      if (running && running.waitLibrary && m.state === 'reading') setProgress('Reading the template library…');
      break;
    case 'ready':
      showBackend(m);
      break;
    case 'checked':
      if (!running || m.req !== running.req) break;
      showWarnings(m.warnings);
      batch.records = m.records;
      showRecords();
      break;
    case 'input-error':
      if (!running || m.req !== running.req) break;
      finish();
      showError(m.message);
      els.status.textContent = 'The input was not accepted.';
      break;
    case 'result':
      if (!running || m.req !== running.req) break;
      batch.results[m.index] = m;
      // Each record is shown as it arrives, unless the user picked another one meanwhile.
      if (!batch.picked) showResult(m);
      showRecords();
      break;
    case 'batch-done':
      if (!running || m.req !== running.req) break;
      finish();
      batchDone();
      break;
    case 'archive':
      saveFile(new Blob([m.bytes], { type: 'application/zip' }), m.name);
      els.status.textContent = `Saved ${m.name}.`;
      break;
    case 'archive-error':
      showError(`The archive could not be made: ${m.message}`);
      break;
    case 'fatal':
      failure(m);
      break;
  }
}

function tick() {
  if (running && running.model) {
    const { backend, length, templates, index, count, id } = running.model;
    const which = count > 1 ? `Record ${index + 1} of ${count} (${id}): ` : '';
    const decoys = running.model.decoys;
    const what = decoys
      ? `no template found: assembling from fragments, ${decoys.done} of ${decoys.total} trajectories done on ${decoys.workers} worker${decoys.workers === 1 ? '' : 's'} (${length} residues)…`
      : templates
        ? `searching the template library; without a template the structure is assembled from fragments (${length} residues)…`
        : `running the model on ${backend} (${length} residues)…`;
    const fraction = decoys ? (count > 1 ? (index + decoys.done / decoys.total) / count : decoys.done / decoys.total) : (count > 1 ? index / count : undefined);
    setProgress(`${which}${which ? what : what[0].toUpperCase() + what.slice(1)} ${elapsed()} s`, fraction);
  }
}

function failure(m) {
  const wasGpu = backendInfo ? backendInfo.backend === 'WebGPU' : gpuFailure === null;
  const wasRunning = running !== null;
  stopWorker();
  if (wasGpu && gpuFailure === null) {
    // WebGPU broke (device lost, out of memory, shader error, panic): retry on the CPU, from
    // the first record not predicted yet.
    gpuFailure = `${m.phase}: ${m.message}`;
    els.status.textContent = `WebGPU failed (${gpuFailure}); retrying on the CPU…`;
    if (wasRunning) {
      clearInterval(running.timer);
      running = null;
      run(predicted().length);
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

// A new batch: every record of `text`, with the options as they are now.
function start(text) {
  showError('');
  helperNotes = [];
  batch = { text, options: templateOptions(), records: null, results: [], t0: performance.now(), picked: false };
  showRecords();
  run(0);
}

// Runs the batch from record `from` on (0, or where a failed WebGPU run stopped).
function run(from) {
  const req = nextReq++;
  running = { req, t0: performance.now(), timer: setInterval(tick, 200) };
  setBusy(true);
  setProgress('Starting…');
  els.status.textContent = 'Working…';
  ensureWorker().postMessage({ type: 'predict', req, text: batch.text, options: batch.options, from });
  // Without a template the structure is assembled on every worker: the helpers load the program
  // and the library while the library is searched (once; they stay for the next predictions).
  if (batch.options.useTemplates) pool.ensureHelpers();
}

// The batch's results so far, in record order.
const predicted = () => (batch ? batch.results.filter(Boolean) : []);

function batchDone() {
  const n = batch.records.length;
  const secs = ((performance.now() - batch.t0) / 1000).toFixed(1);
  els.status.textContent = n > 1 ? `Done: ${n} records in ${secs} s.` : `Done in ${(result.ms / 1000).toFixed(1)} s.`;
  showRecords();
  document.body.dataset.state = 'done';
}

els.predict.addEventListener('click', () => {
  showWarnings([]);
  start(els.seq.value);
});

els.cancel.addEventListener('click', () => {
  if (!running) return;
  stopWorker();  // the only way to stop wasm mid-computation
  finish();
  const n = batch.records ? batch.records.length : 0;
  const done = predicted().length;
  els.status.textContent = n > 1 ? `Cancelled after ${done} of ${n} records.` : 'Cancelled.';
  showRecords();
  ensureWorker();  // a fresh worker loads the weights and the library again, ready for the next run
});

els.example.addEventListener('click', () => { els.seq.value = EXAMPLE; clearLink(); });

function saveFile(blob, name) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

els.download.addEventListener('click', () => {
  if (result) saveFile(new Blob([result.pdb], { type: 'chemical/x-pdb' }), result.file_name);
});

els.downloadCif.addEventListener('click', () => {
  if (result) saveFile(new Blob([result.cif], { type: 'chemical/x-mmcif' }), result.cif_file_name);
});

// Every predicted record's PDB and mmCIF in one zip, made in the worker (src/archive.rs).
els.downloadAll.addEventListener('click', () => {
  const done = predicted();
  if (done.length === 0) return;
  const files = done.flatMap((r) => [{ name: r.file_name, text: r.pdb }, { name: r.cif_file_name, text: r.cif }]);
  const d = new Date();
  const stamp = [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  const name = done.length === batch.records.length ? 'webfold-predictions.zip' : `webfold-predictions-${done.length}-of-${batch.records.length}.zip`;
  ensureWorker().postMessage({ type: 'archive', req: nextReq++, files, stamp, name });
});

// The records of the batch: state, and a button to show each predicted one.
function showRecords() {
  const list = batch && batch.records ? batch.records : [];
  els.records.hidden = list.length < 2;
  if (list.length < 2) {
    els.recordList.replaceChildren();
    els.downloadAll.hidden = true;
    return;
  }
  const current = running && running.model ? running.model.index : -1;
  els.recordList.replaceChildren(...list.map((rec, i) => {
    const li = document.createElement('li');
    const r = batch.results[i];
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'record';
    let state;
    if (r) state = `mean pLDDT ${r.mean.toFixed(1)}, ${r.method}`;
    else if (i === current) state = 'predicting…';
    else if (running) state = 'waiting';
    else state = 'not predicted';
    b.textContent = `${rec.id} (${rec.length} residues): ${state}`;
    b.disabled = !r;
    b.setAttribute('aria-pressed', String(r !== undefined && r === result));
    b.addEventListener('click', () => { batch.picked = true; showResult(r); showRecords(); });
    li.append(b);
    return li;
  }));
  const done = predicted().length;
  els.downloadAll.hidden = false;
  els.downloadAll.disabled = done === 0;
  els.downloadAll.textContent = `Download all (${done} of ${list.length} records, PDB + mmCIF, .zip)`;
}

// "Copy link": the input and the template options go into the address fragment (after '#',
// which browsers never send to a server), only on this button's press.
els.copyLink.addEventListener('click', async () => {
  if (!els.seq.value.trim()) {
    els.status.textContent = 'Nothing to link: the input is empty.';
    return;
  }
  const f = new URLSearchParams({ seq: els.seq.value });
  const o = templateOptions();
  if (!o.useTemplates) f.set('templates', 'off');
  if (o.evalue) f.set('evalue', o.evalue);
  if (o.exclude) f.set('exclude', o.exclude);
  if (o.maxIdentity) f.set('max-identity', o.maxIdentity);
  if (o.tentative) f.set('tentative', o.tentative);
  const url = `${location.origin}${location.pathname}${location.search}#${f}`;
  history.replaceState(null, '', url);
  try {
    await navigator.clipboard.writeText(url);
    els.status.textContent = 'Link copied. The input is in the part after "#", which browsers never send to a server.';
  } catch (e) {
    els.status.textContent = 'The link is in the address bar (the browser did not allow copying). The input is in the part after "#", which browsers never send to a server.';
  }
});

// A link made by "Copy link" fills the input and the options (nothing is predicted until Predict).
function readLink() {
  if (location.hash.length < 2) return;
  const f = new URLSearchParams(location.hash.slice(1));
  if (!f.has('seq')) return;
  els.seq.value = f.get('seq');
  els.useTemplates.checked = f.get('templates') !== 'off';
  els.evalue.value = f.get('evalue') || '';
  els.exclude.value = f.get('exclude') || '';
  els.maxIdentity.value = f.get('max-identity') || '';
  els.tentative.value = f.get('tentative') || '';
  els.status.textContent = 'Input read from the link; press Predict.';
}

// Once the input changes, the address no longer carries a stale copy of it.
function clearLink() {
  if (location.hash) history.replaceState(null, '', `${location.pathname}${location.search}`);
}
for (const el of [els.seq, els.useTemplates, els.evalue, els.exclude, els.maxIdentity, els.tentative]) el.addEventListener('input', clearLink);

function showResult(r) {
  result = r;
  const secs = (r.ms / 1000).toFixed(1);
  const n = batch && batch.records ? batch.records.length : 1;
  const how = r.method === 'templates'
    ? `built on ${r.templates.length === 1 ? 'a template' : `${r.templates.length} templates`}`
    : r.method === 'assembly' ? `assembled from fragments of known structures (trajectories on ${r.workers} worker${r.workers === 1 ? '' : 's'})` : `predicted by the network on ${r.backend}`;
  const which = n > 1 ? `Record ${r.index + 1} of ${n}, ` : '';
  els.summary.textContent = `${which}${r.id}: ${r.sequence.length} residues, mean pLDDT ${r.mean.toFixed(1)}, estimated TM-score ${r.estimated_tm.toFixed(2)}, ${how} in ${secs} s; ${r.quality}.`;
  // Read by the browser benchmark (tests/browser/bench.mjs).
  Object.assign(els.summary.dataset, {
    modelMs: r.model_ms.toFixed(1), postMs: r.post_ms.toFixed(1), gflop: r.gflop.toFixed(3),
    templateMs: r.template_ms.toFixed(1), method: r.method,
    wasmMemoryBytes: String(r.wasm_memory_bytes), length: String(r.sequence.length),
    // The assembly's workers: how many ran trajectories, and each helper's load time and heap.
    workers: String(r.workers ?? 0), helpers: JSON.stringify(r.helpers ?? []),
  });
  if (n === 1) showWarnings(r.warnings);
  els.download.disabled = false;
  els.download.textContent = `Download PDB (${r.file_name})`;
  els.downloadCif.disabled = false;
  els.downloadCif.textContent = `Download mmCIF (${r.cif_file_name})`;
  showTemplates(r);
  drawPlot(r.plddt, r.mean);
  drawStructure(r.pdb);
}

// The templates the model was built on (numbers formatted as the CLI prints them), or the
// sentence saying why the network made it.
function showTemplates(r) {
  const rows = r.templates.map((t) => {
    const tr = document.createElement('tr');
    const cells = [`${t.pdb_id} ${t.chain}`, `${t.identity.toFixed(1)}%`, `${(100 * t.coverage).toFixed(0)}%`,
      t.evalue.toExponential(1).replace('e+', 'e'), t.profile_evalue.toExponential(1).replace('e+', 'e'), `${t.query_from}-${t.query_to}`, `${t.template_from}-${t.template_to}`,
      t.extended_used ? `${t.residues_used} (${t.extended_used} beyond)` : String(t.residues_used)];
    for (const c of cells) {
      const td = document.createElement('td');
      td.textContent = c;
      tr.append(td);
    }
    return tr;
  });
  els.templateRows.replaceChildren(...rows);
  // Query / match / template lines in blocks of 60, formatted in Rust (TemplateUse::alignment_text).
  els.alignmentText.textContent = r.templates.map((t, k) => `Template ${k + 1}: ${t.pdb_id} ${t.chain}\n\n${t.alignment_text}`).join('');
  els.templates.hidden = rows.length === 0;
  els.templateNote.textContent = r.template_note || '';
  els.templateNote.hidden = !r.template_note;
}

let shownPdb = null;
function drawStructure(pdb) {
  shownPdb = pdb;
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
    // Side chains as sticks from CA on (the backbone's N, C and O stay in the cartoon).
    if (els.sideChains.checked) viewer.addStyle({ atom: ['N', 'C', 'O'], invert: true }, { stick: { colorfunc, radius: 0.15 } });
    viewer.zoomTo();
    viewer.render();
  } catch (e) {
    viewer = null;
    els.viewer.textContent = `3D view unavailable (${e.message || e}); the PDB file and the plot are still valid.`;
  }
}
els.sideChains.addEventListener('change', () => { if (shownPdb) drawStructure(shownPdb); });

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

readLink();
// Start loading the program and weights right away, so that the first prediction is quicker.
ensureWorker();
