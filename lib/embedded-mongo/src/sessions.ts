// Logical sessions: retryable-write replay by (lsid, txnNumber), and the lifecycle of multi-document transactions.
import type { Binary, Document } from "bson";
import { CommandError } from "./errors";
import { Transaction, type Store } from "./store";

interface SessionState {
  lastUsed: number;
  /** The highest txnNumber seen, for retryable writes and transactions alike. */
  txnNumber: number;
  /** The reply of the last retryable write, returned again when the driver retries it. */
  retryReply: Document | undefined;
  txn: Transaction | undefined;
}

/** What a command runs under: its session key, and the transaction when it is part of one. */
export interface SessionContext {
  key: string | undefined;
  txnNumber: number | undefined;
  txn: Transaction | undefined;
}

const transientError = (message: string): CommandError => new CommandError("NoSuchTransaction", message, {}, ["TransientTransactionError"]);

/** Sessions of one engine. */
export class Sessions {
  private readonly sessions = new Map<string, SessionState>();
  private readonly store: Store;
  private readonly transactionLifetimeMs: number;

  constructor(store: Store, transactionLifetimeMs: number) {
    this.store = store;
    this.transactionLifetimeMs = transactionLifetimeMs;
  }

  private state(key: string): SessionState {
    let state = this.sessions.get(key);
    if (!state) {
      state = { lastUsed: Date.now(), txnNumber: -1, retryReply: undefined, txn: undefined };
      this.sessions.set(key, state);
    }
    state.lastUsed = Date.now();
    return state;
  }

  /** Resolves a command's session fields; starts a transaction when the command says so. */
  enter(cmd: Document): SessionContext {
    const lsid = cmd.lsid as { id?: Binary } | undefined;
    const key = lsid?.id ? Buffer.from(lsid.id.buffer).toString("hex") : undefined;
    const txnNumber = cmd.txnNumber === undefined ? undefined : Number(cmd.txnNumber);
    if (!key || txnNumber === undefined || cmd.autocommit !== false) return { key, txnNumber, txn: undefined };
    const state = this.state(key);
    if (txnNumber < state.txnNumber)
      throw new CommandError("TransactionTooOld", `txnNumber ${txnNumber} is less than last txnNumber ${state.txnNumber} seen in session ${key}`);
    if (cmd.startTransaction === true) {
      if (state.txn?.txnNumber === txnNumber) throw new CommandError("ConflictingOperationInProgress", "Transaction already in progress");
      if (state.txn?.state === "active") state.txn.end("aborted");
      state.txnNumber = txnNumber;
      state.txn = new Transaction(txnNumber);
      return { key, txnNumber, txn: state.txn };
    }
    const txn = state.txn;
    if (!txn || txn.txnNumber !== txnNumber) throw transientError(`Transaction with { txnNumber: ${txnNumber} } has been aborted or was never started.`);
    txn.lastUsed = Date.now();
    return { key, txnNumber, txn };
  }

  /** The earlier reply when this retryable write was already executed. */
  replayedWrite(context: SessionContext): Document | undefined {
    if (!context.key || context.txnNumber === undefined || context.txn) return undefined;
    const state = this.state(context.key);
    if (context.txnNumber < state.txnNumber)
      throw new CommandError(
        "TransactionTooOld",
        `Retryable write with txnNumber ${context.txnNumber} is prohibited on session because a newer retryable write with txnNumber ${state.txnNumber} has already started`,
      );
    return context.txnNumber === state.txnNumber ? state.retryReply : undefined;
  }

  rememberWrite(context: SessionContext, reply: Document): void {
    if (!context.key || context.txnNumber === undefined || context.txn) return;
    const state = this.state(context.key);
    state.txnNumber = context.txnNumber;
    state.retryReply = reply;
  }

  async commit(context: SessionContext): Promise<void> {
    const txn = context.txn;
    if (!txn) throw transientError("commitTransaction needs a transaction (lsid, txnNumber and autocommit: false)");
    if (txn.state === "committed") return;
    if (txn.state === "aborted") throw transientError(`Transaction ${txn.txnNumber} has been aborted.`);
    try {
      await this.store.commit(txn);
    } catch (error) {
      txn.end("aborted");
      throw error;
    }
  }

  abort(context: SessionContext): void {
    const txn = context.txn;
    if (!txn || txn.state === "aborted") throw transientError("No transaction to abort");
    if (txn.state === "committed") throw new CommandError("TransactionCommitted", `Transaction ${txn.txnNumber} has been committed.`);
    txn.end("aborted");
  }

  /** Aborts a transaction that failed midway, so nothing of it is applied. */
  abortOnError(context: SessionContext): void {
    if (context.txn?.state === "active") context.txn.end("aborted");
  }

  end(ids: Document[]): void {
    for (const lsid of ids) {
      const key = lsid?.id ? Buffer.from((lsid.id as Binary).buffer).toString("hex") : undefined;
      const state = key ? this.sessions.get(key) : undefined;
      if (state?.txn?.state === "active") state.txn.end("aborted");
      if (key) this.sessions.delete(key);
    }
  }

  /** Aborts transactions older than their lifetime and forgets sessions idle for 30 minutes. */
  expire(now = Date.now()): void {
    for (const [key, state] of this.sessions) {
      if (state.txn?.state === "active" && now - state.txn.lastUsed > this.transactionLifetimeMs) state.txn.end("aborted");
      if (now - state.lastUsed > 30 * 60_000) this.sessions.delete(key);
    }
  }
}
