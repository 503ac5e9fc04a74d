/**
 * The values AMF0 and AMF3 carry, as plain TypeScript data.
 * @module
 */

/** An AMF anonymous object: a Map so that key order survives a round trip. */
export type AmfObject = Map<string, AmfValue>;

/** An AMF0 ECMA array (associative array); distinct from an object on the wire. */
export class AmfEcmaArray extends Map<string, AmfValue> {}

/** Any value AMF0/AMF3 can carry. `undefined` is AMF0 undefined; `null` is null. */
export type AmfValue =
  | null
  | undefined
  | boolean
  | number
  | string
  | Date
  | AmfValue[]
  | AmfObject
  | AmfEcmaArray
  | Uint8Array;
