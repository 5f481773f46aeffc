import type { Insertable, Selectable, Updateable } from 'kysely';

/** Store-wide settings that never sync: store id, device id, schema bookkeeping. */
export interface MetaTable {
  key: string;
  value: string;
}
export type MetaRow = Selectable<MetaTable>;
export type NewMeta = Insertable<MetaTable>;
export type MetaUpdate = Updateable<MetaTable>;
