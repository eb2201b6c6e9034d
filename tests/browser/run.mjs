// Browser tests for the webfold page (run by ./build.sh test).
//
// Serves a built page (scripts/serve.py, 127.0.0.1 only), drives Debian's Chromium with
// playwright-core, and checks, once with WebGPU available and once without:
//   - the page states the backend it used (WebGPU / CPU);
//   - bad input shows the parser's message (character and position);
//   - an 80-residue prediction ("Use templates" off: the network) can be downloaded as <id>.pdb, is a sane backbone (N, CA, C, O
//     for every residue, residue names spell the sequence, bond lengths, pLDDT in 0..100 and
//     varying), and equals what the native CLI writes for the same input (coordinates within
//     0.001 A, B-factors within 0.01, every other character identical);
//   - templates: CASP13 T1016 (the set found like the Rust tests: $WEBFOLD_SHARED/eval/casp13,
//     ../shared/eval/casp13, /work/shared/eval/casp13) is built on the template the CLI reports,
//     the page's table shows it (id, chain, identity, coverage, E-value, query range) and the
//     PDB equals the CLI's, and its alignment text spells the PDB's REMARK 3 ALN lines;
//   - no template: CASP13 T1008 is assembled from fragments (docs/ASSEMBLY.md), the page says
//     so and counts the trajectories, they ran on more than one worker (www/pool.js), and its
//     PDB equals the CLI's; (CPU run) Cancel during an assembly stops it;
//   - a helper worker that cannot load the template library is reported, and the other
//     workers run its trajectories (same PDB as the CLI's);
//     (CPU run) with "Use templates" off the page gives `webfold predict --templates off`'s file;
//   - no request leaves 127.0.0.1;
//   - (CPU run) a 3-record FASTA is predicted record after record ("Record 2 of 3"), listed,
//     each record shown on request, and its 3 PDB and 3 mmCIF downloads (one by one, and all in
//     one zip read back by Python's zipfile) equal the files of `webfold predict --format both`
//     on the same FASTA; Cancel during a batch keeps the records done; "Copy link" puts the input
//     and the options in the address fragment, a new page opened on that address gets them
//     back, and editing the input clears the fragment;
//   - (CPU run) after the first visit the page loads and predicts offline (service worker),
//     on templates (the library comes from the cache too);
//   - WebGPU lost in the middle of a prediction: the page says so, finishes on the CPU, and
//     the PDB still equals the CLI's;
//   - the template library's download fails: the page says that the library could not be
//     loaded and predicts with the network (the CLI's `--templates off` coordinates).
//
// usage: node tests/browser/run.mjs --dist DIR --cli PATH/TO/webfold
//          [--only webgpu|cpu|lost|nolibrary|helperfail] [--screenshot docs/screenshot.png]
//          [--screenshot-templates docs/screenshot-templates.png]
//          [--screenshot-batch docs/screenshot-batch.png] [--keep]
// env: CHROMIUM (default /usr/bin/chromium)

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, ROOT, casp13Dir, chromiumFlags, fastaRecord, startServer } from './common.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const DIST = path.resolve(ROOT, opt('dist', 'dist-test'));
const CLI = opt('cli', path.join(process.env.CARGO_TARGET_DIR || path.join(os.homedir(), '.cache/webfold-target'), 'debug/webfold'));
const ONLY = opt('only', null);
const SCREENSHOT = opt('screenshot', null);
const SCREENSHOT_TEMPLATES = opt('screenshot-templates', null);
const SCREENSHOT_ASSEMBLY = opt('screenshot-assembly', null);
const SCREENSHOT_BATCH = opt('screenshot-batch', null);

// 80 residues (one lowercase stretch and one U -> C to exercise the rules), drawn at random
// (Python's random.Random(80)) so that no template exists and the network path is tested: GFP's
// first 80, used before, has a fluorescent-protein template found through its profile (2A50 A).
const ID = 'test80';
const SEQ80 = 'MPVQNNVPNAVPIYCPIGTWAFRYFGINNWGHKKDMEAAFTLLNYWAUSEISVNTCRHKMSNATCPHEEAGCYKNSAVDM';
const INPUT = `>${ID} browser test\n${SEQ80.slice(0, 40)}\n${SEQ80.slice(40).toLowerCase()} 80\n`;
const EXPECTED_SEQ = SEQ80.replace(/U/g, 'C');
const SHORT = '>short\nMKTAYIAKQRQISFVKSHFSRQ';
const SHORT_SEQ = 'MKTAYIAKQRQISFVKSHFSRQ';

// T1016 (202 residues): the CLI builds it on one template.
const T1016_SEQ = fastaRecord(path.join(casp13Dir(), 'casp13.fasta'), 'T1016');
const T1016 = `>T1016\n${T1016_SEQ}\n`;

// T1008 (77 residues): no hit at E <= 1e-3, so the CLI builds it on tentative templates (E <= 0.1).
const T1008_SEQ = fastaRecord(path.join(casp13Dir(), 'casp13.fasta'), 'T1008');
const T1008 = `>T1008\n${T1008_SEQ}\n`;

// Three records: 80 residues assembled from fragments (no template), 22 and T1016 on templates.
const BATCH = `${INPUT}${SHORT}\n${T1016}`;
const BATCH_IDS = [ID, 'short', 'T1016'];

const THREE = {
  A: 'ALA', R: 'ARG', N: 'ASN', D: 'ASP', C: 'CYS', Q: 'GLN', E: 'GLU', G: 'GLY', H: 'HIS', I: 'ILE',
  L: 'LEU', K: 'LYS', M: 'MET', F: 'PHE', P: 'PRO', S: 'SER', T: 'THR', W: 'TRP', Y: 'TYR', V: 'VAL', X: 'UNK',
};

let failures = 0;
const log = (...a) => console.log('[browser-test]', ...a);
function check(cond, what) {
  if (cond) log(`ok   ${what}`);
  else { failures++; log(`FAIL ${what}`); }
  return cond;
}


