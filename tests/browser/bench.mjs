// Browser benchmark: the page's own prediction path (worker -> wasm -> burn) timed per
// sequence length, on WebGPU and on the CPU backend, in headless Debian Chromium.
//
// For each backend and length: one warm-up prediction (on WebGPU it compiles the shaders), then
// REPEATS timed ones. The page reports (src/web.rs) the network time with results read back
// ("model"), the post-processing time (relax, O/CB, PDB text), the network's analytic GFLOP
// (src/model/flops.rs) and the wasm linear memory (it only grows, so after the runs it is the
// peak of the whole wasm heap, weights and model included; lengths run in increasing order;
// WebGPU's device memory is not visible to the page).
// Prints a markdown table.
//
// Templates (`--only templates`, also in the default run): the template library on the CPU
// backend in a fresh profile: first visit (downloaded from the local server), then offline
// from the service worker's cache (time from the start of its download to a searchable library,
// and from navigation start), the wasm heap once it is loaded, and search + model time for a
// 300-residue query with a template (CASP13 T1003 residues 1-300: 5TXR B, 50% identity);
// and the bytes of a first visit (every file of the build, raw and gzip -9 as a compressing
// server would send them; node's zlib).
//
// Assembly (`--only assembly`, also in the default run): fragment assembly of proteins without a
// template, the template library on, CPU backend, in a fresh profile: a 150-residue query
// (CASP13 T0957s2 residues 1-150) and a 300-residue one (CASP13 T0957s1 + T0957s2, the two
// domains of T0957 joined, residues 1-300); neither has a template at E <= 0.01 (the bench
// fails unless the page assembles them). Wall time from Predict to the model (the first
// prediction includes the helper workers' start: they load the program and the library while
// the library is searched), the workers that ran trajectories, each helper's load time, and the
// wasm heaps (primary and helpers). `--helpers N` (0-3) sets the helper count (?helpers=N);
// default: the page's own choice from navigator.hardwareConcurrency.
//
// usage: node tests/browser/bench.mjs --dist DIR [--lengths 50,100,300] [--repeats 2]
//          [--only cpu|webgpu|templates|assembly] [--webgpu-lengths 50]
//          [--assembly-lengths 150,300] [--helpers N]
// env: CHROMIUM (default /usr/bin/chromium)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM, ROOT, casp13Dir, chromiumFlags, fastaRecord, startServer } from './common.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const DIST = path.resolve(ROOT, opt('dist', 'dist'));
const LENGTHS = opt('lengths', '50,100,300').split(',').map(Number);
// SwiftShader (the software WebGPU adapter of headless Chromium) is ~25x slower than the CPU
// backend: by default only short sequences on WebGPU.
const GPU_LENGTHS = opt('webgpu-lengths', '50').split(',').map(Number);
const REPEATS = Number(opt('repeats', '3'));
const ONLY = opt('only', null);
const ASSEMBLY_LENGTHS = opt('assembly-lengths', '150,300').split(',').map(Number);
const HELPERS = opt('helpers', null);
const log = (...a) => console.error('[browser-bench]', ...a);

// A fixed sequence of the 20 standard residues (the timing does not depend on which).
function sequence(len) {
  const aa = 'ACDEFGHIKLMNPQRSTVWY';
  let x = 0x9e3779b9 ^ len;
  let s = '';
  for (let i = 0; i < len; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    s += aa[x % 20];
  }
  return s;
}


async function predictOnce(page, len, timeoutMs) {
  await page.getByLabel('Sequence').fill(`>bench${len}\n${sequence(len)}`);
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.waitForFunction((n) => (document.body.dataset.state === 'done'
      && document.getElementById('summary').dataset.length === String(n)) || !document.getElementById('error').hidden,
    len, { timeout: timeoutMs, polling: 200 });
  const err = await page.locator('#error').evaluate((e) => (e.hidden ? '' : e.textContent));
  if (err) throw new Error(`L=${len}: ${err}`);
  const d = await page.locator('#summary').evaluate((e) => ({ ...e.dataset }));
  const backend = await page.locator('#backend').getAttribute('data-backend');
  // Clear the state so that the next wait sees the next result.
  await page.evaluate(() => { document.body.dataset.state = ''; document.getElementById('summary').dataset.length = ''; });
  return { model: Number(d.modelMs), post: Number(d.postMs), gflop: Number(d.gflop), memory: Number(d.wasmMemoryBytes), backend };
}

