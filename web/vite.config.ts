// Builds the reference pages into web/dist: each page its own entry, every asset bundled (closed networks load nothing from a CDN), with gzip and brotli copies beside them.
import { resolve } from "node:path";
import { defineConfig } from "vite";
import { precompress } from "./precompress";

export default defineConfig({
  root: __dirname,
  base: "/",
  plugins: [precompress(resolve(__dirname, "dist"))],
  build: {
    outDir: resolve(__dirname, "dist"),
    emptyOutDir: true,
    rollupOptions: {
      // React libraries mark modules "use client"; bundled for the browser, the directive means nothing.
      onwarn(warning, warn) {
        if (warning.code !== "MODULE_LEVEL_DIRECTIVE") warn(warning);
      },
      input: {
        index: resolve(__dirname, "index.html"),
        graphiql: resolve(__dirname, "graphiql.html"),
        portal: resolve(__dirname, "portal.html"),
        crew: resolve(__dirname, "crew.html"),
        desk: resolve(__dirname, "desk.html"),
      },
    },
  },
});
