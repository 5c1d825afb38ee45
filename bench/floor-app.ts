/**
 * The ingest floor: a bare Express 5 app that reads the raw body, checks the HMAC, parses the
 * JSON and answers 200. `bench:ingest -- --floor` runs it beside the web process under the same
 * load, so the web process's figures have something to be measured against on a loaded machine.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express from 'express';

const secret = process.env.GHAPP_WEBHOOK_SECRET ?? '';
const app = express();
app.post('/webhook', express.raw({ type: () => true, limit: '25mb' }), (req, res) => {
  const body = req.body as Buffer;
  const got = Buffer.from(req.get('x-hub-signature-256') ?? '');
  const want = Buffer.from('sha256=' + createHmac('sha256', secret).update(body).digest('hex'));
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    res.status(401).json({ error: 'Signature does not match' });
    return;
  }
  JSON.parse(body.toString('utf8'));
  res.status(200).json({ ok: true });
});
const server = app.listen(Number(process.env.PORT), () => console.log('{"msg":"listening"}'));
server.keepAliveTimeout = 65_000;
