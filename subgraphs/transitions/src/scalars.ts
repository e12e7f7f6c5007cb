// The custom scalars: graphql-scalars serialise outputs; inputs reach the resolvers as sent and are validated there, so a bad value is a BAD_USER_INPUT naming its field.
import { GraphQLDate, GraphQLDateTime } from "graphql-scalars";
import { validatedInResolvers } from "@tsunagu/service-kit";

export const scalarResolvers = {
  DateTime: validatedInResolvers(GraphQLDateTime),
  Date: validatedInResolvers(GraphQLDate),
};
