// `npm run codegen [-- --check] [names...]`: generates each subgraph's resolver types (subgraphs/<name>/src/generated/resolvers-types.ts) from schema/<name>.graphql, the tests' typed documents (<package>/test/generated/operations.ts) from their operations and the pages' (web/src/generated/graphql.ts) from web/src/operations and the supergraph's API schema, or with --check fails when a committed file is stale.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { codegen } from "@graphql-codegen/core";
import * as typedDocumentNodePlugin from "@graphql-codegen/typed-document-node";
import * as typescriptPlugin from "@graphql-codegen/typescript";
import * as typescriptOperationsPlugin from "@graphql-codegen/typescript-operations";
import * as typescriptResolversPlugin from "@graphql-codegen/typescript-resolvers";
import { buildASTSchema, concatAST, parse, printSchema } from "graphql";
import { CREW_LOOKUP_QUERY } from "../subgraphs/emergency/src/crew-query";
import { composeApiSchema, readSubgraphSources } from "./compose";

const ROOT = resolve(__dirname, "..");

/** How one subgraph's resolver types are generated; paths in `contextType` and `mappers` are relative to the generated file. */
interface SubgraphCodegen {
  /** `module#Type` of the request context the resolvers receive. */
  contextType: string;
  /** GraphQL type → `module#Type` of what its resolvers receive as parent (the stored form). */
  mappers: Readonly<Record<string, string>>;
  /** Custom scalar → TypeScript types of its input (as resolvers receive it) and output. */
  scalars: Readonly<Record<string, { input: string; output: string }>>;
}

/**
 * Custom scalars are documented and serialised with graphql-scalars, but input values reach the resolvers unparsed
 * (`unknown`) and are validated there, so a bad value is a BAD_USER_INPUT naming its field rather than a subgraph
 * coercion error, which the gateway can only report as a failed HTTP call.
 */
const VALIDATED_SCALARS = {
  DateTime: { input: "unknown", output: "Date | string" },
  Latitude: { input: "unknown", output: "number" },
  Longitude: { input: "unknown", output: "number" },
  URL: { input: "unknown", output: "string" },
  EmailAddress: { input: "unknown", output: "string" },
} as const;

/** Every subgraph with generated resolver types. */
const SUBGRAPH_CODEGEN: Readonly<Record<string, SubgraphCodegen>> = {
  resources: {
    contextType: "../context#ResourcesContext",
    mappers: {
      Resource: "../models#ResourceView",
      ResourceCategory: "../taxonomy#TaxonomyCategory",
      ResourceConnection: "../search#ResourcePage",
      ResourceEdge: "../search#ResourceHit",
      ResourceCoverage: "../coverage#Coverage",
      ResourceCoverageCell: "../coverage#CoverageCell",
      ContactWindow: "../domain#ContactWindow as StoredContactWindow",
      GeoLocation: "../domain#GeoPoint",
      Place: "../places#PlaceView",
      PlaceConnection: "../places#PlacePage",
      PlaceEdge: "../places#PlaceHit",
      Organization: "../places#OrganizationView",
      ImportIssue: "../models#ImportIssueDocument",
      FieldProvenance: "../field-provenance#FieldProvenanceOfField",
      District: "../models#DistrictDocument",
    },
    scalars: VALIDATED_SCALARS,
  },
  groups: {
    contextType: "../context#GroupsContext",
    mappers: {
      Group: "../models#GroupDocument",
      Member: "../models#MemberView",
      Board: "../models#BoardRef",
      Post: "../models#PostDocument",
      Comment: "../models#CommentDocument",
      ReadAcknowledgement: "../models#AcknowledgementDocument",
      Consultation: "../models#ConsultationDocument",
      ConsultationRequester: "../models#ConsultationRequesterRecord",
      GroupContactWindow: "../models#ContactWindowRecord",
      Resource: "../models#ResourceRef",
      ContactDirectoryOrganization: "../directory#DirectoryOrganization",
    },
    scalars: VALIDATED_SCALARS,
  },
  emergency: {
    contextType: "../context#EmergencyContext",
    mappers: {
      EmergencyProfile: "../access#ProfileView",
      EmergencyPerson: "../domain#PersonRecord",
      AccessGrant: "../models#GrantRecord",
      ProfileDelegate: "../models#DelegateRecord",
      EmergencyConsent: "../models#ConsentRecord",
      EmergencyCard: "../card-code#IssuedCard",
      AccessLogEntry: "../models#AccessLogDocument",
      AccessActor: "../models#ActorRecord",
      AccessLogFlag: "../review#AccessFlag",
      AccessLogReview: "../review#ReviewPeriod",
      ProfileReviewReminder: "../review#ReviewReminder",
      EmergencyLookupResult: "../lookup#LookupResult",
      ItemSource: "../item-sources#ItemSourceRecord",
      ItemSourceActor: "../item-sources#SourceActorRecord",
    },
    scalars: {
      DateTime: VALIDATED_SCALARS.DateTime,
      URL: VALIDATED_SCALARS.URL,
      Date: { input: "unknown", output: "string" },
      JSONObject: { input: "unknown", output: "Readonly<Record<string, unknown>>" },
    },
  },
  events: {
    contextType: "../context#EventsContext",
    mappers: {
      Event: "../models#EventDocument",
      Registration: "../models#RegistrationDocument",
      ChecklistTask: "../models#ChecklistTaskRecord",
      SurveyResponse: "../models#SurveyResponseDocument",
      YearlyTarget: "../models#TargetDocument",
      EventRecurrence: "../domain#Recurrence",
      EventOccurrence: "../recurrence#Occurrence",
      SurveySummary: "../surveys#SurveySummarySource",
      Group: "../loaders#EntityReference",
      Member: "../loaders#EntityReference",
      Resource: "../loaders#EntityReference",
    },
    scalars: VALIDATED_SCALARS,
  },
  transitions: {
    contextType: "../context#TransitionsContext",
    mappers: {
      TransitionNotice: "../models#NoticeDocument",
      TransitionPatient: "../models#PatientRecord",
      FirstServiceVisit: "../models#VisitRecord",
      TransitionContactRate: "../stats#ContactRate",
      Member: "../models#EntityReference",
      Resource: "../models#EntityReference",
      EmergencyProfile: "../models#EntityReference",
    },
    scalars: { DateTime: VALIDATED_SCALARS.DateTime, Date: { input: "unknown", output: "string" } },
  },
};

