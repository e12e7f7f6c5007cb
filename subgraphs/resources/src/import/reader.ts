// Opens an open-data CSV: decodes it, recognises its layout from the header (or takes a mapping file's) and reads each data row on its own.
import { DEFAULT_TAXONOMY } from "../taxonomy";
import type { TaxonomyCategory } from "../taxonomy";
import { clean } from "./cells";
import { decodeText, readRecords } from "./csv-text";
import { OpenDataHeaderError, detectLayout } from "./layouts";
import type { Layout } from "./layouts";
import { RowReader } from "./rows";
import type { ImportScope, RowOutcome } from "./rows";

export interface OpenOptions {
  taxonomy?: readonly TaxonomyCategory[];
  /** A city's own layout (from `readMappingFile`); the built-in layouts are recognised without it. */
  layout?: Layout;
  scope?: ImportScope;
}

/** An opened file: its layout, its rows in file order, and the bytes read so far (for a progress bar). */
export interface OpenDataFile {
  layout: Layout;
  rows: AsyncGenerator<RowOutcome, void, undefined>;
  bytesRead(): number;
}

/**
 * Opens an open-data CSV (a file stream or any chunks): reads the header, recognises the layout (throwing
 * `OpenDataHeaderError` naming missing columns) and returns the rows, each read on its own so a bad row never
 * affects another. A file that cannot be parsed further throws `OpenDataParseError` from `rows` after the rows
 * before it. Breaking out of `rows` closes the source.
 */
export async function openOpenDataCsv(source: AsyncIterable<Uint8Array | string>, options: OpenOptions = {}): Promise<OpenDataFile> {
  let bytes = 0;
  const records = readRecords(decodeText(source, (count) => (bytes += count)));
  const first = await records.next();
  if (first.done) throw new OpenDataHeaderError("空のファイルです (empty file)", []);
  const header = first.value.record.map(clean);
  let reader: RowReader;
  let layout: Layout;
  try {
    const detected = detectLayout(header, options.layout);
    layout = detected.layout;
    reader = new RowReader(detected, options.taxonomy ?? DEFAULT_TAXONOMY, options.scope);
  } catch (error) {
    await records.return();
    throw error;
  }
  async function* rows(): AsyncGenerator<RowOutcome, void, undefined> {
    try {
      for await (const { record, line } of records) {
        if (record.every((cell) => cell.trim() === "")) continue;
        yield reader.read(line, record, header.length);
      }
    } finally {
      await records.return();
    }
  }
  return { layout, rows: rows(), bytesRead: () => bytes };
}