// `webfold predict` on INPUT (one record, ID) with the page's own weights and template library
// (the CLI's built-in copies may be older or newer): {pdb, templates} where templates are the
// rows of the table the CLI prints ({name: 'PDB chain', identity, coverage, evalue, query}).
function nativePdb(tmp, name, input, id, extra = []) {
  const fasta = path.join(tmp, `${name}.fasta`);
  fs.writeFileSync(fasta, input);
  const out = path.join(tmp, `native-${name}`);
  const weights = path.join(DIST, 'weights/webfold.safetensors');
  const library = path.join(DIST, 'templates/library.wftl');
  const t0 = Date.now();
  const r = spawnSync(CLI, ['predict', fasta, '--out', out, '--weights', weights, '--template-library', library, ...extra], { encoding: 'utf8' });
  process.stderr.write(r.stderr || '');
  if (r.status !== 0) throw new Error(`${CLI} predict ${name} failed (${r.status ?? r.signal})`);
  log(`native reference ${name} (${extra.join(' ') || 'defaults'}): ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  // "  4IJ5 B       25.3%       96%  3.0e-14   1.2e-40      73.2  1-194      2-195"
  const templates = [];
  for (const line of r.stderr.split('\n')) {
    const m = line.match(/^  (\w{4} \w*)\s+([\d.]+)%\s+(\d+)%\s+(\S+)\s+(\S+)\s+([\d.]+)\s+(\d+-\d+)\s+(\d+-\d+)$/);
    if (m) templates.push({ name: m[1].trim(), identity: m[2], coverage: m[3], evalue: m[4], profileEvalue: m[5], query: m[7], template: m[8] });
  }
  // "T1016: 202 residues, ..., improbable phi/psi 0.5% of residues, heavy-atom clashes 3.7 per 1000 atoms -> ..."
  const q = r.stderr.match(new RegExp(`^${id}: .*?(improbable phi/psi [\\d.]+% of residues, heavy-atom clashes [\\d.]+ per 1000 atoms)`, 'm'));
  return { pdb: fs.readFileSync(path.join(out, `${id}.pdb`), 'utf8'), templates, quality: q ? q[1] : null };
}

// `webfold predict --format both` on a multi-record INPUT: {id: {pdb, cif}} for IDS.
function nativeBatch(tmp, name, input, ids) {
  const fasta = path.join(tmp, `${name}.fasta`);
  fs.writeFileSync(fasta, input);
  const out = path.join(tmp, `native-${name}`);
  const r = spawnSync(CLI, ['predict', fasta, '--out', out, '--format', 'both', '--weights', path.join(DIST, 'weights/webfold.safetensors'),
    '--template-library', path.join(DIST, 'templates/library.wftl')], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${CLI} predict ${name} failed (${r.status ?? r.signal}): ${r.stderr}`);
  const files = {};
  for (const id of ids) {
    files[id] = { pdb: fs.readFileSync(path.join(out, `${id}.pdb`), 'utf8'), cif: fs.readFileSync(path.join(out, `${id}.cif`), 'utf8') };
  }
  return files;
}

// The mmCIF text equals the CLI's but for numbers: coordinates within 0.001 A, pLDDT within
// 0.01 (wasm32 and x86-64 round differently; see compareNative).
function compareCif(web, native, label) {
  const a = web.split('\n'), b = native.split('\n');
  if (!check(a.length === b.length, `${label}: same number of lines as the CLI's mmCIF (${a.length} vs ${b.length})`)) return;
  let maxDiff = 0, nNumbers = 0;
  const textDiffs = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    const x = a[i].split(/\s+/), y = b[i].split(/\s+/);
    const numeric = (t) => /^-?\d+\.\d+$/.test(t);
    if (x.length !== y.length || x.some((t, k) => t !== y[k] && !(numeric(t) && numeric(y[k])))) {
      textDiffs.push(i + 1);
      continue;
    }
    x.forEach((t, k) => {
      if (t !== y[k]) { maxDiff = Math.max(maxDiff, Math.abs(Number(t) - Number(y[k]))); nNumbers++; }
    });
  }
  check(textDiffs.length === 0, `${label}: every non-numeric mmCIF field equals the CLI's${textDiffs.length ? ` (lines ${textDiffs.slice(0, 5).join(', ')} differ)` : ''}`);
  check(maxDiff <= 0.01 + 1e-9, `${label}: mmCIF numbers match the CLI's within 0.01 (${nNumbers} differ, by at most ${maxDiff.toFixed(3)})`);
}

