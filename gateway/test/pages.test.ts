// The pages router over HTTP: a built file goes out brotli- or gzip-compressed as the request accepts, with Vary: Accept-Encoding, else as it is; hashed assets are immutable, pages revalidated.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, gzipSync, gunzipSync } from "node:zlib";
import express from "express";
import type { Server } from "node:http";
import { pagesRouter } from "../src/pages";

const script = `console.log(${JSON.stringify("つなぐ ".repeat(500))});\n`;
const page = `<!doctype html><html lang="ja"><title>portal</title><p>${"地域資源 ".repeat(400)}</p></html>\n`;
let server: Server;
let origin: string;

beforeAll(async () => {
  const dist = mkdtempSync(join(tmpdir(), "pages-"));
  mkdirSync(join(dist, "assets"));
  writeFileSync(join(dist, "index.html"), "<!doctype html><title>Tsunagu</title>\n");
  writeFileSync(join(dist, "portal.html"), page);
  writeFileSync(join(dist, "portal.html.gz"), gzipSync(page));
  writeFileSync(join(dist, "assets", "app-1a2b.js"), script);
  writeFileSync(join(dist, "assets", "app-1a2b.js.br"), brotliCompressSync(script));
  writeFileSync(join(dist, "assets", "app-1a2b.js.gz"), gzipSync(script));
  const app = express().use(pagesRouter({ distDir: dist, production: true }));
  server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

/** The raw answer (no decoding, unlike fetch): status, headers and body bytes. */
function get(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(`${origin}${path}`, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    })
      .on("error", reject)
      .end();
  });
}

test("an asset goes out as brotli when accepted, else gzip, else as it is; always with Vary: Accept-Encoding and a year's immutable caching", async () => {
  const brotli = await get("/assets/app-1a2b.js", { "accept-encoding": "gzip, deflate, br" });
  expect(brotli.status).toBe(200);
  expect(brotli.headers).toMatchObject({ "content-encoding": "br", vary: "Accept-Encoding", "cache-control": "public, max-age=31536000, immutable" });
  expect(brotli.headers["content-type"]).toMatch(/^(text|application)\/javascript/);
  expect(brotliDecompressSync(brotli.body).toString()).toBe(script);
  expect(brotli.body.length).toBeLessThan(Buffer.byteLength(script) / 10);

  const gzip = await get("/assets/app-1a2b.js", { "accept-encoding": "gzip" });
  expect(gzip.headers).toMatchObject({ "content-encoding": "gzip", vary: "Accept-Encoding" });
  expect(gunzipSync(gzip.body).toString()).toBe(script);
  // Weights count: brotli refused (q=0) leaves gzip.
  expect((await get("/assets/app-1a2b.js", { "accept-encoding": "br;q=0, gzip;q=0.5" })).headers["content-encoding"]).toBe("gzip");

  const plain = await get("/assets/app-1a2b.js");
  expect(plain.headers["content-encoding"]).toBeUndefined();
  expect(plain.headers.vary).toBe("Accept-Encoding");
  expect(plain.body.toString()).toBe(script);
  // The copies are not files of their own, and nothing outside the build is reached.
  expect((await get("/assets/app-1a2b.js.br")).status).toBe(404);
  expect((await get("/assets/..%2Fportal.html")).status).toBe(404);
});

test("a page is revalidated on each visit and compressed as its build copies allow; a file without copies goes out as it is, without Vary", async () => {
  const gzip = await get("/portal", { "accept-encoding": "br, gzip" });
  expect(gzip.headers).toMatchObject({ "content-encoding": "gzip", vary: "Accept-Encoding", "cache-control": "no-cache" });
  expect(gzip.headers["content-type"]).toBe("text/html; charset=utf-8");
  expect(gunzipSync(gzip.body).toString()).toBe(page);

  const small = await get("/", { "accept-encoding": "br, gzip" });
  expect(small.headers["content-encoding"]).toBeUndefined();
  expect(small.headers.vary).toBeUndefined();
  expect(small.body.toString()).toBe("<!doctype html><title>Tsunagu</title>\n");
});
