// A session keeps its last transaction only to answer a retried commit or abort: once ended, the transaction holds no snapshot, copies or ops.
import { Binary, type Document } from "bson";
import { Sessions } from "../src/sessions";
import { Store } from "../src/store";

const lsid = { id: new Binary(Buffer.alloc(16, 7), 4) };
const command = (txnNumber: number, extra: Document = {}): Document => ({ lsid, txnNumber, autocommit: false, ...extra });

function storeWithOneDocument(): Store {
  const store = new Store();
  const unit = store.begin();
  unit.insert("db.people", { _id: 1, name: "坂本 昭" });
  return store;
}

test("a committed transaction lets go of its snapshot and copies, and a retried commit still succeeds", async () => {
  const store = storeWithOneDocument();
  const sessions = new Sessions(store, 60_000);
  const context = sessions.enter(command(1, { startTransaction: true }));
  const txn = context.txn!;
  store.begin(txn).insert("db.people", { _id: 2, name: "伊藤 明美" });
  expect(txn.base?.size).toBe(1);
  expect(txn.working.size).toBe(1);
  await sessions.commit(context);

  expect(txn.state).toBe("committed");
  expect(txn.base).toBeUndefined();
  expect(txn.snapshots.size).toBe(0);
  expect(txn.working.size).toBe(0);
  expect(txn.ops).toEqual([]);
  expect(store.collection("db.people")?.size).toBe(2);
  await expect(sessions.commit(sessions.enter(command(1)))).resolves.toBeUndefined();
});

test("an aborted transaction lets go of its snapshot and copies, and nothing of it is applied", () => {
  const store = storeWithOneDocument();
  const sessions = new Sessions(store, 60_000);
  const context = sessions.enter(command(1, { startTransaction: true }));
  const txn = context.txn!;
  store.begin(txn).insert("db.people", { _id: 2, name: "伊藤 明美" });
  sessions.abort(context);

  expect(txn.state).toBe("aborted");
  expect(txn.base).toBeUndefined();
  expect(txn.working.size).toBe(0);
  expect(txn.ops).toEqual([]);
  expect(store.collection("db.people")?.size).toBe(1);
  expect(() => sessions.abort(sessions.enter(command(1)))).toThrow(/No transaction to abort/);
});
