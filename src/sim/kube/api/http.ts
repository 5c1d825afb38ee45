/**
 * Route registration with what every Kubernetes route shares here: the route key used for call
 * counts and injected faults, JSON answers (client-node rejects a response without a
 * Content-Type), and errors turned into v1 Status objects.
 */
import type { NextFunction, Request, Response, Router } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { KubeError, failureStatus } from '../errors.js';
import type { ApiFaults } from './api-faults.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Handler = (req: Request, res: Response) => void | Promise<void>;

/** A query parameter as one string (the first, if a client repeats it). */
export function query(req: Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

export function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  if (value === undefined) throw new Error(`route has no :${name}`);
  return value;
}

export function isWatch(req: Request): boolean {
  const watch = query(req, 'watch');
  return watch === 'true' || watch === '1';
}

export function sendJson(res: Response, status: number, body: unknown): void {
  res.status(status).type('application/json').send(JSON.stringify(body));
}

export function sendError(res: Response, err: KubeError): void {
  sendJson(res, err.code, err.toStatus());
}

/** Registers `handler` for `method template`, e.g. GET /api/v1/namespaces/{namespace}/pods. */
export function route(
  router: Router,
  faults: ApiFaults,
  method: Method,
  template: string,
  handler: Handler,
): void {
  const path = template.replace(/\{(\w+)\}/g, ':$1');
  const wrapped = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const key = `${method === 'GET' && isWatch(req) ? 'WATCH' : method} ${template}`;
      faults.record(key);
      const latency = faults.latencyFor(key);
      if (latency > 0) await sleep(latency);
      const injected = faults.takeError(key);
      if (injected) {
        const retry = injected.status === 429 ? { retryAfterSeconds: 1 } : undefined;
        if (retry) res.setHeader('Retry-After', '1');
        sendJson(
          res,
          injected.status,
          failureStatus(injected.status, injected.message, undefined, retry),
        );
        return;
      }
      await handler(req, res);
    } catch (err) {
      next(err);
    }
  };
  const register = {
    GET: () => router.get(path, wrapped),
    POST: () => router.post(path, wrapped),
    PUT: () => router.put(path, wrapped),
    PATCH: () => router.patch(path, wrapped),
    DELETE: () => router.delete(path, wrapped),
  };
  register[method]();
}

/** The last middleware: any error becomes a Status (body-parser's errors keep their 4xx). */
export function errorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(err);
  if (err instanceof KubeError) return sendError(res, err);
  const status = (err as { status?: unknown }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = err instanceof Error ? err.message : 'bad request';
    return sendJson(res, status, failureStatus(status, message));
  }
  sendJson(res, 500, failureStatus(500, err instanceof Error ? err.message : String(err)));
}
