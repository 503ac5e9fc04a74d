import assert from "node:assert/strict";
import { MediaError } from "../../src/errors.ts";
import { type AudioSpecificConfig, parseAudioSpecificConfig } from "../../src/media/aac.ts";
import { fixture } from "./flv_tags.ts";

/** Packs bit-string fields into bytes, zero-padded. */
function bits(...fields: string[]): Uint8Array {
  const s = fields.join("");
  const padded = s.padEnd(Math.ceil(s.length / 8) * 8, "0");
  return Uint8Array.from(padded.match(/.{8}/g) ?? [], (b) => parseInt(b, 2));
}

const VECTORS: readonly { name: string; encoded: Uint8Array; decoded: AudioSpecificConfig }[] = [
  {
    name: "LC, 44100 Hz, stereo",
    encoded: bits(
      "00010", // audioObjectType 2 (LC)
      "0100", // samplingFrequencyIndex 4 (44100)
      "0010", // channelConfiguration 2
      "000", // frameLengthFlag, dependsOnCoreCoder, extensionFlag
    ), // 0x12 0x10
    decoded: {
      objectType: 2,
      extensionObjectType: 2,
      sampleRate: 44100,
      channelConfiguration: 2,
      channels: 2,
    },
  },
  {
    name: "Main, 96000 Hz, 5.1",
    encoded: bits("00001", "0000", "0110", "000"), // type 1, index 0 (96000), configuration 6
    decoded: {
      objectType: 1,
      extensionObjectType: 1,
      sampleRate: 96000,
      channelConfiguration: 6,
      channels: 6,
    },
  },
  {
    name: "configuration 7 is 8 channels",
    encoded: bits("00010", "0011", "0111", "000"), // LC, index 3 (48000), configuration 7
    decoded: {
      objectType: 2,
      extensionObjectType: 2,
      sampleRate: 48000,
      channelConfiguration: 7,
      channels: 8,
    },
  },
  {
    name: "escaped object type 42 (USAC)",
    encoded: bits(
      "11111", // audioObjectType 31: escape
      "001010", // audioObjectTypeExt 10 → 32 + 10
      "0011", // samplingFrequencyIndex 3 (48000)
      "0001", // channelConfiguration 1
    ),
    decoded: {
      objectType: 42,
      extensionObjectType: 42,
      sampleRate: 48000,
      channelConfiguration: 1,
      channels: 1,
    },
  },
  {
    name: "explicit 24-bit sampling frequency",
    encoded: bits(
      "00010", // LC
      "1111", // samplingFrequencyIndex 15: explicit
      "000000001010110000011000", // samplingFrequency 44056
      "0001", // channelConfiguration 1
      "000",
    ),
    decoded: {
      objectType: 2,
      extensionObjectType: 2,
      sampleRate: 44056,
      channelConfiguration: 1,
      channels: 1,
    },
  },
  {
    name: "HE-AAC with explicit SBR reports the SBR rate",
    encoded: bits(
      "00101", // audioObjectType 5 (SBR)
      "0110", // samplingFrequencyIndex 6 (24000, core)
      "0010", // channelConfiguration 2
      "0011", // extensionSamplingFrequencyIndex 3 (48000)
      "00010", // audioObjectType 2 (LC core)
      "000",
    ),
    decoded: {
      objectType: 2,
      extensionObjectType: 5,
      sampleRate: 48000,
      channelConfiguration: 2,
      channels: 2,
    },
  },
  {
    name: "HE-AACv2 with explicit PS on a mono core is stereo",
    encoded: bits(
      "11101", // audioObjectType 29 (PS)
      "0111", // samplingFrequencyIndex 7 (22050, core)
      "0001", // channelConfiguration 1
      "1111", // extensionSamplingFrequencyIndex 15: explicit
      "000000001010110001000100", // extensionSamplingFrequency 44100
      "00010", // audioObjectType 2
      "000",
    ),
    decoded: {
      objectType: 2,
      extensionObjectType: 29,
      sampleRate: 44100,
      channelConfiguration: 1,
      channels: 2,
    },
  },
  {
    name: "configuration 0 counts the program config element's channels",
    encoded: bits(
      "00010", // LC
      "0011", // 48000
      "0000", // channelConfiguration 0: PCE follows GASpecificConfig
      "000", // frameLengthFlag, dependsOnCoreCoder, extensionFlag
      "0000", // element_instance_tag
      "01", // object_type
      "0011", // sampling_frequency_index
      "0010", // num_front_channel_elements 2
      "0000", // num_side_channel_elements 0
      "0001", // num_back_channel_elements 1
      "01", // num_lfe_channel_elements 1
      "000", // num_assoc_data_elements
      "0000", // num_valid_cc_elements
      "0", // mono_mixdown_present
      "0", // stereo_mixdown_present
      "1", // matrix_mixdown_idx_present
      "000", // matrix_mixdown_idx, pseudo_surround_enable
      "10000", // front: CPE, tag 0 → 2 channels
      "00001", // front: SCE, tag 1 → 1 channel
      "10001", // back: CPE, tag 1 → 2 channels
      "0000", // LFE tag 0 → 1 channel
    ),
    decoded: {
      objectType: 2,
      extensionObjectType: 2,
      sampleRate: 48000,
      channelConfiguration: 0,
      channels: 6,
    },
  },
];

Deno.test("parseAudioSpecificConfig() decodes the golden vectors", () => {
  for (const { name, encoded, decoded } of VECTORS) {
    assert.deepEqual(parseAudioSpecificConfig(encoded), decoded, name);
  }
});

Deno.test("parseAudioSpecificConfig() reads ffmpeg's AAC sequence headers", () => {
  const table: [string, number, number][] = [
    ["aac_44100_2_seq", 44100, 2],
    ["aac_48000_1_seq", 48000, 1],
  ];
  for (const [name, sampleRate, channels] of table) {
    const asc = parseAudioSpecificConfig(fixture(name).subarray(2));
    assert.deepEqual(
      [asc.objectType, asc.sampleRate, asc.channels],
      [2, sampleRate, channels],
      name,
    );
  }
});

const ERRORS: readonly { name: string; encoded: Uint8Array; message: string }[] = [
  {
    name: "empty",
    encoded: new Uint8Array(),
    message: "AAC AudioSpecificConfig ended early: read past byte 0",
  },
  {
    name: "one byte",
    encoded: bits("00010", "010"),
    message: "AAC AudioSpecificConfig ended early: read past byte 1",
  },
  {
    name: "reserved index 13",
    encoded: bits("00010", "1101", "0010"),
    message: "AAC AudioSpecificConfig has reserved sampling frequency index 13",
  },
  {
    name: "explicit frequency cut short",
    encoded: bits("00010", "1111", "0000000010"), // 19 bits, padded to 3 bytes
    message: "AAC AudioSpecificConfig ended early: read past byte 3",
  },
];

Deno.test("parseAudioSpecificConfig() throws MediaError on reserved or truncated configs", () => {
  for (const { name, encoded, message } of ERRORS) {
    assert.throws(
      () => parseAudioSpecificConfig(encoded),
      (e: unknown) => e instanceof MediaError && e.message === message,
      name,
    );
  }
  for (const { name, encoded } of VECTORS) {
    for (let n = 0; n < 2; n++) {
      assert.throws(() => parseAudioSpecificConfig(encoded.subarray(0, n)), MediaError, name);
    }
  }
});
