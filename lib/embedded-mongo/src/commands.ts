// The command set: each MongoDB command the driver and mongoose send, answered in MongoDB's reply shapes.
import { Long, ObjectId, type Document } from "bson";
import { hostname } from "node:os";
import type { Collection } from "./collection";
import { CommandError } from "./errors";
import { validateIndexSpec, defaultIndexName } from "./indexes";
import { applyUpdate, collationOf, isReplacement, matchRecords, project, runAggregate, runFind, translated, upsertSeed, type QueryPlan } from "./query";
import { sortDocuments } from "./sort-order";
import { Aggregator, Query, queryOptions, type QueryOptions } from "./query-language";
import { namespaceOf, type Store, type WriteUnit } from "./store";
import type { CursorRegistry } from "./cursors";
import type { Sessions, SessionContext } from "./sessions";
import { compareValues, sameDocument, valuesAtPath, isPlainObject } from "./bson-values";
import { MAX_BSON_OBJECT_SIZE } from "./collection";
import { evaluatingTyped } from "./typed-expressions";
import { checkValidationOptions } from "./validation";
import { checkCreateOptions, checkHint, checkCollations, refuseUpdateSort, writeConcernProblem } from "./command-checks";
import { isView, readTarget, refuseOnView, type ReadTarget } from "./views";
import { parseCollation } from "./collation";

export const MAX_MESSAGE_SIZE_BYTES = 48_000_000;
const MAX_WIRE_VERSION = 21; // MongoDB 7.0
const SERVER_VERSION = "7.0.0";
const ELECTION_ID = new ObjectId("7fffffff0000000000000001");

/** What every command can reach: the data, cursors, sessions and the server's own facts. */
export interface Engine {
  store: Store;
  cursors: CursorRegistry;
  sessions: Sessions;
  /** host:port this server advertises as its replica-set member. */
  me: string;
  startedAt: number;
  connections: { current: number; totalCreated: number };
  opcounters: { insert: number; query: number; update: number; delete: number; getmore: number; command: number };
}

/** One command as received, with its document sequences already merged in. */
export interface CommandRequest {
  db: string;
  cmd: Document;
  connectionId: number;
  remote: string;
  /** The size of the message the command came in: no document in it is larger. */
  messageBytes?: number;
}

interface Invocation extends CommandRequest {
  engine: Engine;
  name: string;
  session: SessionContext;
}

type Handler = (call: Invocation) => Document | Promise<Document>;

const handshake =
  (legacy: boolean) =>
  (call: Invocation): Document => ({
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    helloOk: true,
    setName: "tsunagu",
    setVersion: 1,
    hosts: [call.engine.me],
    primary: call.engine.me,
    me: call.engine.me,
    secondary: false,
    electionId: ELECTION_ID,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE_BYTES,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: call.connectionId,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    // True while the journal cannot write (a full disk): readiness checks look here.
    readOnly: call.engine.store.journal?.failing ?? false,
    ok: 1,
  });

/** The collection a command names, as `db.name`. */
function targetNs(call: Invocation): string {
  return namespaceOf(call.db, call.cmd[call.name]);
}

function readCollection(call: Invocation, ns: string): Collection | undefined {
  return call.engine.store.collection(ns, call.session.txn);
}

/** Query options of a command: sibling collections (views resolved) for $lookup/$unionWith, its `let` variables and its collation. */
function optionsFor(call: Invocation, collation?: Document): QueryOptions {
  const resolve = (name: string): Document[] => {
    const target = readTarget((ns) => readCollection(call, ns), namespaceOf(call.db, name), undefined);
    if (target.isView) return runAggregate(target.collection, target.viewPipeline, optionsFor(call, target.collation));
    return target.collection ? [...target.collection.records.values()] : [];
  };
  const variables = documentOption(call.cmd.let, "let");
  return { ...queryOptions(resolve, variables && evaluateLet(variables)), ...(collation ? { collation: collation as QueryOptions["collation"] } : {}) };
}

/** What a read command reads (a view resolved to its source) under the collation it runs with. */
function readTargetOf(call: Invocation, ns: string, requestedCollation: unknown): ReadTarget {
  return readTarget((name) => readCollection(call, name), ns, requestedCollation);
}

/** The collation a write statement runs under: its own, else the collection's default. */
function statementCollation(collection: Collection | undefined, requested: unknown): Document | undefined {
  return parseCollation(requested === undefined || requested === null ? collection?.options.collation : requested)?.spec;
}

/** `let` values are expressions evaluated once, without a document (field paths are missing), as MongoDB does. */
function evaluateLet(variables: Document): Document {
  for (const name of Object.keys(variables)) {
    if (!/^[a-z][A-Za-z0-9_]*$/.test(name)) throw new CommandError("FailedToParse", `'${name}' starts with an invalid character for a user variable name`);
  }
  return evaluatingTyped(true, () => translated(() => new Aggregator([{ $replaceWith: variables }], queryOptions()).run([{}])[0]));
}

