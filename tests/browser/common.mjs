// Shared by the browser tests (run.mjs) and the browser benchmark (bench.mjs).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Chromium flags for a quiet, hermetic headless run; with `webgpu` the software WebGPU adapter
// (SwiftShader) is enabled, otherwise the GPU is disabled (the page then runs on the CPU).
export function chromiumFlags(webgpu) {
  return ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--disable-quic', '--enable-unsafe-swiftshader', webgpu ? '--enable-unsafe-webgpu' : '--disable-gpu'];
}

// Serves DIST with scripts/serve.py on a free 127.0.0.1 port; resolves to {proc, url}.
export function startServer(dist) {
  return new Promise((resolve, reject) => {
    const proc = spawn('python3', [path.join(ROOT, 'scripts/serve.py'), dist, '0', '-q'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/http:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) resolve({ proc, url: m[0] });
    });
    proc.on('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
}

// The CASP13 evaluation set, found like tests/common/mod.rs finds it: $WEBFOLD_SHARED/eval/casp13,
// else next to the repository (../shared/eval/casp13), else /work/shared/eval/casp13.
export function casp13Dir() {
  const candidates = [path.join(ROOT, '../shared/eval/casp13'), '/work/shared/eval/casp13'];
  if (process.env.WEBFOLD_SHARED) candidates.unshift(path.join(process.env.WEBFOLD_SHARED, 'eval/casp13'));
  const dir = candidates.find((d) => fs.existsSync(path.join(d, 'casp13.fasta')));
  if (!dir) throw new Error(`no CASP13 set (casp13.fasta) in ${candidates.join(' or ')} (set WEBFOLD_SHARED)`);
  return dir;
}

// The sequence of record ID in the FASTA file FILE.
export function fastaRecord(file, id) {
  const text = fs.readFileSync(file, 'utf8');
  const m = text.match(new RegExp(`^>${id}\\b[^\\n]*\\n([^>]*)`, 'm'));
  if (!m) throw new Error(`${id} is not in ${file}`);
  return m[1].replace(/\s+/g, '');
}
