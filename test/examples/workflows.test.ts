import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  NoOperationTraceWriter,
  convertWorkflowTemplate,
  parseWorkflow,
} from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { labelKey, loadRunnersConfig, type RunnersConfig } from '../../src/config/runners.js';
import { runsOnLabelSets } from './runs-on.js';

const ROOT = resolve(import.meta.dirname, '../..');
const yamlIn = (dir: string): string[] =>
  readdirSync(join(ROOT, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => `${dir}/${f}`);
const SAMPLES = yamlIn('examples/workflows');
const WORKFLOWS = [...SAMPLES, ...yamlIn('.github/workflows')];
const config = loadRunnersConfig(join(ROOT, 'config/runners.yaml'));

/** Errors of GitHub's own workflow parser and schema (the one the Actions service uses). */
async function workflowErrors(name: string, content: string): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (errors.length > 0 || !parsed.value) return errors;
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  return (template.errors ?? []).map((e) => e.Message);
}

/** Label sets naming RISC-V that no pool serves (exact sorted sets, as the provisioner matches). */
function unservedRiscvLabels(cfg: RunnersConfig, text: string, file: string): string[] {
  const pools = new Set(cfg.pools.map((p) => labelKey([...p.labels].sort())));
  return runsOnLabelSets(text, file)
    .filter(({ labels }) => labels.some((l) => l.toLowerCase().includes('riscv')))
    .filter(({ labels }) => !pools.has(labelKey([...labels].sort())))
    .map(({ job, labels }) => `${file}: jobs.${job} runs-on ${JSON.stringify(labels)}`);
}

describe('the workflow parser really validates', () => {
  it('rejects a broken workflow, naming the problem', async () => {
    const broken = `on: push
jobs:
  build:
    runs-on: ubuntu-24.04-riscv
    stepz:
      - run: uname -m
`;
    const errors = await workflowErrors('broken.yml', broken);
    expect(errors.join('\n')).toMatch(/Unexpected value 'stepz'/);
  });

  it.each([
    ['no trigger', 'jobs:\n  a:\n    runs-on: x\n    steps: [{ run: "true" }]\n', /missing: on/],
    ['no runs-on', 'on: push\njobs:\n  a:\n    steps: [{ run: a }]\n', /missing: runs-on/],
    [
      'a step with run and uses',
      'on: push\njobs:\n  a:\n    runs-on: x\n    steps: [{ run: a, uses: b }]\n',
      /Unexpected value 'uses'/,
    ],
    [
      'a misspelt container key',
      'on: push\njobs:\n  a:\n    runs-on: x\n    container: { imag: x }\n    steps: [{ run: a }]\n',
      /Unexpected value 'imag'/,
    ],
    [
      'a bad expression',
      'on: push\njobs:\n  a:\n    runs-on: ${{ matrix. }}\n    steps: [{ run: a }]\n',
      /Unexpected symbol/,
    ],
  ])('rejects %s', async (_what, content, message) => {
    const errors = await workflowErrors('bad.yml', content);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(message);
  });
});

describe('label check', () => {
  it('reports RISC-V labels no pool serves, and exact sets only', () => {
    const text = `on: push
jobs:
  a: { runs-on: ubuntu-24.04-riscv-gpu, steps: [{ run: x }] }
  b: { runs-on: [self-hosted, ubuntu-24.04-riscv], steps: [{ run: x }] }
  c:
    strategy: { matrix: { r: [ubuntu-24.04-riscv, ubuntu-22.04-riscv, ubuntu-24.04] } }
    runs-on: \${{ matrix.r }}
    steps: [{ run: x }]
  d: { runs-on: { group: any, labels: ubuntu-26.04-riscv-rvv }, steps: [{ run: x }] }
`;
    expect(unservedRiscvLabels(config, text, 't.yml')).toEqual([
      't.yml: jobs.a runs-on ["ubuntu-24.04-riscv-gpu"]',
      't.yml: jobs.b runs-on ["self-hosted","ubuntu-24.04-riscv"]',
      't.yml: jobs.c runs-on ["ubuntu-22.04-riscv"]',
    ]);
  });

  it('refuses a runs-on expression it cannot resolve', () => {
    const text = 'on: push\njobs:\n  a: { runs-on: "${{ inputs.runner }}", steps: [{ run: x }] }\n';
    expect(() => unservedRiscvLabels(config, text, 't.yml')).toThrow(/cannot resolve/);
  });
});

describe('sample workflows', () => {
  it('are all there', () => {
    expect(SAMPLES).toEqual(
      expect.arrayContaining(
        [
          'hello',
          'docker',
          'container-job',
          'setup-python',
          'setup-go',
          'setup-java',
          'boards',
        ].map((n) => `examples/workflows/${n}.yml`),
      ),
    );
  });

  it.each(WORKFLOWS)('%s parses against the GitHub Actions workflow schema', async (file) => {
    expect(await workflowErrors(file, readFileSync(join(ROOT, file), 'utf8'))).toEqual([]);
  });

  it.each(WORKFLOWS)('%s asks only for RISC-V labels a pool serves', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(runsOnLabelSets(text, file).length).toBeGreaterThan(0);
    expect(unservedRiscvLabels(config, text, file)).toEqual([]);
  });

  it('cover every pool of config/runners.yaml', () => {
    const asked = new Set(
      SAMPLES.flatMap((f) => runsOnLabelSets(readFileSync(join(ROOT, f), 'utf8'), f)).map((j) =>
        labelKey([...j.labels].sort()),
      ),
    );
    const missing = config.pools
      .map((p) => p.labels)
      .filter((l) => !asked.has(labelKey([...l].sort())));
    expect(missing).toEqual([]);
  });
});
