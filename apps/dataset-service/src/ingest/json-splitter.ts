/** An element of one of the document's arrays, as JSON text, and where it was found. */
export interface JsonElement {
  /** The top-level key whose array held it; `undefined` for elements of a top-level array. */
  readonly key: string | undefined;
  /** The element's JSON text (parse it with `JSON.parse`). */
  readonly text: string;
}

/** A JSON document that is not valid, or not of a shape the splitter reads. */
export class JsonShapeError extends Error {
  override readonly name = 'JsonShapeError';
}

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

/**
 * Splits a JSON document, fed in pieces, into the elements of its arrays without holding the
 * document: a top-level array (`[{…}, {…}]`) yields each element, and a top-level object
 * (`{"columns": […], "rows": [[…], …]}`) yields the elements of each array under its keys.
 *
 * Only the structure is scanned here (strings, brackets, commas); each element's text is then
 * parsed with `JSON.parse`, so values are exactly what JSON.parse makes of them and memory is
 * bounded by the largest element, not the document.
 */
export class JsonElementSplitter {
  /** Open containers, outermost first: `[` or `{`. */
  private readonly stack: string[] = [];
  private inString = false;
  private escaped = false;
  /** Text of the element being collected that came in earlier pieces. */
  private carried = '';
  private collecting = false;
  /** A comma was read at element level and no element followed yet. */
  private expectElement = false;
  private rootClosed = false;
  /** In the root object: the key being read, the key whose value comes next, and the state. */
  private keyStart = -1;
  private keyCarried = '';
  private readingKey = false;
  private currentKey: string | undefined;
  private objectState: 'key' | 'colon' | 'value' | 'comma' = 'key';

  /** Scans the next piece of text and returns the elements it completed. */
  feed(text: string): JsonElement[] {
    const out: JsonElement[] = [];
    let start = this.collecting ? 0 : -1;
    if (this.readingKey) this.keyStart = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === '\\') this.escaped = true;
        else if (c === '"') {
          this.inString = false;
          if (this.readingKey) {
            this.readingKey = false;
            this.currentKey = JSON.parse(
              this.keyCarried + text.slice(this.keyStart, i + 1),
            ) as string;
            this.keyCarried = '';
            this.objectState = 'colon';
          }
        }
        continue;
      }
      if (WHITESPACE.has(c)) continue;
      if (this.rootClosed)
        throw new JsonShapeError(`Unexpected "${c}" after the end of the JSON document.`);

      const depth = this.stack.length;
      if (depth === 0) {
        if (c !== '[' && c !== '{') {
          throw new JsonShapeError('The JSON document must be an array or an object.');
        }
        this.stack.push(c);
        continue;
      }
      if (this.atElementLevel()) {
        if (c === ',' && !this.collecting) {
          throw new JsonShapeError('Unexpected "," in an array (an empty element).');
        }
        if (c === ',' || c === ']') {
          if (this.collecting) {
            out.push({ key: this.currentKey, text: (this.carried + text.slice(start, i)).trim() });
            this.carried = '';
            this.collecting = false;
            start = -1;
            this.expectElement = c === ',';
          } else if (this.expectElement) {
            throw new JsonShapeError('Unexpected "]" after "," (a trailing comma).');
          }
          if (c === ']') this.closeContainer(c);
          continue;
        }
        if (!this.collecting) {
          this.collecting = true;
          this.expectElement = false;
          start = i;
        }
      } else if (depth === 1 && this.stack[0] === '{') {
        this.rootObjectToken(c, i);
        continue;
      }
      if (c === '"') this.inString = true;
      else if (c === '[' || c === '{') this.stack.push(c);
      else if (c === ']' || c === '}') this.closeContainer(c);
    }
    if (this.collecting) this.carried += text.slice(start === -1 ? 0 : start);
    if (this.readingKey) this.keyCarried += text.slice(this.keyStart);
    return out;
  }

  /** Checks that the document ended; throws when it was cut short. */
  end(): void {
    if (this.stack.length > 0 || this.inString || !this.rootClosed) {
      throw new JsonShapeError('The JSON document ends before it is complete.');
    }
  }

  /** Inside the top-level array, or inside an array that is a value of the top-level object. */
  private atElementLevel(): boolean {
    const depth = this.stack.length;
    return (
      (depth === 1 && this.stack[0] === '[') ||
      (depth === 2 && this.stack[0] === '{' && this.stack[1] === '[')
    );
  }

  private rootObjectToken(c: string, i: number): void {
    switch (this.objectState) {
      case 'key':
        if (c === '}' && this.currentKey === undefined) {
          this.closeContainer(c);
          return;
        }
        if (c !== '"') throw new JsonShapeError('Expected a key in the JSON object.');
        this.inString = true;
        this.readingKey = true;
        this.keyStart = i;
        return;
      case 'colon':
        if (c !== ':') throw new JsonShapeError('Expected ":" after a key in the JSON object.');
        this.objectState = 'value';
        return;
      case 'value':
        if (c !== '[') {
          throw new JsonShapeError(`The value of "${this.currentKey ?? ''}" must be an array.`);
        }
        this.stack.push(c);
        this.expectElement = false;
        this.objectState = 'comma';
        return;
      case 'comma':
        if (c === ',') this.objectState = 'key';
        else if (c === '}') this.closeContainer(c);
        else throw new JsonShapeError('Expected "," or "}" in the JSON object.');
        return;
    }
  }

  private closeContainer(c: string): void {
    const open = this.stack.pop();
    if ((c === ']' && open !== '[') || (c === '}' && open !== '{')) {
      throw new JsonShapeError(`Unexpected "${c}" in the JSON document.`);
    }
    if (this.stack.length === 0) this.rootClosed = true;
  }
}
