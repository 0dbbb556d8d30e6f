/**
 * sluice's own Kafka port: the few things the runtime, the sinks and the commands need from a Kafka client, in
 * sluice's terms (numeric offsets and timestamps, plain headers). One adapter per client library implements it
 * (`topologies/runtime/kafka/`, kafkajs today); unit tests of the runtime use an in-memory one. Nothing outside an
 * adapter folder imports a client library. No runtime code here: every layer may depend on it.
 */

/** A header's value as consumed (a repeated header gives an array). */
export type HeaderValue = Buffer | string;
export type ConsumedHeaders = Readonly<Record<string, HeaderValue | HeaderValue[] | undefined>>;

/** One consumed record. */
export interface ConsumedMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ConsumedHeaders;
  readonly offset: number;
  /** Milliseconds since the epoch (create or log-append time, as the topic keeps it). */
  readonly timestamp: number;
}

/** A fetched batch of one partition, in offset order. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly ConsumedMessage[];
  /** The highest offset the fetch covered (control records included): everything below may be passed. */
  readonly lastOffset: number;
}

/** What the consumer lends the handler of a batch. */
export interface BatchControl {
  /** Tells the coordinator this member is alive; rejects when a rebalance began. */
  heartbeat(): Promise<void>;
  /** False once the batch must be abandoned: the consumer stops, or the partition may be someone else's now. */
  isCurrent(): boolean;
  /** Moves the fetch position past `offset` (this is not a commit). */
  resolveOffset(offset: number): void;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface TopicPartitionOffset extends TopicPartition {
  /** The next offset to read (Kafka's commit convention). */
  readonly offset: number;
}

/** What a group member is told. */
export interface GroupHandlers {
  eachBatch(batch: ConsumedBatch, control: BatchControl): Promise<void>;
  /** A rebalance completed: this member (`memberId`) now owns `partitions` (`topic:partition` ids). */
  assigned(memberId: string, partitions: readonly TopicPartition[]): void;
  /** A rebalance began: partitions may be revoked. */
  rebalancing(): void;
  /** The consumer failed; `restarting` when the client rejoins by itself. */
  crashed(error: unknown, restarting: boolean): void;
}

export interface GroupConsumerOptions {
  groupId: string;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  fetch: { minBytes: number; maxWaitTimeInMs: number; maxBytesPerPartition: number };
  /** Asked before the client restarts a crashed consumer by itself. */
  restartOnFailure(): boolean;
  /**
   * Assign every topic's partition `p` to the same member (stateful topologies: a partition's stores serve all
   * its topics). @default false (the client's default assignor)
   */
  copartitioned?: boolean;
  /**
   * This member's HTTP endpoint (`http://host:port`), advertised in its group metadata where the assignor is
   * sluice's own (stateful topologies), as Kafka Streams' `application.server`: `sluice status` reads each
   * member's `/tasks` there. @default none
   */
  endpoint?: string;
  /**
   * Also read records of open and aborted transactions (`read_uncommitted`). @default false (`read_committed`)
   */
  readUncommitted?: boolean;
}

/** A consumer-group member with manual commits. */
export interface GroupConsumer {
  connect(): Promise<void>;
  subscribe(topics: readonly string[], fromBeginning: boolean): Promise<void>;
  /** Starts consuming; resolves once the consumer runs (batches then arrive through `handlers`). */
  run(handlers: GroupHandlers): Promise<void>;
  /**
   * Commits offsets in one attempt under the member's current generation: it fails, and is never retried
   * later under a newer generation, when the member lost its partitions meanwhile.
   */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  /** Fetches `partitions` again (paused by `pause`). */
  resume(partitions: readonly TopicPartition[]): void;
  disconnect(): Promise<void>;
}

/** A partition's offsets: `low` the first kept, `high` the next to be written (the end). */
export interface PartitionOffsets {
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

export interface GroupMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly host: string;
  readonly partitions: readonly TopicPartition[];
  /** The HTTP endpoint the member advertised (GroupConsumerOptions.endpoint), when it did. */
  readonly endpoint?: string;
}

export interface GroupDescription {
  readonly state: string;
  readonly members: readonly GroupMember[];
}

/** A topic to create. */
export interface NewTopic {
  readonly topic: string;
  readonly partitions: number;
  /** Topic configs (`cleanup.policy: compact`, `message.timestamp.type`…). @default the broker's */
  readonly configs?: Readonly<Record<string, string>>;
}

/** What the cluster says of itself: how many brokers it has, and the controller's node id (null when none). */
export interface ClusterDescription {
  readonly brokers: number;
  readonly controller: number | null;
}

/** Cluster metadata and offsets. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  describeCluster(): Promise<ClusterDescription>;
  listTopics(): Promise<string[]>;
  /**
   * Creates the topics that do not exist yet (each with its partition count and topic configs, such as
   * `cleanup.policy`) and waits for their leaders; existing ones are left as they are.
   */
  createTopics(topics: readonly NewTopic[]): Promise<void>;
  /** Deletes the topics (each must exist). */
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** Per partition, low and high offsets, sorted by partition. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Per partition, the first offset at or after `timestampMs` (the end when none). */
  offsetsAtTime(topic: string, timestampMs: number): Promise<{ partition: number; offset: number }[]>;
  /** The group's committed offsets per `topic:partition` (-1 when none). */
  groupOffsets(groupId: string, topics: readonly string[]): Promise<Map<string, number>>;
  /** Sets an (empty) group's offsets. */
  setGroupOffsets(
    groupId: string,
    topic: string,
    offsets: readonly { partition: number; offset: number }[],
  ): Promise<void>;
  /** The group's state (`Dead` when it does not exist) and members. */
  describeGroup(groupId: string): Promise<GroupDescription>;
  /** The ids of the cluster's consumer groups. */
  listGroups(): Promise<string[]>;
  deleteGroup(groupId: string): Promise<void>;
}

