import { h, uniqueId } from '../dom.js';

/**
 * A labelled progress bar (`<progress>`, which assistive technology reads as a progress bar)
 * with a line of text under it that follows every update. Screen readers hear a separate
 * `aria-live` region that only changes every 10% (and at the start and the end), so they are not
 * flooded with numbers.
 */
export class ProgressView {
  readonly element: HTMLElement;
  private readonly bar: HTMLProgressElement;
  private readonly text: HTMLElement;
  private readonly live: HTMLElement;
  private announcedStep = -1;

  constructor(label: string) {
    const id = uniqueId('progress');
    this.bar = h('progress', { id, max: 100, 'aria-describedby': `${id}-text` });
    this.text = h('p', { id: `${id}-text`, class: 'progress-text' });
    this.live = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
    this.element = h(
      'div',
      { class: 'progress' },
      h('label', { for: id }, label),
      this.bar,
      this.text,
      this.live,
    );
    this.indeterminate('Starting…');
  }

  /** Work whose size is unknown: a bar without a value. */
  indeterminate(text: string): void {
    this.bar.removeAttribute('value');
    this.show(text);
    this.live.textContent = text;
  }

  /** `done` of `total`, with `text` describing it ("12.5 MB of 40 MB"). */
  update(done: number, total: number, text: string): void {
    const percent = total > 0 ? Math.min(100, (done / total) * 100) : 0;
    const whole = Math.floor(percent);
    this.bar.value = percent;
    this.bar.setAttribute('aria-valuetext', `${whole}%`);
    const line = `${text} (${whole}%)`;
    this.show(line);
    const step = Math.floor(whole / 10);
    if (step !== this.announcedStep) {
      this.announcedStep = step;
      this.live.textContent = line;
    }
  }

  /** The end state and its message, always announced; `complete` fills the bar. */
  finish(text: string, complete = true): void {
    if (complete) this.bar.value = 100;
    else if (!this.bar.hasAttribute('value')) this.bar.value = 0;
    this.show(text);
    this.live.textContent = text;
  }

  private show(text: string): void {
    this.text.textContent = text;
  }
}
