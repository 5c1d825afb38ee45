CREATE TABLE "jobs" (
	"job_id" bigint PRIMARY KEY NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"entity_id" bigint NOT NULL,
	"entity_name" text NOT NULL,
	"entity_type" text NOT NULL,
	"repo_full_name" text NOT NULL,
	"installation_id" bigint NOT NULL,
	"job_labels" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"k8s_pool" text NOT NULL,
	"k8s_image" text NOT NULL,
	"html_url" text,
	"run_id" bigint,
	"job_name" text,
	"runner_name" text,
	"conclusion" text,
	"failure_info" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"queued_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"last_webhook_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "jobs_status_check" CHECK ("jobs"."status" in ('pending', 'running', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "workers" (
	"pod_name" text PRIMARY KEY NOT NULL,
	"entity_id" bigint NOT NULL,
	"entity_name" text NOT NULL,
	"entity_type" text NOT NULL,
	"installation_id" bigint NOT NULL,
	"repo_full_name" text,
	"job_labels" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"k8s_pool" text NOT NULL,
	"k8s_image" text NOT NULL,
	"k8s_node" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"failure_info" jsonb,
	"runner_id" bigint,
	"reserved_for_job_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"pod_created_at" timestamp with time zone,
	"running_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workers_status_check" CHECK ("workers"."status" in ('pending', 'running', 'completed', 'failed'))
);
--> statement-breakpoint
CREATE TABLE "deliveries" (
	"delivery_id" text PRIMARY KEY NOT NULL,
	"event" text NOT NULL,
	"action" text,
	"job_id" bigint,
	"installation_id" bigint,
	"entity_id" bigint,
	"outcome" text NOT NULL,
	"detail" text,
	"receive_count" integer DEFAULT 1 NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "installations" (
	"installation_id" bigint PRIMARY KEY NOT NULL,
	"app_id" bigint,
	"account_id" bigint NOT NULL,
	"account_login" text NOT NULL,
	"account_type" text NOT NULL,
	"state" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "jobs_active_pool_idx" ON "jobs" USING btree ("k8s_pool","entity_id","job_labels","created_at") WHERE "jobs"."status" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "jobs_active_entity_idx" ON "jobs" USING btree ("entity_id") WHERE "jobs"."status" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "jobs_history_idx" ON "jobs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "workers_active_pool_idx" ON "workers" USING btree ("k8s_pool","entity_id","job_labels") WHERE "workers"."status" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "workers_active_entity_idx" ON "workers" USING btree ("entity_id") WHERE "workers"."status" in ('pending', 'running');--> statement-breakpoint
CREATE INDEX "workers_history_idx" ON "workers" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "deliveries_job_idx" ON "deliveries" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "deliveries_received_idx" ON "deliveries" USING btree ("received_at");