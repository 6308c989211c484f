import { ApiError } from '../api.js';
import { h } from '../dom.js';

/** Whether an error is the cancellation of a page's work (navigating away), not a failure. */
export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/**
 * An error as a message a person can read: the API's problem detail with its field errors and
 * request id, or the error's own message. `role="alert"` makes screen readers announce it.
 */
export function errorNotice(error: unknown): HTMLElement {
  if (error instanceof ApiError) {
    const { problem } = error;
    return h(
      'div',
      { class: 'notice error', role: 'alert' },
      h('p', null, problem.message),
      problem.fields.length > 0
        ? h(
            'ul',
            null,
            problem.fields.map((field) => h('li', null, field)),
          )
        : null,
      problem.requestId === undefined
        ? null
        : h('p', { class: 'muted' }, `Request id ${problem.requestId}`),
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return h('div', { class: 'notice error', role: 'alert' }, h('p', null, message));
}

/** A short confirmation, announced politely. */
export function successNotice(...text: Array<string | Node>): HTMLElement {
  return h('div', { class: 'notice success', role: 'status' }, h('p', null, ...text));
}

/** Shows `error` in `slot` (replacing what was there), unless it is a cancellation. */
export function showError(slot: Element, error: unknown): void {
  if (isAbort(error)) return;
  slot.replaceChildren(errorNotice(error));
}
