// Types for the part of negotiator 1.x the pages router uses: encoding negotiation with the server's preferred order for ties (@types/negotiator predates that option).
declare module "negotiator" {
  class Negotiator {
    constructor(request: { headers: Readonly<Record<string, string | readonly string[] | undefined>> });
    /** The best of `available` the request's Accept-Encoding allows (weights first, then `preferred`'s order), or undefined when it allows none. */
    encoding(available: readonly string[], options?: { preferred?: readonly string[] }): string | undefined;
  }
  export = Negotiator;
}
