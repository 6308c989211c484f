import { DetectionError, DetectionErrorCode } from './errors.js';

/**
 * The declaration of one detector parameter. The same declaration validates constructor options,
 * coerces command-line strings and is published as JSON Schema, so the three never disagree.
 */
export type ParamSpec =
  | {
      type: 'integer' | 'number';
      description: string;
      default: number | null;
      minimum?: number;
      maximum?: number;
      exclusiveMinimum?: number;
      /** `null` is accepted and means "derive from the data" (as the description says). */
      nullable?: boolean;
      /** String values accepted besides numbers, e.g. `'auto'`. */
      keywords?: readonly string[];
    }
  | { type: 'string'; description: string; default: string; enum: readonly string[] }
  | { type: 'boolean'; description: string; default: boolean }
  | { type: 'array'; description: string; default: unknown[]; items: Record<string, unknown> };

export type ParamSpecs = Readonly<Record<string, ParamSpec>>;

/** JSON Schema (draft 2020-12) of a set of parameters. */
export function toJsonSchema(specs: ParamSpecs): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    properties[name] = specSchema(spec);
  }
  return { type: 'object', additionalProperties: false, properties };
}

function specSchema(spec: ParamSpec): Record<string, unknown> {
  const base = { description: spec.description, default: spec.default };
  switch (spec.type) {
    case 'integer':
    case 'number': {
      const num: Record<string, unknown> = { type: spec.type };
      if (spec.minimum !== undefined) num['minimum'] = spec.minimum;
      if (spec.maximum !== undefined) num['maximum'] = spec.maximum;
      if (spec.exclusiveMinimum !== undefined) num['exclusiveMinimum'] = spec.exclusiveMinimum;
      const alternatives: Record<string, unknown>[] = [num];
      for (const k of spec.keywords ?? []) alternatives.push({ const: k });
      if (spec.nullable === true) alternatives.push({ type: 'null' });
      return alternatives.length === 1 ? { ...base, ...num } : { ...base, anyOf: alternatives };
    }
    case 'string':
      return { ...base, type: 'string', enum: spec.enum };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'array':
      return { ...base, type: 'array', items: spec.items };
  }
}

/**
 * Validates `input` against `specs` and fills in defaults. Unknown names are rejected (a typo
 * must not silently fall back to a default).
 *
 * @throws {DetectionError} `INVALID_ARGUMENT` naming the parameter and what it accepts.
 */
export function resolveParams<T>(algorithm: string, specs: ParamSpecs, input: object): T {
  const out: Record<string, unknown> = {};
  const given = input as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(specs, key)) {
      throw invalid(
        `unknown parameter '${key}' for ${algorithm}; known parameters: ${Object.keys(specs).join(', ')}`,
      );
    }
  }
  for (const [name, spec] of Object.entries(specs)) {
    const v = given[name];
    out[name] = v === undefined ? spec.default : checkValue(algorithm, name, spec, v);
  }
  return out as T;
}

function checkValue(algorithm: string, name: string, spec: ParamSpec, v: unknown): unknown {
  const where = `parameter '${name}' of ${algorithm}`;
  switch (spec.type) {
    case 'integer':
    case 'number': {
      if (v === null && spec.nullable === true) return null;
      if (typeof v === 'string' && spec.keywords?.includes(v) === true) return v;
      const extra = [
        ...(spec.keywords ?? []).map((k) => `'${k}'`),
        ...(spec.nullable === true ? ['null'] : []),
      ];
      const accepts = `${spec.type === 'integer' ? 'an integer' : 'a number'}${describeRange(spec)}${
        extra.length > 0 ? ` or ${extra.join(' or ')}` : ''
      }`;
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw invalid(`${where} must be ${accepts}, got ${show(v)}`);
      }
      if (spec.type === 'integer' && !Number.isInteger(v)) {
        throw invalid(`${where} must be ${accepts}, got ${v}`);
      }
      const bad =
        (spec.minimum !== undefined && v < spec.minimum) ||
        (spec.maximum !== undefined && v > spec.maximum) ||
        (spec.exclusiveMinimum !== undefined && v <= spec.exclusiveMinimum);
      if (bad) throw invalid(`${where} must be ${accepts}, got ${v}`);
      return v;
    }
    case 'string':
      if (typeof v !== 'string' || !spec.enum.includes(v)) {
        throw invalid(
          `${where} must be one of ${spec.enum.map((e) => `'${e}'`).join(', ')}, got ${show(v)}`,
        );
      }
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw invalid(`${where} must be true or false, got ${show(v)}`);
      return v;
    case 'array':
      if (!Array.isArray(v)) throw invalid(`${where} must be an array, got ${show(v)}`);
      return v;
  }
}

/**
 * Converts a command-line string (`--param nEstimators=200`) to the parameter's type, then
 * validates it like any other value.
 */
export function coerceParam(
  algorithm: string,
  specs: ParamSpecs,
  name: string,
  text: string,
): unknown {
  const spec = specs[name];
  if (spec === undefined) {
    throw invalid(
      `unknown parameter '${name}' for ${algorithm}; known parameters: ${Object.keys(specs).join(', ')}`,
    );
  }
  let v: unknown = text;
  switch (spec.type) {
    case 'integer':
    case 'number':
      if (text === 'null' && spec.nullable === true) v = null;
      else if (spec.keywords?.includes(text) !== true)
        v = text.trim() === '' ? Number.NaN : Number(text);
      break;
    case 'boolean':
      v = text === 'true' ? true : text === 'false' ? false : text;
      break;
    case 'array':
      try {
        v = JSON.parse(text) as unknown;
      } catch {
        throw invalid(`parameter '${name}' of ${algorithm} must be a JSON array, got ${text}`);
      }
      break;
    case 'string':
      break;
  }
  return checkValue(algorithm, name, spec, v);
}

function describeRange(spec: {
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
}): string {
  const parts: string[] = [];
  if (spec.exclusiveMinimum !== undefined) parts.push(`> ${spec.exclusiveMinimum}`);
  if (spec.minimum !== undefined) parts.push(`>= ${spec.minimum}`);
  if (spec.maximum !== undefined) parts.push(`<= ${spec.maximum}`);
  return parts.length > 0 ? ` ${parts.join(' and ')}` : '';
}

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v) ?? typeof v;
}

function invalid(message: string): DetectionError {
  return new DetectionError(DetectionErrorCode.InvalidArgument, message);
}
