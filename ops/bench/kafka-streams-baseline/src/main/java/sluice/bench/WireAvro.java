// Confluent wire format by hand (magic byte 0, 4-byte schema id, Avro binary): Confluent's serializer jars are
// not on Maven Central. Writer schemas are fetched once per id from the registry's ccompat API and cached.
package sluice.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

final class WireAvro {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();
  private final String registryUrl;
  private final Schema readerSchema;
  private final int outputId;
  private final Map<Integer, GenericDatumReader<GenericRecord>> readers = new ConcurrentHashMap<>();
  private final GenericDatumWriter<GenericRecord> writer;
  // One stream thread calls passthrough at a time per instance of these (Streams runs a task on one thread).
  private final ThreadLocal<BinaryDecoder> decoder = new ThreadLocal<>();
  private final ThreadLocal<BinaryEncoder> encoder = new ThreadLocal<>();
  private final ThreadLocal<ByteArrayOutputStream> buffer = ThreadLocal.withInitial(() -> new ByteArrayOutputStream(512));

  WireAvro(String registryUrl, Schema readerSchema, String outputSubject) throws IOException, InterruptedException {
    this.registryUrl = registryUrl.replaceAll("/+$", "");
    this.readerSchema = readerSchema;
    this.writer = new GenericDatumWriter<>(readerSchema);
    String body = JSON.writeValueAsString(Map.of("schema", readerSchema.toString()));
    JsonNode registered = call(HttpRequest.newBuilder(URI.create(this.registryUrl + "/subjects/" + outputSubject + "/versions"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .POST(HttpRequest.BodyPublishers.ofString(body)));
    this.outputId = registered.get("id").asInt();
  }

  private JsonNode call(HttpRequest.Builder request) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) throw new IOException("registry answered " + response.statusCode() + ": " + response.body());
    return JSON.readTree(response.body());
  }

  private GenericDatumReader<GenericRecord> readerFor(int id) {
    return readers.computeIfAbsent(id, key -> {
      try {
        JsonNode found = call(HttpRequest.newBuilder(URI.create(registryUrl + "/schemas/ids/" + key)).GET());
        Schema writerSchema = new Schema.Parser().parse(found.get("schema").asText());
        return new GenericDatumReader<>(writerSchema, readerSchema);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    });
  }

  /** Decodes a wire-format value into the reader schema and encodes it again under the output schema id. */
  byte[] passthrough(byte[] value) {
    if (value == null) return null;
    if (value.length < 5 || value[0] != 0) throw new IllegalArgumentException("not Confluent wire format");
    int id = ByteBuffer.wrap(value, 1, 4).getInt();
    try {
      BinaryDecoder in = DecoderFactory.get().binaryDecoder(value, 5, value.length - 5, decoder.get());
      decoder.set(in);
      GenericRecord record = readerFor(id).read(null, in);
      ByteArrayOutputStream out = buffer.get();
      out.reset();
      out.write(0);
      out.write(ByteBuffer.allocate(4).putInt(outputId).array());
      BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, encoder.get());
      encoder.set(enc);
      writer.write(record, enc);
      enc.flush();
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
