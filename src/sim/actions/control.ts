import type { Router } from 'express';
import express from 'express';
import { z } from 'zod';
import type { ActionsRuntime } from './runtime.js';

const count = z.number().int().positive().optional();
const neverRegister = z.object({ count });
const crash = z.object({ count, afterMs: z.number().int().min(0).optional() });

/** `/_sim/actions/…` (mounted by the caller on the GitHub simulator's control router). */
export function actionsControlRouter(runtime: ActionsRuntime): Router {
  const r = express.Router();
  r.get('/processes', (_req, res) => void res.json(runtime.processes()));
  r.get('/faults', (_req, res) => void res.json(runtime.faults.snapshot()));
  r.delete('/faults', (_req, res) => {
    runtime.faults.clear();
    res.status(204).end();
  });
  r.post('/faults/never-register', (req, res) => {
    runtime.faults.neverRegister(neverRegister.parse(req.body ?? {}));
    res.status(204).end();
  });
  r.post('/faults/crash', (req, res) => {
    runtime.faults.crashMidJob(crash.parse(req.body ?? {}));
    res.status(204).end();
  });
  return r;
}
