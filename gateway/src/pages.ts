// The reference pages (web/dist, built by Vite) on the gateway's origin: static files with long-lived caching for hashed assets, sent brotli- or gzip-compressed when the build wrote a copy and the browser accepts it, and GraphiQL for developers outside production.
import { existsSync } from "node:fs";
import { basename, extname, join, resolve } from "node:path";
import express from "express";
import type { Router } from "express";
import Negotiator from "negotiator";

/** Where `npm run build -w @tsunagu/web` writes the pages. */
export const DEFAULT_WEB_DIST_DIR = resolve(__dirname, "..", "..", "web", "dist");

export interface PagesOptions {
  distDir: string;
  /** Production serves the pages but not GraphiQL. */
  production: boolean;
}

/** The compressed copies the build writes beside a file (web/precompress.ts), best first. */
const ENCODINGS = [
  { name: "br", suffix: ".br" },
  { name: "gzip", suffix: ".gz" },
] as const;

interface SendOptions {
  /** Hashed assets never change under their name. */
  immutable: boolean;
}

/** Sends a built file: the copy in the best encoding the request accepts, else the file itself; `Vary: Accept-Encoding` wherever a copy exists. */
function sendBuilt(path: string, request: express.Request, response: express.Response, { immutable }: SendOptions): void {
  // Looked up on each request, as a rebuild while the gateway runs writes new files.
  const variants = ENCODINGS.filter((encoding) => existsSync(path + encoding.suffix));
  const cacheOptions = immutable ? { immutable: true, maxAge: "365d" } : { cacheControl: false };
  if (!immutable) response.set("cache-control", "no-cache");
  if (variants.length === 0) return response.sendFile(path, cacheOptions);
  response.vary("Accept-Encoding");
  // Browsers list gzip before br at equal weight; on a tie the smaller copy (br) goes.
  const accepted = new Negotiator(request).encoding([...variants.map((variant) => variant.name), "identity"], {
    preferred: ENCODINGS.map((encoding) => encoding.name),
  });
  const chosen = variants.find((variant) => variant.name === accepted);
  if (chosen === undefined) return response.sendFile(path, cacheOptions);
  // The type of the file itself, not of its .br/.gz copy (send keeps a Content-Type already set).
  response.type(extname(path)).set("content-encoding", chosen.name);
  return response.sendFile(path + chosen.suffix, cacheOptions);
}

/** Serves the built pages; without a build, answers `/` with one line saying how to build them. */
export function pagesRouter({ distDir, production }: PagesOptions): Router {
  const router = express.Router();
  if (!existsSync(join(distDir, "index.html"))) {
    router.get("/", (_request, response) => {
      response.status(503).type("text/plain; charset=utf-8").send("The pages are not built: run `npm run build -w @tsunagu/web`.\n");
    });
    return router;
  }
  const page = (file: string) => (request: express.Request, response: express.Response) =>
    sendBuilt(join(distDir, file), request, response, { immutable: false });
  if (!production) {
    router.get("/graphiql", page("graphiql.html"));
    // A browser opening the endpoint gets GraphiQL; GraphQL requests (POST, or GET with a query) go on.
    router.get("/graphql", (request, response, next) => {
      if (request.query.query === undefined && request.accepts(["application/json", "text/html"]) === "text/html") response.redirect(303, "/graphiql");
      else next();
    });
  }
  const assetsDir = join(distDir, "assets");
  // One file name of the assets folder (a decoded "../" is not one), and not a compressed copy itself.
  router.get("/assets/:file", (request, response, next) => {
    const { file } = request.params;
    const isCopy = ENCODINGS.some((encoding) => file.endsWith(encoding.suffix));
    if (basename(file) !== file || file.startsWith(".") || isCopy || !existsSync(join(assetsDir, file))) return next();
    sendBuilt(join(assetsDir, file), request, response, { immutable: true });
  });
  router.get("/", page("index.html"));
  router.get("/portal", page("portal.html"));
  router.get("/crew", page("crew.html"));
  router.get("/crew-sw.js", page("crew-sw.js"));
  router.get("/desk", page("desk.html"));
  return router;
}