function nonNegative(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new CommandError("TypeMismatch", `${name} must be a whole number, got ${JSON.stringify(value)}`);
  if (n < 0 && name !== "limit") throw new CommandError("BadValue", `${name} must be non-negative, got ${n}`);
  return n;
}

function documentOption(value: unknown, name: string): Document | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isPlainObject(value)) throw new CommandError("TypeMismatch", `'${name}' must be an object`);
  return value;
}

async function withWrites(call: Invocation, body: (unit: WriteUnit) => Document): Promise<Document> {
  const replayed = call.engine.sessions.replayedWrite(call.session);
  if (replayed) return replayed;
  const unit = call.engine.store.begin(call.session.txn, { bypassDocumentValidation: call.cmd.bypassDocumentValidation === true });
  const reply = body(unit);
  await unit.finish();
  call.engine.sessions.rememberWrite(call.session, reply);
  return reply;
}

function explainPlan(ns: string, plan: QueryPlan, returned: number): Document {
  const scan: Document =
    plan.stage === "IXSCAN" || plan.stage === "GEO_NEAR_2DSPHERE" ? { stage: plan.stage, indexName: plan.indexName } : { stage: plan.stage };
  if (plan.indexDirection) scan.direction = plan.indexDirection === 1 ? "forward" : "backward";
  const fetched = plan.stage === "IXSCAN" ? { stage: "FETCH", inputStage: scan } : scan;
  const winningPlan = plan.sortedInMemory ? { stage: "SORT", inputStage: fetched } : fetched;
  return {
    queryPlanner: { namespace: ns, winningPlan, rejectedPlans: [] },
    executionStats: { nReturned: returned, totalKeysExamined: plan.keysExamined, totalDocsExamined: plan.docsExamined, executionStages: winningPlan },
    serverInfo: { host: hostname(), version: SERVER_VERSION },
    ok: 1,
  };
}

/** A find on a view, as MongoDB runs it: the view's pipeline, then the filter, sort, skip, limit and projection as stages. */
function findOnView(call: Invocation, target: ReadTarget, spec: Parameters<typeof runFind>[1]): Document[] {
  const projection = spec.projection && Object.keys(spec.projection).length > 0 ? spec.projection : undefined;
  if (
    projection &&
    Object.entries(projection).some(([field, value]) => field.endsWith(".$") || (isPlainObject(value) && Object.keys(value).some((key) => key.startsWith("$"))))
  )
    throw new CommandError("InvalidPipelineOperator", "find on a view does not support the projection operators $, $elemMatch, $slice and $meta");
  const stages: Document[] = [...target.viewPipeline];
  if (spec.filter && Object.keys(spec.filter).length > 0) stages.push({ $match: spec.filter });
  if (spec.sort && Object.keys(spec.sort).length > 0) stages.push({ $sort: spec.sort });
  if (spec.skip) stages.push({ $skip: spec.skip });
  if (spec.limit) stages.push({ $limit: Math.abs(spec.limit) });
  if (projection) stages.push({ $project: projection });
  return runAggregate(target.collection, stages, optionsFor(call, target.collation));
}

const find: Handler = (call) => {
  const ns = targetNs(call);
  call.engine.opcounters.query++;
  const target = readTargetOf(call, ns, call.cmd.collation);
  checkHint(target.collection, call.cmd.hint);
  const spec = {
    filter: documentOption(call.cmd.filter, "filter"),
    sort: documentOption(call.cmd.sort, "sort"),
    projection: documentOption(call.cmd.projection, "projection"),
    skip: nonNegative(call.cmd.skip, "skip"),
    limit: nonNegative(call.cmd.limit, "limit"),
  };
  const docs = target.isView ? findOnView(call, target, spec) : runFind(target.collection, spec, optionsFor(call, target.collation)).docs;
  const limit = Number(call.cmd.limit ?? 0);
  const singleBatch = call.cmd.singleBatch === true || limit < 0;
  return { cursor: call.engine.cursors.open(ns, docs, nonNegative(call.cmd.batchSize, "batchSize"), singleBatch), ok: 1 };
};

