import { parseError } from './limits.js';

/**
 * Attribute lists (RFC 8216 4.2): NAME=VALUE pairs separated by commas, where a value is a
 * quoted-string or an unquoted token. Reading is strict about the syntax and typed per attribute;
 * writing formats the numbers the way every corral playlist always has.
 */

interface Value {
  text: string;
  quoted: boolean;
}

const NAME = /[A-Z0-9-]+/y;
/** decimal-integer, bounded so it stays an exact Number. */
const INTEGER = /^\d{1,15}$/;
/** decimal-floating-point (non-negative). */
const DECIMAL = /^(?:\d{1,15}(?:\.\d{0,15})?|\.\d{1,15})$/;
const RESOLUTION = /^(\d{1,6})x(\d{1,6})$/;

export function parseInteger(text: string, what: string, lineNo: number): number {
  if (!INTEGER.test(text)) throw parseError(`${what} is not a decimal-integer`, lineNo);
  return Number(text);
}

export function parseDecimal(text: string, what: string, lineNo: number): number {
  const n = DECIMAL.test(text) ? Number(text) : NaN;
  // Below 1e15, so the three-place form it is written back in still has at most 15 digits.
  if (!(n < 1e15)) throw parseError(`${what} is not a decimal-floating-point`, lineNo);
  return n;
}

export class AttributeList {
  readonly #tag: string;
  readonly #lineNo: number;
  readonly #values: Map<string, Value>;

  private constructor(tag: string, lineNo: number, values: Map<string, Value>) {
    this.#tag = tag;
    this.#lineNo = lineNo;
    this.#values = values;
  }

  static parse(tag: string, text: string, lineNo: number, maxAttributes: number): AttributeList {
    const values = new Map<string, Value>();
    const bad = (why: string) => parseError(`${tag}: ${why}`, lineNo, text);
    let i = 0;
    while (i < text.length) {
      NAME.lastIndex = i;
      const name = NAME.exec(text)?.[0];
      if (name === undefined) throw bad('attribute name expected');
      i += name.length;
      if (text[i] !== '=') throw bad(`"=" expected after ${name}`);
      i++;
      let value: Value;
      if (text[i] === '"') {
        const end = text.indexOf('"', i + 1);
        if (end < 0) throw bad(`unterminated quoted-string in ${name}`);
        value = { text: text.slice(i + 1, end), quoted: true };
        i = end + 1;
      } else {
        let end = text.indexOf(',', i);
        if (end < 0) end = text.length;
        const raw = text.slice(i, end);
        if (raw === '' || raw.includes('"')) throw bad(`bad value for ${name}`);
        value = { text: raw, quoted: false };
        i = end;
      }
      if (values.has(name)) throw bad(`${name} given twice`);
      if (values.size >= maxAttributes) throw bad(`more than ${maxAttributes} attributes`);
      values.set(name, value);
      if (i < text.length) {
        if (text[i] !== ',') throw bad(`"," expected after ${name}`);
        i++;
        if (i === text.length) throw bad('trailing ","');
      }
    }
    return new AttributeList(tag, lineNo, values);
  }

  #get(name: string, quoted: boolean, required: boolean): string | undefined {
    const v = this.#values.get(name);
    if (v === undefined) {
      if (required) throw parseError(`${this.#tag} lacks ${name}`, this.#lineNo);
      return undefined;
    }
    if (v.quoted !== quoted) {
      throw parseError(
        `${this.#tag} ${name} must be ${quoted ? 'a quoted-string' : 'unquoted'}`,
        this.#lineNo,
      );
    }
    return v.text;
  }

  string(name: string): string | undefined {
    return this.#get(name, true, false);
  }

  requiredString(name: string): string {
    return this.#get(name, true, true)!;
  }

  integer(name: string): number | undefined {
    const t = this.#get(name, false, false);
    return t === undefined ? undefined : parseInteger(t, `${this.#tag} ${name}`, this.#lineNo);
  }

  requiredInteger(name: string): number {
    return parseInteger(this.#get(name, false, true)!, `${this.#tag} ${name}`, this.#lineNo);
  }

  decimal(name: string): number | undefined {
    const t = this.#get(name, false, false);
    return t === undefined ? undefined : parseDecimal(t, `${this.#tag} ${name}`, this.#lineNo);
  }

  requiredDecimal(name: string): number {
    return parseDecimal(this.#get(name, false, true)!, `${this.#tag} ${name}`, this.#lineNo);
  }

  enumerated<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const t = this.#get(name, false, false);
    if (t === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(t)) {
      throw parseError(`${this.#tag} ${name} must be one of ${allowed.join(', ')}`, this.#lineNo);
    }
    return t as T;
  }

  requiredEnumerated<T extends string>(name: string, allowed: readonly T[]): T {
    this.#get(name, false, true);
    return this.enumerated(name, allowed)!;
  }

  /** A YES/NO attribute; absent means NO. */
  yes(name: string): boolean {
    return this.enumerated(name, ['YES', 'NO'] as const) === 'YES';
  }

  resolution(name: string): { width: number; height: number } | undefined {
    const t = this.#get(name, false, false);
    if (t === undefined) return undefined;
    const m = RESOLUTION.exec(t);
    if (m === null) throw parseError(`${this.#tag} ${name} is not a decimal-resolution`, this.#lineNo);
    return { width: Number(m[1]), height: Number(m[2]) };
  }

  /** An attribute that may be a quoted-string or the bare enumerated value NONE (CLOSED-CAPTIONS). */
  stringOrNone(name: string): string | undefined {
    const v = this.#values.get(name);
    if (v === undefined || v.quoted) return v?.text;
    if (v.text !== 'NONE') throw parseError(`${this.#tag} ${name} must be quoted or NONE`, this.#lineNo);
    return 'NONE';
  }
}

/** Every decimal corral writes has three places: stable text for unchanged values, ms precision. */
export function formatDecimal(n: number): string {
  return n.toFixed(3);
}

/** A writer for attribute lists, in the order attributes are added. */
export class AttributeWriter {
  readonly #parts: string[] = [];

  raw(name: string, value: string | number | undefined): this {
    if (value !== undefined) this.#parts.push(`${name}=${value}`);
    return this;
  }

  quoted(name: string, value: string | undefined): this {
    if (value !== undefined) this.#parts.push(`${name}="${value}"`);
    return this;
  }

  decimal(name: string, value: number | undefined): this {
    return this.raw(name, value === undefined ? undefined : formatDecimal(value));
  }

  /** Written only when true: NO is the default of every YES/NO attribute. */
  yes(name: string, value: boolean | undefined): this {
    return this.raw(name, value ? 'YES' : undefined);
  }

  toString(): string {
    return this.#parts.join(',');
  }
}