// {name: text} of every entry of the zip FILE, read by Python's zipfile (not by our code).
function unzip(file) {
  const r = spawnSync(process.env.PYTHON || 'python3', ['-c',
    'import json, sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({i.filename: z.read(i).decode() for i in z.infolist()}))', file],
  { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`zipfile could not read ${file}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function download(page, tmp, name, button) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
  const file = path.join(tmp, `${name}-${dl.suggestedFilename()}`);
  await dl.saveAs(file);
  return { name: dl.suggestedFilename(), file };
}

// A 3-record FASTA predicted as a batch: progress per record, the list, each record's PDB and
// mmCIF, and the zip of all, against `webfold predict --format both` on the same input.
async function checkBatch(page, label, native, tmp) {
  await page.getByLabel('Sequence').fill(BATCH);
  // Every text the progress line shows (a record on templates can come and go between two polls).
  await page.evaluate(() => {
    document.body.dataset.state = '';
    const el = document.getElementById('progress-text');
    window.progressTexts = [];
    new MutationObserver(() => window.progressTexts.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
  });
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.waitForFunction(isDone, null, { timeout: 300_000, polling: 250 });
  const texts = await page.evaluate(() => window.progressTexts);
  const second = texts.find((t) => /^Record 2 of 3 \(short\): /.test(t));
  check(second !== undefined, `${label} batch: the progress names the record: ${JSON.stringify(second || texts.slice(-3))}`);
  const err = await page.locator('#error').evaluate((e) => (e.hidden ? '' : e.textContent));
  check(!err, `${label} batch: finished without an error${err ? `: ${err}` : ''}`);
  if (err) return;
  const items = await page.locator('#record-list button').allTextContents();
  check(items.length === 3 && BATCH_IDS.every((id, i) => items[i].startsWith(`${id} (`) && /mean pLDDT/.test(items[i])),
    `${label} batch: the 3 records are listed as predicted: ${JSON.stringify(items)}`);
  check(/^Done: 3 records in /.test(await page.locator('#status').textContent()), `${label} batch: the status says 3 records are done`);
  const got = {};
  for (const [i, id] of BATCH_IDS.entries()) {
    await page.locator('#record-list button').nth(i).click();
    const summary = await page.locator('#summary').textContent();
    check(summary.startsWith(`Record ${i + 1} of 3, ${id}: `), `${label} batch: the chosen record is shown: ${JSON.stringify(summary)}`);
    const pdb = await download(page, tmp, `batch-${label}`, /Download PDB/);
    const cif = await download(page, tmp, `batch-${label}`, /Download mmCIF/);
    check(pdb.name === `${id}.pdb` && cif.name === `${id}.cif`, `${label} batch ${id}: downloads named ${pdb.name}, ${cif.name}`);
    got[id] = { pdb: fs.readFileSync(pdb.file, 'utf8'), cif: fs.readFileSync(cif.file, 'utf8') };
    compareNative(got[id].pdb, native.batch[id].pdb, `${label} batch ${id} PDB`, 0.001);
    compareCif(got[id].cif, native.batch[id].cif, `${label} batch ${id} mmCIF`);
  }
  const zip = await download(page, tmp, `batch-${label}`, /Download all/);
  const entries = unzip(zip.file);
  const want = BATCH_IDS.flatMap((id) => [`${id}.pdb`, `${id}.cif`]);
  check(zip.name === 'webfold-predictions.zip' && JSON.stringify(Object.keys(entries)) === JSON.stringify(want),
    `${label} batch: ${zip.name} holds ${JSON.stringify(Object.keys(entries))}`);
  check(BATCH_IDS.every((id) => entries[`${id}.pdb`] === got[id].pdb && entries[`${id}.cif`] === got[id].cif),
    `${label} batch: the zip's files are the page's single downloads, byte for byte`);
}

// "Copy link": the input and the options travel in the fragment, and only on the button's press.
async function checkLink(page, context, label) {
  await page.getByLabel('Sequence').fill(SHORT);
  check(await page.evaluate(() => location.hash) === '', `${label} link: typing leaves the address without a fragment`);
  await page.evaluate(() => { document.querySelector('.template-options details').open = true; });
  await page.getByLabel('E-value cutoff').fill('1e-5');
  await page.getByLabel('Tentative templates').fill('0.01');
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.getByRole('button', { name: 'Copy link' }).click();
  await page.waitForFunction(() => /Link copied|address bar/.test(document.getElementById('status').textContent), null, { timeout: 10_000 });
  const url = await page.evaluate(() => location.href);
  const f = new URLSearchParams(new URL(url).hash.slice(1));
  check(f.get('seq') === SHORT && f.get('evalue') === '1e-5' && f.get('tentative') === '0.01' && new URL(url).search === '',
    `${label} link: the input and the E-value are in the fragment only (${url.length} characters)`);
  const copied = await page.evaluate(() => navigator.clipboard.readText()).catch((e) => `(unreadable: ${e.message})`);
  check(copied === url, `${label} link: the clipboard holds the address`);
  const other = await context.newPage();
  await other.goto(url);
  const [seq, evalue, tentative, status] = await Promise.all([other.getByLabel('Sequence').inputValue(), other.getByLabel('E-value cutoff').inputValue(),
    other.getByLabel('Tentative templates').inputValue(), other.locator('#status').textContent()]);
  check(seq === SHORT && evalue === '1e-5' && tentative === '0.01' && /read from the link/.test(status), `${label} link: a new page on the link gets the input and the options back`);
  await other.close();
  await page.getByLabel('Sequence').fill(SHORT + 'A');
  check(await page.evaluate(() => location.hash) === '', `${label} link: editing the input clears the fragment`);
  await page.getByLabel('E-value cutoff').fill('');
  await page.getByLabel('Tentative templates').fill('');
}

function atoms(pdb) {
  const res = new Map();
  for (const line of pdb.split('\n')) {
    if (!line.startsWith('ATOM  ')) continue;
    const num = Number(line.slice(22, 26));
    if (!res.has(num)) res.set(num, { name: line.slice(17, 20).trim(), atoms: {} });
    res.get(num).atoms[line.slice(12, 16).trim()] = {
      p: [30, 38, 46].map((c) => Number(line.slice(c, c + 8))),
      b: Number(line.slice(60, 66)),
    };
  }
  return res;
}

const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

function checkBackbone(pdb, label, EXPECTED_SEQ) {
  const res = atoms(pdb);
  const nums = [...res.keys()];
  check(nums.length === EXPECTED_SEQ.length && nums.every((n, i) => n === i + 1), `${label}: ${EXPECTED_SEQ.length} residues numbered 1..${EXPECTED_SEQ.length}`);
  check(nums.every((n) => ['N', 'CA', 'C', 'O'].every((a) => res.get(n).atoms[a])), `${label}: every residue has N, CA, C, O`);
  check(nums.map((n) => res.get(n).name).join(' ') === [...EXPECTED_SEQ].map((c) => THREE[c]).join(' '), `${label}: residue names spell the sequence`);
  const bad = [];
  for (const n of nums) {
    const r = res.get(n).atoms;
    const bonds = [['N', r.N, r.CA, 1.46], ['CA', r.CA, r.C, 1.52], ['C=O', r.C, r.O, 1.23]];
    const next = res.get(n + 1);
    if (next) {
      bonds.push(['C-N', r.C, next.atoms.N, 1.33]);
      bonds.push(['CA-CA', r.CA, next.atoms.CA, 3.8, 0.25]);
    }
    for (const [name, a, b, ideal, tol = 0.1] of bonds) {
      const d = dist(a.p, b.p);
      if (!(Math.abs(d - ideal) < tol)) bad.push(`${n} ${name} ${d.toFixed(2)}`);
    }
  }
  check(bad.length === 0, `${label}: bonds within 0.1 A of ideal, CA-CA within 0.25 A of 3.8${bad.length ? ` (bad: ${bad.slice(0, 5).join(', ')})` : ''}`);
  const b = nums.map((n) => res.get(n).atoms.CA.b);
  const mean = b.reduce((s, x) => s + x, 0) / b.length;
  const sd = Math.sqrt(b.reduce((s, x) => s + (x - mean) ** 2, 0) / b.length);
  check(b.every((x) => x >= 0 && x <= 100) && sd > 0.01, `${label}: B-factors (pLDDT) in 0..100 and varying (mean ${mean.toFixed(1)}, sd ${sd.toFixed(2)})`);
}

// Same text as the native CLI, except coordinates (within 0.001 A) and B-factors (within 0.01).
// With `skipRemark3` the REMARK 3 lines (templates used, or why none) are left out of both.
function compareNative(web, native, label, coordTol, skipRemark3 = false) {
  const keep = (l) => !(skipRemark3 && l.startsWith('REMARK   3 '));
  const a = web.split('\n').filter(keep);
  const b = native.split('\n').filter(keep);
  if (!check(a.length === b.length, `${label}: same number of lines as the CLI's file (${a.length} vs ${b.length})`)) return;
  let maxCoord = 0, maxB = 0, nCoord = 0, nExact = 0;
  const textDiffs = [];
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x.startsWith('ATOM  ') && y.startsWith('ATOM  ')) {
      const mask = (s) => s.slice(0, 30) + s.slice(54, 60) + s.slice(66);
      if (mask(x) !== mask(y)) textDiffs.push(i + 1);
      for (const c of [30, 38, 46]) {
        const d = Math.abs(Number(x.slice(c, c + 8)) - Number(y.slice(c, c + 8)));
        maxCoord = Math.max(maxCoord, d);
        nCoord++;
        if (d <= 0.001 + 1e-9) nExact++;
      }
      maxB = Math.max(maxB, Math.abs(Number(x.slice(60, 66)) - Number(y.slice(60, 66))));
    } else if (x.startsWith('REMARK   1 MEAN PLDDT') && y.startsWith('REMARK   1 MEAN PLDDT')) {
      maxB = Math.max(maxB, Math.abs(Number(x.slice(21)) - Number(y.slice(21))));
    } else if (x !== y) {
      textDiffs.push(i + 1);
    }
  }
  check(textDiffs.length === 0, `${label}: every non-numeric field equals the CLI's${textDiffs.length ? ` (lines ${textDiffs.slice(0, 5).join(', ')} differ)` : ''}`);
  check(maxCoord <= coordTol + 1e-9, `${label}: coordinates match the CLI's within ${coordTol} A (max difference ${maxCoord.toFixed(3)}; ${nExact} of ${nCoord} within 0.001 A)`);
  const bTol = 0.01;
  check(maxB <= bTol + 1e-9, `${label}: pLDDT matches the CLI's within ${bTol} (max difference ${maxB.toFixed(2)})`);
  return { maxCoord, maxB };
}

const isDone = () => document.body.dataset.state === 'done' || !document.getElementById('error').hidden;

// Clicks Predict and waits for the result or an error; returns the error text ('' if none).
async function predictAndWait(page, timeout) {
  await page.evaluate(() => { document.body.dataset.state = ''; });
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.waitForFunction(isDone, null, { timeout, polling: 250 });
  return page.locator('#error').evaluate((e) => (e.hidden ? '' : e.textContent));
}

async function downloadPdb(page, tmp, name) {
  const dl = await download(page, tmp, name, /Download PDB/);
  return { name: dl.name, pdb: fs.readFileSync(dl.file, 'utf8') };
}

const pageTemplates = (page) => page.locator('#template-rows tr').evaluateAll((rows) =>
  rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));

