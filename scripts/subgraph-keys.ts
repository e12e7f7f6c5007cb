// `npm run subgraph-keys [-- <subgraph> ...]`: prints each subgraph's SUBGRAPH_KEYS (as `<NAME>_SUBGRAPH_KEYS=...` lines for .env), derived from IDENTITY_SECRET where it is kept (the gateway's host), so a subgraph never holds the secret itself.
import { ConfigError, deriveSubgraphKeys, encodeSubgraphKeys, exitOnConfigError, requireSecret, withGeneratedSecrets } from "@tsunagu/service-kit";
import { SUBGRAPHS } from "./subgraphs";

function main(): void {
  const known = SUBGRAPHS.map((subgraph) => subgraph.name);
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !known.includes(name));
  if (unknown.length > 0)
    throw new ConfigError([{ variable: "argument", problem: `unknown subgraph ${unknown.join(", ")}; expected some of ${known.join(", ")}` }]);
  const identitySecret = requireSecret(withGeneratedSecrets(process.env), "IDENTITY_SECRET");
  for (const name of asked.length > 0 ? asked : known) {
    process.stdout.write(`${name.toUpperCase()}_SUBGRAPH_KEYS=${encodeSubgraphKeys(deriveSubgraphKeys(identitySecret, name))}\n`);
  }
}

try {
  main();
} catch (error) {
  exitOnConfigError(error);
}
