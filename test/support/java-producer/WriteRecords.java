import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Writes test records with Apache Kafka's own Java producer, the way users' services write
 * them: the tests must read what a real producer put on the wire, not what our own client
 * would write. Producer settings come as key=value arguments (any ProducerConfig key); the
 * records as lines on standard input:
 *
 *   R <topic> <partition|-1> <key> <value> [<header name>:<header value>]...
 *   BEGIN | COMMIT | ABORT | FLUSH
 *
 * Keys, values and header parts are hex, "~" for null and "-" for empty. Once standard input
 * ends, every record is flushed and one line per record says where it landed:
 * "OFFSET <topic> <partition> <offset>", in the order they were sent (aborted ones included).
 */
public final class WriteRecords {
  private static byte[] bytes(String token) {
    if (token.equals("~")) return null;
    if (token.equals("-")) return new byte[0];
    return HexFormat.of().parseHex(token);
  }

  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
    for (String arg : args) {
      int eq = arg.indexOf('=');
      props.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    boolean transactional = props.containsKey(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
      if (transactional) producer.initTransactions();
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      for (String line = in.readLine(); line != null; line = in.readLine()) {
        String[] t = line.trim().split(" ");
        switch (t[0]) {
          case "" -> { }
          case "BEGIN" -> producer.beginTransaction();
          case "COMMIT" -> producer.commitTransaction();
          case "ABORT" -> {
            producer.flush();
            producer.abortTransaction();
          }
          case "FLUSH" -> producer.flush();
          case "R" -> {
            RecordHeaders headers = new RecordHeaders();
            for (int i = 5; i < t.length; i++) {
              int colon = t[i].indexOf(':');
              byte[] name = bytes(t[i].substring(0, colon));
              headers.add(new String(name == null ? new byte[0] : name, StandardCharsets.UTF_8), bytes(t[i].substring(colon + 1)));
            }
            int partition = Integer.parseInt(t[2]);
            sent.add(producer.send(new ProducerRecord<>(t[1], partition < 0 ? null : partition, bytes(t[3]), bytes(t[4]), headers)));
          }
          default -> throw new IllegalArgumentException("unknown command: " + t[0]);
        }
      }
      producer.flush();
      StringBuilder out = new StringBuilder();
      for (Future<RecordMetadata> f : sent) {
        try {
          RecordMetadata m = f.get();
          out.append("OFFSET ").append(m.topic()).append(' ').append(m.partition()).append(' ').append(m.offset()).append('\n');
        } catch (java.util.concurrent.ExecutionException e) {
          // Records of an aborted transaction fail their futures; they were written all the same.
          out.append("ABORTED\n");
        }
      }
      System.out.print(out);
      System.out.flush();
    }
  }
}
