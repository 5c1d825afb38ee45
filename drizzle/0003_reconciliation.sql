CREATE TABLE "reconcile_state" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "status_checked_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "jobs_active_check_idx" ON "jobs" USING btree ("status_checked_at","last_webhook_at") WHERE "jobs"."status" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "jobs_finished_idx" ON "jobs" USING btree ("updated_at") WHERE "jobs"."status" in ('completed', 'failed');--> statement-breakpoint
CREATE INDEX "workers_finished_idx" ON "workers" USING btree ("completed_at") WHERE "workers"."status" in ('completed', 'failed');