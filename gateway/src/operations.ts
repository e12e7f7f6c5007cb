// Which operation of a document the gateway runs over HTTP: one it can name unambiguously, and never a subscription (those go over graphql-ws); anything else is a 400, not a gateway failure.
import type { ApolloServerPlugin } from "@apollo/server";
import { Kind, OperationTypeNode } from "graphql";
import { codedError } from "@tsunagu/service-kit";

/** A client error answered with HTTP 400 and code BAD_USER_INPUT. */
function badRequest(message: string) {
  return codedError("BAD_USER_INPUT", message, { http: { status: 400 } });
}

/**
 * Refuses, before the gateway plans anything, a document with several operations and no operationName, an
 * operationName the document does not define, and a subscription sent over HTTP.
 */
export function operationResolutionPlugin<TContext extends object>(): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, document, request: { operationName } }) {
          if (operation === undefined || operation === null) {
            const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
            if (operationName !== undefined && operationName !== null) throw badRequest(`Unknown operation named "${operationName}".`);
            if (operations.length > 1) throw badRequest("Must provide operation name if query contains multiple operations.");
            throw badRequest("The document contains no operation.");
          }
          if (operation.operation === OperationTypeNode.SUBSCRIPTION) {
            throw badRequest("Subscriptions are served over WebSocket (graphql-ws) on this URL, not over HTTP POST or GET.");
          }
        },
      };
    },
  };
}
