// Reading an open-data CSV: bytes decoded as UTF-8 (with or without BOM) or Shift_JIS, then parsed into records with their line numbers.
import { TextDecoder } from "node:util";
import { parse } from "csv-parse";

/** The file cannot be read from `line` on (an unclosed quote, bytes that are neither UTF-8 nor Shift_JIS). */
export class OpenDataParseError extends Error {
  constructor(
    readonly line: number,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${line}行目以降を読み取れません (cannot read from line ${line}): ${reason}`, { cause });
    this.name = "OpenDataParseError";
  }
}

/** Decodes bytes as UTF-8, or Shift_JIS when the first chunk is not UTF-8; line endings become "\n". */
export async function* decodeText(source: AsyncIterable<Uint8Array | string>, onBytes: (count: number) => void): AsyncGenerator<string> {
  let decoder: TextDecoder | undefined;
  let carriageReturn = false;
  const lines = (text: string) => {
    const joined = (carriageReturn ? "\r" : "") + text;
    carriageReturn = joined.endsWith("\r");
    return (carriageReturn ? joined.slice(0, -1) : joined).replace(/\r\n?/g, "\n");
  };
  for await (const chunk of source) {
    if (typeof chunk === "string") {
      onBytes(Buffer.byteLength(chunk));
      yield lines(chunk);
      continue;
    }
    onBytes(chunk.byteLength);
    if (!decoder) {
      try {
        // A multi-byte character cut at the chunk's end is fine in stream mode; anything else invalid is not UTF-8.
        new TextDecoder("utf-8", { fatal: true }).decode(chunk, { stream: true });
        decoder = new TextDecoder("utf-8", { fatal: true });
      } catch {
        decoder = new TextDecoder("shift_jis");
      }
    }
    yield lines(decoder.decode(chunk, { stream: true }));
  }
  yield lines(decoder?.decode() ?? "") + (carriageReturn ? "\n" : "");
}

/** A CSV record and the physical line it starts on (the header is line 1). */
export interface CsvRecord {
  record: string[];
  line: number;
}

/**
 * The records of a CSV text, parsed as the text is pulled (so a slow consumer holds back the source), blank lines
 * skipped. A syntax error is thrown as `OpenDataParseError` only after every record before it has been yielded.
 */
export async function* readRecords(text: AsyncIterable<string>): AsyncGenerator<CsvRecord, void, undefined> {
  const parsed: CsvRecord[] = [];
  let failure: Error | undefined;
  let lastLine = 0;
  const parser = parse({
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    info: false,
    on_record: (record: string[], context) => {
      // context.lines is the line a record ends on; a quoted cell may span several lines.
      const spanned = record.reduce((count, cell) => count + (cell.match(/\n/g)?.length ?? 0), 0);
      parsed.push({ record, line: context.lines - spanned });
      lastLine = context.lines;
      return null;
    },
  });
  parser.on("error", (error) => (failure ??= error));
  const settle = (action: (done: () => void) => void) =>
    new Promise<void>((resolve) => {
      const done = () => {
        parser.off("error", done);
        resolve();
      };
      parser.on("error", done);
      action(done);
    });
  const raise = (error: Error) => new OpenDataParseError(lastLine + 1, error);
  try {
    for await (const chunk of text) {
      await settle((done) => parser.write(chunk, done));
      yield* parsed.splice(0);
      if (failure) throw raise(failure);
    }
    await settle((done) => parser.end(done));
    yield* parsed.splice(0);
    if (failure) throw raise(failure);
  } finally {
    parser.destroy();
  }
}
