/**
 * Test helper: builds bitstreams field by field (the inverse of `BitReader`), so golden
 * SPS and sequence-header vectors can be written with one commented call per field.
 * @module
 */

/** Appends bits most significant first. */
export class BitWriter {
  readonly #bits: number[] = [];

  /** Appends `value` in `n` bits. */
  u(n: number, value: number): this {
    for (let i = n - 1; i >= 0; i--) this.#bits.push(Math.floor(value / 2 ** i) % 2);
    return this;
  }

  /** Appends a one-bit flag. */
  flag(on: boolean): this {
    return this.u(1, on ? 1 : 0);
  }

  /** Appends an unsigned exp-Golomb code. */
  ue(value: number): this {
    const len = Math.floor(Math.log2(value + 1));
    return this.u(len, 0).u(len + 1, value + 1);
  }

  /** Appends a signed exp-Golomb code. */
  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** Appends AV1 uvlc(). */
  uvlc(value: number): this {
    const len = Math.floor(Math.log2(value + 1));
    return this.u(len, 0).u(1, 1).u(len, value + 1 - 2 ** len);
  }

  /** The bits so far, zero-padded to whole bytes. */
  bytes(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.#bits.length / 8));
    this.#bits.forEach((b, i) => {
      out[i >> 3] = (out[i >> 3] ?? 0) | (b << (7 - (i & 7)));
    });
    return out;
  }

  /** The bits as an RBSP (stop bit, zero padding) inside a NAL unit with emulation prevention. */
  nal(header: readonly number[]): Uint8Array {
    this.u(1, 1);
    const rbsp = this.bytes();
    const out = [...header];
    let zeros = 0;
    for (const b of rbsp) {
      if (zeros >= 2 && b <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    return new Uint8Array(out);
  }
}
