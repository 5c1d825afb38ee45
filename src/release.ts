import { loadConfig } from './config/env.js';
import { loadRunnersConfig } from './config/runners.js';
import { closeDb, createDb } from './db/client.js';
import { runMigrations } from './db/migrate.js';
import { runMain } from './lifecycle.js';
import { createLogger } from './logger.js';

/** Procfile `release`: applies migrations (safe to run twice) and checks the runners config. */
runMain('release', async () => {
  const config = loadConfig('release');
  const log = createLogger({ level: config.logLevel, name: 'release' });
  loadRunnersConfig(config.runnersConfigPath);
  const db = createDb({ url: config.databaseUrl, schema: config.dbSchema, max: 2 });
  try {
    await runMigrations(db, config.dbSchema);
    log.info({ schema: config.dbSchema }, 'migrations applied');
  } finally {
    await closeDb(db);
  }
});