async function benchMode(mode, server, tmp) {
  const gpu = mode === 'webgpu';
  const profile = fs.mkdtempSync(path.join(tmp, `profile-${mode}-`));
  const flags = chromiumFlags(gpu);
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: flags });
  const page = context.pages()[0] || await context.newPage();
  const rows = [];
  try {
    await page.goto(server.url + (gpu ? '' : '?cpu'));
    // The network alone (random sequences have no template anyway; this skips the search).
    await page.getByLabel('Use templates').uncheck();
    const adapter = gpu ? await page.evaluate(async () => {
      const a = navigator.gpu && await navigator.gpu.requestAdapter();
      if (!a) return 'none';
      const info = a.info || {};
      return `${info.vendor || '?'} ${info.architecture || ''} ${info.description || ''}`.trim();
    }) : null;
    if (gpu) log(`WebGPU adapter: ${adapter}`);
    for (const len of gpu ? GPU_LENGTHS : LENGTHS) {
      const timeout = gpu ? 590_000 : 300_000;
      const warm = await predictOnce(page, len, timeout);
      log(`${mode} L=${len}: warm-up model ${warm.model} ms (backend ${warm.backend})`);
      const runs = [];
      for (let r = 0; r < REPEATS; r++) runs.push(await predictOnce(page, len, timeout));
      const models = runs.map((r) => r.model).sort((a, b) => a - b);
      const mid = models.length >> 1;
      const median = models.length % 2 ? models[mid] : (models[mid - 1] + models[mid]) / 2;
      const last = runs[runs.length - 1];
      rows.push({ backend: last.backend === 'WebGPU' ? `WebGPU (${adapter})` : 'CPU (flex, wasm)', len, median, min: models[0],
        post: last.post, gflop: last.gflop, memory: last.memory, warm: warm.model });
      log(`${mode} L=${len}: median ${median} ms`);
    }
  } finally {
    await context.close();
  }
  return rows;
}

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};

// The template query: a 300-residue stretch of a CASP13 target that has a template.
const TEMPLATE_QUERY = { id: 'T1003_1-300', target: 'T1003', from: 1, to: 300 };

async function libraryReady(page, timeout) {
  await page.waitForFunction(() => ['ready', 'failed'].includes(document.getElementById('library').dataset.state), null, { timeout, polling: 100 });
  const d = await page.locator('#library').evaluate((e) => ({ ...e.dataset }));
  if (d.state !== 'ready') throw new Error(`template library: ${await page.locator('#library').textContent()}`);
  return { fetch: Number(d.fetchMs), read: Number(d.readMs), total: Number(d.totalMs), memory: Number(d.wasmMemoryBytes), readyAt: Number(d.readyAtMs) };
}

