import { ServiceError } from '@nomaly/platform-core';
import secureJson from 'secure-json-parse';

/**
 * How deeply a JSON body may nest. Our bodies need a handful of levels; validation walks the
 * parsed value recursively (class-transformer), so a body nested thousands deep would exhaust
 * the stack there. It is refused before parsing instead.
 */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_ARRAY = 91;
const OPEN_OBJECT = 123;
const CLOSE_ARRAY = 93;
const CLOSE_OBJECT = 125;

/**
 * Parses a JSON request body, refusing with a 400 that names the problem: an empty body, nesting
 * beyond {@link MAX_JSON_DEPTH}, `__proto__` or `constructor.prototype` keys (prototype
 * poisoning: refused, never stripped) and malformed JSON.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw new ServiceError(
      'VALIDATION_FAILED',
      'The body is empty but Content-Type is application/json.',
    );
  }
  assertDepth(text);
  try {
    return secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/prototype property/.test(message)) {
      // secure-json-parse says the same for both keys; a second look tells them apart.
      const key = hasProtoKey(text) ? '"__proto__" key' : '"constructor" key holding "prototype"';
      throw new ServiceError('VALIDATION_FAILED', `The JSON body has a ${key}, which is refused.`);
    }
    throw new ServiceError('VALIDATION_FAILED', `The body is not valid JSON: ${message}`);
  }
}

function hasProtoKey(text: string): boolean {
  try {
    secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'ignore' });
    return false;
  } catch {
    return true;
  }
}

/** One pass over the text counting brackets outside strings; cheap next to the parse itself. */
function assertDepth(text: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > MAX_JSON_DEPTH) {
        throw new ServiceError(
          'VALIDATION_FAILED',
          `The JSON body nests deeper than ${MAX_JSON_DEPTH} levels.`,
        );
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
}
