// ESLint for the whole repository: TypeScript with type information (typescript-eslint), no import cycles (import-x), and the GraphQL schemas and test documents (@graphql-eslint).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import js from "@eslint/js";
import graphqlPlugin from "@graphql-eslint/eslint-plugin";
import { createNodeResolver, importX } from "eslint-plugin-import-x";
import tseslint from "typescript-eslint";

/** The federation directives the subgraph schemas use, declared so that each subgraph's SDL loads as a schema. */
const FEDERATION_DIRECTIVES = `
  scalar link__Import
  directive @link(url: String!, import: [link__Import]) repeatable on SCHEMA
  directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
  directive @shareable repeatable on OBJECT | FIELD_DEFINITION
  directive @external on OBJECT | FIELD_DEFINITION
  directive @requires(fields: String!) on FIELD_DEFINITION
  directive @provides(fields: String!) on FIELD_DEFINITION
`;

/** The subgraphs' SDL (schema/<name>.graphql, the source of truth). */
const SUBGRAPH_SCHEMAS = readdirSync(join(import.meta.dirname, "schema")).filter((file) => file.endsWith(".graphql") && file !== "supergraph.graphql");

/** The client operations: the tests' and the pages'. */
const OPERATION_DOCUMENTS = ["test/operations/*.graphql", "*/*/test/operations/*.graphql", "web/src/operations/*.graphql"];

/**
 * One graphql-config for every GraphQL file (@graphql-eslint keeps the first it loads): each subgraph's SDL is linted
 * as the schema it is, and the tests' and the pages' operations against the composed supergraph.
 */
const GRAPHQL_PROJECTS = {
  projects: {
    ...Object.fromEntries(
      SUBGRAPH_SCHEMAS.map((file) => [file.replace(".graphql", ""), { schema: [`schema/${file}`, FEDERATION_DIRECTIVES], include: [`schema/${file}`] }]),
    ),
    operations: { schema: "schema/supergraph.graphql", documents: OPERATION_DOCUMENTS },
  },
};

export default tseslint.config(
  {
    ignores: ["**/node_modules/**", "**/generated/**", "web/dist/**", "schema/supergraph.graphql", "gateway/test/fixtures/**", "data/**", "coverage/**"],
  },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    plugins: { "import-x": importX },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    // Workspace packages resolve through node_modules to their TypeScript entry points (package.json "main": "src/index.ts").
    settings: { "import-x/resolver-next": [createNodeResolver({ extensions: [".ts", ".js", ".json"] })] },
    rules: {
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      // `typeof import("pkg", { with: { "resolution-mode": "import" } })` is how CommonJS code types an ES-only package it loads dynamically.
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "separate-type-imports", disallowTypeAnnotations: false }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      // Express handlers and jest callbacks are async functions passed where callbacks are expected; their rejections are handled by express 5 and jest.
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: false }],
      // An async function without await is how an implementation of a Promise-returning interface turns a throw into a rejection.
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Jest's asymmetric matchers (expect.any, expect.objectContaining) and parsed response bodies are `any` by design.
    files: ["**/test/**/*.ts", "test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    // The engine stores and matches arbitrary BSON documents, whose shape is unknown by definition (mingo's API is typed `any`).
    files: ["lib/embedded-mongo/src/**/*.ts"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [js.configs.recommended],
    languageOptions: { globals: { module: "writable", require: "readonly", __dirname: "readonly", process: "readonly", console: "readonly" } },
  },
  {
    files: ["schema/*.graphql", ...OPERATION_DOCUMENTS],
    languageOptions: { parser: graphqlPlugin.parser, parserOptions: { graphQLConfig: GRAPHQL_PROJECTS } },
    plugins: { "@graphql-eslint": graphqlPlugin },
  },
  {
    files: ["schema/*.graphql"],
    rules: {
      ...graphqlPlugin.configs["flat/schema-recommended"].rules,
      // Both description styles are used on purpose: """…""" on the line before a type or field, "…" for an argument on its field's line.
      "@graphql-eslint/description-style": "off",
      // Value types (addresses, capacities, connections, counts) have no identity of their own; entities have `id` as their @key.
      "@graphql-eslint/strict-id-in-types": "off",
      // Each file starts with a one-line `#` comment saying its job (the repository's rule for every file); descriptions are `"""`.
      "@graphql-eslint/no-hashtag-description": "off",
      // Domain terms keep their names (BloodType is 血液型, not a "type" suffix).
      "@graphql-eslint/naming-convention": [
        "error",
        {
          types: "PascalCase",
          FieldDefinition: "camelCase",
          InputValueDefinition: "camelCase",
          Argument: "camelCase",
          DirectiveDefinition: "camelCase",
          EnumValueDefinition: "UPPER_CASE",
        },
      ],
    },
  },
  { files: OPERATION_DOCUMENTS, rules: graphqlPlugin.configs["flat/operations-recommended"].rules },
);