// T1016 on templates: the page's table names the CLI's templates and the PDB equals the CLI's.
async function checkTemplated(page, label, native, tmp) {
  await page.getByLabel('Sequence').fill(T1016);
  const t0 = Date.now();
  const err = await predictAndWait(page, 300_000);
  check(!err, `${label} T1016: prediction finished without an error${err ? `: ${err}` : ''}`);
  if (err) return;
  const method = await page.locator('#summary').getAttribute('data-method');
  const ms = Number(await page.locator('#summary').getAttribute('data-template-ms'));
  log(`  ${await page.locator('#summary').textContent()} (search + model ${ms.toFixed(0)} ms; wall ${(Date.now() - t0) / 1000} s)`);
  check(method === 'templates', `${label} T1016: built on templates (method ${method})`);
  const summaryText = await page.locator('#summary').textContent();
  check(native.quality !== null && summaryText.includes(`; ${native.quality}.`),
    `${label} T1016: the summary gives the CLI's stereochemistry (${native.quality}): ${JSON.stringify(summaryText)}`);
  const rows = await pageTemplates(page);
  const want = native.templates.map((t) => [t.name, `${t.identity}%`, `${t.coverage}%`, t.evalue, t.profileEvalue, t.query, t.template]);
  const got = rows.map((r) => r.slice(0, 7));
  check(want.length > 0 && JSON.stringify(got) === JSON.stringify(want) && await page.locator('#templates').isVisible(),
    `${label} T1016: the template table shows the CLI's templates: page ${JSON.stringify(got)}, CLI ${JSON.stringify(want)}`);
  check(await page.locator('#template-note').isHidden(), `${label} T1016: no "no template" sentence`);
  // The alignments (below the table, folded) spell the CLI's REMARK 3 ALN lines of template 1.
  const remarkAln = (kind) => native.pdb.split('\n').filter((l) => l.startsWith(`REMARK   3 TEMPLATE 1 ALN ${kind}`))
    .map((l) => l.slice(`REMARK   3 TEMPLATE 1 ALN ${kind}`.length).trim()).join('');
  const alnText = await page.locator('#alignment-text').textContent();
  const first = alnText.split('Template 2:')[0];
  const spelled = (name) => first.split('\n').filter((l) => l.startsWith(name))
    .map((l) => { const w = l.trim().split(/\s+/); return w[w.length - 2]; }).join('');
  const cliName = native.templates[0] ? native.templates[0].name : '?';
  check(first.startsWith(`Template 1: ${cliName}`) && remarkAln('QUERY').length > 0
    && spelled('Query') === remarkAln('QUERY') && spelled(cliName) === remarkAln('TMPL'),
    `${label} T1016: the page's alignment of ${cliName} spells the CLI's REMARK 3 ALN lines`);
  // The table is above the structure.
  const [tableY, viewerY] = await Promise.all([page.locator('#templates').boundingBox(), page.locator('#viewer').boundingBox()]);
  check(tableY.y < viewerY.y, `${label} T1016: the template table is above the 3D view`);
  const dl = await downloadPdb(page, tmp, `${label}-t1016`);
  check(dl.name === 'T1016.pdb', `${label} T1016: download is named ${dl.name}`);
  checkBackbone(dl.pdb, `${label} T1016`, T1016_SEQ);
  compareNative(dl.pdb, native.pdb, `${label} T1016`, 0.001);
  check(await page.locator('#plot circle').count() === T1016_SEQ.length, `${label} T1016: pLDDT plot has one point per residue`);
  const sideAtoms = dl.pdb.split('\n').filter((l) => l.startsWith('ATOM') && !['N', 'CA', 'C', 'O', 'CB'].includes(l.slice(12, 16).trim())).length;
  check(/FULL-ATOM MODEL/.test(dl.pdb) && sideAtoms > 5 * T1016_SEQ.length / 2, `${label} T1016: the PDB is a full-atom model (${sideAtoms} side-chain atoms beyond CB)`);
  // Side chains as sticks on demand: the view is redrawn, still a canvas, no error.
  await page.getByLabel('Show side chains').check();
  await page.waitForTimeout(300);
  const viewerText = await page.locator('#viewer').textContent();
  check(await page.locator('#viewer canvas').count() > 0 && !/unavailable|did not load/.test(viewerText), `${label} T1016: the 3D view redraws with side chains shown`);
  await page.getByLabel('Show side chains').uncheck();
}

