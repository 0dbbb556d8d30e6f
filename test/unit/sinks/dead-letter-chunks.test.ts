/**
 * Dead letters go to the broker in requests of at most ~512 KiB, in order: a failed micro-batch of large
 * records in one request passed the broker's message.max.bytes and was never written.
 */
import { describe, expect, it } from "vitest";
import type { OutgoingMessage } from "../../../core/kafka.ts";
import { byRequestSize, DLQ_REQUEST_BYTES } from "../../../sinks/dead-letter.ts";

describe("dead-letter request size", () => {
  it("splits 635 letters of ~5 KiB into ordered requests under the limit, and sends a large one alone", () => {
    const letter = (i: number, bytes = 5000): OutgoingMessage => ({
      key: `k${i}`,
      value: Buffer.alloc(bytes, 1),
      headers: { "sluice-dlq-error-message": "x".repeat(100) },
    });
    const messages = Array.from({ length: 635 }, (_, i) => letter(i));
    const groups = byRequestSize(messages, DLQ_REQUEST_BYTES);
    expect(groups.length).toBeGreaterThan(5);
    expect(groups.flat()).toEqual(messages);
    for (const group of groups) {
      const bytes = group.reduce((n, m) => n + (m.value as Buffer).length + 100 + 27 + String(m.key).length, 0);
      expect(bytes).toBeLessThanOrEqual(DLQ_REQUEST_BYTES);
    }
    const big = byRequestSize([letter(0), letter(1, 600 * 1024), letter(2)], DLQ_REQUEST_BYTES);
    expect(big.map((g) => g.map((m) => m.key))).toEqual([["k0"], ["k1"], ["k2"]]);
    expect(byRequestSize([], DLQ_REQUEST_BYTES)).toEqual([]);
  });
});
