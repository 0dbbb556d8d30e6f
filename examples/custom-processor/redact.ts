/**
 * `redact`: a user's own processor, outside sluice. It masks e-mail addresses and phone numbers in one text field
 * before the text goes anywhere else (an embedding model, a log, a topic), and dead-letters records whose field is
 * not text. It imports only "sluice": the definition below is all a processor needs.
 */
import { defineProcessor, PoisonRecordError, type ProcessorContext, type StreamRecord, z } from "sluice";

const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;
const PHONE = /\+?\d[\d ()-]{7,}\d/g;

/** Options of `redact`, validated when the processor is built. */
export const redactConfig = z.strictObject({
  /** The value field holding the text. @default "text" */
  field: z.string().min(1).default("text"),
  /** What replaces each e-mail address or phone number. @default "[redacted]" */
  mask: z.string().default("[redacted]"),
});

type Ticket = Record<string, unknown>;

/** The processor; a topology names it with `type: custom`, `module: ./redact.ts`, `export: redact`. */
export const redact = defineProcessor({
  type: "redact",
  summary: "masks e-mail addresses and phone numbers in a text field",
  config: redactConfig,
  create: ({ field, mask }) => {
    let ctx: ProcessorContext;
    return {
      init(context) {
        ctx = context;
      },
      process(record: StreamRecord<Ticket>) {
        const text = record.value[field];
        if (typeof text !== "string") throw new PoisonRecordError(`field ${field} is not text`);
        const masked = text.replace(EMAIL, mask).replace(PHONE, mask);
        if (masked !== text) ctx.metrics.count("redacted");
        ctx.forward(record.withValue({ ...record.value, [field]: masked }));
      },
    };
  },
});
