import { parseArgs } from 'node:util';
import { connect, expectPositionals, integerOption } from './args.js';
import { note, printJson, printTable } from './output.js';

/** One page of a collection, as every list route of the API answers it. */
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

/** Under a table: how to read the next page, when there is one. */
export function printNextCursor(command: string, page: Page<unknown>): void {
  if (page.nextCursor !== undefined) note(`more: ${command} --cursor ${page.nextCursor}`);
}

/** What differs between `nomaly <noun> list` commands: the route and the table. */
export interface ListSpec<T> {
  /** `datasets`, `detectors`, `models`: the command is `nomaly <noun> list`. */
  readonly noun: string;
  /** The API route of the collection, e.g. `/api/v1/datasets`. */
  readonly path: string;
  readonly columns: readonly string[];
  readonly row: (item: T) => ReadonlyArray<string | number | null | undefined>;
}

/**
 * `nomaly <noun> list [--limit N] [--cursor C] [--json]`: one page of the collection, as a table
 * (the next page's command on stderr) or as the API's JSON.
 */
export async function listCommand<T>(argv: string[], spec: ListSpec<T>): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      limit: { type: 'string' },
      cursor: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  expectPositionals(`${spec.noun} list`, positionals, []);
  const limit =
    values.limit === undefined ? undefined : integerOption('--limit', values.limit, 1, 200);
  const page = (
    await connect().call<Page<T>>(spec.path, { query: { limit, cursor: values.cursor } })
  ).body;
  if (values.json) return printJson(page);
  printTable(spec.columns, page.items.map(spec.row), `(no ${spec.noun})`);
  printNextCursor(`nomaly ${spec.noun} list`, page);
}
