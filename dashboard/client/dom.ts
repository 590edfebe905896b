/** DOM helpers. Every value from the data goes in as text, never as HTML. */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export interface Column<T> {
  readonly label: string;
  readonly value: (row: T) => string;
  /** Right-aligned, for numbers. */
  readonly numeric?: boolean;
}

/** A table with a caption, replacing whatever the container held. */
export function renderTable<T>(
  container: HTMLElement,
  caption: string,
  columns: readonly Column<T>[],
  rows: readonly T[],
  rowClass?: (row: T) => string | undefined,
): void {
  if (rows.length === 0) {
    container.replaceChildren(element('p', { class: 'empty' }, `${caption}: none.`));
    return;
  }
  const head = element(
    'tr',
    {},
    ...columns.map((c) => element('th', { scope: 'col', class: c.numeric ? 'num' : '' }, c.label)),
  );
  const body = rows.map((row) => {
    const cssClass = rowClass?.(row);
    return element(
      'tr',
      cssClass ? { class: cssClass } : {},
      ...columns.map((c) => element('td', { class: c.numeric ? 'num' : '' }, c.value(row))),
    );
  });
  const table = element(
    'table',
    {},
    element('caption', {}, caption),
    element('thead', {}, head),
    element('tbody', {}, ...body),
  );
  container.replaceChildren(
    element('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-label': caption }, table),
  );
}