const aggregate: Handler = async (call) => {
  const collectionName = call.cmd.aggregate;
  const ns = collectionName === 1 ? `${call.db}.$cmd.aggregate` : targetNs(call);
  if (!Array.isArray(call.cmd.pipeline)) throw new CommandError("TypeMismatch", "'pipeline' option must be specified as an array");
  if (!isPlainObject(call.cmd.cursor) && call.cmd.explain !== true)
    throw new CommandError("FailedToParse", "The 'cursor' option is required, except for aggregate with the explain argument");
  call.engine.opcounters.command++;
  const pipeline = call.cmd.pipeline as Document[];
  const last = pipeline.at(-1);
  const out = last && "$out" in last ? last.$out : undefined;
  const source: ReadTarget =
    collectionName === 1
      ? { collection: undefined, viewPipeline: [], collation: parseCollation(call.cmd.collation)?.spec, isView: false }
      : readTargetOf(call, ns, call.cmd.collation);
  checkHint(source.collection, call.cmd.hint);
  const stages = [...source.viewPipeline, ...(out === undefined ? pipeline : pipeline.slice(0, -1))];
  const docs = runAggregate(source.collection, stages, optionsFor(call, source.collation));
  if (out !== undefined) {
    const target = typeof out === "string" ? namespaceOf(call.db, out) : namespaceOf(String((out as Document).db ?? call.db), (out as Document).coll);
    await withWrites(call, (unit) => {
      const previous = unit.collection(target);
      refuseOnView(previous, target);
      const indexes = previous ? [...previous.indexes.values()].map((index) => index.spec).filter((spec) => spec.name !== "_id_") : [];
      if (previous) unit.dropCollection(target);
      // As MongoDB, $out keeps the replaced collection's options (collation, validator) and indexes.
      unit.createCollection(target, previous ? previous.options : {});
      for (const spec of indexes) unit.createIndex(target, spec);
      unit.batch(() => {
        for (const doc of docs) unit.insert(target, withId(doc));
      });
      return { ok: 1 };
    });
    return { cursor: { firstBatch: [], id: Long.fromNumber(0), ns }, ok: 1 };
  }
  const batchSize = nonNegative((call.cmd.cursor as Document | undefined)?.batchSize, "batchSize");
  return { cursor: call.engine.cursors.open(ns, docs, batchSize), ok: 1 };
};

const getMore: Handler = (call) => {
  call.engine.opcounters.getmore++;
  const ns = namespaceOf(call.db, call.cmd.collection);
  return { cursor: call.engine.cursors.getMore(Number(call.cmd.getMore), ns, nonNegative(call.cmd.batchSize, "batchSize") || undefined), ok: 1 };
};

const killCursors: Handler = (call) => {
  targetNs(call);
  const ids = Array.isArray(call.cmd.cursors) ? call.cmd.cursors.map(Number) : [];
  return { ...call.engine.cursors.kill(ids), ok: 1 };
};

const count: Handler = (call) => {
  const ns = targetNs(call);
  if (call.session.txn) throw new CommandError("OperationNotSupportedInTransaction", "Cannot run 'count' in a multi-document transaction.");
  call.engine.opcounters.command++;
  const skip = nonNegative(call.cmd.skip, "skip") ?? 0;
  const limit = Math.abs(nonNegative(call.cmd.limit, "limit") ?? 0);
  const target = readTargetOf(call, ns, call.cmd.collation);
  checkHint(target.collection, call.cmd.hint);
  const query = documentOption(call.cmd.query, "query") ?? {};
  const matched = target.isView
    ? runAggregate(target.collection, [...target.viewPipeline, { $match: query }], optionsFor(call, target.collation)).length
    : matchRecords(target.collection, query, optionsFor(call, target.collation)).matches.length;
  const n = Math.max(0, Math.min(matched - skip, limit > 0 ? limit : Number.MAX_SAFE_INTEGER));
  return { n, ok: 1 };
};

const distinct: Handler = (call) => {
  const ns = targetNs(call);
  if (typeof call.cmd.key !== "string") throw new CommandError("TypeMismatch", "'key' must be a string");
  call.engine.opcounters.command++;
  const target = readTargetOf(call, ns, call.cmd.collation);
  const options = optionsFor(call, target.collation);
  const query = documentOption(call.cmd.query, "query") ?? {};
  const docs = target.isView
    ? runAggregate(target.collection, [...target.viewPipeline, { $match: query }], options)
    : matchRecords(target.collection, query, options).matches.map((match) => match.doc);
  // Under a collation, values it deems equal are one value (the first met), as MongoDB answers.
  const compare = collationOf(options)?.compare ?? compareValues;
  const values: unknown[] = [];
  for (const doc of docs) {
    for (const value of valuesAtPath(doc, call.cmd.key).flatMap((v) => (Array.isArray(v) ? v : [v]))) {
      if (value !== undefined && !values.some((seen) => compare(seen, value) === 0)) values.push(value);
    }
  }
  return { values: values.sort(compare), ok: 1 };
};

/** MongoDB stores _id first, generating one when the client did not (a document that already starts with it is kept). */
/** What `withId` adds to a document that comes without an _id: the field name, its type byte and an ObjectId. */
const GENERATED_ID_BYTES = "_id".length + 1 + 1 + 12;

function withId(doc: Document): Document {
  if (doc._id !== undefined && startsWithId(doc)) return doc;
  const { _id, ...rest } = doc;
  return { _id: _id === undefined ? new ObjectId() : _id, ...rest };
}

function startsWithId(doc: Document): boolean {
  for (const field in doc) return field === "_id";
  return false;
}

