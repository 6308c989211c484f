/**
 * Parameter forms generated from the JSON Schema each algorithm publishes at
 * `GET /api/v1/detectors/algorithms` (detection-core's `toJsonSchema`): what to draw for each
 * parameter, and how to read the user's input back into the `parameters` object of
 * `POST /api/v1/detectors`. The server checks the parameters again; checking here only lets the
 * form name a mistake before the round trip.
 */

export type JsonSchema = Readonly<Record<string, unknown>>;

/** How one parameter is entered. */
export type FieldControl =
  /** `<input type=number>`: a number or an integer and nothing else. */
  | 'number'
  /**
   * A text box that takes a number or one of a few words (`auto`), or nothing for null: the
   * schemas write these as `anyOf` a number, `const` keywords and `null`.
   */
  | 'number-or-keyword'
  /** `<select>` of the `enum` values. */
  | 'select'
  | 'checkbox'
  | 'text'
  /** A JSON text area, for arrays and objects (e.g. an ensemble's members). */
  | 'json';

export interface NumberRule {
  readonly integer: boolean;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
}

export interface FieldSpec {
  readonly name: string;
  /** `nEstimators` → "n estimators". */
  readonly label: string;
  readonly description: string;
  readonly control: FieldControl;
  readonly required: boolean;
  /** The schema's default, `undefined` when it has none. */
  readonly default: unknown;
  readonly number?: NumberRule;
  /** `select`: the allowed values. */
  readonly options?: readonly string[];
  /** `number-or-keyword`: the words accepted besides a number. */
  readonly keywords?: readonly string[];
  /** Whether `null` is allowed (an empty box means null). */
  readonly nullable: boolean;
}

/**
 * One field per property of an object schema, in the schema's order. A property whose schema
 * this form does not know (an `anyOf` of objects, say) becomes a JSON text area rather than
 * being dropped, so every parameter stays reachable.
 *
 * @throws {Error} when `schema` is not an object schema with `properties`.
 */
export function fieldsFromSchema(schema: JsonSchema): FieldSpec[] {
  const properties = schema['properties'];
  if (schema['type'] !== 'object' || !isRecord(properties)) {
    throw new Error('fieldsFromSchema: the parameter schema is not an object with "properties"');
  }
  const required = new Set(
    Array.isArray(schema['required']) ? schema['required'].filter(isString) : [],
  );
  return Object.entries(properties).map(([name, property]) =>
    fieldFromProperty(name, isRecord(property) ? property : {}, required.has(name)),
  );
}

function fieldFromProperty(name: string, property: JsonSchema, required: boolean): FieldSpec {
  const base = {
    name,
    label: labelOf(name),
    description: isString(property['description']) ? property['description'] : '',
    required,
    default: property['default'],
  };
  const alternatives = Array.isArray(property['anyOf'])
    ? property['anyOf'].filter(isRecord)
    : [property];
  const numeric = alternatives.filter((a) => a['type'] === 'number' || a['type'] === 'integer');
  const keywords = alternatives.map((a) => a['const']).filter(isString);
  const nullable = alternatives.some((a) => a['type'] === 'null' || a['const'] === null);
  const others = alternatives.filter(
    (a) =>
      !numeric.includes(a) && !isString(a['const']) && a['type'] !== 'null' && a['const'] !== null,
  );
  const single = alternatives.length === 1 ? alternatives[0]! : undefined;

  if (numeric.length === 1 && others.length === 0) {
    const rule = numberRule(numeric[0]!);
    if (keywords.length === 0 && !nullable)
      return { ...base, control: 'number', number: rule, nullable };
    return { ...base, control: 'number-or-keyword', number: rule, keywords, nullable };
  }
  if (single !== undefined && single['type'] === 'string' && Array.isArray(single['enum'])) {
    return { ...base, control: 'select', options: single['enum'].filter(isString), nullable };
  }
  if (single !== undefined && single['type'] === 'boolean') {
    return { ...base, control: 'checkbox', nullable };
  }
  if (single !== undefined && single['type'] === 'string') {
    return { ...base, control: 'text', nullable };
  }
  return { ...base, control: 'json', nullable };
}

function numberRule(schema: JsonSchema): NumberRule {
  const rule: {
    integer: boolean;
    minimum?: number;
    maximum?: number;
    exclusiveMinimum?: number;
    exclusiveMaximum?: number;
  } = { integer: schema['type'] === 'integer' };
  for (const key of ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'] as const) {
    const value = schema[key];
    if (typeof value === 'number') rule[key] = value;
  }
  return rule;
}

