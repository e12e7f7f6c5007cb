// Custom scalars whose input is validated in the resolvers: serialisation as the scalar defines it, input passed through unparsed.
import { GraphQLScalarType, valueFromASTUntyped } from "graphql";

/**
 * `scalar` with its serialisation, but parsing that passes input through unchanged. A subgraph that refused a value
 * while coercing variables would answer HTTP 400, which the gateway can only report as a failed call; validated in
 * the resolver, the value is a BAD_USER_INPUT naming its field (`filter.near.latitude`).
 */
export function validatedInResolvers(scalar: GraphQLScalarType): GraphQLScalarType {
  return new GraphQLScalarType({
    ...scalar.toConfig(),
    parseValue: (value) => value,
    parseLiteral: (ast, variables) => valueFromASTUntyped(ast, variables),
  });
}
