/**
 * Error classes for rtmp-edge. Each sets `name`; messages start with a capital,
 * have no final period, and carry the numbers involved.
 * @module
 */

/** Base class of every protocol error raised by rtmp-edge. */
export class RtmpError extends Error {
  /** Creates an error with the given message. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RtmpError";
  }
}

/** The C0/C1/C2 handshake was malformed. */
export class HandshakeError extends RtmpError {
  /** Creates a handshake error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HandshakeError";
  }
}

/** The chunk stream was malformed or broke a configured limit. */
export class ChunkError extends RtmpError {
  /** Creates a chunk error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ChunkError";
  }
}

/** A protocol control or user control message was malformed. */
export class MessageError extends RtmpError {
  /** Creates a message error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MessageError";
  }
}

/** AMF0/AMF3 data was malformed or broke a configured limit. */
export class AmfError extends RtmpError {
  /** Creates an AMF error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AmfError";
  }
}

/** A NetConnection/NetStream command was malformed or out of order. */
export class CommandError extends RtmpError {
  /** Creates a command error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CommandError";
  }
}

/** Media (FLV tag) data was malformed. */
export class MediaError extends RtmpError {
  /** Creates a media error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MediaError";
  }
}

/** A PROXY protocol header (v1 or v2) was missing, malformed or of an unsupported kind. */
export class ProxyProtocolError extends Error {
  /** Creates a PROXY protocol error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProxyProtocolError";
  }
}

/** The TLS handshake of an RTMPS connection failed (not TLS, a bad ClientHello, no shared cipher). */
export class TlsError extends RtmpError {
  /** Creates a TLS error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TlsError";
  }
}

/** An Enhanced RTMP tag header that cannot be walked (overrun, ModEx chain, too many tracks). */
export class EnhancedTagError extends MediaError {
  /** Creates an enhanced tag error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "EnhancedTagError";
  }
}
