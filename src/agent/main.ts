/**
 * The node agent (`node dist/agent.js <role>`, `npm run agent -- --help`): runs on every RISC-V
 * node as the device plugin, the board labeller, or both. See docs/runner-nodes.md.
 */
import { shutdownOnSignals, type Step } from '../lifecycle.js';
import { createLogger } from '../logger.js';
import { HELP, UsageError, parseAgentArgs, type AgentConfig } from './config.js';
import { BoardsFileError, loadBoards } from './labeller/boards.js';
import { Labeller } from './labeller/labeller.js';
import { createChildProcessLabelSync } from './labeller/sync-process.js';

function fail(message: string, code: number): never {
  process.stderr.write(`agent: ${message}\n`);
  process.exit(code);
}

async function readConfig(): Promise<{ config: AgentConfig; boards?: Record<string, string> }> {
  try {
    const config = parseAgentArgs(process.argv.slice(2));
    if (config === 'help') {
      process.stdout.write(HELP);
      process.exit(0);
    }
    return {
      config,
      ...(config.labeller ? { boards: await loadBoards(config.labeller.boardsFile) } : {}),
    };
  } catch (err) {
    if (err instanceof UsageError || err instanceof BoardsFileError) fail(err.message, 2);
    throw err;
  }
}

async function main(): Promise<void> {
  const { config, boards } = await readConfig();
  const log = createLogger({ level: config.logLevel as 'info', name: 'rise-node-agent' });
  log.info(
    { role: config.role, devicePlugin: config.devicePlugin, labeller: config.labeller },
    'starting',
  );
  const steps: Step[] = [];

  if (config.labeller && boards) {
    const flags = config.labeller;
    const labeller = new Labeller(
      { ...flags, boards },
      {
        sync: createChildProcessLabelSync(),
        log: log.child({ component: 'labeller', node: flags.nodeName }),
      },
    );
    labeller.start();
    steps.push(['labeller', () => labeller.stop()]);
  }
  if (config.devicePlugin) {
    // gRPC costs some 15 MB resident: a labeller-only process does without it.
    const { DevicePlugin } = await import('./device-plugin/plugin.js');
    const plugin = new DevicePlugin(config.devicePlugin, log.child({ component: 'device-plugin' }));
    await plugin.start();
    steps.push(['device-plugin', () => plugin.stop()]);
  }
  shutdownOnSignals(steps, { log, timeoutMs: 5_000 });
}

main().catch((err: unknown) => {
  fail(`failed to start: ${err instanceof Error ? err.message : String(err)}`, 1);
});
