/**
 * A few lines instead of a framework: elements are built with {@link h}, text always goes in as
 * text nodes (never parsed as HTML, so data from a dataset cannot inject markup), and styling is
 * by class only (the Content-Security-Policy allows no inline styles).
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

type Handler = (event: Event) => void;
export type Attributes = Readonly<
  Record<string, string | number | boolean | null | undefined | Handler>
>;

/**
 * `h('button', { type: 'button', onclick: go }, 'Go')`. Attributes named `on…` with a function
 * become listeners; `true` sets an empty attribute, `false`/`null`/`undefined` leave it out.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes?: Attributes | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== false && value !== null && value !== undefined) {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (typeof child === 'string' || typeof child === 'number') {
      parent.appendChild(document.createTextNode(String(child)));
    } else if (child instanceof Node) {
      parent.appendChild(child);
    } else {
      append(parent, child);
    }
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

let idCounter = 0;
/** An id unique in the page, to tie labels, descriptions and controls together. */
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A link inside the app (the router intercepts it; it still works as a plain link). */
export function link(href: string, ...children: Child[]): HTMLAnchorElement {
  return h('a', { href }, ...children);
}

/** A definition list of label → value pairs, for object summaries. */
export function facts(entries: ReadonlyArray<readonly [string, Child]>): HTMLDListElement {
  return h(
    'dl',
    { class: 'facts' },
    entries.map(([term, value]) => h('div', null, h('dt', null, term), h('dd', null, value))),
  );
}