async function benchTemplates(server, tmp) {
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-templates-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: chromiumFlags(false) });
  const page = context.pages()[0] || await context.newPage();
  const q = TEMPLATE_QUERY;
  const seq = fastaRecord(path.join(casp13Dir(), 'casp13.fasta'), q.target).slice(q.from - 1, q.to);
  const out = {};
  try {
    await page.goto(server.url + '?cpu');
    out.first = await libraryReady(page, 300_000);
    log(`templates: first visit, library ready ${out.first.total.toFixed(0)} ms after its download started`);
    // Wait until the service worker holds the library, then reload offline: served from its cache.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(async () => !!(await caches.match('templates/library.wftl')), null, { timeout: 300_000, polling: 500 });
    await context.setOffline(true);
    const cached = [];
    for (let r = 0; r < REPEATS; r++) {
      await page.reload();
      cached.push(await libraryReady(page, 300_000));
    }
    out.cached = cached;
    out.memory = cached[cached.length - 1].memory;
    log(`templates: from the cache, ready ${cached.map((c) => c.total.toFixed(0)).join(', ')} ms`);
    await page.getByLabel('Sequence').fill(`>${q.id}\n${seq}`);
    const runs = [];
    let templates = '';
    for (let r = 0; r <= REPEATS; r++) {
      await page.evaluate(() => { document.body.dataset.state = ''; });
      await page.getByRole('button', { name: 'Predict', exact: true }).click();
      await page.waitForFunction(() => document.body.dataset.state === 'done' || !document.getElementById('error').hidden, null, { timeout: 300_000, polling: 100 });
      const err = await page.locator('#error').evaluate((e) => (e.hidden ? '' : e.textContent));
      if (err) throw new Error(`${q.id}: ${err}`);
      const d = await page.locator('#summary').evaluate((e) => ({ ...e.dataset }));
      if (d.method !== 'templates') throw new Error(`${q.id}: no template used (method ${d.method})`);
      templates = (await page.locator('#template-rows tr td:first-child').allTextContents()).join(', ');
      if (r > 0) runs.push({ template: Number(d.templateMs), post: Number(d.postMs), memory: Number(d.wasmMemoryBytes) });
    }
    out.search = { median: median(runs.map((r) => r.template)), min: Math.min(...runs.map((r) => r.template)), post: runs[runs.length - 1].post,
      memory: runs[runs.length - 1].memory, templates, length: seq.length };
    log(`templates: ${q.id} search + model median ${out.search.median.toFixed(0)} ms (${templates})`);
    await context.setOffline(false);
  } finally {
    await context.close();
  }
  return out;
}

// The assembly queries: CASP13 stretches without a template (checked: the page must assemble).
function assemblyQuery(len) {
  const fasta = path.join(casp13Dir(), 'casp13.fasta');
  const t0957 = fastaRecord(fasta, 'T0957s1') + fastaRecord(fasta, 'T0957s2');
  if (len <= 158) return { id: `T0957s2_1-${len}`, seq: fastaRecord(fasta, 'T0957s2').slice(0, len) };
  if (len <= t0957.length) return { id: `T0957s1s2_1-${len}`, seq: t0957.slice(0, len) };
  throw new Error(`no assembly query of ${len} residues (at most ${t0957.length})`);
}

// CPU seconds used so far by the browser whose profile is PROFILE and all its child processes
// (Linux /proc; the workers are threads of its renderer). On a machine shared with other jobs
// the wall time depends on them; the CPU time much less. null where /proc is unavailable.
function browserCpuSeconds(profile) {
  try {
    const procs = new Map();
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        procs.set(pid, { ppid: f[1], cpu: (Number(f[11]) + Number(f[12])) / 100, root: cmd.includes(`--user-data-dir=${profile}`) && !cmd.includes('--type=') });
      } catch (_) { /* the process ended meanwhile */ }
    }
    const root = [...procs].find(([, p]) => p.root);
    if (!root) return null;
    const inTree = (pid) => { for (let p = pid; p && procs.has(p); p = procs.get(p).ppid) if (p === root[0]) return true; return false; };
    return [...procs].filter(([pid]) => inTree(pid)).reduce((sum, [, p]) => sum + p.cpu, 0);
  } catch (_) {
    return null;
  }
}

