// Cuts the elements of one array out of a JSON text that arrives in pieces, so that a
// message too large to hold whole (the Supervisor's status reply: every node's config
// with the whole cluster layout, O(nodes²)) can be taken apart element by element as it
// arrives. What is left, "the rest", is the text with that array emptied (`[]`): small,
// and read by the ordinary codec once the text is complete.
//
// The splitter follows the JSON structure only as far as it must: object keys and array
// indices down to the array's path, and, inside elements, nesting and strings. It does
// not validate: the rest and every element are read by the codec afterwards, which
// rejects anything invalid; it only reports what it alone can see (an empty element, as
// in `[1,,2]` or `[1,]`, and an element or rest longer than allowed). Keys may come in
// any order and whitespace may be anywhere; the caller decides, when the array opens,
// from the short strings it asked to watch (seen by then), whether to split it at all.
// When it does not, the rest is the whole text.

import { WireError } from './errors';

/** Object keys and array indices from the top-level value. */
export type JsonPath = ReadonlyArray<string | number>;

export interface JsonArraySplitterOptions {
  /** The array whose elements are cut out. */
  array: JsonPath;
  /** String values to note on the way (at most `MAX_WATCHED` characters; longer ones are not noted). */
  watch?: readonly JsonPath[];
  /** Called when the array opens; `seen` gives the watched strings read so far. True: cut its elements out. */
  split: (seen: (path: JsonPath) => string | undefined) => boolean;
  /** Each element's text as soon as it is complete, in order. */
  element: (text: string) => void;
  /** Longest element, in characters. */
  maxElementLength: number;
  /** Longest rest, in characters (the whole text when the array is not split). */
  maxRestLength: number;
}

/** Watched strings and keys longer than this are not noted (a key that long matches no path). */
export const MAX_WATCHED = 1024;

const QUOTE = 34;
const BACKSLASH = 92;

export class JsonArraySplitter {
  private readonly target: JsonPath;
  private readonly watched: string[];
  private readonly seen = new Map<string, string>();
  /** How deep the path is followed: past it, only nesting is counted. */
  private readonly followDepth: number;

  /** Inside the split array (reading elements), rather than in the structure around it (following keys and indices). */
  private inArray = false;
  private didSplit = false;
  /** Nesting depth (containers open). */
  private depth = 0;
  // Per followed container: array or object, and its current key (objects) or index (arrays).
  private readonly isArray: boolean[] = [];
  private readonly keys: Array<string | number | undefined> = [];
  /** The innermost followed object expects a key next. */
  private wantKey = false;
  private readonly wantKeyStack: boolean[] = [];
  /** The followed structure went wrong (more closing than opening brackets): nothing more is split. */
  private lost = false;

  // Strings: inside one, after a backslash, and what it is (a key, a watched value, nothing).
  private inString = false;
  private escaped = false;
  private capture: 'key' | 'value' | null = null;
  private captured: string[] = [];
  private capturedLength = 0;
  /** Where the captured string's text begins in the current piece. */
  private captureFrom = 0;

  // The rest, and the element being read.
  private rest: string[] = [];
  private restLength = 0;
  private elementDepth = 0;
  private elementStarted = false;
  /** Where the element being read begins in the current piece. */
  private elementFrom = 0;
  private elementNeeded = false;
  private elementParts: string[] = [];
  private elementLength = 0;

  constructor(private readonly o: JsonArraySplitterOptions) {
    this.target = o.array;
    this.watched = (o.watch ?? []).map((p) => JSON.stringify(p));
    this.followDepth = Math.max(o.array.length, ...(o.watch ?? []).map((p) => p.length));
  }

