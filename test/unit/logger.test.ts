import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { redactText } from '../../src/util/redact.js';

/** The real logger writing to memory: every line as written, and parsed. */
function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const log = createLogger({ level: 'debug' }, stream);
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, any>) };
}

const SECRETS = [
  'ghs_installationtoken0001',
  'whsec-nested-0002',
  'hunter2-password-0003',
  // A PEM armour line, assembled here so no key-shaped text sits in the repository.
  `${'-'.repeat(5)}BEGIN ${['RSA', 'PRIVATE', 'KEY'].join(' ')}${'-'.repeat(5)}MIIE0004`,
  'jit-config-blob-0005',
  'Bearer eyJ-auth-0006',
  'session=cookie-0007',
  'pg-pass-0008',
  'ssl-pass-0009',
  'redis-pass-0010',
  'sha256=signature-0011',
];

describe('logger redaction', () => {
  it('redacts secret keys at any depth, in arrays, errors and child bindings', () => {
    const { log, lines, parsed } = capture();
    const err = Object.assign(new Error('GitHub said no'), {
      status: 401,
      request: { headers: { authorization: SECRETS[5], accept: 'application/json' } },
    });
    log.child({ runnerName: 'r1', auth: { token: SECRETS[0] } }).warn(
      {
        err,
        deep: { a: { b: { c: { d: { e: { secret: SECRETS[1], keep: 'visible' } } } } } },
        users: [{ name: 'alice', password: SECRETS[2] }],
        app: { privateKey: SECRETS[3], private_key: SECRETS[3], appId: 7 },
        runner: { jitconfig: SECRETS[4], encoded_jit_config: SECRETS[4], jitConfig: SECRETS[4] },
        headers: { cookie: SECRETS[6], 'x-hub-signature-256': SECRETS[10], 'user-agent': 'GitHub' },
      },
      'call failed',
    );
    const text = lines.join('\n');
    for (const s of SECRETS) expect(text).not.toContain(s);
    const [line] = parsed();
    // What is not secret stays readable; the error keeps its type, message and stack.
    expect(line).toMatchObject({
      msg: 'call failed',
      runnerName: 'r1',
      auth: { token: '[redacted]' },
      deep: { a: { b: { c: { d: { e: { secret: '[redacted]', keep: 'visible' } } } } } },
      users: [{ name: 'alice', password: '[redacted]' }],
      app: { privateKey: '[redacted]', appId: 7 },
      headers: { 'user-agent': 'GitHub', cookie: '[redacted]' },
      err: {
        type: 'Error',
        message: 'GitHub said no',
        status: 401,
        request: { headers: { authorization: '[redacted]', accept: 'application/json' } },
      },
    });
    expect(line!.err.stack).toContain('logger.test.ts');
  });

  it('redacts connection strings in full: userinfo and query values, in messages and fields', () => {
    const { log, lines, parsed } = capture();
    const pg = `postgres://rise:${SECRETS[7]}@db.internal:5432/rise?sslmode=require&sslpassword=${SECRETS[8]}`;
    const redis = `rediss://:${SECRETS[9]}@redis.internal:6379/0`;
    log.info({ config: { databaseUrl: pg }, note: `connecting to ${redis} now` }, `db at ${pg}`);
    log.error(new Error(`connect ECONNREFUSED ${pg}`));
    const text = lines.join('\n');
    for (const s of SECRETS) expect(text).not.toContain(s);
    const [first, second] = parsed();
    expect(first!.config.databaseUrl).toBe(
      'postgres://[redacted]@db.internal:5432/rise?sslmode=[redacted]&sslpassword=[redacted]',
    );
    expect(first!.note).toBe('connecting to rediss://[redacted]@redis.internal:6379/0 now');
    expect(second!.msg).toContain('postgres://[redacted]@db.internal:5432/rise');
  });

  it('keeps http URLs readable but drops their credentials', () => {
    expect(redactText('GET https://api.github.com/app/installations?per_page=100 failed')).toBe(
      'GET https://api.github.com/app/installations?per_page=100 failed',
    );
    expect(redactText('https://x:y@h.example/p?access_token=abc&page=2')).toBe(
      'https://[redacted]@h.example/p?access_token=[redacted]&page=2',
    );
    // An unescaped `/` in a connection string's password still ends at its last `@`.
    expect(redactText('postgres://u:pa/ss@h/db')).toBe('postgres://[redacted]@h/db');
  });

  it('keeps the bindings of every level of child loggers', () => {
    const { log, lines, parsed } = capture();
    log
      .child({ deliveryId: 'd1' })
      .child({ jobId: 5, creds: { password: SECRETS[2] } })
      .info('x');
    expect(lines.join('\n')).not.toContain(SECRETS[2]);
    expect(parsed()[0]).toMatchObject({
      deliveryId: 'd1',
      jobId: 5,
      creds: { password: '[redacted]' },
    });
  });

  it('survives circular objects', () => {
    const { log, parsed } = capture();
    const a: Record<string, unknown> = { name: 'a', token: SECRETS[0] };
    a.self = a;
    log.info({ a }, 'loop');
    expect(parsed()[0]!.a).toEqual({ name: 'a', token: '[redacted]', self: '[circular]' });
  });
});