/** The federation directives the resolvers plugin reads (@key); the others are declared so the SDL builds (composition validates them). */
const FEDERATION_DIRECTIVES = parse(`
  directive @link(url: String!, import: [String!]) repeatable on SCHEMA
  directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
  directive @shareable repeatable on OBJECT | FIELD_DEFINITION
  directive @external on OBJECT | FIELD_DEFINITION
  directive @requires(fields: String!) on FIELD_DEFINITION
  directive @provides(fields: String!) on FIELD_DEFINITION
`);

const HEADER = "// Generated by `npm run codegen` from schema/%NAME%.graphql. Do not edit.\n";

/** Where the generated resolver types of a subgraph are committed. */
function resolverTypesPath(name: string): string {
  return join(ROOT, "subgraphs", name, "src", "generated", "resolvers-types.ts");
}

/** The resolver types of subgraph `name` as committed: deterministic for a given schema and configuration. */
export async function generateResolverTypes(name: string): Promise<string> {
  const config = SUBGRAPH_CODEGEN[name];
  if (config === undefined) throw new Error(`No codegen configuration for ${name}; add it to SUBGRAPH_CODEGEN in scripts/codegen.ts`);
  const sdl = parse(readFileSync(join(ROOT, "schema", `${name}.graphql`), "utf8"));
  const schemaAst = buildASTSchema(concatAST([FEDERATION_DIRECTIVES, sdl]), { assumeValidSDL: true });
  const output = await codegen({
    filename: resolverTypesPath(name),
    schema: sdl,
    schemaAst,
    documents: [],
    plugins: [{ typescript: {} }, { typescriptResolvers: {} }],
    pluginMap: { typescript: typescriptPlugin, typescriptResolvers: typescriptResolversPlugin },
    config: {
      federation: true,
      contextType: config.contextType,
      mappers: config.mappers,
      scalars: config.scalars,
      strictScalars: true,
      useTypeImports: true,
      enumsAsTypes: true,
      avoidOptionals: { field: true, object: false, inputValue: false, defaultValue: false, resolvers: false },
      maybeValue: "T | null",
      inputMaybeValue: "T | null | undefined",
      immutableTypes: true,
      optionalResolveType: true,
      resolverTypeWrapperSignature: "T | Promise<T>",
    },
  });
  return HEADER.replace("%NAME%", name) + output.replace(/\s+$/, "") + "\n";
}

/** Where the tests keep their operations (`<package>/test/operations/*.graphql`), one generated file per package. */
const OPERATION_PACKAGES = ["gateway", "subgraphs/resources", "."] as const;

/** How operation results' custom scalars arrive in a client: as JSON. */
const CLIENT_SCALARS = {
  DateTime: "string",
  Date: "string",
  Latitude: "number",
  Longitude: "number",
  URL: "string",
  EmailAddress: "string",
  JSONObject: "Record<string, unknown>",
} as const;

const OPERATIONS_HEADER = "// Generated by `npm run codegen` from %DIR%/*.graphql%MORE% and the supergraph's API schema. Do not edit.\n";

