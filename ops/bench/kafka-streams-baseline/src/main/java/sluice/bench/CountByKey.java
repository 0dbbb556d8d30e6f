// The Kafka Streams side of the count-by-key benchmark: records per key (groupByKey().count()) in a RocksDB store
// with its changelog, every update emitted (record cache off, as sluice's `emit: update`), commits every second.
package sluice.bench;

import java.nio.file.Files;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;

public final class CountByKey {
  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    if (value == null || value.isEmpty()) {
      if (fallback == null) throw new IllegalArgumentException(name + " is required");
      return fallback;
    }
    return value;
  }

  public static void main(String[] args) throws Exception {
    String input = env("BENCH_INPUT", null);
    String output = env("BENCH_OUTPUT", null);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, env("BENCH_APP_ID", "bench-kstreams-count"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, env("KAFKA_BROKERS", "127.0.0.1:29092"));
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(env("BENCH_THREADS", "1")));
    props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("kstreams-count").toString());
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .groupByKey()
        .count(Materialized.as("counts"))
        .toStream()
        .to(output, Produced.with(Serdes.String(), Serdes.Long()));

    KafkaStreams streams = new KafkaStreams(builder.build(), props);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      streams.close();
      stopped.countDown();
    }));
    streams.setStateListener((now, before) -> System.err.println("kafka-streams state " + before + " -> " + now));
    streams.start();
    stopped.await();
  }
}
