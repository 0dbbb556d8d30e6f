// The Kafka Streams side of the passthrough benchmark: Avro (Confluent wire format) in, decoded into the
// output schema, encoded again, out to a topic; default Streams settings, as a user would start.
package sluice.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.apache.avro.Schema;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

public final class Passthrough {
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
    Schema schema = new Schema.Parser().parse(Files.readString(Path.of(env("BENCH_SCHEMA", null))));
    WireAvro avro = new WireAvro(env("SCHEMA_REGISTRY_URL", null), schema, output + "-value");

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, env("BENCH_APP_ID", "bench-kstreams"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, env("KAFKA_BROKERS", "127.0.0.1:29092"));
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(env("BENCH_THREADS", "1")));
    props.put(StreamsConfig.STATE_DIR_CONFIG, Files.createTempDirectory("kstreams-bench").toString());
    props.put(StreamsConfig.consumerPrefix("auto.offset.reset"), "earliest");

    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
        .mapValues(avro::passthrough)
        .to(output, Produced.with(Serdes.ByteArray(), Serdes.ByteArray()));

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
