/**
 * AAC: the AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) that an FLV AAC
 * sequence header carries.
 *
 * ```
 * audioObjectType         5 bits; 31 escapes to 32 + 6 more bits
 * samplingFrequencyIndex  4 bits; 15 means a 24-bit samplingFrequency follows
 * channelConfiguration    4 bits; 0 means a program_config_element says
 * if audioObjectType is 5 (SBR) or 29 (PS): explicit hierarchical signalling
 *   extensionSamplingFrequencyIndex 4 bits (+24), audioObjectType again
 * GASpecificConfig        frameLengthFlag, dependsOnCoreCoder (+14), extensionFlag, [PCE]
 * ```
 * @module
 */

import { MediaError } from "../errors.ts";
import { BitReader } from "./bit_reader.ts";

/** The decoded facts of an AudioSpecificConfig. */
export interface AudioSpecificConfig {
  /** Audio object type of the core coder: 1 Main, 2 LC, 3 SSR, 4 LTP, ... */
  readonly objectType: number;
  /** 5 (SBR) or 29 (PS) when explicitly signalled, else the core object type. */
  readonly extensionObjectType: number;
  /** Output sample rate in Hz (the SBR rate when SBR is signalled). */
  readonly sampleRate: number;
  /** channelConfiguration as sent (0: a program config element defines the channels). */
  readonly channelConfiguration: number;
  /** Output channels; 0 when neither the configuration nor a PCE says. */
  readonly channels: number;
}

/** Sample rates by samplingFrequencyIndex (13 and 14 are reserved, 15 is explicit). */
const SAMPLE_RATES: readonly number[] = [
  96000,
  88200,
  64000,
  48000,
  44100,
  32000,
  24000,
  22050,
  16000,
  12000,
  11025,
  8000,
  7350,
];

/** Channels by channelConfiguration (ISO/IEC 14496-3 Table 1.19, with 23003-3's 11-14). */
const CHANNELS: readonly number[] = [0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 24, 8, 0];

/** Object types whose config is a GASpecificConfig (so channelConfiguration 0 means a PCE). */
const GA_TYPES: ReadonlySet<number> = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

const SBR = 5;
const PS = 29;

/**
 * Parses an AudioSpecificConfig.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAudioSpecificConfig } from "./aac.ts";
 * // 00010 0100 0010 000: LC, 44100 Hz (index 4), 2 channels
 * const asc = parseAudioSpecificConfig(new Uint8Array([0x12, 0x10]));
 * assert.deepEqual([asc.objectType, asc.sampleRate, asc.channels], [2, 44100, 2]);
 * ```
 */
export function parseAudioSpecificConfig(bytes: Uint8Array): AudioSpecificConfig {
  const r = new BitReader(bytes, { label: "AAC AudioSpecificConfig" });
  let objectType = readObjectType(r);
  let sampleRate = readSampleRate(r);
  const channelConfiguration = r.readBits(4);
  let channels = CHANNELS[channelConfiguration] ?? 0;
  const extensionObjectType = objectType;
  if (objectType === SBR || objectType === PS) {
    sampleRate = readSampleRate(r); // extensionSamplingFrequency
    objectType = readObjectType(r);
    if (objectType === 22) r.skipBits(4); // extensionChannelConfiguration (ER BSAC)
    if (extensionObjectType === PS && channelConfiguration === 1) channels = 2;
  }
  if (channelConfiguration === 0 && GA_TYPES.has(objectType)) {
    r.readBit(); // frameLengthFlag
    if (r.readFlag()) r.skipBits(14); // dependsOnCoreCoder → coreCoderDelay
    r.readBit(); // extensionFlag
    if (objectType === 6 || objectType === 20) r.skipBits(3); // layerNr
    channels = readPceChannels(r);
  }
  return { objectType, extensionObjectType, sampleRate, channelConfiguration, channels };
}

function readObjectType(r: BitReader): number {
  const t = r.readBits(5);
  return t === 31 ? 32 + r.readBits(6) : t;
}

function readSampleRate(r: BitReader): number {
  const index = r.readBits(4);
  if (index === 15) return r.readBits(24);
  const rate = SAMPLE_RATES[index];
  if (rate === undefined) {
    throw new MediaError(`AAC AudioSpecificConfig has reserved sampling frequency index ${index}`);
  }
  return rate;
}

/** Counts the channels a program_config_element (ISO/IEC 14496-3 4.4.1.1) declares. */
function readPceChannels(r: BitReader): number {
  r.skipBits(4 + 2 + 4); // element_instance_tag, object_type, sampling_frequency_index
  const front = r.readBits(4);
  const side = r.readBits(4);
  const back = r.readBits(4);
  const lfe = r.readBits(2);
  r.skipBits(3 + 4); // num_assoc_data_elements, num_valid_cc_elements
  if (r.readFlag()) r.skipBits(4); // mono_mixdown_element_number
  if (r.readFlag()) r.skipBits(4); // stereo_mixdown_element_number
  if (r.readFlag()) r.skipBits(3); // matrix_mixdown_idx, pseudo_surround_enable
  let channels = lfe;
  for (let i = 0; i < front + side + back; i++) {
    channels += r.readFlag() ? 2 : 1; // is_cpe
    r.skipBits(4); // element_tag_select
  }
  return channels;
}