/** `nEstimators` → "n estimators", `maxSamples` → "max samples". */
export function labelOf(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/_/g, ' ')
    .toLowerCase();
}

/** What a field shows before the user types: its default, as text. */
export function initialText(field: FieldSpec): string {
  const value = field.default;
  if (value === undefined || value === null) return '';
  if (typeof value === 'string' && field.control !== 'json') return value;
  if (field.control !== 'json' && (typeof value === 'number' || typeof value === 'boolean')) {
    return String(value);
  }
  return JSON.stringify(value, null, 2);
}

/** The rule a number must meet, in words: "an integer from 1 to 10000". */
export function describeRule(field: FieldSpec): string {
  const rule = field.number;
  if (rule === undefined) return '';
  const kind = rule.integer ? 'an integer' : 'a number';
  const bounds: string[] = [];
  if (rule.minimum !== undefined) bounds.push(`≥ ${rule.minimum}`);
  if (rule.exclusiveMinimum !== undefined) bounds.push(`> ${rule.exclusiveMinimum}`);
  if (rule.maximum !== undefined) bounds.push(`≤ ${rule.maximum}`);
  if (rule.exclusiveMaximum !== undefined) bounds.push(`< ${rule.exclusiveMaximum}`);
  const words = [...(field.keywords ?? []).map((k) => `"${k}"`)];
  if (field.nullable) words.push('empty for none');
  const number = bounds.length > 0 ? `${kind} ${bounds.join(' and ')}` : kind;
  return words.length > 0 ? `${number}, or ${words.join(', or ')}` : number;
}

/** What the user entered: text for boxes and selects, a boolean for checkboxes. */
export type RawValues = Readonly<Record<string, string | boolean | undefined>>;

export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface ReadResult {
  /** Only the parameters that differ from their defaults (the server fills in the rest). */
  readonly parameters: Record<string, unknown>;
  readonly errors: FieldError[];
}

/**
 * Reads the entered values back into parameters, checked against each field's rule. A value
 * equal to the default is left out; an empty box means "the default" (or null for a nullable
 * parameter whose default is not null).
 */
export function readParameters(fields: readonly FieldSpec[], raw: RawValues): ReadResult {
  const parameters: Record<string, unknown> = {};
  const errors: FieldError[] = [];
  for (const field of fields) {
    const outcome = readField(field, raw[field.name]);
    if ('error' in outcome) {
      errors.push({ field: field.name, message: outcome.error });
      continue;
    }
    if (outcome.value === undefined) {
      if (field.required && field.default === undefined) {
        errors.push({ field: field.name, message: `Parameter "${field.name}" is required.` });
      }
      continue;
    }
    if (!sameValue(outcome.value, field.default)) parameters[field.name] = outcome.value;
  }
  return { parameters, errors };
}

type FieldOutcome = { value: unknown } | { error: string };

function readField(field: FieldSpec, raw: string | boolean | undefined): FieldOutcome {
  if (field.control === 'checkbox') {
    return { value: typeof raw === 'boolean' ? raw : undefined };
  }
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') {
    return { value: field.nullable && field.default !== null ? null : undefined };
  }
  switch (field.control) {
    case 'number':
      return readNumber(field, text);
    case 'number-or-keyword': {
      if (field.keywords?.includes(text) === true) return { value: text };
      if (field.nullable && text === 'null') return { value: null };
      return readNumber(field, text);
    }
    case 'select':
      return field.options?.includes(text) === true
        ? { value: text }
        : {
            error: `Parameter "${field.name}" must be one of ${(field.options ?? []).join(', ')}, got "${text}".`,
          };
    case 'text':
      return { value: text };
    case 'json':
      try {
        return { value: JSON.parse(text) as unknown };
      } catch (error) {
        return {
          error: `Parameter "${field.name}" is not valid JSON: ${(error as Error).message}.`,
        };
      }
  }
}

function readNumber(field: FieldSpec, text: string): FieldOutcome {
  const rule = field.number ?? { integer: false };
  const value = Number(text);
  const expected = describeRule(field);
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) || !Number.isFinite(value)) {
    return { error: `Parameter "${field.name}" must be ${expected}, got "${text}".` };
  }
  const broken =
    (rule.integer && !Number.isInteger(value)) ||
    (rule.minimum !== undefined && value < rule.minimum) ||
    (rule.maximum !== undefined && value > rule.maximum) ||
    (rule.exclusiveMinimum !== undefined && value <= rule.exclusiveMinimum) ||
    (rule.exclusiveMaximum !== undefined && value >= rule.exclusiveMaximum);
  return broken
    ? { error: `Parameter "${field.name}" must be ${expected}, got ${text}.` }
    : { value };
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}
