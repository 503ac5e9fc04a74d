/**
 * Message dispatch: routes each complete message by type to protocol control, commands,
 * data (metadata) or media.
 * @module
 */

import { AmfError } from "../errors.ts";
import type { MessageHandler, MessageRecord } from "../parser/types.ts";
import type { AmfLimits } from "../rtmp/amf_io.ts";
import type { AmfValue } from "../rtmp/amf_value.ts";
import { type Command, decodeCommand, decodeData } from "../rtmp/commands.ts";
import { MessageType } from "../rtmp/messages.ts";

/** What the dispatcher hands on. Bodies are valid only during the call. */
export interface DispatchTargets {
  /** Protocol control (types 1-6); SetChunkSize and Abort were applied by the parser. */
  control(rec: MessageRecord, body: Uint8Array): void;
  /** A decoded command (types 20 and 17). */
  command(cmd: Command, rec: MessageRecord): void;
  /** A decoded data message (types 18 and 15), e.g. `@setDataFrame onMetaData`. */
  data(values: AmfValue[], rec: MessageRecord): void;
  /** A data message whose AMF was malformed (it is dropped). */
  badData(error: AmfError, rec: MessageRecord): void;
  /** Audio (8) or video (9). */
  media(rec: MessageRecord, body: Uint8Array): void;
  /** Anything else (shared objects, aggregates, unknown types). */
  other(rec: MessageRecord): void;
}

/** Builds the parser's message handler over `targets`; AMF is decoded within `amfLimits`. */
export function createDispatch(
  targets: DispatchTargets,
  amfLimits?: Partial<AmfLimits>,
): MessageHandler {
  return (rec, body) => {
    switch (rec.type) {
      case MessageType.Audio:
      case MessageType.Video:
        targets.media(rec, body);
        return;
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        targets.command(decodeCommand(body, rec.type, amfLimits), rec);
        return;
      case MessageType.DataAmf0:
      case MessageType.DataAmf3: {
        // Metadata is informative: a malformed data message is dropped, not fatal.
        let values: AmfValue[];
        try {
          values = decodeData(body, rec.type, amfLimits);
        } catch (e) {
          if (!(e instanceof AmfError)) throw e;
          targets.badData(e, rec);
          return;
        }
        targets.data(values, rec);
        return;
      }
      case MessageType.SetChunkSize:
      case MessageType.Abort:
      case MessageType.Acknowledgement:
      case MessageType.UserControl:
      case MessageType.WindowAckSize:
      case MessageType.SetPeerBandwidth:
        targets.control(rec, body);
        return;
      default:
        targets.other(rec);
    }
  };
}