/** One set of client operations and where their typed documents are committed. */
interface OperationSet {
  /** The folder of its `*.graphql` documents. */
  dir: string;
  /** The generated file. */
  output: string;
  /** Documents kept in TypeScript elsewhere (owned by another package), by where they live. */
  moreDocuments: Readonly<Record<string, string>>;
  /** `string`: documents embedded as their text (TypedDocumentString), for the browser pages, which send text and need no GraphQL AST. */
  documentMode: "documentNode" | "string";
}

/** The tests' operations of a package: `<package>/test/operations/*.graphql` → `<package>/test/generated/operations.ts`. */
function testOperations(pkg: string): OperationSet {
  return {
    dir: join(ROOT, pkg, "test", "operations"),
    output: join(ROOT, pkg, "test", "generated", "operations.ts"),
    moreDocuments: {},
    documentMode: "documentNode",
  };
}

/** The pages' operations (web/src/operations/*.graphql, and the crew's look-up, which the emergency subgraph owns) → web/src/generated/graphql.ts. */
const WEB_OPERATIONS: OperationSet = {
  dir: join(ROOT, "web", "src", "operations"),
  output: join(ROOT, "web", "src", "generated", "graphql.ts"),
  moreDocuments: { "subgraphs/emergency/src/crew-query.ts": CREW_LOOKUP_QUERY },
  documentMode: "string",
};

/** The typed documents of one set of operations, against the API schema a client of the gateway sees. */
export async function generateOperationTypes(set: OperationSet): Promise<string> {
  const files = readdirSync(set.dir)
    .filter((file) => file.endsWith(".graphql"))
    .sort();
  const schemaAst = composeApiSchema(readSubgraphSources(join(ROOT, "schema")));
  const output = await codegen({
    filename: set.output,
    schema: parse(printSchema(schemaAst)),
    schemaAst,
    documents: [
      ...files.map((file) => ({ location: join(set.dir, file), document: parse(readFileSync(join(set.dir, file), "utf8")) })),
      ...Object.entries(set.moreDocuments).map(([location, text]) => ({ location: join(ROOT, location), document: parse(text) })),
    ],
    plugins: [{ typescriptOperations: {} }, { typedDocumentNode: {} }],
    pluginMap: { typescriptOperations: typescriptOperationsPlugin, typedDocumentNode: typedDocumentNodePlugin },
    config: {
      scalars: CLIENT_SCALARS,
      strictScalars: true,
      useTypeImports: true,
      enumsAsTypes: true,
      avoidOptionals: { field: true, object: true, inputValue: false, defaultValue: false },
      maybeValue: "T | null",
      immutableTypes: true,
      skipTypename: true,
      documentMode: set.documentMode,
    },
  });
  const more = Object.keys(set.moreDocuments).map((location) => ` and ${location}`);
  return OPERATIONS_HEADER.replace("%DIR%", relative(ROOT, set.dir)).replace("%MORE%", more.join("")) + output.replace(/\s+$/, "") + "\n";
}

/** A generated file: its path and how to produce its text. */
interface Target {
  path: string;
  generate: () => Promise<string>;
}

/** Every generated file: the named subgraphs' resolver types, and with no names also every package's test operations. */
function targets(names: readonly string[], all: boolean): Target[] {
  const resolvers = names.map((name) => ({ path: resolverTypesPath(name), generate: () => generateResolverTypes(name) }));
  if (!all) return resolvers;
  const operations = [...OPERATION_PACKAGES.map(testOperations), WEB_OPERATIONS]
    .filter((set) => existsSync(set.dir))
    .map((set) => ({ path: set.output, generate: () => generateOperationTypes(set) }));
  return [...resolvers, ...operations];
}

/**
 * Writes the generated files; with `check`, writes nothing and returns the files whose committed text differs from a
 * fresh generation.
 */
async function runCodegen(files: readonly Target[], check: boolean): Promise<string[]> {
  const stale: string[] = [];
  for (const { path, generate } of files) {
    const generated = await generate();
    if (check) {
      let committed: string | undefined;
      try {
        committed = readFileSync(path, "utf8");
      } catch {
        committed = undefined;
      }
      if (committed !== generated) stale.push(relative(ROOT, path));
    } else {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, generated);
      process.stdout.write(`Generated ${relative(ROOT, path)}\n`);
    }
  }
  return stale;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { check: { type: "boolean", default: false } }, allowPositionals: true });
  const names = positionals.length > 0 ? positionals : Object.keys(SUBGRAPH_CODEGEN);
  const stale = await runCodegen(targets(names, positionals.length === 0), values.check);
  if (stale.length > 0) {
    process.stderr.write(`Stale generated files (run \`npm run codegen\`): ${stale.join(", ")}\n`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
