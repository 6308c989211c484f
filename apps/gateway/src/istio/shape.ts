import { parseDuration } from './duration.js';

/**
 * A small structural checker for Istio resources. Unlike a generic schema library it tells three
 * things apart, each with the exact path: fields the local gateway implements (checked), Istio
 * fields it knows but does not implement (accepted, reported as warnings), and fields Istio does
 * not have at all (errors — almost always a typo that the cluster would also reject).
 */
export type Shape =
  | { readonly kind: 'string'; readonly values?: readonly string[] }
  | { readonly kind: 'integer'; readonly min: number; readonly max: number }
  | { readonly kind: 'number'; readonly min: number; readonly max: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'duration' }
  | {
      readonly kind: 'object';
      readonly fields: Readonly<Record<string, Shape>>;
      readonly required?: readonly string[];
      /** At most one of these fields may be set (a protobuf `oneof`). */
      readonly oneOf?: readonly string[];
      /** Checked like any object, then reported once as ignored by the local gateway. */
      readonly ignored?: boolean;
    }
  | { readonly kind: 'array'; readonly items: Shape }
  | { readonly kind: 'map'; readonly values: Shape }
  /** Any value, accepted silently (labels, annotations, status…). */
  | { readonly kind: 'any' }
  /** An Istio field the local gateway does not implement: accepted with a warning. */
  | { readonly kind: 'ignored' };

export const string = (values?: readonly string[]): Shape =>
  values === undefined ? { kind: 'string' } : { kind: 'string', values };
export const integer = (min = 0, max = 4_294_967_295): Shape => ({ kind: 'integer', min, max });
export const number = (min: number, max: number): Shape => ({ kind: 'number', min, max });
export const boolean: Shape = { kind: 'boolean' };
export const duration: Shape = { kind: 'duration' };
export const any: Shape = { kind: 'any' };
export const ignored: Shape = { kind: 'ignored' };
export const array = (items: Shape): Shape => ({ kind: 'array', items });
export const map = (values: Shape): Shape => ({ kind: 'map', values });
export const object = (
  fields: Readonly<Record<string, Shape>>,
  options: { required?: readonly string[]; oneOf?: readonly string[]; ignored?: boolean } = {},
): Shape => ({ kind: 'object', fields, ...options });

export interface ShapeReport {
  /** `path: problem`, one per offending value. */
  readonly errors: string[];
  /** Paths of Istio fields the local gateway ignores. */
  readonly ignored: string[];
}

const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : `${typeof value} ${JSON.stringify(value)}`;

/** Checks `value` against `shape`, appending what it finds to `report`. */
export function checkShape(value: unknown, shape: Shape, path: string, report: ShapeReport): void {
  const fail = (message: string): void => {
    report.errors.push(`${path}: ${message}`);
  };
  switch (shape.kind) {
    case 'any':
      return;
    case 'ignored':
      report.ignored.push(path);
      return;
    case 'string':
      if (typeof value !== 'string') return fail(`must be a string, got ${describe(value)}`);
      if (shape.values !== undefined && !shape.values.includes(value)) {
        fail(`must be one of ${shape.values.join(', ')}, got "${value}"`);
      }
      return;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        return fail(`must be a number, got ${describe(value)}`);
      }
      if (shape.kind === 'integer' && !Number.isInteger(value)) {
        return fail(`must be an integer, got ${value}`);
      }
      if (value < shape.min || value > shape.max) {
        fail(`must be between ${shape.min} and ${shape.max}, got ${value}`);
      }
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail(`must be true or false, got ${describe(value)}`);
      return;
    case 'duration':
      if (typeof value !== 'string' || parseDuration(value) === undefined) {
        fail(`must be a duration such as "10s" or "500ms", got ${describe(value)}`);
      }
      return;
    case 'array':
      if (!Array.isArray(value)) return fail(`must be a list, got ${describe(value)}`);
      value.forEach((item, index) => checkShape(item, shape.items, `${path}[${index}]`, report));
      return;
    case 'map':
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return fail(`must be a mapping, got ${describe(value)}`);
      }
      const entries = Object.entries(value);
      if (shape.kind === 'map') {
        for (const [key, item] of entries) checkShape(item, shape.values, `${path}.${key}`, report);
        return;
      }
      for (const [key, item] of entries) {
        const field = shape.fields[key];
        if (field === undefined) {
          report.errors.push(`${path}.${key}: unknown field`);
        } else {
          checkShape(item, field, `${path}.${key}`, report);
        }
      }
      for (const key of shape.required ?? []) {
        if (!(key in value)) report.errors.push(`${path}.${key}: required`);
      }
      const set = (shape.oneOf ?? []).filter((key) => key in value);
      if (set.length > 1) fail(`only one of ${set.join(', ')} may be set`);
      if (shape.ignored === true) report.ignored.push(path);
      return;
    }
  }
}