/** Runs the statements of a batch write, collecting MongoDB's per-statement errors; ordered batches stop at the first. */
function eachStatement<T>(call: Invocation, statements: unknown, field: string, run: (statement: T, index: number) => void): Document[] {
  if (!Array.isArray(statements)) throw new CommandError("TypeMismatch", `'${field}' must be an array`);
  const ordered = call.cmd.ordered !== false;
  const writeErrors: Document[] = [];
  for (const [index, statement] of statements.entries()) {
    try {
      run(statement as T, index);
    } catch (error) {
      if (!(error instanceof CommandError) || call.session.txn) throw error;
      writeErrors.push(error.toWriteError(index));
      if (ordered) break;
    }
  }
  return writeErrors;
}

const insert: Handler = (call) => {
  const ns = targetNs(call);
  return withWrites(call, (unit) => {
    refuseOnView(unit.collection(ns), ns);
    // A document is no larger than the message it came in (plus the _id it may be given): in a message well under the
    // maximum document size none needs measuring.
    const sizeBound = call.messageBytes === undefined ? undefined : call.messageBytes + GENERATED_ID_BYTES;
    let n = 0;
    const writeErrors = unit.batch(() =>
      eachStatement<Document>(call, call.cmd.documents, "documents", (doc) => {
        if (!isPlainObject(doc)) throw new CommandError("TypeMismatch", "each document to insert must be an object");
        call.engine.opcounters.insert++;
        unit.insert(ns, withId(doc), sizeBound);
        n++;
      }),
    );
    return { n, ...(writeErrors.length > 0 ? { writeErrors } : {}), ok: 1 };
  });
};

interface UpdateStatement {
  q: Document;
  u: Document | Document[];
  upsert?: boolean;
  multi?: boolean;
  arrayFilters?: Document[];
  sort?: Document;
  hint?: unknown;
  collation?: Document;
}

const update: Handler = (call) => {
  const ns = targetNs(call);
  const baseOptions = optionsFor(call);
  if (Array.isArray(call.cmd.updates)) for (const statement of call.cmd.updates) if (isPlainObject(statement)) refuseUpdateSort(statement);
  return withWrites(call, (unit) => {
    let matched = 0;
    let modified = 0;
    const upserted: Document[] = [];
    refuseOnView(unit.collection(ns), ns);
    const writeErrors = eachStatement<UpdateStatement>(call, call.cmd.updates, "updates", (statement, index) => {
      call.engine.opcounters.update++;
      const filter = documentOption(statement.q, "q") ?? {};
      const options = { ...baseOptions, collation: statementCollation(unit.collection(ns), statement.collation) as QueryOptions["collation"] };
      if (statement.multi && isReplacement(statement.u)) throw new CommandError("FailedToParse", "multi update is not supported for replacement-style update");
      checkHint(unit.collection(ns), statement.hint);
      let { matches } = matchRecords(unit.collection(ns), filter, options);
      if (!statement.multi) matches = matches.slice(0, 1);
      const context = { filter, arrayFilters: statement.arrayFilters, inserting: false, options };
      for (const { recordId, doc } of matches) {
        const next = applyUpdate(doc, statement.u, context);
        matched++;
        if (!sameDocument(doc, next)) {
          unit.replace(ns, recordId, next);
          modified++;
        }
      }
      if (matches.length === 0 && statement.upsert) {
        const created = applyUpdate(upsertSeed(filter), statement.u, { ...context, inserting: true });
        unit.insert(ns, created);
        upserted.push({ index, _id: created._id });
      }
    });
    return {
      n: matched + upserted.length,
      nModified: modified,
      ...(upserted.length > 0 ? { upserted } : {}),
      ...(writeErrors.length > 0 ? { writeErrors } : {}),
      ok: 1,
    };
  });
};

const remove: Handler = (call) => {
  const ns = targetNs(call);
  const baseOptions = optionsFor(call);
  return withWrites(call, (unit) => {
    let n = 0;
    refuseOnView(unit.collection(ns), ns);
    const writeErrors = eachStatement<{ q: Document; limit?: number; hint?: unknown; collation?: Document }>(call, call.cmd.deletes, "deletes", (statement) => {
      call.engine.opcounters.delete++;
      const options = { ...baseOptions, collation: statementCollation(unit.collection(ns), statement.collation) as QueryOptions["collation"] };
      checkHint(unit.collection(ns), statement.hint);
      const { matches } = matchRecords(unit.collection(ns), documentOption(statement.q, "q") ?? {}, options);
      for (const { recordId } of Number(statement.limit) === 1 ? matches.slice(0, 1) : matches) {
        unit.remove(ns, recordId);
        n++;
      }
    });
    return { n, ...(writeErrors.length > 0 ? { writeErrors } : {}), ok: 1 };
  });
};

