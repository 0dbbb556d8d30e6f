/** The kafkajs adapter's copartitioned assignor advertises the member's HTTP endpoint in its group metadata. */
import { AssignerProtocol } from "kafkajs";
import { describe, expect, it } from "vitest";
import {
  advertisedEndpoint,
  copartitionedAssigner,
} from "../../../../topologies/runtime/kafka/copartitioned-assigner.ts";

describe("copartitioned assignor", () => {
  it("carries the member's endpoint in its subscription metadata, and none when it serves no HTTP", () => {
    const cluster = { findTopicPartitionMetadata: () => [] } as never;
    const withEndpoint = copartitionedAssigner("http://10.0.0.7:9464")({ cluster } as never).protocol({
      topics: ["in"],
    });
    expect(advertisedEndpoint(withEndpoint.metadata)).toBe("http://10.0.0.7:9464");
    const without = copartitionedAssigner()({ cluster } as never).protocol({ topics: ["in"] });
    expect(advertisedEndpoint(without.metadata)).toBeUndefined();
    // Another assignor's user data (not JSON) is no endpoint.
    const foreign = AssignerProtocol.MemberMetadata.encode({
      version: 0,
      topics: ["in"],
      userData: Buffer.from([1, 2]),
    });
    expect(advertisedEndpoint(foreign)).toBeUndefined();
  });
});
