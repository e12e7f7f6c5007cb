// The graphql-ws test client lives in @tsunagu/test-kit; this module keeps the gateway tests' import path.
export { LiveSubscription, connectWs, rawConnection, rawSubscribe, wsUrl } from "@tsunagu/test-kit";
export type { Closed, WsConnection } from "@tsunagu/test-kit";
