// Service worker: keeps the page, the program, the viewer, the weights and the template library
// for offline use.
// Network first (so a rebuilt page or new weights are picked up when online), cache as fallback.
const BUILD = '__BUILD_ID__';  // replaced by ./build.sh
const CACHE = `webfold-${BUILD}`;
const FILES = ['./', 'index.html', 'main.js', 'pool.js', 'worker.js', 'style.css', 'pkg/webfold.js', 'pkg/webfold_bg.wasm',
  'vendor/3Dmol-min.js', 'weights/webfold.safetensors', 'templates/library.wftl'];

self.addEventListener('install', (ev) => {
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== CACHE) await caches.delete(key);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (ev) => {
  const url = new URL(ev.request.url);
  if (ev.request.method !== 'GET' || url.origin !== self.location.origin) return;
  ev.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const res = await fetch(ev.request);
      // Cached while the page reads the same bytes (its download progress stays live).
      if (res.ok) ev.waitUntil(cache.put(ev.request, res.clone()).catch((e) => console.warn('not cached:', ev.request.url, e)));
      return res;
    } catch (e) {
      const hit = await cache.match(ev.request, { ignoreSearch: true });
      if (hit) return hit;
      throw e;
    }
  })());
});
