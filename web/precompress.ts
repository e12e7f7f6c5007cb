// A Vite plugin that writes gzip (.gz) and brotli (.br) copies beside the built text files, at the highest levels, so the gateway serves them compressed without compressing on each request.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { extname, join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import type { Plugin } from "vite";

/** What compresses well: text, and the fonts GraphiQL brings. */
const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".svg", ".json", ".ttf", ".txt"]);
/** Below this a compressed copy saves less than a round of headers. */
const MIN_BYTES = 1024;

/** The encodings written, each as `<file>.br` or `<file>.gz` (the names gateway/src/pages.ts looks for). */
const PRECOMPRESSED = {
  br: (content: Buffer) =>
    brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: content.length } }),
  gzip: (content: Buffer) => gzipSync(content, { level: 9 }),
} as const;
const SUFFIX = { br: ".br", gzip: ".gz" } as const;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]));
}

/** After the build (public files copied too), a smaller compressed copy of every compressible file of `outDir`. */
export function precompress(outDir: string): Plugin {
  return {
    name: "tsunagu:precompress",
    apply: "build",
    closeBundle() {
      for (const file of filesUnder(outDir)) {
        if (!COMPRESSIBLE.has(extname(file))) continue;
        const content = readFileSync(file);
        if (content.length < MIN_BYTES) continue;
        for (const encoding of ["br", "gzip"] as const) {
          const compressed = PRECOMPRESSED[encoding](content);
          if (compressed.length < content.length) writeFileSync(file + SUFFIX[encoding], compressed);
        }
      }
    },
  };
}
