import { runCli } from './cli.js';

/** `npm run cli -- …` and the `rise-runners` bin: operator commands against PostgreSQL and Redis. */
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
});
