/** The relay's two stores: an embedded SQLite file by default, Postgres when a URL is given. */
export type RelayDialect = 'sqlite' | 'postgres';
