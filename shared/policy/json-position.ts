/**
 * Finds where JSON text goes wrong, iteratively (no recursion, so hostile nesting cannot overflow
 * the stack), because V8's JSON.parse messages do not always carry a position. Also reports the
 * nesting depth so callers can refuse absurd documents before parsing them.
 */

export interface JsonScan {
  /** Offset of the first syntax error, undefined when the text is valid JSON. */
  errorAt?: number;
  error?: string;
  /** Deepest nesting reached (scan stops early past `maxDepth`). */
  depth: number;
}

const WS = new Set([' ', '\t', '\n', '\r']);

/** Scans JSON text for the first syntax error and its maximum depth. */
export function scanJson(text: string, maxDepth: number): JsonScan {
  const stack: Array<'{' | '['> = [];
  let i = 0;
  let depth = 0;
  // Expectation: 'value' | 'key' | 'colon' | 'comma-or-end' | 'key-or-end' | 'value-or-end' | 'done'
  let expect: string = 'value';
  const fail = (error: string): JsonScan => ({ errorAt: i, error, depth });
  const skipWs = (): void => {
    while (i < text.length && WS.has(text[i] as string)) i++;
  };
  const readString = (): boolean => {
    i++;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return true;
      }
      if (c === '\\') {
        const n = text[i + 1];
        if (n === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (n !== undefined && '"\\/bfnrt'.includes(n)) i += 2;
        else return false;
      } else if (c < ' ') return false;
      else i++;
    }
    return false;
  };
  const afterValue = (): void => {
    expect = stack.length === 0 ? 'done' : 'comma-or-end';
  };
  while (true) {
    skipWs();
    if (i >= text.length) return expect === 'done' ? { depth } : fail('unexpected end of JSON input');
    const c = text[i] as string;
    if (expect === 'done') return fail(`unexpected '${c}' after the JSON value`);
    if (expect === 'colon') {
      if (c !== ':') return fail(`expected ':' but found '${c}'`);
      i++;
      expect = 'value';
      continue;
    }
    if (expect === 'comma-or-end') {
      const top = stack[stack.length - 1];
      if (c === ',') {
        i++;
        expect = top === '{' ? 'key' : 'value';
      } else if ((c === '}' && top === '{') || (c === ']' && top === '[')) {
        i++;
        stack.pop();
        afterValue();
      } else return fail(`expected ',' or '${top === '{' ? '}' : ']'}' but found '${c}'`);
      continue;
    }
    if (expect === 'key' || expect === 'key-or-end') {
      if (c === '}' && expect === 'key-or-end') {
        i++;
        stack.pop();
        afterValue();
        continue;
      }
      if (c !== '"') return fail(`expected a property name in double quotes but found '${c}'`);
      if (!readString()) return fail('invalid string');
      expect = 'colon';
      continue;
    }
    // value or value-or-end
    if (c === ']' && expect === 'value-or-end') {
      i++;
      stack.pop();
      afterValue();
      continue;
    }
    if (c === '{' || c === '[') {
      stack.push(c);
      depth = Math.max(depth, stack.length);
      if (depth > maxDepth) return { depth };
      i++;
      expect = c === '{' ? 'key-or-end' : 'value-or-end';
      continue;
    }
    if (c === '"') {
      if (!readString()) return fail('invalid string');
      afterValue();
      continue;
    }
    const literal = /^(true|false|null|-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!literal) return fail(`unexpected '${c}'`);
    i += literal[0].length;
    afterValue();
  }
}