// T1008 (no template at E <= 1e-3; its tentative hits, E 0.02-0.1, are too weak to come before
// the assembly): assembled from fragments, the page says so, shows the progress of the
// trajectories, and its PDB equals the CLI's.
async function checkAssembled(page, label, native, tmp) {
  await page.getByLabel('Sequence').fill(T1008);
  await page.evaluate(() => {
    const el = document.getElementById('progress-text');
    window.progressTexts = [];
    new MutationObserver(() => window.progressTexts.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
  });
  const err = await predictAndWait(page, 600_000);
  check(!err, `${label} T1008: prediction finished without an error${err ? `: ${err}` : ''}`);
  if (err) return;
  check(await page.locator('#summary').getAttribute('data-method') === 'assembly', `${label} T1008: assembled from fragments`);
  const texts = await page.evaluate(() => window.progressTexts);
  const traj = texts.find((t) => /assembling from fragments, [1-9]\d* of \d+ trajectories done on \d+ workers?/.test(t));
  check(traj !== undefined, `${label} T1008: the progress counts the trajectories: ${JSON.stringify(traj || texts.slice(-2))}`);
  // The trajectories ran on several workers (the primary and helpers; pool.js).
  const workers = Number(await page.locator('#summary').getAttribute('data-workers'));
  const helpers = JSON.parse(await page.locator('#summary').getAttribute('data-helpers'));
  const summary = await page.locator('#summary').textContent();
  log(`  ${summary} (helpers: ${JSON.stringify(helpers)})`);
  check(workers > 1 && helpers.some((h) => h.ran) && summary.includes(`(trajectories on ${workers} workers)`),
    `${label} T1008: the trajectories ran on ${workers} workers, helpers among them: ${JSON.stringify(helpers)}`);
  const note = await page.locator('#template-note').evaluate((e) => (e.hidden ? '' : e.textContent));
  check(note.startsWith('No template found (E-value <= 1e-3, nor a tentative one <= 1e-2): this structure was assembled from fragments of known structures')
    && await page.locator('#templates').isHidden(), `${label} T1008: the page says the structure was assembled: ${JSON.stringify(note)}`);
  check(native.pdb.includes('REMARK   3 STRUCTURE BY FRAGMENT ASSEMBLY FROM THE TEMPLATE LIBRARY'), `${label} T1008: the CLI's PDB says it was assembled`);
  const dl = await downloadPdb(page, tmp, `${label}-t1008`);
  compareNative(dl.pdb, native.pdb, `${label} T1008`, 0.001);
}

// Cancel while the trajectories run on the workers: the run stops (primary and helpers are
// terminated) and the page stays usable (the batch that follows assembles a record again).
async function checkCancelAssembly(page, label) {
  await page.getByLabel('Sequence').fill(T1008);
  await page.getByRole('button', { name: 'Predict', exact: true }).click();
  await page.waitForFunction(() => /trajectories done/.test(document.getElementById('progress-text').textContent), null, { timeout: 300_000, polling: 50 });
  await page.getByRole('button', { name: 'Cancel' }).click();
  const st = await page.locator('#status').textContent();
  check(st === 'Cancelled.' && await page.getByRole('button', { name: 'Predict', exact: true }).isEnabled(),
    `${label}: Cancel stops an assembly running on the workers (${JSON.stringify(st)})`);
}

async function runMode(mode, server, native, tmp) {
  const gpu = mode === 'webgpu';
  const profile = fs.mkdtempSync(path.join(tmp, `profile-${mode}-`));
  const flags = chromiumFlags(gpu);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: flags, acceptsDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  const requests = [];
  context.on('request', (r) => requests.push(r.url()));
  const page = context.pages()[0] || await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log(`  console.${m.type()}: ${m.text().slice(0, 400)}`); });
  page.on('pageerror', (e) => log(`  page error: ${e.message}`));
  const label = gpu ? 'WebGPU' : 'CPU';
  const t0 = Date.now();
  try {
    await page.goto(server.url);
    const hasGpu = await page.evaluate(async () => !!(navigator.gpu && await navigator.gpu.requestAdapter()));
    log(`${label} run: navigator.gpu adapter ${hasGpu ? 'present' : 'absent'}`);
    const seq = page.getByLabel('Sequence');
    check(await page.getByLabel('Use templates').isChecked(), `${label}: "Use templates" is on by default`);

    // Bad input: the parser's message, naming the character and its position.
    await seq.fill('>bad\nMKTAY#IAKQ');
    await page.getByRole('button', { name: 'Predict', exact: true }).click();
    const alert = page.getByRole('alert');
    await alert.waitFor({ state: 'visible', timeout: 120_000 });
    const msg = await alert.textContent();
    check(/'#'/.test(msg) && /residue 6\b/.test(msg), `${label}: bad input shows the parser's message: ${JSON.stringify(msg)}`);

    // The 80-residue prediction with "Use templates" off: the network's prediction (with
    // templates on, a protein without a template is assembled from fragments: T1008 below).
    await page.getByLabel('Use templates').uncheck();
    await seq.fill(INPUT);
    const tPredict = Date.now();
    const err = await predictAndWait(page, gpu ? 540_000 : 180_000);
    check(!err, `${label}: prediction finished without an error${err ? `: ${err}` : ''}`);
    const summary = await page.locator('#summary').textContent();
    log(`  ${summary} (wall ${(Date.now() - tPredict) / 1000} s incl. weights/device start and the library)`);
    const backend = await page.locator('#backend').textContent();
    check(backend.includes(gpu ? 'WebGPU' : 'CPU') && (await page.locator('#backend').getAttribute('data-backend')) === label,
      `${label}: page states the backend: ${JSON.stringify(backend)}`);
    const warnings = await page.locator('#warnings').textContent();
    check(/\bU\b/.test(warnings) && !(await page.locator('#warnings').isHidden()), `${label}: the U -> C substitution is shown as a warning`);
    const library = await page.locator('#library').textContent();
    check(await page.locator('#library').getAttribute('data-state') === 'ready' && /21,119 chains/.test(library),
      `${label}: the template library is loaded: ${JSON.stringify(library.trim())}`);
    const note = await page.locator('#template-note').evaluate((e) => (e.hidden ? '' : e.textContent));
    check(note === "Templates switched off: this structure is the network's own low-confidence prediction."
      && await page.locator('#templates').isHidden() && await page.locator('#summary').getAttribute('data-method') === 'network',
    `${label}: templates off, the network's prediction of the 80 residues, said plainly: ${JSON.stringify(note)}`);
    if (err) return;

    const dl = await downloadPdb(page, tmp, mode);
    check(dl.name === `${ID}.pdb`, `${label}: download is named ${dl.name}`);
    checkBackbone(dl.pdb, label, EXPECTED_SEQ);
    // wasm32 (scalar f32) and native x86-64 (SIMD/FMA gemm) round differently, and WebGPU sums
    // in yet another order; the relaxation is built to be a smooth map of the network output
    // (docs/DESIGN.md D8, tests/relax_stability.rs), so the PDBs agree to the printed 0.001 A.
    compareNative(dl.pdb, native.test80.pdb, label, 0.001);

    const plotPoints = await page.locator('#plot circle').count();
    check(plotPoints === EXPECTED_SEQ.length, `${label}: pLDDT plot has one point per residue`);
    const canvas = await page.locator('#viewer canvas').count();
    check(canvas > 0, `${label}: 3D viewer canvas present`);

    if (SCREENSHOT && !gpu) {
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.resolve(ROOT, SCREENSHOT), fullPage: true });
      log(`  screenshot -> ${SCREENSHOT}`);
    }

    // Templated: no network run, so this is cheap on WebGPU too.
    await page.getByLabel('Use templates').check();
    await checkTemplated(page, label, native.t1016, tmp);
    if (SCREENSHOT_TEMPLATES && !gpu) {
      await page.waitForTimeout(1000);
      await page.screenshot({ path: path.resolve(ROOT, SCREENSHOT_TEMPLATES), fullPage: true });
      log(`  screenshot -> ${SCREENSHOT_TEMPLATES}`);
    }
    // No template (its tentative hits are too weak): assembled from fragments (no network run).
    await checkAssembled(page, label, native.t1008, tmp);
    if (SCREENSHOT_ASSEMBLY && !gpu) {
      await page.waitForTimeout(1000);
      await page.screenshot({ path: path.resolve(ROOT, SCREENSHOT_ASSEMBLY), fullPage: true });
      log(`  screenshot -> ${SCREENSHOT_ASSEMBLY}`);
    }

    if (!gpu) {
      // "Use templates" off: the network's prediction, as `webfold predict --templates off`.
      await page.getByLabel('Use templates').uncheck();
      await seq.fill(SHORT);
      const e2 = await predictAndWait(page, 120_000);
      check(!e2, `${label} templates off: prediction finished without an error${e2 ? `: ${e2}` : ''}`);
      const off = await page.locator('#template-note').evaluate((e) => (e.hidden ? '' : e.textContent));
      check(await page.locator('#summary').getAttribute('data-method') === 'network' && /^Templates switched off: /.test(off)
        && await page.locator('#templates').isHidden(), `${label} templates off: the network's prediction, said plainly: ${JSON.stringify(off)}`);
      const d2 = await downloadPdb(page, tmp, 'off');
      compareNative(d2.pdb, native.shortOff.pdb, `${label} templates off`, 0.001);

      // Bad template options: the message names the field (checked before any model work).
      await page.locator('summary', { hasText: 'Template options' }).click();
      await page.getByLabel('E-value cutoff').fill('abc');
      await page.getByRole('button', { name: 'Predict', exact: true }).click();
      await page.waitForFunction(() => /E-value/.test(document.getElementById('error').textContent), null, { timeout: 30_000 });
      check((await page.getByRole('alert').textContent()) === "Template E-value: 'abc' is not a positive number",
        `${label}: a bad E-value is refused with the field's message`);
      await page.getByLabel('E-value cutoff').fill('');

      // Over the length limit: the parser's message states it.
      await page.getByLabel('Sequence').fill('A'.repeat(1001));
      await page.getByRole('button', { name: 'Predict', exact: true }).click();
      await page.waitForFunction(() => /limit/.test(document.getElementById('error').textContent), null, { timeout: 30_000 });
      check(/1001 residues; the limit is 1000/.test(await page.getByRole('alert').textContent()), `${label}: a 1001-residue input is rejected, stating the limit`);

      // Cancel stops a running prediction (the worker is terminated) and the page stays usable.
      // (Templates still off: the network runs long enough to be cancelled.)
      await page.getByLabel('Sequence').fill('MKTAYIAKQRQISFVKSHFSRQ'.repeat(18));
      await page.getByRole('button', { name: 'Predict', exact: true }).click();
      await page.waitForTimeout(300);
      await page.getByRole('button', { name: 'Cancel' }).click();
      const st = await page.locator('#status').textContent();
      check(st === 'Cancelled.' && await page.getByRole('button', { name: 'Predict', exact: true }).isEnabled(), `${label}: Cancel stops the run (${JSON.stringify(st)})`);
      // Cancel in a batch, during its second record: the first stays listed and downloadable.
      await page.getByLabel('Sequence').fill(`${SHORT}\n>long\n${'MKTAYIAKQRQISFVKSHFSRQ'.repeat(18)}\n`);
      await page.getByRole('button', { name: 'Predict', exact: true }).click();
      await page.waitForFunction(() => /^Record 2 of 2/.test(document.getElementById('progress-text').textContent), null, { timeout: 120_000, polling: 50 });
      await page.getByRole('button', { name: 'Cancel' }).click();
      const st2 = await page.locator('#status').textContent();
      const listed = await page.locator('#record-list button').allTextContents();
      check(st2 === 'Cancelled after 1 of 2 records.' && /^short \(22 residues\): mean pLDDT/.test(listed[0]) && /^long \(396 residues\): not predicted/.test(listed[1])
        && /1 of 2 records/.test(await page.locator('#download-all').textContent()),
        `${label}: Cancel stops a batch and keeps the records done (${JSON.stringify(st2)}, ${JSON.stringify(listed)})`);
      await page.getByLabel('Use templates').check();
      await checkCancelAssembly(page, label);

      await checkBatch(page, label, native, tmp);
      if (SCREENSHOT_BATCH) {
        await page.locator('#record-list button').nth(2).click();
        await page.waitForTimeout(1000);
        await page.screenshot({ path: path.resolve(ROOT, SCREENSHOT_BATCH), fullPage: true });
        log(`  screenshot -> ${SCREENSHOT_BATCH}`);
      }
      await checkLink(page, context, label);

      // Offline after the first visit: the service worker serves everything from its cache,
      // the template library included.
      await page.evaluate(() => navigator.serviceWorker.ready);
      await page.reload();
      await page.evaluate(() => navigator.serviceWorker.ready);
      await context.setOffline(true);
      await page.reload();
      await page.getByLabel('Sequence').fill(SHORT);
      const e3 = await predictAndWait(page, 120_000);
      const s = await page.locator('#summary').textContent();
      check(!e3 && s.startsWith('short: 22 residues'), `${label}: offline reload predicts from the cache: ${JSON.stringify(s)}${e3 ? ` (${e3})` : ''}`);
      const rows = await pageTemplates(page);
      check(await page.locator('#summary').getAttribute('data-method') === 'templates' && rows.length > 0,
        `${label}: offline, the cached template library is searched (${rows.map((r) => r[0]).join(', ') || 'no template'})`);
      await context.setOffline(false);
    }
  } catch (e) {
    check(false, `${label}: ${e.message.split('\n')[0]}`);
    await page.screenshot({ path: path.join(tmp, `failure-${mode}.png`) }).catch(() => {});
  } finally {
    const foreign = requests.filter((u) => !u.startsWith(server.url) && !/^(data|blob):/.test(u));
    check(foreign.length === 0, `${label}: all ${requests.length} requests went to ${server.url}${foreign.length ? ` (foreign: ${foreign.slice(0, 3).join(', ')})` : ''}`);
    log(`${label} run took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }
}

// Injected into worker.js for the device-loss run: keeps the GPUDevice that burn's wgpu runtime
// requests and destroys it shortly after a prediction starts (what a driver reset or the
// browser reclaiming the GPU looks like to the page).
const DEVICE_LOSS_HOOK = `
const __requestDevice = GPUAdapter.prototype.requestDevice;
GPUAdapter.prototype.requestDevice = async function (...a) {
  const d = await __requestDevice.apply(this, a);
  self.__webfoldTestDevice = d;
  return d;
};
self.addEventListener('message', (ev) => {
  if (ev.data && ev.data.type === 'predict') setTimeout(() => self.__webfoldTestDevice && self.__webfoldTestDevice.destroy(), 3000);
});
`;

// WebGPU is lost in the middle of a prediction: the page must not hang, must say that WebGPU
// failed, finish on the CPU, and still give the CLI's PDB.
async function runDeviceLoss(server, native, tmp) {
  const label = 'WebGPU lost';
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-lost-'));
  const flags = chromiumFlags(true);
  // No service worker: it would serve worker.js from its cache, past the route below.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: flags, acceptsDownloads: true, serviceWorkers: 'block',
  });
  let hooked = false;
  await context.route(/\/worker\.js$/, async (route) => {
    const res = await route.fetch();
    const body = (await res.text()).replace(/^(import [^\n]*\n)/m, `$1${DEVICE_LOSS_HOOK}`);
    hooked = body.includes('__webfoldTestDevice');
    await route.fulfill({ response: res, body });
  });
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => log(`  page error: ${e.message}`));
  const t0 = Date.now();
  try {
    await page.goto(server.url);
    // Templates off: the network runs on WebGPU (with them, this record would be assembled).
    await page.getByLabel('Use templates').uncheck();
    await page.getByLabel('Sequence').fill(INPUT);
    const err = await predictAndWait(page, 300_000);
    check(hooked, `${label}: the device-loss hook was injected into worker.js`);
    check(!err, `${label}: prediction finished without an error${err ? `: ${err}` : ''}`);
    const backend = await page.locator('#backend').textContent();
    check((await page.locator('#backend').getAttribute('data-backend')) === 'CPU' && /WebGPU failed/.test(backend),
      `${label}: the page says WebGPU failed and the CPU ran: ${JSON.stringify(backend)}`);
    const dl = await downloadPdb(page, tmp, 'lost');
    compareNative(dl.pdb, native.test80.pdb, label, 0.001);
  } catch (e) {
    check(false, `${label}: ${e.message.split('\n')[0]}`);
  } finally {
    log(`${label} run took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }
}

