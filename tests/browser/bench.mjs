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
// usage: node tests/browser/bench.mjs --dist DIR [--lengths 50,100,300] [--repeats 2]
//          [--only cpu|webgpu] [--webgpu-lengths 50]
// env: CHROMIUM (default /usr/bin/chromium)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, ROOT, chromiumFlags, startServer } from './common.mjs';

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
  await page.getByRole('button', { name: 'Predict' }).click();
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

async function main() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error(`no built page in ${DIST} (run ./build.sh build)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webfold-bench-'));
  const server = await startServer(DIST);
  let rows = [];
  try {
    for (const mode of ['cpu', 'webgpu']) {
      if (!ONLY || ONLY === mode) rows = rows.concat(await benchMode(mode, server, tmp));
    }
  } finally {
    server.proc.kill();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const build = fs.readFileSync(path.join(DIST, 'BUILD'), 'utf8').trim();
  console.log(`Browser benchmark: ${DIST} (${build}), headless Chromium, ${os.cpus().length} cores (${os.cpus()[0].model}); ` +
    `${REPEATS} timed runs after 1 warm-up.\n`);
  console.log('| backend | L | model GFLOP | median ms | min ms | GFLOP/s | warm-up ms | relax+O/CB+PDB ms | wasm heap MiB |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const mem = r.backend.startsWith('CPU') ? (r.memory / 2 ** 20).toFixed(0) : '-';
    console.log(`| ${r.backend} | ${r.len} | ${r.gflop.toFixed(2)} | ${r.median.toFixed(0)} | ${r.min.toFixed(0)} | ` +
      `${(r.gflop / (r.median / 1000)).toFixed(2)} | ${r.warm.toFixed(0)} | ${r.post.toFixed(0)} | ${mem} |`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
