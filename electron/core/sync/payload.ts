import { decodeColumns, encodeColumns } from '../../../shared/sync/crypto';
import type { Value } from './apply';

/**
 * The sealed plaintext of a message: the changed columns (`encodeColumns`), plus two entries whose
 * names cannot be column names: `$a` the member of staff who made the change (for field history
 * on every workstation), `$i` present on a row's first change. Header `op` says upsert or delete.
 */
export interface ChangeBody {
  author: string | null;
  insert: boolean;
  columns: Record<string, Value>;
}

export class MalformedPayload extends Error {
  override readonly name = 'MalformedPayload';
}

const COLUMN = /^[a-z][a-z0-9_]{0,62}$/;

export function encodeChangeBody(body: ChangeBody): Uint8Array {
  return encodeColumns({
    $a: body.author,
    ...(body.insert ? { $i: 1 } : {}),
    ...body.columns,
  });
}

export function decodeChangeBody(plaintext: Uint8Array): ChangeBody {
  let raw: Record<string, unknown>;
  try {
    raw = decodeColumns(plaintext);
  } catch {
    throw new MalformedPayload('The change is not a set of columns');
  }
  const columns: Record<string, Value> = {};
  let author: string | null = null;
  let insert = false;
  for (const [name, value] of Object.entries(raw)) {
    if (name === '$a') {
      if (value !== null && (typeof value !== 'string' || value.length > 64))
        throw new MalformedPayload('The change names its author wrongly');
      author = value;
    } else if (name === '$i') {
      insert = value === 1;
    } else if (!COLUMN.test(name)) {
      throw new MalformedPayload('The change names a column wrongly');
    } else if (value === null || typeof value === 'string' || typeof value === 'number') {
      if (typeof value === 'number' && !Number.isFinite(value))
        throw new MalformedPayload('The change holds a value of the wrong kind');
      columns[name] = value;
    } else {
      throw new MalformedPayload('The change holds a value of the wrong kind');
    }
  }
  return { author, insert, columns };
}
