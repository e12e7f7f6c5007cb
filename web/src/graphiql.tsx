// GraphiQL for developers, bundled (no CDN): queries go to the gateway's /graphql with the token typed in the headers tab.
import { createGraphiQLFetcher } from "@graphiql/toolkit";
import { GraphiQL } from "graphiql";
import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

const EXAMPLE = `# 訪問看護ステーションを探す / Find visiting-nursing stations
# 専門職として試すには Headers に {"authorization": "Bearer <npm run -s token -- --role PROFESSIONAL>"} を
# To try as a professional, put {"authorization": "Bearer <token from npm run -s token>"} in Headers
query Stations {
  resources(filter: { text: "ほうもんかんご" }, first: 5) {
    totalCount
    edges { node { id names { official kana } address { district street } } }
  }
}
`;

const fetcher = createGraphiQLFetcher({ url: `${window.location.origin}/graphql` });
const container = document.getElementById("graphiql");
if (container === null) throw new Error("graphiql.html has no #graphiql element");
createRoot(container).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={EXAMPLE} />
  </StrictMode>,
);