/** `topic:partition`, the id the runtime keys tasks by. */
export function partitionId(topic: string, partition: number): string {
  return `${topic}:${partition}`;
}

/** A record to produce. */
export interface OutgoingMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, HeaderValue | HeaderValue[]>>;
  /** Milliseconds since the epoch. @default the broker's or the producer's clock */
  readonly timestamp?: number;
  /** An explicit partition (a changelog follows its task's partition). @default by the key's hash */
  readonly partition?: number;
}

/**
 * Sends records, keyed-partitioned; resolves once every in-sync replica acknowledged them (acks=all). Rejects
 * with sluice errors: `TransientError` when the broker is unavailable (retry), `ProducerFencedError` when a newer
 * producer took over a transactional id (stop), `SluiceError` otherwise.
 */
export interface Sender {
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

export interface Producer extends Sender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

/** One transaction at a time, driven by the runtime: begin → send… → sendOffsets → commit | abort. */
export interface TransactionalProducer extends Producer {
  readonly inTransaction: boolean;
  begin(): Promise<void>;
  /** Commits consumed offsets with the transaction's outputs, atomically. */
  sendOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  /** Aborts the open transaction, if any; its records stay invisible to `read_committed` readers. */
  abort(): Promise<void>;
}

export interface ProducerSettings {
  /**
   * Client-level retries before a send rejects (then the runtime's policy retries, then pauses): an outage
   * must surface as a paused partition, not hang a send for ever. @default 5 (10 for transactional producers)
   */
  retries?: number;
}

/** What a topology's Kafka connection hands out. */
export interface KafkaClient {
  consumer(options: GroupConsumerOptions): GroupConsumer;
  admin(): KafkaAdmin;
  /** An idempotent producer (no duplicates from its own retries). */
  producer(settings?: ProducerSettings): Producer;
  /** Stable per task (`<applicationId>-<topic>-<partition>`) so a new owner of a partition fences the old one. */
  transactionalProducer(
    transactionalId: string,
    settings?: ProducerSettings & { timeoutMs?: number },
  ): TransactionalProducer;
}

/** How to reach a cluster without a topology (`sluice produce`, the stack's readiness checks, tools, tests). */
export interface KafkaConnection {
  brokers: readonly string[];
  /** @default "sluice" */
  clientId?: string;
  /** TLS: `true` with the system's CAs, or the CA (PEM) to verify the broker with. @default plaintext */
  ssl?: boolean | { ca?: string; rejectUnauthorized?: boolean };
  sasl?: { mechanism: "plain" | "scram-sha-256" | "scram-sha-512"; username: string; password: string };
  /** Milliseconds to wait for a TCP/TLS connection. @default the client's (1 s for kafkajs) */
  connectionTimeoutMs?: number;
  /**
   * Client-level retries of every request (0: fail at once, as a readiness check wants).
   * @default the adapter's (about a minute of short steps)
   */
  retry?: { retries?: number; initialRetryTimeMs?: number; maxRetryTimeMs?: number };
}

/** Makes a Kafka port on a plain connection: what code below `topologies/` is handed instead of a client library. */
export type KafkaClientFactory = (connection: KafkaConnection) => KafkaClient;