const findAndModify: Handler = (call) => {
  const ns = targetNs(call);
  const baseOptions = optionsFor(call);
  const cmd = call.cmd;
  if (cmd.remove === true && cmd.update !== undefined) throw new CommandError("FailedToParse", "Cannot specify both an update and remove=true");
  if (cmd.remove !== true && cmd.update === undefined) throw new CommandError("FailedToParse", "Either an update or remove=true must be specified");
  return withWrites(call, (unit) => {
    refuseOnView(unit.collection(ns), ns);
    const filter = documentOption(cmd.query, "query") ?? {};
    const options = { ...baseOptions, collation: statementCollation(unit.collection(ns), cmd.collation) as QueryOptions["collation"] };
    checkHint(unit.collection(ns), cmd.hint);
    let { matches } = matchRecords(unit.collection(ns), filter, options);
    if (cmd.sort) matches = sortDocuments(matches, documentOption(cmd.sort, "sort")!, collationOf(options)?.compare);
    const target = matches[0];
    const fields = documentOption(cmd.fields, "fields");
    const shape = (doc: Document | undefined): Document | null => (doc ? projectOne(doc, fields, filter, options) : null);
    if (cmd.remove === true) {
      call.engine.opcounters.delete++;
      if (target) unit.remove(ns, target.recordId);
      return { lastErrorObject: { n: target ? 1 : 0 }, value: shape(target?.doc), ok: 1 };
    }
    call.engine.opcounters.update++;
    const context = { filter, arrayFilters: cmd.arrayFilters as Document[] | undefined, inserting: false, options };
    if (target) {
      const next = applyUpdate(target.doc, cmd.update as Document, context);
      if (!sameDocument(target.doc, next)) unit.replace(ns, target.recordId, next);
      return { lastErrorObject: { n: 1, updatedExisting: true }, value: shape(cmd.new === true ? next : target.doc), ok: 1 };
    }
    if (cmd.upsert === true) {
      const created = applyUpdate(upsertSeed(filter), cmd.update as Document, { ...context, inserting: true });
      unit.insert(ns, created);
      return { lastErrorObject: { n: 1, updatedExisting: false, upserted: created._id }, value: cmd.new === true ? shape(created) : null, ok: 1 };
    }
    return { lastErrorObject: { n: 0, updatedExisting: false }, value: null, ok: 1 };
  });
};

/** Projects the one document findAndModify returns; the updated document may no longer match the filter. */
function projectOne(doc: Document, projection: Document | undefined, filter: Document, options: QueryOptions): Document {
  if (!projection) return doc;
  // Only the positional operator needs the filter; otherwise project the located document whatever its new values.
  const positional = Object.keys(projection).some((field) => field.endsWith(".$"));
  return project([doc], projection, positional ? filter : {}, options)[0];
}

/** Fields any command may carry that are not options of the command itself. */
const GENERIC_FIELDS = new Set([
  "lsid",
  "$db",
  "txnNumber",
  "autocommit",
  "startTransaction",
  "writeConcern",
  "readConcern",
  "$clusterTime",
  "$readPreference",
  "comment",
  "maxTimeMS",
  "apiVersion",
  "apiStrict",
  "apiDeprecationErrors",
]);

const create: Handler = async (call) => {
  const ns = targetNs(call);
  if (readCollection(call, ns)) throw new CommandError("NamespaceExists", `Collection ${ns} already exists.`);
  const options = checkCreateOptions(Object.fromEntries(Object.entries(call.cmd).filter(([key]) => key !== "create" && !GENERIC_FIELDS.has(key))));
  checkValidationOptions(options);
  if (options.viewOn !== undefined) checkViewDefinition(call, ns, options);
  return withWrites(call, (unit) => {
    unit.createCollection(ns, options);
    return { ok: 1 };
  });
};

/** A view over a view keeps that view's collation (167 otherwise); its stages are ones a view may hold. */
function checkViewDefinition(call: Invocation, ns: string, options: Document): void {
  for (const stage of options.pipeline as Document[]) {
    const name = Object.keys(stage)[0];
    if (name === "$out" || name === "$merge") throw new CommandError("OptionNotSupportedOnView", `${name} cannot be used in a view definition`);
  }
  const source = readCollection(call, namespaceOf(call.db, options.viewOn));
  if (isView(source) && JSON.stringify(source!.options.collation ?? null) !== JSON.stringify(options.collation ?? null)) {
    throw new CommandError("OptionNotSupportedOnView", `View ${ns} has a collation that does not match the collation of view ${source!.ns}`);
  }
}

/** collMod: changes a collection's validator, validationLevel and validationAction; other changes are refused. */
const collMod: Handler = (call) => {
  const ns = targetNs(call);
  const changes = Object.fromEntries(Object.entries(call.cmd).filter(([key]) => key !== "collMod" && !GENERIC_FIELDS.has(key)));
  if (isView(readCollection(call, ns))) return modifyView(call, ns, changes);
  for (const field of Object.keys(changes)) {
    if (!["validator", "validationLevel", "validationAction"].includes(field)) {
      throw new CommandError(
        "InvalidOptions",
        `collMod option '${field}' is not supported by the embedded engine (validator, validationLevel and validationAction are)`,
      );
    }
  }
  checkValidationOptions(changes);
  return withWrites(call, (unit) => {
    const collection = unit.collection(ns);
    if (!collection) throw new CommandError("NamespaceNotFound", `ns does not exist: ${ns}`);
    checkCreateOptions({ ...collection.options, ...changes });
    unit.modifyCollection(ns, { ...collection.options, ...changes });
    return { ok: 1 };
  });
};

