/**
 * Compressed request bodies (docs/sync-protocol.md, "Compressed bodies").
 *
 * A push is mostly its clear headers, whose JSON repeats the same field names, table names and
 * bucket prefix in every message, and a push of one edit (the usual case) is too short for
 * deflate to find those repeats within itself. `x-enamel-deflate-1` is raw deflate (RFC 1951)
 * primed with `PUSH_DICTIONARY`, so that skeleton costs a few bytes instead of ~200: a typical
 * edit travels in ~300 bytes instead of ~590 (gzip alone: ~400).
 *
 * The dictionary is part of the encoding: it never changes under this name. A different one gets
 * a new name, and relays keep accepting the old.
 */
export const DEFLATE_DICTIONARY_ENCODING = 'x-enamel-deflate-1';

/**
 * Text the compressor may refer back to. Deflate codes a nearer match in fewer bits, so what
 * nearly every body holds (the message skeleton, the envelope's end and start) comes last.
 */
export const PUSH_DICTIONARY = [
  '"table":"clinic""table":"staff""table":"chair""table":"provider""table":"appointment_type"',
  '"table":"opening_hours""table":"provider_hours""table":"closure""table":"scheduling_settings"',
  '"table":"waitlist_entry""table":"recall""table":"conflict_acknowledgement"',
  '"table":"appointment_status_change""table":"appointment"',
  '"table":"patient_alert""table":"patient_insurance""table":"patient_document"',
  '"subject":null,"op":"delete"',
  '"}],"signature":"',
  '{"device":"","messages":[{"header":{"v":1,"bucket":"clinic.","device":"","deviceSeq":1,',
  '"hlc":"-0000-","table":"patient_phone","rowId":"","subject":"","op":"upsert","schema":5,',
  '"keyId":"k1"},"payload":"',
  '"},{"header":{"v":1,"bucket":"clinic.","device":"","deviceSeq":1,"hlc":"-0000-",',
  '"table":"patient","rowId":"","subject":"","op":"upsert","schema":5,"keyId":"k1"},"payload":"',
].join('');
