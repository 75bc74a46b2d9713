import { hasPg, pgTestUrl } from './services.js';
import { tempHome, testConfig } from './home.js';
import { openStore, type Store } from '../../src/store/db.js';
import type { Config } from '../../src/config/schema.js';

/** The same store suite on SQLite and PostgreSQL (Backstage's it.each(databases)). */
export const DATABASES = hasPg ? (['sqlite', 'pg'] as const) : (['sqlite'] as const);
export type DbKind = 'sqlite' | 'pg';

export interface TestDb {
  config: Config;
  store: Store;
  home: string;
  databaseUrl: string | null;
  cleanup: () => Promise<void>;
}

export async function openTestDb(kind: DbKind, overrides: Record<string, unknown> = {}): Promise<TestDb> {
  const h = tempHome(kind);
  const pgu = kind === 'pg' ? pgTestUrl('s') : null;
  const config = testConfig(h.home, { databaseUrl: pgu?.url ?? null, overrides });
  const store = await openStore(config);
  return {
    config,
    store,
    home: h.home,
    databaseUrl: pgu?.url ?? null,
    cleanup: async () => {
      await store.close();
      await pgu?.drop();
      h.cleanup();
    },
  };
}
