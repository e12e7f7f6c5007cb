// The custom scalars: graphql-scalars serialise outputs; inputs reach the resolvers as sent and are validated there with the field's path.
import { GraphQLScalarType, valueFromASTUntyped } from "graphql";
import { GraphQLDateTime, GraphQLEmailAddress, GraphQLLatitude, GraphQLLongitude, GraphQLURL } from "graphql-scalars";

/**
 * `scalar` with its serialisation, but parsing that passes input through unchanged. A subgraph that refused a value
 * while coercing variables would answer HTTP 400, which the gateway can only report as a failed call; validated in
 * the resolver, the value is a BAD_USER_INPUT naming its field (`filter.near.latitude`).
 */
function validatedInResolvers(scalar: GraphQLScalarType): GraphQLScalarType {
  return new GraphQLScalarType({
    ...scalar.toConfig(),
    parseValue: (value) => value,
    parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
  });
}

export const scalarResolvers = {
  DateTime: validatedInResolvers(GraphQLDateTime),
  Latitude: validatedInResolvers(GraphQLLatitude),
  Longitude: validatedInResolvers(GraphQLLongitude),
  URL: validatedInResolvers(GraphQLURL),
  EmailAddress: validatedInResolvers(GraphQLEmailAddress),
};