  /** Reads the next piece of the text. */
  write(piece: string): void {
    const n = piece.length;
    let i = 0;
    // Where this piece's share of the rest begins (none of it while inside the array).
    let restFrom = this.inArray ? n : 0;
    this.elementFrom = 0;
    while (i < n) {
      if (this.inString) {
        i = this.skipString(piece, i);
        continue;
      }
      if (this.inArray) {
        i = this.elements(piece, i);
        // Back in the structure at the array's "]", which belongs to the rest.
        if (!this.inArray) restFrom = i;
        continue;
      }
      const c = piece.charCodeAt(i);
      if (c === QUOTE) {
        this.inString = true;
        this.capture = this.depth <= this.followDepth && !this.lost ? (this.wantKey ? 'key' : this.watchedHere() ? 'value' : null) : null;
        this.captured = [];
        this.capturedLength = 0;
        i++;
        this.captureFrom = i;
        continue;
      }
      if (c === 123 || c === 91) { // { [
        if (c === 91 && this.depth === this.target.length && !this.lost && !this.didSplit && this.atTarget() && this.o.split((p) => this.seen.get(JSON.stringify(p)))) {
          this.didSplit = true;
          this.open(true);
          this.inArray = true;
          this.elementDepth = 0;
          this.elementStarted = false;
          this.elementNeeded = false;
          this.addRest(piece.slice(restFrom, i + 1));
          restFrom = n;
        } else {
          this.open(c === 91);
        }
      } else if (c === 125 || c === 93) { // } ]
        this.close();
      } else if (c === 58) { // :
        if (this.followed() && !this.isArray[this.depth - 1]) this.wantKey = false;
      } else if (c === 44) { // ,
        if (this.followed()) {
          if (this.isArray[this.depth - 1]) this.keys[this.depth - 1] = (this.keys[this.depth - 1] as number) + 1;
          else this.wantKey = true;
        }
      }
      i++;
    }
    if (this.inString && this.capture !== null) this.keep(piece.slice(this.captureFrom, n));
    this.captureFrom = 0;
    if (this.inArray && this.elementStarted) this.addElementPart(piece.slice(this.elementFrom, n));
    if (restFrom < n) this.addRest(restFrom === 0 ? piece : piece.slice(restFrom, n));
  }

  /**
   * Reads the split array's elements from `i`, to the end of the piece or to the array's
   * closing "]" (then inArray is false again and its index is returned). Only
   * nesting and strings matter here; strings are skipped with indexOf.
   */
  private elements(piece: string, i: number): number {
    const n = piece.length;
    let depth = this.elementDepth;
    while (i < n) {
      const c = piece.charCodeAt(i);
      if (c === QUOTE) {
        if (!this.elementStarted) this.startElement(i);
        let from = i + 1;
        for (;;) {
          const q = piece.indexOf('"', from);
          if (q < 0) {
            // The string goes on in the next piece; an odd run of backslashes at the end escapes its first character.
            let b = n;
            while (b > from && piece.charCodeAt(b - 1) === BACKSLASH) b--;
            this.escaped = ((n - b) & 1) === 1;
            this.inString = true;
            this.capture = null;
            i = n;
            break;
          }
          let b = q;
          while (b > from && piece.charCodeAt(b - 1) === BACKSLASH) b--;
          if (((q - b) & 1) === 0) {
            i = q + 1;
            break;
          }
          from = q + 1;
        }
        continue;
      }
      if (c === 123 || c === 91) { // { [
        if (!this.elementStarted) this.startElement(i);
        depth++;
      } else if (c === 125 || c === 93) { // } ]
        if (depth > 0) depth--;
        else if (c === 93) {
          if (this.elementStarted) this.endElement(piece, i);
          else if (this.elementNeeded) throw new WireError('deserialization_failed', 'an array element is missing before "]"');
          this.elementDepth = 0;
          this.inArray = false;
          return i;
        } else {
          throw new WireError('deserialization_failed', 'unexpected "}" in an array');
        }
      } else if (c === 44) { // ,
        if (depth === 0) {
          if (!this.elementStarted) throw new WireError('deserialization_failed', 'an array element is missing before ","');
          this.endElement(piece, i);
          this.elementNeeded = true;
        }
      } else if (c !== 32 && c !== 10 && c !== 13 && c !== 9) {
        if (!this.elementStarted) this.startElement(i);
      }
      i++;
    }
    this.elementDepth = depth;
    return n;
  }

  /** The text without the array's elements (or the whole text, when it was not split). */
  end(): { rest: string; split: boolean } {
    if (this.inArray) throw new WireError('deserialization_failed', 'the JSON text ends inside an array');
    return { rest: this.rest.join(''), split: this.didSplit };
  }