// One assembly: wall time from the Predict click to the result, with the page's numbers.
async function assembleOnce(page, q, profile) {
  await page.getByLabel('Sequence').fill(`>${q.id}\n${q.seq}`);
  await page.evaluate(() => { document.body.dataset.state = ''; });
  const cpu0 = browserCpuSeconds(profile);
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.waitForFunction(() => document.body.dataset.state === 'done' || !document.getElementById('error').hidden, null, { timeout: 1_800_000, polling: 100 });
  const wall = Date.now() - t0;
  const cpu1 = browserCpuSeconds(profile);
  const cpu = cpu0 === null || cpu1 === null ? null : cpu1 - cpu0;
  const err = await page.locator('#error').evaluate((e) => (e.hidden ? '' : e.textContent));
  if (err) throw new Error(`${q.id}: ${err}`);
  const d = await page.locator('#summary').evaluate((e) => ({ ...e.dataset }));
  if (d.method !== 'assembly') throw new Error(`${q.id}: not assembled (method ${d.method}): pick a query without a template`);
  const warnings = await page.locator('#warnings').evaluate((e) => (e.hidden ? '' : e.textContent));
  return { wall, cpu, workers: Number(d.workers), helpers: JSON.parse(d.helpers), memory: Number(d.wasmMemoryBytes), warnings };
}

async function benchAssembly(server, tmp) {
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-assembly-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: chromiumFlags(false) });
  const page = context.pages()[0] || await context.newPage();
  const rows = [];
  try {
    await page.goto(`${server.url}?cpu${HELPERS !== null ? `&helpers=${HELPERS}` : ''}`);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    await libraryReady(page, 300_000);
    for (const [i, len] of ASSEMBLY_LENGTHS.entries()) {
      const q = assemblyQuery(len);
      const r = await assembleOnce(page, q, profile);
      // The first prediction of the page starts the helpers (their load overlaps the search).
      rows.push({ ...r, id: q.id, len: q.seq.length, first: i === 0, cores });
      log(`assembly ${q.id}: ${(r.wall / 1000).toFixed(1)} s (browser CPU ${r.cpu === null ? '?' : r.cpu.toFixed(1)} s) on ${r.workers} workers; helpers ${JSON.stringify(r.helpers)}${r.warnings ? `; ${r.warnings}` : ''}`);
    }
  } finally {
    await context.close();
  }
  return rows;
}

function printAssembly(rows) {
  const mib = (x) => (x / 2 ** 20).toFixed(0);
  console.log(`\nFragment assembly without a template (CPU backend, template library on; navigator.hardwareConcurrency ${rows[0].cores}${HELPERS !== null ? `, ?helpers=${HELPERS}` : ''}; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end):\n`);
  console.log('| query | L | Predict -> model s | browser CPU s (all processes) | workers that ran trajectories | helper load s | wasm heap MiB, primary | wasm heap MiB, each helper |');
  console.log('|---|---:|---:|---:|---:|---|---:|---|');
  for (const r of rows) {
    const load = r.helpers.map((h) => (h.load_ms / 1000).toFixed(1)).join(', ') || '-';
    const heaps = r.helpers.map((h) => mib(h.wasm_memory_bytes)).join(', ') || '-';
    console.log(`| ${r.id}${r.first ? ' (first prediction: helpers start)' : ''} | ${r.len} | ${(r.wall / 1000).toFixed(1)} | ${r.cpu === null ? '-' : r.cpu.toFixed(1)} | ${r.workers} | ${load} | ${mib(r.memory)} | ${heaps} |`);
  }
}

// Bytes of a first visit: every file the service worker caches (the whole build).
function firstVisitBytes() {
  const rows = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== 'BUILD' && !e.name.endsWith('.txt')) {
        const raw = fs.readFileSync(p);
        rows.push({ file: path.relative(DIST, p), raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length });
      }
    }
  };
  walk(DIST);
  return rows.sort((a, b) => b.raw - a.raw);
}

