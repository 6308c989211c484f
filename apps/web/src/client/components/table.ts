import { h, type Child } from '../dom.js';

export interface Column<T> {
  readonly label: string;
  readonly cell: (row: T, index: number) => Child;
  /** Right-aligned, tabular figures. */
  readonly numeric?: boolean;
  /** Makes the header a sort button for this key. */
  readonly sortKey?: string;
  /** The row header (`<th scope=row>`): what a screen reader names each row by. */
  readonly rowHeader?: boolean;
}

export interface TableSort {
  readonly key: string;
  readonly descending: boolean;
  readonly onSort: (key: string) => void;
}

export interface TableOptions<T> {
  readonly caption: string;
  readonly columns: ReadonlyArray<Column<T>>;
  readonly rows: readonly T[];
  /** Shown instead of an empty table. */
  readonly empty?: string;
  readonly sort?: TableSort;
  /** Extra class names on the `<table>`. */
  readonly className?: string;
}

/**
 * A data table with a caption, column headers, optional row headers and sortable columns: the
 * sortable headers are buttons (reachable by keyboard) and the sorted one carries `aria-sort`.
 * It sits in a focusable, labelled region that scrolls sideways when the table is wide.
 */
export function dataTable<T>(options: TableOptions<T>): HTMLElement {
  if (options.rows.length === 0 && options.empty !== undefined) {
    return h('p', { class: 'muted' }, options.empty);
  }
  const { sort } = options;
  const head = h(
    'tr',
    null,
    options.columns.map((column) => {
      const sorted = sort !== undefined && column.sortKey === sort.key;
      const ariaSort = sorted ? (sort.descending ? 'descending' : 'ascending') : undefined;
      const content: Child =
        column.sortKey !== undefined && sort !== undefined
          ? h(
              'button',
              {
                type: 'button',
                class: 'sort',
                'data-sort-key': column.sortKey,
                onclick: () => sort.onSort(column.sortKey!),
              },
              column.label,
              h(
                'span',
                { class: 'sort-mark', 'aria-hidden': 'true' },
                sorted ? (sort.descending ? ' ▼' : ' ▲') : '',
              ),
            )
          : column.label;
      return h(
        'th',
        { scope: 'col', class: column.numeric === true ? 'num' : undefined, 'aria-sort': ariaSort },
        content,
      );
    }),
  );
  const body = h(
    'tbody',
    null,
    options.rows.map((row, index) =>
      h(
        'tr',
        null,
        options.columns.map((column) =>
          h(
            column.rowHeader === true ? 'th' : 'td',
            {
              scope: column.rowHeader === true ? 'row' : undefined,
              class: column.numeric === true ? 'num' : undefined,
            },
            column.cell(row, index),
          ),
        ),
      ),
    ),
  );
  const table = h(
    'table',
    { class: options.className },
    h('caption', null, options.caption),
    h('thead', null, head),
    body,
  );
  return h(
    'div',
    { class: 'table-wrap', role: 'region', 'aria-label': options.caption, tabindex: 0 },
    table,
  );
}
