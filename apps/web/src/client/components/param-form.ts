import {
  describeRule,
  initialText,
  readParameters,
  type FieldSpec,
  type ReadResult,
} from '../../lib/schema-form.js';
import { h, uniqueId } from '../dom.js';

/**
 * The controls for an algorithm's parameters, one per {@link FieldSpec}, each labelled, with
 * its description and rule tied to it by `aria-describedby`, and an error slot that
 * `aria-invalid` and the message fill when a value is refused.
 */
export class ParameterFields {
  readonly element: HTMLFieldSetElement;
  private readonly controls = new Map<
    string,
    { control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement; error: HTMLElement }
  >();

  constructor(
    private readonly fields: readonly FieldSpec[],
    legend: string,
  ) {
    this.element = h(
      'fieldset',
      { class: 'parameters' },
      h('legend', null, legend),
      fields.length === 0 ? h('p', { class: 'muted' }, 'This algorithm has no parameters.') : null,
      fields.map((field) => this.row(field)),
    );
  }

  /** The parameters that differ from the defaults, or the errors (also shown by each field). */
  read(): ReadResult {
    const raw: Record<string, string | boolean> = {};
    for (const [name, { control }] of this.controls) {
      raw[name] =
        control instanceof HTMLInputElement && control.type === 'checkbox'
          ? control.checked
          : control.value;
    }
    const result = readParameters(this.fields, raw);
    for (const [name, { control, error }] of this.controls) {
      const problem = result.errors.find((e) => e.field === name);
      error.textContent = problem?.message ?? '';
      if (problem === undefined) control.removeAttribute('aria-invalid');
      else control.setAttribute('aria-invalid', 'true');
    }
    return result;
  }

  /** Moves focus to the first field with an error. */
  focusFirstError(): void {
    for (const { control } of this.controls.values()) {
      if (control.getAttribute('aria-invalid') === 'true') {
        control.focus();
        return;
      }
    }
  }

  private row(field: FieldSpec): HTMLElement {
    const id = uniqueId(`param-${field.name}`);
    const helpId = `${id}-help`;
    const errorId = `${id}-error`;
    const rule = describeRule(field);
    const help = [field.description, rule === '' ? '' : `Accepts ${rule}.`]
      .filter((part) => part !== '')
      .join(' ');
    const described = `${helpId} ${errorId}`;
    const control = this.control(field, id, described);
    const error = h('p', { id: errorId, class: 'field-error' });
    this.controls.set(field.name, { control, error });
    // The parameter's own name beside the words, as the API and the docs spell it.
    const label = h(
      'label',
      { for: id },
      field.label,
      field.label === field.name ? null : h('code', { class: 'param-name' }, field.name),
    );
    return h(
      'div',
      { class: field.control === 'checkbox' ? 'field checkbox' : 'field' },
      field.control === 'checkbox' ? [control, label] : [label, control],
      h('p', { id: helpId, class: 'help' }, help),
      error,
    );
  }

  private control(
    field: FieldSpec,
    id: string,
    described: string,
  ): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
    const common = { id, name: field.name, 'aria-describedby': described };
    switch (field.control) {
      case 'number': {
        const rule = field.number;
        return h('input', {
          ...common,
          type: 'number',
          step: rule?.integer === true ? 1 : 'any',
          min: rule?.minimum,
          max: rule?.maximum,
          value: initialText(field),
          required: field.required,
        });
      }
      case 'number-or-keyword':
        return h('input', {
          ...common,
          type: 'text',
          inputmode: 'decimal',
          autocomplete: 'off',
          spellcheck: 'false',
          value: initialText(field),
          placeholder: field.nullable ? 'none' : undefined,
        });
      case 'select':
        return h(
          'select',
          common,
          (field.options ?? []).map((option) =>
            h('option', { value: option, selected: option === field.default }, option),
          ),
        );
      case 'checkbox':
        return h('input', { ...common, type: 'checkbox', checked: field.default === true });
      case 'text':
        return h('input', { ...common, type: 'text', value: initialText(field) });
      case 'json': {
        const area = h('textarea', { ...common, rows: 4, spellcheck: 'false', class: 'code' });
        area.value = initialText(field);
        return area;
      }
    }
  }
}