/** collMod of a view: a new viewOn and pipeline (both, as MongoDB requires); a cycle is refused. */
function modifyView(call: Invocation, ns: string, changes: Document): Promise<Document> {
  for (const field of Object.keys(changes))
    if (field !== "viewOn" && field !== "pipeline") throw new CommandError("InvalidOptions", `option not supported on a view: ${field}`);
  if (changes.viewOn === undefined || changes.pipeline === undefined)
    throw new CommandError("InvalidOptions", "Must specify both 'viewOn' and 'pipeline' when modifying a view");
  return withWrites(call, (unit) => {
    const view = unit.collection(ns)!;
    const options = checkCreateOptions({
      viewOn: changes.viewOn,
      pipeline: changes.pipeline,
      ...(view.options.collation ? { collation: view.options.collation } : {}),
    });
    checkViewDefinition(call, ns, options);
    let next = namespaceOf(call.db, options.viewOn);
    for (let depth = 0; isView(unit.collection(next)) || next === ns; depth++) {
      if (next === ns || depth > 20) throw new CommandError("GraphContainsCycle", `View cycle detected: ${ns} -> ${next}`);
      next = namespaceOf(call.db, unit.collection(next)!.options.viewOn);
    }
    unit.modifyCollection(ns, options);
    return { ok: 1 };
  });
}

const drop: Handler = (call) => {
  const ns = targetNs(call);
  return withWrites(call, (unit) => {
    const existing = unit.collection(ns);
    if (existing) unit.dropCollection(ns);
    return { ns, nIndexesWas: existing?.indexes.size ?? 0, ok: 1 };
  });
};

const dropDatabase: Handler = (call) =>
  withWrites(call, (unit) => {
    unit.dropDatabase(call.db);
    return { dropped: call.db, ok: 1 };
  });

const listCollections: Handler = (call) => {
  const filter = documentOption(call.cmd.filter, "filter");
  const all = call.engine.store.namespacesOf(call.db).map((ns) => {
    const collection = call.engine.store.collection(ns, call.session.txn)!;
    const type = isView(collection) ? "view" : "collection";
    if (call.cmd.nameOnly === true) return { name: collection.name, type };
    return type === "view"
      ? { name: collection.name, type, options: collection.options, info: { readOnly: true } }
      : {
          name: collection.name,
          type: "collection",
          options: collection.options,
          info: { readOnly: false, uuid: collection.uuid },
          idIndex: { v: 2, key: { _id: 1 }, name: "_id_" },
        };
  });
  const docs = filter ? translated(() => new Query(filter, queryOptions()).find(all).all() as Document[]) : all;
  return {
    cursor: call.engine.cursors.open(`${call.db}.$cmd.listCollections`, docs, nonNegative((call.cmd.cursor as Document | undefined)?.batchSize, "batchSize")),
    ok: 1,
  };
};

const listIndexes: Handler = (call) => {
  const ns = targetNs(call);
  const collection = readCollection(call, ns);
  if (!collection) throw new CommandError("NamespaceNotFound", `ns does not exist: ${ns}`);
  refuseOnView(collection, ns);
  const specs = [...collection.indexes.values()].map((index) => index.spec);
  return { cursor: call.engine.cursors.open(ns, specs, nonNegative((call.cmd.cursor as Document | undefined)?.batchSize, "batchSize")), ok: 1 };
};

const createIndexes: Handler = (call) => {
  const ns = targetNs(call);
  if (!Array.isArray(call.cmd.indexes) || call.cmd.indexes.length === 0) throw new CommandError("BadValue", "Must specify at least one index to create");
  return withWrites(call, (unit) => {
    refuseOnView(unit.collection(ns), ns);
    const createdCollectionAutomatically = !unit.collection(ns);
    const collection = unit.ensureCollection(ns);
    const before = collection.indexes.size;
    for (const raw of call.cmd.indexes as Document[]) {
      // An index without its own collation takes the collection's default, as MongoDB.
      const inherited = raw.collation === undefined && collection.options.collation ? { ...raw, collation: collection.options.collation } : raw;
      const spec = validateIndexSpec(inherited);
      const existing = collection.indexes.get(spec.name);
      const sameCollation = (index: { spec: Document }): boolean => JSON.stringify(index.spec.collation ?? null) === JSON.stringify(spec.collation ?? null);
      const sameKey = [...collection.indexes.values()].find((index) => compareValues(index.spec.key, spec.key) === 0 && sameCollation(index));
      if (existing) {
        if (compareValues(existing.spec.key, spec.key) !== 0)
          throw new CommandError(
            "IndexKeySpecsConflict",
            `An existing index has the same name as the requested index but a different key. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing.spec)}`,
          );
        if (Boolean(existing.spec.unique) !== Boolean(spec.unique) || Boolean(existing.spec.sparse) !== Boolean(spec.sparse) || !sameCollation(existing)) {
          throw new CommandError(
            "IndexOptionsConflict",
            `An equivalent index already exists with the same name but different options. Requested index: ${JSON.stringify(spec)}, existing index: ${JSON.stringify(existing.spec)}`,
          );
        }
        continue;
      }
      if (sameKey && spec.partialFilterExpression === undefined && sameKey.spec.partialFilterExpression === undefined) {
        throw new CommandError("IndexOptionsConflict", `Index already exists with a different name: ${sameKey.name}`);
      }
      unit.createIndex(ns, spec);
    }
    const after = collection.indexes.size;
    return {
      numIndexesBefore: before,
      numIndexesAfter: after,
      createdCollectionAutomatically,
      ...(before === after ? { note: "all indexes already exist" } : {}),
      ok: 1,
    };
  });
};

