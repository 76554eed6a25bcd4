/** Query and header schemas that only the HTTP interface has. */
import { z } from "zod";

const count = (max: number) => z.coerce.number().int().min(1).max(max);

export const MAX_EVENT_PAGE = 1000;
export const MAX_WAIT_SECONDS = 60;

export const eventsQuerySchema = z
  .object({
    after: z
      .string()
      .max(20)
      .optional()
      .describe("Return events with a seq greater than this; default 0 (a non-negative integer)."),
    limit: count(MAX_EVENT_PAGE).optional().describe("Page size, 1…1000; default 100."),
    wait: z.coerce
      .number()
      .min(0)
      .max(MAX_WAIT_SECONDS)
      .optional()
      .describe("Seconds to wait for a newer event when none is there yet (long-poll)."),
  })
  .strict();

export const tenantEventsQuerySchema = z.object({}).strict();

export const receiptsQuerySchema = z
  .object({
    unacked: z
      .enum(["0", "1", "true", "false"])
      .optional()
      .describe("`1` for unacknowledged receipts only."),
    cursor: z.string().max(64).optional(),
    limit: count(500).optional(),
  })
  .strict();

export const obligationsQuerySchema = z.object({ limit: count(500).optional() }).strict();

export const emptyQuerySchema = z.object({}).strict();