// The template library cannot be downloaded (the request is aborted): the page must say so and
// still predict, with the network (the coordinates of `webfold predict --templates off`; the
// PDB's REMARK 3 says that the library was not loaded).
async function runNoLibrary(server, native, tmp) {
  const label = 'no library';
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-nolib-'));
  // No service worker: its install would fail on the aborted file, and it fetches on its own.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: chromiumFlags(false), acceptsDownloads: true, serviceWorkers: 'block',
  });
  let aborted = 0;
  await context.route(/\/templates\/library\.wftl$/, (route) => { aborted++; return route.abort('connectionrefused'); });
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => log(`  page error: ${e.message}`));
  const t0 = Date.now();
  try {
    await page.goto(server.url);
    await page.getByLabel('Sequence').fill(SHORT);
    const err = await predictAndWait(page, 180_000);
    check(aborted > 0, `${label}: the library request was aborted (${aborted}x)`);
    check(!err, `${label}: prediction finished without an error${err ? `: ${err}` : ''}`);
    const lib = (await page.locator('#library').textContent()).trim();
    check(await page.locator('#library').getAttribute('data-state') === 'failed' && /could not be loaded/.test(lib),
      `${label}: the page says the library could not be loaded: ${JSON.stringify(lib)}`);
    const note = await page.locator('#template-note').evaluate((e) => (e.hidden ? '' : e.textContent));
    check(/^The template library could not be loaded \(.+\): this structure is the network's own low-confidence prediction\.$/.test(note)
      && await page.locator('#summary').getAttribute('data-method') === 'network', `${label}: the result says why the network made it: ${JSON.stringify(note)}`);
    const dl = await downloadPdb(page, tmp, 'nolib');
    const remarks = dl.pdb.split('\n').filter((l) => l.startsWith('REMARK   3 ')).map((l) => l.trimEnd());
    // The estimated TM-score first, then why no template was used.
    check(/^REMARK   3 ESTIMATED TM-SCORE 0\.\d\d /.test(remarks[0]) && remarks[1] === 'REMARK   3 NO TEMPLATE SEARCH (TEMPLATE LIBRARY NOT LOADED)',
      `${label}: the PDB says why: ${JSON.stringify(remarks)}`);
    compareNative(dl.pdb, native.shortOff.pdb, label, 0.001, true);
  } catch (e) {
    check(false, `${label}: ${e.message.split('\n')[0]}`);
  } finally {
    log(`${label} run took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }
}

// A helper worker fails (its template library download is refused; the primary's went
// through): the page says so, and the primary runs every trajectory: the same PDB as the CLI's.
async function runHelperFailure(server, native, tmp) {
  const label = 'helper failure';
  const profile = fs.mkdtempSync(path.join(tmp, 'profile-helperfail-'));
  // No service worker: it would fetch the library on its own, past the route below.
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: chromiumFlags(false), acceptsDownloads: true, serviceWorkers: 'block',
  });
  let served = 0;
  await context.route(/\/templates\/library\.wftl$/, (route) => (served++ === 0 ? route.continue() : route.abort('connectionrefused')));
  const page = context.pages()[0] || await context.newPage();
  page.on('pageerror', (e) => log(`  page error: ${e.message}`));
  const t0 = Date.now();
  try {
    await page.goto(server.url + '?cpu');
    // The primary worker's library first (the helpers start with Predict).
    await page.waitForFunction(() => document.getElementById('library').dataset.state === 'ready', null, { timeout: 300_000, polling: 200 });
    await page.getByLabel('Sequence').fill(T1008);
    const err = await predictAndWait(page, 600_000);
    check(!err, `${label}: prediction finished without an error${err ? `: ${err}` : ''}`);
    const warnings = await page.locator('#warnings').textContent();
    check(/Helper worker \d+ failed \(.*template library.*\); its trajectories run on the other workers\./.test(warnings),
      `${label}: the page says which helper failed and why: ${JSON.stringify(warnings)}`);
    const workers = Number(await page.locator('#summary').getAttribute('data-workers'));
    check(workers === 1 && await page.locator('#summary').getAttribute('data-method') === 'assembly',
      `${label}: the primary worker ran every trajectory (${workers} worker)`);
    const dl = await downloadPdb(page, tmp, 'helperfail-t1008');
    compareNative(dl.pdb, native.t1008.pdb, `${label} T1008`, 0.001);
  } catch (e) {
    check(false, `${label}: ${e.message.split('\n')[0]}`);
  } finally {
    log(`${label} run took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await context.close();
  }
}