const dropIndexes: Handler = (call) => {
  const ns = targetNs(call);
  return withWrites(call, (unit) => {
    const collection = unit.collection(ns);
    if (!collection) throw new CommandError("NamespaceNotFound", `ns not found ${ns}`);
    refuseOnView(collection, ns);
    const before = collection.indexes.size;
    const requested = call.cmd.index;
    let names: string[];
    if (requested === "*") names = [...collection.indexes.keys()].filter((name) => name !== "_id_");
    else if (Array.isArray(requested)) names = requested.map(String);
    else if (isPlainObject(requested)) {
      const match = [...collection.indexes.values()].find((index) => compareValues(index.spec.key, requested) === 0);
      names = [match?.name ?? defaultIndexName(requested)];
    } else names = [String(requested)];
    for (const name of names) {
      if (name === "_id_") throw new CommandError("InvalidOptions", "cannot drop _id index");
      if (!collection.indexes.has(name)) throw new CommandError("IndexNotFound", `index not found with name [${name}]`);
    }
    for (const name of names) unit.dropIndex(ns, name);
    return { nIndexesWas: before, ok: 1 };
  });
};

const explain: Handler = (call) => {
  const inner = documentOption(call.cmd.explain, "explain");
  if (!inner) throw new CommandError("BadValue", "explain takes the command to explain");
  const name = Object.keys(inner)[0];
  const ns = namespaceOf(call.db, inner[name ?? ""]);
  const target = readTargetOf(call, ns, inner.collation);
  if (target.isView) throw new CommandError("InvalidOptions", "explain on a view is not supported by the embedded engine");
  const collection = target.collection;
  const options = optionsFor(call, target.collation);
  if (name === "find") {
    const { docs, plan } = runFind(
      collection,
      {
        filter: documentOption(inner.filter, "filter"),
        sort: documentOption(inner.sort, "sort"),
        skip: nonNegative(inner.skip, "skip"),
        limit: nonNegative(inner.limit, "limit"),
      },
      options,
    );
    return explainPlan(ns, plan, docs.length);
  }
  if (name === "count" || name === "distinct") {
    const filter = documentOption(inner.query, "filter") ?? {};
    const { matches, plan } = matchRecords(collection, filter, options);
    return explainPlan(ns, plan, matches.length);
  }
  if (name === "aggregate" && Array.isArray(inner.pipeline)) {
    const first = inner.pipeline[0] as Document | undefined;
    const { matches, plan } = matchRecords(collection, first && isPlainObject(first.$match) ? first.$match : {}, options);
    return explainPlan(ns, plan, matches.length);
  }
  throw new CommandError("IllegalOperation", `explain of '${name}' is not supported by the embedded engine (find, count, distinct and aggregate are)`);
};

const commitTransaction: Handler = async (call) => {
  await call.engine.sessions.commit(call.session);
  return { ok: 1 };
};

const abortTransaction: Handler = (call) => {
  call.engine.sessions.abort(call.session);
  return { ok: 1 };
};

const listDatabases: Handler = (call) => {
  const databases = call.engine.store.databases().map((name) => ({ name, sizeOnDisk: 0, empty: false }));
  return call.cmd.nameOnly === true ? { databases: databases.map(({ name }) => ({ name })), ok: 1 } : { databases, totalSize: 0, totalSizeMb: 0, ok: 1 };
};

const dbStats: Handler = (call) => {
  const collections = call.engine.store.namespacesOf(call.db).map((ns) => call.engine.store.collection(ns)!);
  const views = collections.filter(isView).length;
  const stored = collections.filter((collection) => !isView(collection));
  const objects = stored.reduce((sum, collection) => sum + collection.size, 0);
  const indexes = stored.reduce((sum, collection) => sum + collection.indexes.size, 0);
  return { db: call.db, collections: stored.length, views, objects, indexes, dataSize: 0, storageSize: 0, indexSize: 0, ok: 1 };
};

