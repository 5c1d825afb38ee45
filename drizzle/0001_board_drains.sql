CREATE TABLE "board_drains" (
	"board" text PRIMARY KEY NOT NULL,
	"reason" text,
	"drained_at" timestamp with time zone DEFAULT now() NOT NULL
);
