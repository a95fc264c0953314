// binary-parser 2.x ships typings, but its package.json "exports" hides them from NodeNext resolution.
// This declares the small subset the loader uses.
declare module 'binary-parser' {
  interface ParserOptions {
    type?: string | Parser;
    length?: number | string;
    [k: string]: unknown;
  }
  export class Parser {
    constructor();
    endianness(e: 'little' | 'big'): this;
    uint8(name: string, o?: ParserOptions): this;
    uint16(name: string, o?: ParserOptions): this;
    uint32(name: string, o?: ParserOptions): this;
    uint64(name: string, o?: ParserOptions): this;
    array(name: string, o: ParserOptions): this;
    parse(buf: Uint8Array): unknown;
  }
}
