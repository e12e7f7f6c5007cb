// The crew view's service worker: keeps only the app shell (the /crew page and the hashed /assets it loads) for use without signal; /graphql and every other request go straight to the network, so patient data is never cached.
/* global self, caches, fetch, URL -- a service worker's own globals */
const SHELL_CACHE = "tsunagu-crew-shell";
const SHELL_PAGE = "/crew";

/** The /assets files `text` names: `/assets/x.js` in the page, `"./x.js"` or `"assets/x.js"` in a script's imports and preload lists. */
function assetsNamedIn(text) {
  const pattern = /(?:\/assets\/|["'`](?:\.\/|assets\/))([\w.-]+\.(?:js|css))/g;
  return Array.from(text.matchAll(pattern), (match) => `/assets/${match[1]}`);
}

/** Fetches the page and everything it loads, lazily loaded chunks (the QR decoder) included, and only then swaps the cache's page. */
async function refreshShell() {
  const cache = await caches.open(SHELL_CACHE);
  const page = await fetch(SHELL_PAGE, { cache: "no-cache" });
  if (!page.ok) return;
  const html = await page.clone().text();
  const assets = new Set(assetsNamedIn(html));
  for (const asset of [...assets]) {
    if (!asset.endsWith(".js")) continue;
    const response = (await cache.match(asset)) ?? (await fetch(asset));
    if (!response.ok) return;
    await cache.put(asset, response.clone());
    for (const chunk of assetsNamedIn(await response.text())) assets.add(chunk);
  }
  for (const asset of assets) if ((await cache.match(asset)) === undefined) await cache.add(asset);
  await cache.put(SHELL_PAGE, page);
  // Files of earlier versions go once the new page is in place.
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path !== SHELL_PAGE && !assets.has(path)) await cache.delete(request);
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(refreshShell().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === SHELL_PAGE) {
    // The kept shell at once (one bar of signal), refreshed behind it for the next opening.
    event.respondWith(
      caches.match(SHELL_PAGE).then((kept) => {
        const refresh = refreshShell().catch(() => undefined);
        event.waitUntil(refresh);
        return kept ?? fetch(request);
      }),
    );
    return;
  }
  if (url.pathname.startsWith("/assets/")) {
    // Hashed, so a kept file never changes; a file not yet kept is fetched and kept.
    event.respondWith(
      caches.match(request).then(
        (kept) =>
          kept ??
          fetch(request).then(async (response) => {
            if (response.ok) await (await caches.open(SHELL_CACHE)).put(request, response.clone());
            return response;
          }),
      ),
    );
  }
  // Anything else, /graphql above all, is not answered here: it goes to the network and is never kept.
});
