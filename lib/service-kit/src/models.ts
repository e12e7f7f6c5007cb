// A subgraph's mongoose models, compiled once per connection, and opened (collections and indexes created) before first use.
import type { Connection } from "mongoose";

/** `compile` run once per connection: later calls on the same connection get the same models (mongoose refuses a second compile). */
export function compiledOnce<M>(compile: (connection: Connection) => M): (connection: Connection) => M {
  const compiled = new WeakMap<Connection, M>();
  return (connection) => {
    let models = compiled.get(connection);
    if (models === undefined) {
      models = compile(connection);
      compiled.set(connection, models);
    }
    return models;
  };
}

/**
 * The models `compile` makes, once per connection, each with its collection and indexes created before they are handed
 * out (transactions need the collections to exist, a `$near` query its 2dsphere index), and the connection beside them.
 */
export function openedOnce<M extends Record<string, { init(): Promise<unknown> }>>(
  compile: (connection: Connection) => M,
): (connection: Connection) => Promise<M & { connection: Connection }> {
  return compiledOnce(async (connection) => {
    const models = compile(connection);
    await Promise.all(Object.values(models).map((model) => model.init()));
    return { ...models, connection };
  });
}
