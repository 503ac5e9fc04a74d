// The core's static regions, carved out of one memory.data block so their order is fixed. What
// a session uses of the small ones (low csids, the first records, its first slots) falls in the
// block's first page; the ring starts on a page of its own, so a read of n KiB touches n KiB.
//
//   CSID_LOW  64 x u8        slot number + 1 for chunk stream ids 0..63, 0 = not seen yet
//   OUT       96 x 24 B      records of the last parse()
//   SLOTS     255 x 48 B     one per chunk stream
//   CSID_MAP  65600 x u8     as CSID_LOW, for chunk stream ids from 64 (the first 64 unused)
//   RING      64 KiB         socket input (ring.ts), page aligned

/** Highest chunk stream id (three-byte form). */
export const MAX_CSID: u32 = 65599;
/** Most chunk streams a connection may use. */
export const MAX_SLOTS: u32 = 255;
/** Bytes per slot. */
export const SLOT_SIZE: u32 = 48;
/** Records per parse(). */
export const OUT_CAP: u32 = 96;
/** Bytes per record: six u32. */
export const RECORD_SIZE: u32 = 24;
/** Bytes in the ring. */
export const RING_SIZE: u32 = 64 * 1024;

const OUT_AT: usize = 64;
const SLOTS_AT: usize = OUT_AT + OUT_CAP * RECORD_SIZE;
const CSID_MAP_AT: usize = SLOTS_AT + MAX_SLOTS * SLOT_SIZE;
const RING_AT: usize = (CSID_MAP_AT + MAX_CSID + 1 + 4095) & ~(<usize> 4095);

const STATIC: usize = memory.data(<i32> (RING_AT + RING_SIZE), 4096);

export const CSID_LOW: usize = STATIC;
/** Start of the records of the last parse(). */
export const OUT: usize = STATIC + OUT_AT;
export const SLOTS: usize = STATIC + SLOTS_AT;
export const CSID_MAP: usize = STATIC + CSID_MAP_AT;
/** Start of the ring in linear memory. */
export const RING: usize = STATIC + RING_AT;
