// The custom scalars: graphql-scalars serialise outputs; inputs reach the resolvers as sent and are validated there, so a bad value is a BAD_USER_INPUT naming its field.
import { GraphQLScalarType, valueFromASTUntyped } from "graphql";
import { GraphQLDate, GraphQLDateTime, GraphQLJSONObject, GraphQLURL } from "graphql-scalars";

/** `scalar` with its serialisation, but input passed through unchanged (a subgraph's coercion error would reach clients only as a failed call). */
function validatedInResolvers(scalar: GraphQLScalarType): GraphQLScalarType {
  return new GraphQLScalarType({
    ...scalar.toConfig(),
    parseValue: (value) => value,
    parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
  });
}

export const scalarResolvers = {
  DateTime: validatedInResolvers(GraphQLDateTime),
  Date: validatedInResolvers(GraphQLDate),
  URL: validatedInResolvers(GraphQLURL),
  JSONObject: GraphQLJSONObject,
};