  // ---- strings -------------------------------------------------------------------------

  /** Moves past string content from `i`; at the closing quote, ends the string. */
  private skipString(piece: string, i: number): number {
    const n = piece.length;
    if (this.escaped) {
      this.escaped = false;
      i++;
      if (i >= n) return i;
    }
    for (;;) {
      const q = piece.indexOf('"', i);
      if (q < 0) {
        // The string goes on in the next piece; a trailing odd run of backslashes escapes its first character.
        let b = n;
        while (b > i && piece.charCodeAt(b - 1) === BACKSLASH) b--;
        this.escaped = ((n - b) & 1) === 1;
        return n;
      }
      let b = q;
      while (b > i && piece.charCodeAt(b - 1) === BACKSLASH) b--;
      if (((q - b) & 1) === 0) {
        this.endString(piece, q);
        return q + 1;
      }
      i = q + 1;
      if (i >= n) return i;
    }
  }

  private endString(piece: string, q: number): void {
    this.inString = false;
    const what = this.capture;
    this.capture = null;
    if (what === null) return;
    this.keep(piece.slice(this.captureFrom, q));
    const raw = this.capturedLength <= MAX_WATCHED ? this.captured.join('') : undefined;
    this.captured = [];
    let text: string | undefined;
    if (raw !== undefined) {
      try {
        text = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
      } catch {
        text = undefined; // not valid JSON: the codec will say so
      }
    }
    if (what === 'key') this.keys[this.depth - 1] = text;
    else if (text !== undefined) this.seen.set(this.pathHere(), text);
  }

  private keep(part: string): void {
    if (this.capturedLength > MAX_WATCHED) return;
    this.captured.push(part);
    this.capturedLength += part.length;
  }

  // ---- structure -----------------------------------------------------------------------

  private followed(): boolean {
    return this.depth > 0 && this.depth <= this.followDepth && !this.lost;
  }

  private open(isArray: boolean): void {
    if (this.depth < this.followDepth) {
      this.wantKeyStack.push(this.wantKey);
      this.isArray.push(isArray);
      this.keys.push(isArray ? 0 : undefined);
      this.wantKey = !isArray;
    }
    this.depth++;
  }

  private close(): void {
    if (this.depth === 0) {
      this.lost = true;
      return;
    }
    if (this.depth <= this.followDepth) {
      this.isArray.pop();
      this.keys.pop();
      this.wantKey = this.wantKeyStack.pop() ?? false;
    }
    this.depth--;
  }

  private pathHere(): string {
    return JSON.stringify(this.keys.slice(0, this.depth));
  }

  private watchedHere(): boolean {
    if (this.watched.length === 0) return false;
    const here = this.pathHere();
    return this.watched.includes(here);
  }

  private atTarget(): boolean {
    for (let d = 0; d < this.target.length; d++) if (this.keys[d] !== this.target[d]) return false;
    return true;
  }

  // ---- elements and rest ---------------------------------------------------------------

  private startElement(i: number): void {
    this.elementStarted = true;
    this.elementNeeded = false;
    this.elementFrom = i;
    this.elementParts = [];
    this.elementLength = 0;
  }

  private addElementPart(part: string): void {
    this.elementLength += part.length;
    if (this.elementLength > this.o.maxElementLength) {
      throw new WireError('deserialization_failed', `an array element of more than ${this.o.maxElementLength} characters exceeds the limit`);
    }
    this.elementParts.push(part);
  }

  private endElement(piece: string, to: number): void {
    this.addElementPart(piece.slice(this.elementFrom, to));
    const text = this.elementParts.length === 1 ? this.elementParts[0] : this.elementParts.join('');
    this.elementParts = [];
    this.elementStarted = false;
    this.o.element(text);
  }

  private addRest(part: string): void {
    this.restLength += part.length;
    if (this.restLength > this.o.maxRestLength) {
      throw new WireError('deserialization_failed', `message of more than ${this.o.maxRestLength} characters (outside the array read piece by piece) exceeds the limit`);
    }
    this.rest.push(part);
  }
}