const serverStatus: Handler = (call) => ({
  host: hostname(),
  version: SERVER_VERSION,
  process: "tsunagu-embedded-mongo",
  pid: Long.fromNumber(process.pid),
  uptime: Math.floor((Date.now() - call.engine.startedAt) / 1000),
  uptimeMillis: Long.fromNumber(Date.now() - call.engine.startedAt),
  localTime: new Date(),
  connections: { ...call.engine.connections, available: 1000 },
  opcounters: { ...call.engine.opcounters },
  metrics: { cursor: { open: { total: call.engine.cursors.openCount } } },
  ok: 1,
});

const buildInfo: Handler = () => ({
  version: SERVER_VERSION,
  gitVersion: "tsunagu-embedded-mongo",
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  storageEngines: ["tsunagu-journal"],
  modules: [],
  ok: 1,
});

const getParameter: Handler = (call) => {
  const known: Document = { featureCompatibilityVersion: { version: "7.0" }, transactionLifetimeLimitSeconds: 60, maxBSONDepth: 100 };
  if (call.cmd.getParameter === "*") return { ...known, ok: 1 };
  const reply: Document = {};
  for (const key of Object.keys(call.cmd)) if (key in known) reply[key] = known[key];
  return { ...reply, ok: 1 };
};

const endSessions: Handler = (call) => {
  call.engine.sessions.end(Array.isArray(call.cmd.endSessions) ? call.cmd.endSessions : []);
  return { ok: 1 };
};

const ok: Handler = () => ({ ok: 1 });

const handlers: Record<string, Handler> = {
  hello: handshake(false),
  isMaster: handshake(true),
  ismaster: handshake(true),
  ping: ok,
  buildInfo,
  buildinfo: buildInfo,
  getParameter,
  serverStatus,
  hostInfo: () => ({ system: { hostname: hostname(), numCores: 2 }, os: { type: process.platform }, ok: 1 }),
  getCmdLineOpts: () => ({ argv: ["tsunagu-embedded-mongo"], parsed: {}, ok: 1 }),
  whatsmyuri: (call) => ({ you: call.remote, ok: 1 }),
  connectionStatus: () => ({ authInfo: { authenticatedUsers: [], authenticatedUserRoles: [] }, ok: 1 }),
  getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
  endSessions,
  killSessions: endSessions,
  refreshSessions: ok,
  startSession: () => ({ id: { id: new ObjectId().id }, timeoutMinutes: 30, ok: 1 }),
  listDatabases,
  dropDatabase,
  dbStats,
  find,
  getMore,
  killCursors,
  aggregate,
  count,
  distinct,
  insert,
  update,
  delete: remove,
  findAndModify,
  findandmodify: findAndModify,
  create,
  collMod,
  drop,
  listCollections,
  createIndexes,
  listIndexes,
  dropIndexes,
  deleteIndexes: dropIndexes,
  explain,
  commitTransaction,
  abortTransaction,
};

const ALLOWED_IN_TRANSACTION = new Set([
  "find",
  "getMore",
  "killCursors",
  "aggregate",
  "distinct",
  "insert",
  "update",
  "delete",
  "findAndModify",
  "findandmodify",
  "commitTransaction",
  "abortTransaction",
]);
const WRITE_COMMANDS = new Set(["insert", "update", "delete", "findAndModify", "findandmodify"]);

/** Runs one command and returns its reply document; failures come back as MongoDB error replies. */
export async function runCommand(engine: Engine, request: CommandRequest): Promise<Document> {
  const name = Object.keys(request.cmd)[0] ?? "";
  const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
  let session: SessionContext = { key: undefined, txnNumber: undefined, txn: undefined };
  try {
    if (!handler) throw new CommandError("CommandNotFound", `no such command: '${name}'`);
    engine.opcounters.command += WRITE_COMMANDS.has(name) || name === "find" || name === "getMore" ? 0 : 1;
    session = engine.sessions.enter(request.cmd);
    if (session.txn && !ALLOWED_IN_TRANSACTION.has(name)) {
      throw new CommandError("OperationNotSupportedInTransaction", `Cannot run '${name}' in a multi-document transaction.`);
    }
    if (session.txn && session.txn.state !== "active" && name !== "commitTransaction" && name !== "abortTransaction") {
      throw new CommandError("NoSuchTransaction", `Transaction ${session.txn.txnNumber} has been ${session.txn.state}.`, {}, ["TransientTransactionError"]);
    }
    checkCollations(name, request.cmd);
    const reply = await handler({ ...request, engine, name, session });
    const writeConcernError = reply.ok === 1 ? writeConcernProblem(request.cmd.writeConcern) : undefined;
    return writeConcernError ? { ...reply, writeConcernError } : reply;
  } catch (error) {
    if (session.txn && name !== "commitTransaction") engine.sessions.abortOnError(session);
    if (error instanceof CommandError) return error.toReply();
    return new CommandError("InternalError", error instanceof Error ? error.message : String(error)).toReply();
  }
}
