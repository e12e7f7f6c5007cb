// Query limits: graphql-armor's depth, aliases, cost and directives rules (refused as BAD_USER_INPUT with `extensions.limit`), and the parser's token limit.
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { GraphQLError, ValidationContext } from "graphql";
import { codedError } from "@tsunagu/service-kit";

/** The limits every operation must stay within. */
export interface QueryLimits {
  /** Deepest field nesting. */
  maxDepth: number;
  /** Aliases in one operation. */
  maxAliases: number;
  /** graphql-armor's cost (objects 2, scalars 1, ×1.5 per level of depth). */
  maxCost: number;
  /** Lexical tokens in the document (graphql-js's own parser limit). */
  maxTokens: number;
  /** Directives in one operation. */
  maxDirectives: number;
}

export const DEFAULT_QUERY_LIMITS: Readonly<QueryLimits> = Object.freeze({
  maxDepth: 10,
  maxAliases: 15,
  // armor's cost grows by x1.5 a level: a page of events with organisers (and their events), venue and counts costs
  // about 21,000, a group's events with venues and their staff about 12,300. 50,000 admits those; depth stays capped.
  maxCost: 50_000,
  maxTokens: 2000,
  maxDirectives: 50,
});

/** The largest request body the gateway reads, in bytes. */
export const DEFAULT_BODY_LIMIT_BYTES = 100 * 1024;

type LimitName = "depth" | "aliases" | "cost" | "tokens" | "directives";

/** Reports a validation-time rejection as BAD_USER_INPUT naming the limit (instead of armor's own error). */
function report(limit: LimitName) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(codedError("BAD_USER_INPUT", error.message.replace(/^Syntax Error: /, ""), { limit })),
    ],
  };
}

/**
 * The Apollo plugins, validation rules and parse options enforcing `limits`. Tokens are limited by
 * graphql-js's parser (`maxTokens`), because armor's Apollo token plugin throws from a hook where
 * Apollo Server 5 answers 500; the parser's refusal is a syntax error and leaves as BAD_USER_INPUT.
 * Field suggestions are left to Apollo's `hideSchemaDetailsFromClientErrors`, which removes them cleanly.
 */
export function queryLimitProtection(limits: QueryLimits) {
  const { plugins, validationRules } = new ApolloArmor({
    blockFieldSuggestion: { enabled: false },
    maxDepth: { n: limits.maxDepth, exposeLimits: true, ...report("depth") },
    maxAliases: { n: limits.maxAliases, exposeLimits: true, ...report("aliases") },
    costLimit: { maxCost: limits.maxCost, exposeLimits: true, ...report("cost") },
    maxDirectives: { n: limits.maxDirectives, exposeLimits: true, ...report("directives") },
    maxTokens: { enabled: false },
  }).protect();
  return { plugins, validationRules, parseOptions: { maxTokens: limits.maxTokens } };
}
