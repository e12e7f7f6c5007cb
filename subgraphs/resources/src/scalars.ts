// The custom scalars: graphql-scalars serialise outputs; inputs reach the resolvers as sent and are validated there with the field's path.
import { GraphQLDateTime, GraphQLEmailAddress, GraphQLLatitude, GraphQLLongitude, GraphQLURL } from "graphql-scalars";
import { validatedInResolvers } from "@tsunagu/service-kit";

export const scalarResolvers = {
  DateTime: validatedInResolvers(GraphQLDateTime),
  Latitude: validatedInResolvers(GraphQLLatitude),
  Longitude: validatedInResolvers(GraphQLLongitude),
  URL: validatedInResolvers(GraphQLURL),
  EmailAddress: validatedInResolvers(GraphQLEmailAddress),
};
