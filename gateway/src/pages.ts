// The reference pages (web/dist, built by Vite) on the gateway's origin: static files with long-lived caching for hashed assets, and GraphiQL for developers outside production.
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import express from "express";
import type { Router } from "express";

/** Where `npm run build -w @tsunagu/web` writes the pages. */
export const DEFAULT_WEB_DIST_DIR = resolve(__dirname, "..", "..", "web", "dist");

export interface PagesOptions {
  distDir: string;
  /** Production serves the pages but not GraphiQL. */
  production: boolean;
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
  const page = (file: string) => (_request: express.Request, response: express.Response) => {
    response.set("cache-control", "no-cache").sendFile(join(distDir, file));
  };
  if (!production) {
    router.get("/graphiql", page("graphiql.html"));
    // A browser opening the endpoint gets GraphiQL; GraphQL requests (POST, or GET with a query) go on.
    router.get("/graphql", (request, response, next) => {
      if (request.query.query === undefined && request.accepts(["application/json", "text/html"]) === "text/html") response.redirect(303, "/graphiql");
      else next();
    });
  }
  router.use("/assets", express.static(join(distDir, "assets"), { immutable: true, maxAge: "365d", index: false }));
  router.get("/", page("index.html"));
  router.get("/portal", page("portal.html"));
  router.get("/crew", page("crew.html"));
  router.get("/crew-sw.js", page("crew-sw.js"));
  router.get("/desk", page("desk.html"));
  return router;
}