async function main() {
  if (!fs.existsSync(path.join(DIST, 'index.html'))) throw new Error(`no built page in ${DIST} (run ./build.sh build)`);
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM)`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'webfold-browser-'));
  const native = {
    test80: nativePdb(tmp, 'test80', INPUT, ID, ['--templates', 'off']),
    t1016: nativePdb(tmp, 't1016', T1016, 'T1016'),
    t1008: nativePdb(tmp, 't1008', T1008, 'T1008'),
    shortOff: nativePdb(tmp, 'short-off', SHORT, 'short', ['--templates', 'off']),
    batch: nativeBatch(tmp, 'batch', BATCH, BATCH_IDS),
  };
  if (!native.t1016.templates.length) throw new Error('the CLI found no template for T1016 (expected one; see its table above)');
  const server = await startServer(DIST);
  log(`serving ${DIST} at ${server.url}; native reference from ${CLI}`);
  try {
    for (const mode of ['cpu', 'webgpu']) {
      if (!ONLY || ONLY === mode) await runMode(mode, server, native, tmp);
    }
    if (!ONLY || ONLY === 'nolibrary') await runNoLibrary(server, native, tmp);
    if (!ONLY || ONLY === 'lost') await runDeviceLoss(server, native, tmp);
    if (!ONLY || ONLY === 'helperfail') await runHelperFailure(server, native, tmp);
  } finally {
    server.proc.kill();
    if (!args.includes('--keep')) fs.rmSync(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
  if (failures) {
    log(`${failures} check(s) failed`);
    process.exit(1);
  }
  log('all browser checks passed');
}

main().catch((e) => { console.error(e); process.exit(1); });