function printTemplates(t) {
  const mib = (x) => (x / 2 ** 20).toFixed(0);
  const c = t.cached;
  console.log('\nTemplate library (CPU backend, headless Chromium, 127.0.0.1 server):\n');
  console.log('| step | ms (median) | runs |');
  console.log('|---|---:|---|');
  console.log(`| library ready, first visit (download + read) | ${t.first.total.toFixed(0)} | download ${t.first.fetch.toFixed(0)}, read ${t.first.read.toFixed(0)} |`);
  console.log(`| library ready from the service worker's cache (offline; fetch + read) | ${median(c.map((x) => x.total)).toFixed(0)} | ${c.map((x) => x.total.toFixed(0)).join(', ')} |`);
  console.log(`|   of which reading (decompress, decode, index) | ${median(c.map((x) => x.read)).toFixed(0)} | ${c.map((x) => x.read.toFixed(0)).join(', ')} |`);
  console.log(`| navigation start -> library ready (offline, model loaded first) | ${median(c.map((x) => x.readyAt)).toFixed(0)} | ${c.map((x) => x.readyAt.toFixed(0)).join(', ')} |`);
  console.log(`| search + model, ${TEMPLATE_QUERY.id} (L=${t.search.length}, ${t.search.templates}) | ${t.search.median.toFixed(0)} | min ${t.search.min.toFixed(0)}; PDB text ${t.search.post.toFixed(0)} |`);
  console.log(`\nwasm heap with the weights and the library loaded: ${mib(t.memory)} MiB (after the ${TEMPLATE_QUERY.id} predictions: ${mib(t.search.memory)} MiB).`);
}

function printBytes(rows) {
  const mb = (x) => (x / 1e6).toFixed(2);
  const pick = (f) => rows.find((r) => r.file === f);
  console.log('\nFirst visit (bytes of the build; gzip -9 is what a compressing server would send):\n');
  console.log('| file | bytes | MB | gzip MB |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.file} | ${r.raw} | ${mb(r.raw)} | ${mb(r.gzip)} |`);
  const three = ['pkg/webfold_bg.wasm', 'weights/webfold.safetensors', 'templates/library.wftl'].map(pick).filter(Boolean);
  const sum = (xs, k) => xs.reduce((s, r) => s + r[k], 0);
  console.log(`| **wasm + weights + library** | ${sum(three, 'raw')} | ${mb(sum(three, 'raw'))} | ${mb(sum(three, 'gzip'))} |`);
  console.log(`| **all files** | ${sum(rows, 'raw')} | ${mb(sum(rows, 'raw'))} | ${mb(sum(rows, 'gzip'))} |`);
}

async function main() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error(`no built page in ${DIST} (run ./build.sh build)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webfold-bench-'));
  const server = await startServer(DIST);
  let rows = [];
  let templates = null;
  let assembly = [];
  try {
    for (const mode of ['cpu', 'webgpu']) {
      if (!ONLY || ONLY === mode) rows = rows.concat(await benchMode(mode, server, tmp));
    }
    if (!ONLY || ONLY === 'templates') templates = await benchTemplates(server, tmp);
    if (!ONLY || ONLY === 'assembly') assembly = await benchAssembly(server, tmp);
  } finally {
    server.proc.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const build = fs.readFileSync(path.join(DIST, 'BUILD'), 'utf8').trim();
  console.log(`Browser benchmark: ${DIST} (${build}), headless Chromium, ${os.cpus().length} cores (${os.cpus()[0].model}); ` +
    `${REPEATS} timed runs after 1 warm-up.\n`);
  if (rows.length) console.log('| backend | L | model GFLOP | median ms | min ms | GFLOP/s | warm-up ms | relax+O/CB+PDB ms | wasm heap MiB |');
  if (rows.length) console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const mem = r.backend.startsWith('CPU') ? (r.memory / 2 ** 20).toFixed(0) : '-';
    console.log(`| ${r.backend} | ${r.len} | ${r.gflop.toFixed(2)} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ` +
      `${(r.gflop / (r.median / 1000)).toFixed(2)} | ${r.warm.toFixed(0)} | ${r.post.toFixed(0)} | ${mem} |`);
  }
  if (templates) printTemplates(templates);
  if (assembly.length) printAssembly(assembly);
  printBytes(firstVisitBytes());
}

main().catch((e) => { console.error(e); process.exit(1); });
