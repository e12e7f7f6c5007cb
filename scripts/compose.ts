// `npm run compose`: composes schema/<name>.graphql (one file per subgraph) into schema/supergraph.graphql with @apollo/composition.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { composeServices } from "@apollo/composition";
import type { CompositionSuccess } from "@apollo/composition";
import { parse } from "graphql";
import type { DocumentNode, GraphQLSchema } from "graphql";

/** The one list of subgraphs and the ports they listen on by default (URLs composed into the supergraph). */
export const DEFAULT_SUBGRAPH_PORTS: Readonly<Record<string, number>> = Object.freeze({
  resources: 4001,
  groups: 4002,
  events: 4003,
  emergency: 4004,
  transitions: 4005,
});

/** `http://127.0.0.1:<port>/graphql` for a subgraph listed in DEFAULT_SUBGRAPH_PORTS. */
export function defaultSubgraphUrl(name: string): string {
  const port = DEFAULT_SUBGRAPH_PORTS[name];
  if (port === undefined) {
    throw new Error(`schema/${name}.graphql has no default port; add "${name}" to DEFAULT_SUBGRAPH_PORTS in scripts/compose.ts`);
  }
  return `http://127.0.0.1:${port}/graphql`;
}

export const SUPERGRAPH_FILE = "supergraph.graphql";
const HEADER = "# Composed by `npm run compose` from the subgraph schemas beside this file. Do not edit.\n";

/** Thrown when the subgraphs do not compose; `messages` holds one line per composition error. */
export class CompositionError extends Error {
  constructor(readonly messages: readonly string[]) {
    super(`Composition failed with ${messages.length} error(s):\n${messages.map((m) => `  - ${m}`).join("\n")}`);
    this.name = "CompositionError";
  }
}

/** One subgraph's SDL and where the gateway reaches it by default. */
export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

/** Every `<name>.graphql` in `dir` except the supergraph, sorted by name. */
export function readSubgraphSources(dir: string, urlOf: (name: string) => string = defaultSubgraphUrl): SubgraphSource[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith(".graphql") && file !== SUPERGRAPH_FILE)
    .sort()
    .map((file) => {
      const name = basename(file, ".graphql");
      return { name, url: urlOf(name), sdl: readFileSync(join(dir, file), "utf8") };
    });
}

function parseSubgraph(name: string, sdl: string): DocumentNode {
  try {
    return parse(sdl);
  } catch (error) {
    throw new CompositionError([`${name}.graphql: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

/**
 * The supergraph SDL of `subgraphs`, with a header line saying it is generated.
 * @throws CompositionError listing every composition error (with the subgraph it concerns).
 */
export function composeSupergraph(subgraphs: readonly SubgraphSource[]): string {
  return `${HEADER}${composed(subgraphs).supergraphSdl}\n`;
}

/** The API schema a client of a gateway over `subgraphs` sees (what `npm run codegen` types test documents against). */
export function composeApiSchema(subgraphs: readonly SubgraphSource[]): GraphQLSchema {
  return composed(subgraphs).schema.toAPISchema().toGraphQLJSSchema();
}

function composed(subgraphs: readonly SubgraphSource[]): CompositionSuccess {
  if (subgraphs.length === 0) throw new CompositionError(["no subgraph schemas to compose"]);
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parseSubgraph(name, sdl) })));
  if (result.errors !== undefined) {
    throw new CompositionError(
      result.errors.map((error) => `${typeof error.extensions.code === "string" ? error.extensions.code : "ERROR"}: ${error.message}`),
    );
  }
  return result;
}

/** Composes the subgraph schemas in `dir` (default URLs from `urlOf`). */
export function composeSchemaDirectory(dir: string, urlOf?: (name: string) => string): string {
  return composeSupergraph(readSubgraphSources(dir, urlOf));
}

function main(): void {
  const dir = resolve(__dirname, "../schema");
  try {
    const sources = readSubgraphSources(dir);
    writeFileSync(join(dir, SUPERGRAPH_FILE), composeSupergraph(sources));
    process.stdout.write(`Composed ${sources.map((s) => s.name).join(", ")} into schema/${SUPERGRAPH_FILE}\n`);
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) main();
