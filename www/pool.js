// The assembly's trajectories on several Web Workers. The primary worker (worker.js, which
// predicts) asks for them; this pool hands them out one at a time to every worker that is ready
// (the primary itself and the helpers, each its own wasm instance with the template library),
// collects them in trajectory order and gives them back to the primary, which finishes the model.
// The Monte Carlo runs in Rust (src/web.rs trajectories); this file only moves messages.

// Helper workers besides the primary: one per further core, at least one, at most three (four
// workers in all: more would mostly add memory, a template library per worker). `?helpers=N`
// in the address (0-3) overrides it, for the benchmark's comparisons.
export function helperCount() {
  const asked = new URLSearchParams(self.location.search).get('helpers');
  if (asked !== null && /^[0-3]$/.test(asked)) return Number(asked);
  const cores = navigator.hardwareConcurrency || 2;
  return Math.min(3, Math.max(1, cores - 1));
}

export class TrajectoryPool {
  // onProgress({done, total, workers}); onHelperFailed(text): a helper stopped, its
  // trajectories went to the others.
  constructor({ onProgress, onHelperFailed }) {
    this.onProgress = onProgress;
    this.onHelperFailed = onHelperFailed;
    this.helpers = [];  // {id, worker, ready, busy: k or null, loadMs, memory, failed}
    this.nextId = 1;
    this.job = null;
  }

  // Starts the helpers that are missing (they stay loaded between predictions).
  ensureHelpers() {
    while (this.helpers.length < helperCount()) this.helpers.push(this.startHelper());
  }

  startHelper() {
    const h = { id: this.nextId++, worker: new Worker('worker.js', { type: 'module' }), ready: false, busy: null, loadMs: null, memory: 0, failed: false };
    h.worker.onmessage = (ev) => this.fromHelper(h, ev.data);
    h.worker.onerror = (ev) => {
      ev.preventDefault();
      this.helperFailed(h, ev.message || 'the worker failed to start');
    };
    h.worker.postMessage({ type: 'helper' });
    return h;
  }

  fromHelper(h, m) {
    if (m.type === 'helper-ready') {
      Object.assign(h, { ready: true, loadMs: m.load_ms, memory: m.wasm_memory_bytes });
      this.dispatch();
    } else if (m.type === 'helper-failed') {
      this.helperFailed(h, `${m.phase}: ${m.message}`);
    } else if (m.type === 'trajectories' || m.type === 'trajectories-error') {
      this.reply(h, m);
    } else if (m.type === 'fatal') {
      this.helperFailed(h, m.message);
    }
  }

  // The primary's own replies (main.js routes them here).
  fromPrimary(m) {
    if (this.job) this.reply(this.job.primary, m);
  }

  // Runs trajectories 0..msg.decoys of the assembly `msg` (the primary's 'assembly' message) on
  // the primary `worker` and the helpers; sends them, in order, back to the primary.
  run(worker, msg) {
    this.ensureHelpers();
    const total = msg.decoys;
    this.job = {
      key: `${msg.req}:${msg.index}`, msg, total, results: new Array(total), done: 0, queue: [...Array(total).keys()],
      primary: { id: 0, worker, ready: true, busy: null, primary: true }, ran: new Set(),
    };
    this.onProgress({ done: 0, total, workers: this.runners().length });
    this.dispatch();
  }

  runners() {
    return this.job ? [this.job.primary, ...this.helpers.filter((h) => h.ready && !h.failed)] : [];
  }

  // Gives every idle worker the next trajectory.
  dispatch() {
    const job = this.job;
    if (!job) return;
    for (const r of this.runners()) {
      if (r.busy !== null || job.queue.length === 0) continue;
      r.busy = job.queue.shift();
      const { text, options, index } = job.msg;
      r.worker.postMessage({ type: 'trajectories', job: job.key, text, options, index, from: r.busy, to: r.busy + 1 });
    }
  }

  reply(r, m) {
    const job = this.job;
    if (r.busy === null || !job || m.job !== job.key) return;
    const k = r.busy;
    r.busy = null;
    if (m.type === 'trajectories-error') {
      if (r.primary) this.fail(`trajectory ${k + 1} failed: ${m.message}`);
      else this.helperFailed(r, `trajectory ${k + 1}: ${m.message}`);
      return;
    }
    if (!r.primary) r.memory = m.wasm_memory_bytes;
    job.results[k] = m.packed;
    job.done++;
    job.ran.add(r.id);
    this.onProgress({ done: job.done, total: job.total, workers: this.runners().length });
    if (job.done === job.total) this.complete();
    else this.dispatch();
  }

  // Every trajectory is in: one array in trajectory order, moved (not copied) to the primary.
  complete() {
    const job = this.job;
    this.job = null;
    const per = job.results[0].length;
    const packed = new Float64Array(per * job.total);
    job.results.forEach((p, k) => packed.set(p, k * per));
    const helpers = this.helpers.filter((h) => h.ready && !h.failed).map((h) => ({ id: h.id, load_ms: h.loadMs, wasm_memory_bytes: h.memory, ran: job.ran.has(h.id) }));
    job.primary.worker.postMessage({ type: 'decoys', req: job.msg.req, index: job.msg.index, packed, workers: job.ran.size, helpers }, [packed.buffer]);
  }

  // A helper that fails is stopped and dropped; its trajectory goes back to the queue, so the
  // primary (always a runner) and the other helpers finish the job. A new helper replaces it
  // when the next assembly starts (one try per assembly: no restart loop).
  helperFailed(h, why) {
    if (h.failed) return;
    h.failed = true;
    h.worker.terminate();
    this.helpers = this.helpers.filter((x) => x !== h);
    if (h.busy !== null && this.job) this.job.queue.unshift(h.busy);
    h.busy = null;
    this.onHelperFailed(`Helper worker ${h.id} failed (${why}); its trajectories run on the other workers.`);
    this.dispatch();
  }

  // The primary could not run a trajectory: the assembly fails with that message.
  fail(why) {
    const job = this.job;
    this.job = null;
    job.primary.worker.postMessage({ type: 'decoys-failed', req: job.msg.req, index: job.msg.index, message: why });
  }

  // Cancel or a failed primary: the job is dropped and the helpers are stopped (wasm cannot be
  // interrupted otherwise); the next prediction starts fresh ones.
  stop() {
    this.job = null;
    for (const h of this.helpers) { h.failed = true; h.worker.terminate(); }
    this.helpers = [];
  }
}
