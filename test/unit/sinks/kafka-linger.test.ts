/**
 * ProduceLinger: concurrent writes of different tasks merge into fewer requests, each write resolves only when
 * its own request was acknowledged, a failed request rejects exactly the writes in it, and requests in flight
 * never exceed the bound.
 */

import { describe, expect, it } from "vitest";
import type { OutgoingMessage as Message } from "../../../core/kafka.ts";
import { ProduceLinger } from "../../../sinks/kafka-linger.ts";

const msgs = (task: string, n: number): Message[] =>
  Array.from({ length: n }, (_, i) => ({ key: task, value: Buffer.from(`${task}-${i}`) }));

function controlledSender() {
  const requests: { messages: Message[]; settle(error?: Error): void }[] = [];
  const send = (messages: Message[]) =>
    new Promise<void>((resolve, reject) => {
      requests.push({ messages, settle: (error) => (error ? reject(error) : resolve()) });
    });
  return { requests, send };
}

describe("ProduceLinger", () => {
  it("sends at once while under the bound, then merges what queued meanwhile into one request", async () => {
    const { requests, send } = controlledSender();
    const linger = new ProduceLinger(send, { maxInFlight: 1 });
    const a = linger.write(msgs("a", 2));
    const b = linger.write(msgs("b", 3));
    const c = linger.write(msgs("c", 1));
    expect(requests).toHaveLength(1); // a went out alone
    expect(requests[0]?.messages.map((m) => String(m.value))).toEqual(["a-0", "a-1"]);
    requests[0]?.settle();
    await a;
    await Promise.resolve();
    expect(requests).toHaveLength(2); // b and c together, in arrival order
    expect(requests[1]?.messages.map((m) => String(m.value))).toEqual(["b-0", "b-1", "b-2", "c-0"]);
    requests[1]?.settle();
    await expect(Promise.all([b, c])).resolves.toBeDefined();
  });

  it("a failed request rejects only its own writes", async () => {
    const { requests, send } = controlledSender();
    const linger = new ProduceLinger(send, { maxInFlight: 2 });
    const a = linger.write(msgs("a", 1));
    const b = linger.write(msgs("b", 1));
    expect(requests).toHaveLength(2);
    requests[0]?.settle(new Error("broker gone"));
    requests[1]?.settle();
    await expect(a).rejects.toThrow("broker gone");
    await expect(b).resolves.toBeUndefined();
  });

  it("closes a request at maxBatchBytes", async () => {
    const { requests, send } = controlledSender();
    const linger = new ProduceLinger(send, { maxInFlight: 1, maxBatchBytes: 10 });
    const first = linger.write(msgs("x", 1));
    const rest = [linger.write(msgs("a", 1)), linger.write(msgs("b", 1)), linger.write(msgs("c", 1))];
    requests[0]?.settle();
    await first;
    await Promise.resolve();
    // each message is 3-4 bytes: a and b fit in 10 bytes with their keys, c goes in the next request
    expect(requests[1]?.messages.map((m) => String(m.value))).toEqual(["a-0", "b-0"]);
    requests[1]?.settle();
    await Promise.all(rest.slice(0, 2));
    await Promise.resolve();
    expect(requests[2]?.messages.map((m) => String(m.value))).toEqual(["c-0"]);
    requests[2]?.settle();
    await rest[2];
  });

  it("lingerMs holds a lone write back to let others join", async () => {
    const { requests, send } = controlledSender();
    const linger = new ProduceLinger(send, { lingerMs: 20 });
    const a = linger.write(msgs("a", 1));
    const b = linger.write(msgs("b", 1));
    expect(requests).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(requests).toHaveLength(1);
    expect(requests[0]?.messages).toHaveLength(2);
    requests[0]?.settle();
    await Promise.all([a, b]);
  });
});
