// MongoDB server errors: the codes, code names and reply shapes the official driver expects.
import type { Document } from "bson";

/** Error codes the engine answers with, named as MongoDB names them. */
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  ProtocolError: 17,
  AuthenticationFailed: 18,
  PathNotViable: 28,
  ConflictingUpdateOperators: 40,
  IllegalOperation: 20,
  InvalidBSON: 22,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  UnknownReplWriteConcern: 79,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  UnsatisfiableWriteConcern: 100,
  WriteConflict: 112,
  ConflictingOperationInProgress: 117,
  DocumentValidationFailure: 121,
  ViewDepthLimitExceeded: 149,
  GraphContainsCycle: 93,
  CommandNotSupportedOnView: 166,
  OptionNotSupportedOnView: 167,
  InvalidPipelineOperator: 168,
  CannotIndexParallelArrays: 171,
  TransactionTooOld: 225,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
  NoQueryExecutionPlans: 291,
  MechanismUnavailable: 334,
  BSONObjectTooLarge: 10334,
  DuplicateKey: 11000,
  OutOfDiskSpace: 14031,
  CannotExtractGeoKeys: 16755,
  UnrecognizedPipelineStage: 40324,
  /** "BSON field '…' is missing but a required field" */
  IDLFailedToParse: 40414,
  /** "BSON field '…' is an unknown field." */
  UnknownField: 40415,
  /** "The dollar ($) prefixed field '…' in '…' is not valid for storage." */
  DollarPrefixedFieldName: 52,
  /** "Cannot do inclusion on field … in exclusion projection" */
  InclusionInExclusionProjection: 31253,
  /** "Cannot do exclusion on field … in inclusion projection" */
  ExclusionInInclusionProjection: 31254,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

const codeNames = new Map<number, string>(Object.entries(ErrorCodes).map(([name, code]) => [code, name]));
// MongoDB reports some errors under a "Location<code>" name.
const locationCodes = new Set<number>([
  ErrorCodes.CannotExtractGeoKeys,
  ErrorCodes.UnrecognizedPipelineStage,
  ErrorCodes.IDLFailedToParse,
  ErrorCodes.UnknownField,
  ErrorCodes.InclusionInExclusionProjection,
  ErrorCodes.ExclusionInInclusionProjection,
]);

/** MongoDB's refusal to store a `$`-prefixed field where it may not stand (added by an update). */
export function dollarPrefixedField(field: string): CommandError {
  return new CommandError("DollarPrefixedFieldName", `The dollar ($) prefixed field '${field}' in '${field}' is not valid for storage.`);
}

/** A failure a command reports to the client as `{ ok: 0, errmsg, code, codeName }`. */
export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly errorLabels: string[];
  readonly extra: Document;

  constructor(name: ErrorCodeName, message: string, extra: Document = {}, errorLabels: string[] = []) {
    super(message);
    this.code = ErrorCodes[name];
    this.codeName = locationCodes.has(this.code) ? `Location${this.code}` : (codeNames.get(this.code) ?? name);
    this.extra = extra;
    this.errorLabels = errorLabels;
  }

  toReply(): Document {
    const reply: Document = { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
    if (this.errorLabels.length > 0) reply.errorLabels = this.errorLabels;
    return reply;
  }

  /** The shape of one entry in a write command's `writeErrors`. */
  toWriteError(index: number): Document {
    return { index, code: this.code, errmsg: this.message, ...this.extra };
  }
}

/** Translates mingo's messages about unknown operators into MongoDB's errors; other errors pass through. */
export function fromQueryLanguageError(error: unknown): unknown {
  if (error instanceof CommandError || !(error instanceof Error)) return error;
  if (/immutable field '_id'/.test(error.message))
    return new CommandError("ImmutableField", "Performing an update on the path '_id' would modify the immutable field '_id'");
  const dollarPath = /Dollar \(\$\) prefixed field paths is not allowed in update operations: '([^']*)'/.exec(error.message);
  if (dollarPath) return dollarPrefixedField(dollarPath[1]);
  const unknownOperator = /(?:unknown|unregistered) (\w+) operator:? (\$\w+)/i.exec(error.message);
  if (unknownOperator) {
    const [, kind, name] = unknownOperator;
    if (kind === "pipeline") return new CommandError("UnrecognizedPipelineStage", `Unrecognized pipeline stage name: '${name}'`);
    if (kind === "update")
      return new CommandError("FailedToParse", `Unknown modifier: ${name}. Expected a valid update modifier or pipeline-style update specified as an array`);
    if (kind === "query") return new CommandError("BadValue", `unknown operator: ${name}`);
    return new CommandError("InvalidOptions", `Unrecognized expression '${name}'`);
  }
  if (/MingoError|Invalid|expects|must|cannot|not supported/i.test(`${error.name} ${error.message}`)) {
    return new CommandError("BadValue", error.message);
  }
  return error;
}
